import { useI18n } from 'vue-i18n';
import { ApiError, NETWORK_ERROR, UNEXPECTED_RESPONSE, type FieldError } from '@/api/client';

/** Collects `errors[]` of a validation_failed (or field-specific) answer by field name. */
export function fieldErrorsOf(error: unknown): Record<string, string> {
  const result: Record<string, string> = {};
  if (!(error instanceof ApiError)) return result;
  for (const { field, message } of error.errors as FieldError[]) {
    // Accept "email" as well as "body.email"-style paths.
    const key = field.split('.').pop() ?? field;
    result[key] = result[key] ? `${result[key]} ${message}` : message;
  }
  return result;
}

/** Turns any thrown value into a message in the current language. */
export function useApiError() {
  const { t, te } = useI18n({ useScope: 'global' });

  function messageFor(error: unknown): string {
    const code = error instanceof ApiError ? error.code : error instanceof TypeError ? NETWORK_ERROR : UNEXPECTED_RESPONSE;
    const key = `errors.${code}`;
    // Only simple codes become keys: a code with dots would address a nested key.
    if (/^[a-z0-9_]+$/.test(code) && te(key)) return t(key);
    return t('errors.generic', { code });
  }

  return { messageFor, fieldErrorsOf };
}
