import { computed } from 'vue';
import { useI18n } from 'vue-i18n';
import { LOCALE_STORAGE_KEY, SUPPORTED_LOCALES, isAppLocale, type AppLocale } from '@/i18n';

/** Names shown in the switcher, each in its own language. */
export const LOCALE_NAMES: Readonly<Record<AppLocale, string>> = { ja: '日本語', en: 'English' };

export function applyDocumentLocale(locale: AppLocale): void {
  if (typeof document !== 'undefined') document.documentElement.lang = locale;
}

export function useLocale() {
  const { locale } = useI18n({ useScope: 'global' });

  const current = computed<AppLocale>(() => (isAppLocale(locale.value) ? locale.value : 'ja'));

  function setLocale(next: AppLocale): void {
    locale.value = next;
    applyDocumentLocale(next);
    try {
      localStorage.setItem(LOCALE_STORAGE_KEY, next);
    } catch {
      // Storage disabled: the choice lasts for this page only.
    }
  }

  return { locale: current, locales: SUPPORTED_LOCALES, setLocale };
}
