import { useI18n } from 'vue-i18n';

const TIME_ZONE = 'Asia/Tokyo';
/** Japan has had no daylight saving time since 1951: JST is always UTC+9. */
const JST_OFFSET_MS = 9 * 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

export interface DateTimeFormatOptions {
  /** Show seconds too (audit trail). */
  seconds?: boolean;
}

/**
 * Formats an ISO 8601 instant in Japan time (JST), whatever the browser's
 * time zone: every date in Charlotte refers to Japanese business days.
 */
export function formatDateTime(iso: string | null | undefined, locale: string, options: DateTimeFormatOptions = {}): string {
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
    ...(options.seconds ? { second: '2-digit' } : {}),
    hourCycle: 'h23',
  }).format(date);
  return `${formatted} JST`;
}

/**
 * The Japanese calendar day of an instant (JST), without the time: for due
 * dates such as the 消去予定日, which the server gives as the end of a day.
 */
export function formatDate(iso: string | null | undefined, locale: string): string {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  return new Intl.DateTimeFormat(locale === 'en' ? 'en-GB' : 'ja-JP', {
    timeZone: TIME_ZONE,
    year: 'numeric',
    month: locale === 'en' ? 'short' : '2-digit',
    day: '2-digit',
  }).format(date);
}

/**
 * A calendar day as the server gives it (`YYYY-MM-DD`, a JST day such as a
 * 提出期限), formatted like {@link formatDate}; '' for anything else.
 */
export function formatDay(day: string | null | undefined, locale: string): string {
  if (!day || !/^\d{4}-\d{2}-\d{2}$/.test(day)) return '';
  return formatDate(`${day}T00:00:00+09:00`, locale);
}

/**
 * The instant a Japanese calendar day (`YYYY-MM-DD`, as a date input gives
 * it) starts, 00:00 JST, as ISO 8601 in UTC; `offsetDays` moves to a later
 * day (1 = the start of the next day, an exclusive upper bound). null for
 * anything that is not a real date.
 */
export function jstDayStartIso(day: string, offsetDays = 0): string | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!match) return null;
  const [year, month, date] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const utcMidnight = Date.UTC(year, month - 1, date);
  const check = new Date(utcMidnight);
  // Date.UTC rolls 2026-02-31 over into March: refuse such days.
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== date) return null;
  return new Date(utcMidnight - JST_OFFSET_MS + offsetDays * DAY_MS).toISOString();
}

/**
 * The instant a date-time input (`YYYY-MM-DDTHH:mm`, seconds optional) means
 * when read as Japan time, as ISO 8601 in UTC; null for anything else.
 */
export function jstDateTimeIso(value: string): string | null {
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(value);
  if (!match) return null;
  const dayStart = jstDayStartIso(match[1]!);
  const [hours, minutes, seconds] = [Number(match[2]), Number(match[3]), Number(match[4] ?? 0)];
  if (!dayStart || hours > 23 || minutes > 59 || seconds > 59) return null;
  return new Date(Date.parse(dayStart) + ((hours * 60 + minutes) * 60 + seconds) * 1000).toISOString();
}

export function useDateFormat() {
  const { locale } = useI18n({ useScope: 'global' });
  return {
    formatDateTime: (iso: string | null | undefined, options?: DateTimeFormatOptions) => formatDateTime(iso, locale.value, options),
    formatDate: (iso: string | null | undefined) => formatDate(iso, locale.value),
    formatDay: (day: string | null | undefined) => formatDay(day, locale.value),
  };
}
