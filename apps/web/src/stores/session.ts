import { computed, ref } from 'vue';
import { defineStore } from 'pinia';
import {
  api,
  ApiError,
  CONTRACT_CANCELLED,
  IP_NOT_ALLOWED,
  PORTAL_DISABLED,
  type LoginDone,
  type LoginRequest,
  type LoginResponse,
  type Tenant,
  type User,
} from '@/api/client';

/**
 * Who is logged in. The session itself lives in an HttpOnly cookie the SPA
 * cannot read; this store keeps what /auth/session tells about it and hands the
 * CSRF token to the API client.
 */
export const useSessionStore = defineStore('session', () => {
  const user = ref<User | null>(null);
  const tenant = ref<Tenant | null>(null);
  /** true once /auth/session has answered (with a session or with 401). */
  const loaded = ref(false);
  let pending: Promise<void> | null = null;

  const isAuthenticated = computed(() => user.value !== null);
  const isAdmin = computed(() => user.value?.role === 'admin');
  /** A platform operator (契約コード `platform`): no tenant, the operator console only. */
  const isOperator = computed(() => user.value?.role === 'operator');
  /** A 社会保険労務士 office: 顧問先 (clients), staff assignments, a client on every office. */
  const isSharoushi = computed(() => tenant.value?.kind === 'sharoushi');
  /** A user of a 顧問先's portal (role client): the portal pages only, read-only. */
  const isClient = computed(() => user.value?.role === 'client');

  function apply(next: { user: User; tenant?: Tenant | null; csrfToken: string }): void {
    user.value = next.user;
    if (next.tenant !== undefined) tenant.value = next.tenant;
    api.setCsrfToken(next.csrfToken);
    loaded.value = true;
  }

  function clear(): void {
    user.value = null;
    tenant.value = null;
    api.setCsrfToken(null);
  }

  async function refresh(): Promise<void> {
    try {
      apply(await api.getSession());
    } catch (error) {
      clear();
      // 401 means "not logged in" and is a definite answer. Anything else
      // (network down, 5xx) is not: leave `loaded` false so the next
      // navigation asks again.
      // So is 403 contract_cancelled: the contract ended, the session with it; and
      // 403 ip_not_allowed: the session cannot be used from this address (the login page then says why).
      if (
        error instanceof ApiError &&
        (error.status === 401 || error.code === CONTRACT_CANCELLED || error.code === IP_NOT_ALLOWED || error.code === PORTAL_DISABLED)
      ) {
        loaded.value = true;
        return;
      }
      throw error;
    }
  }

  /** Fetches the session once; later calls reuse the answer. */
  function ensureLoaded(): Promise<void> {
    if (loaded.value) return Promise.resolve();
    pending ??= refresh().finally(() => {
      pending = null;
    });
    return pending;
  }

  /**
   * Password step. Answers the server's response so that the login view can
   * continue with further steps (key file) when the server asks for one.
   */
  async function login(credentials: LoginRequest): Promise<LoginResponse> {
    const result = await api.login(credentials);
    if (result.step === 'done') await complete(result);
    return result;
  }

  /**
   * Takes over the session a final login step (password, key file, key-file
   * enrolment) answered with.
   */
  async function complete(result: LoginDone): Promise<void> {
    apply(result);
    // The key-file step may answer without the tenant; ask for the full session.
    if (result.tenant === undefined) await refresh();
  }

  async function logout(): Promise<void> {
    try {
      await api.logout();
    } catch (error) {
      // An expired session is already logged out. Anything else (network
      // down) is reported and the local state kept: the cookie may still be valid.
      if (!(error instanceof ApiError && error.status === 401)) throw error;
    }
    clear();
    loaded.value = true;
  }

  return {
    user,
    tenant,
    loaded,
    isAuthenticated,
    isAdmin,
    isOperator,
    isSharoushi,
    isClient,
    ensureLoaded,
    refresh,
    login,
    complete,
    logout,
    clear,
  };
});
