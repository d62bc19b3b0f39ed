import { computed, ref } from 'vue';
import { api, type SigningCertificate } from '@/api/client';

/**
 * The tenant's e-signature certificate as the SPA shows it: loaded once, with the expiry state the
 * banner needs (the server computes `expiresInDays` / `expiringSoon`: ≤ 30 days, so there is one rule).
 */
export function useSigningCertificate() {
  const current = ref<SigningCertificate | null>(null);
  const loaded = ref(false);
  const loading = ref(false);
  const error = ref<unknown>(null);

  async function load(): Promise<void> {
    loading.value = true;
    error.value = null;
    try {
      current.value = (await api.getSigningCertificates()).current ?? null;
      loaded.value = true;
    } catch (e) {
      error.value = e;
    } finally {
      loading.value = false;
    }
  }

  /** 'expired', 'soon' (≤ 30 days) or null. */
  const expiry = computed<'expired' | 'soon' | null>(() => {
    const c = current.value;
    if (!c) return null;
    if (c.expiresInDays < 0 || Date.parse(c.notAfter) <= Date.now()) return 'expired';
    return c.expiringSoon ? 'soon' : null;
  });

  return { current, loaded, loading, error, expiry, load };
}
