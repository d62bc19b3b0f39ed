import { useI18n } from 'vue-i18n';

const TIME_ZONE = 'Asia/Tokyo';

/**
 * Formats an ISO 8601 instant in Japan time (JST), whatever the browser's
 * time zone: every date in Charlotte refers to Japanese business days.
 */
export function formatDateTime(iso: string | null | undefined, locale: string): string {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  // English uses the month name: 06/01 reads as June in the US and January in the UK.
  const formatted = new Intl.DateTimeFormat(locale === 'en' ? 'en-GB' : 'ja-JP', {
    timeZone: TIME_ZONE,
    year: 'numeric',
    month: locale === 'en' ? 'short' : '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(date);
  return `${formatted} JST`;
}

export function useDateFormat() {
  const { locale } = useI18n({ useScope: 'global' });
  return {
    formatDateTime: (iso: string | null | undefined) => formatDateTime(iso, locale.value),
  };
}
