import { useI18n } from 'vue-i18n';
import { ApiError, NETWORK_ERROR, UNEXPECTED_RESPONSE, type FieldError } from '@/api/client';

/** What {@link translateFieldError} needs of vue-i18n (the composer, or a stand-in in tests). */
export interface FieldErrorI18n {
  t: (key: string, params?: Record<string, unknown>) => string;
  te: (key: string) => boolean;
  locale: string;
}

/** A date parameter (ISO instant) as the user reads dates: in JST, `2026/03/04`. */
function formatParam(value: string | number, locale: string): string | number {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}T/.test(value)) return value;
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return value;
  return new Intl.DateTimeFormat(locale === 'en' ? 'en-GB' : 'ja-JP', {
    timeZone: 'Asia/Tokyo',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(d);
}

/**
 * One field error of a problem+json answer in the user's language. The server
 * sends a stable `code` (with `params`) and an English `message` for
 * integrators; the text users read is ours (`validation.<code>`, README
 * "Errors"). Procedure form errors are the exception: their rules come from
 * the procedure definition, so the server sends both texts (`message` in
 * Japanese, `messageEn`). An unknown code reads as a generic Japanese hint,
 * never as the English sentence (English users get the server's message).
 */
export function translateFieldError(issue: FieldError, i18n: FieldErrorI18n): string {
  if (typeof issue.messageEn === 'string') return i18n.locale === 'en' ? issue.messageEn || issue.message : issue.message;
  const code = issue.code ?? '';
  // Only simple codes become keys: a code with dots would address a nested key.
  const key = `validation.${code}`;
  if (/^[a-z0-9_]+$/.test(code) && i18n.te(key)) {
    const params = Object.fromEntries(Object.entries(issue.params ?? {}).map(([k, v]) => [k, formatParam(v, i18n.locale)]));
    return i18n.t(key, params);
  }
  return i18n.locale === 'en' && issue.message ? issue.message : i18n.t('validation.invalid');
}

/** The name a field error belongs to in a form: `email` for `email` as well as `body.email` (indexes stay: `certificates[0]`). */
export function fieldKeyOf(path: string): string {
  return path.split('.').pop() ?? path;
}

/** Collects `errors[]` of a validation_failed (or field-specific) answer by field name, translated. */
export function collectFieldErrors(error: unknown, i18n: FieldErrorI18n): Record<string, string> {
  const result: Record<string, string> = {};
  if (!(error instanceof ApiError)) return result;
  for (const issue of error.errors) {
    const key = fieldKeyOf(issue.field);
    const text = translateFieldError(issue, i18n);
    if (result[key]?.includes(text)) continue;
    result[key] = result[key] ? `${result[key]} ${text}` : text;
  }
  return result;
}

/** Turns any thrown value into a message in the current language. */
export function useApiError() {
  const { t, te, locale } = useI18n({ useScope: 'global' });
  const i18n: FieldErrorI18n = {
    t: (key, params) => t(key, params ?? {}),
    te: (key) => te(key),
    get locale() {
      return locale.value;
    },
  };

  function messageFor(error: unknown): string {
    const code = error instanceof ApiError ? error.code : error instanceof TypeError ? NETWORK_ERROR : UNEXPECTED_RESPONSE;
    const key = `errors.${code}`;
    // Only simple codes become keys: a code with dots would address a nested key.
    if (/^[a-z0-9_]+$/.test(code) && te(key)) return t(key);
    return t('errors.generic', { code });
  }

  /** Field errors of a refused request by field name, in the current language. */
  function fieldErrorsOf(error: unknown): Record<string, string> {
    return collectFieldErrors(error, i18n);
  }

  /** One field error in the current language. */
  function fieldMessage(issue: FieldError): string {
    return translateFieldError(issue, i18n);
  }

  return { messageFor, fieldErrorsOf, fieldMessage };
}
