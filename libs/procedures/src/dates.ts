/**
 * ISO calendar dates (`YYYY-MM-DD`) as plain strings: no time zone, no Date
 * object leaking out. Forms store dates this way; the era form (和暦) is only
 * for display and the government XML (see era.ts).
 */
export interface CalendarDate {
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

export function daysInMonth(year: number, month: number): number {
  return [31, isLeapYear(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
}

/** True when the string has the `YYYY-MM-DD` shape (not necessarily a real day). */
export function hasIsoDateShape(value: string): boolean {
  return ISO_DATE.test(value);
}

/** Parses a real calendar date in `YYYY-MM-DD` form; null for anything else (2025-02-30, 2025-2-3, …). */
export function parseIsoDate(value: string): CalendarDate | null {
  const m = ISO_DATE.exec(value);
  if (!m) return null;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  return { year, month, day };
}

export function formatIsoDate(date: CalendarDate): string {
  return `${String(date.year).padStart(4, '0')}-${String(date.month).padStart(2, '0')}-${String(date.day).padStart(2, '0')}`;
}

/** `iso` plus `days` calendar days (negative goes back). Throws on a date that is not real. */
export function addDays(iso: string, days: number): string {
  const d = parseIsoDate(iso);
  if (!d) throw new RangeError(`not an ISO calendar date: ${JSON.stringify(iso)}`);
  // UTC arithmetic: no local time zone or DST can shift the day.
  const t = new Date(Date.UTC(d.year, d.month - 1, d.day));
  t.setUTCFullYear(d.year); // Date.UTC maps years 0-99 to 1900-1999
  t.setUTCDate(t.getUTCDate() + days);
  return formatIsoDate({ year: t.getUTCFullYear(), month: t.getUTCMonth() + 1, day: t.getUTCDate() });
}

/** Today's date in Japan (JST, UTC+9, no daylight saving): the day the forms' dates are judged against. */
export function todayInJapan(now: Date = new Date()): string {
  return new Date(now.getTime() + 9 * 3600_000).toISOString().slice(0, 10);
}

/**
 * Full years from `birth` to `on` (both real ISO dates): the age after that
 * year's birthday. (年齢計算ニ関スル法律 counts a year at the end of the day
 * before the birthday; a day's difference does not matter for plausibility.)
 */
export function fullYears(birth: string, on: string): number {
  const b = parseIsoDate(birth);
  const d = parseIsoDate(on);
  if (!b || !d) throw new RangeError('fullYears needs two ISO calendar dates');
  const beforeBirthday = d.month < b.month || (d.month === b.month && d.day < b.day);
  return d.year - b.year - (beforeBirthday ? 1 : 0);
}
