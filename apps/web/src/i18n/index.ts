import { createI18n } from 'vue-i18n';
import ja, { type MessageSchema } from './ja';
import en from './en';

export const SUPPORTED_LOCALES = ['ja', 'en'] as const;
export type AppLocale = (typeof SUPPORTED_LOCALES)[number];
export const DEFAULT_LOCALE: AppLocale = 'ja';
export const LOCALE_STORAGE_KEY = 'charlotte.locale';

export function isAppLocale(value: unknown): value is AppLocale {
  return typeof value === 'string' && (SUPPORTED_LOCALES as readonly string[]).includes(value);
}

/** The locale the user chose last time, or Japanese. */
export function readStoredLocale(): AppLocale {
  try {
    const stored = globalThis.localStorage?.getItem(LOCALE_STORAGE_KEY);
    return isAppLocale(stored) ? stored : DEFAULT_LOCALE;
  } catch {
    // Storage can be disabled (privacy settings); the default is fine then.
    return DEFAULT_LOCALE;
  }
}

export function createAppI18n(locale: AppLocale = readStoredLocale()) {
  return createI18n<[MessageSchema], AppLocale, false>({
    legacy: false,
    locale,
    fallbackLocale: DEFAULT_LOCALE,
    messages: { ja, en },
    missingWarn: import.meta.env.DEV,
    fallbackWarn: import.meta.env.DEV,
  });
}

export type AppI18n = ReturnType<typeof createAppI18n>;
