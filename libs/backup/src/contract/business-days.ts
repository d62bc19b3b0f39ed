import * as holidayJp from '@holiday-jp/holiday_jp';

/**
 * Deletion due date (api.md, "Backups, contract end, deletion"): the end
 * (23:59:59.999 JST) of the 5th business day after the day (JST) of the
 * cancellation's effective time. That day is day 0 whatever its kind.
 * Not business days: Saturdays, Sundays, national holidays (including 振替休日
 * and 国民の休日, from the maintained @holiday-jp/holiday_jp calendar) and the
 * year-end/new-year closure 12/29–1/3.
 */
export const DELETION_BUSINESS_DAYS = 5;

const JST_OFFSET_MS = 9 * 3600_000;
const DAY_MS = 86_400_000;

/** The calendar date in Japan (YYYY-MM-DD) of an instant. */
export function jstDate(at: Date): string {
  return new Date(at.getTime() + JST_OFFSET_MS).toISOString().slice(0, 10);
}

/** Is this JST calendar date (YYYY-MM-DD) a business day? */
export function isBusinessDay(date: string): boolean {
  const d = new Date(`${date}T00:00:00Z`);
  const dow = d.getUTCDay();
  if (dow === 0 || dow === 6) return false;
  const md = date.slice(5);
  if (md >= '12-29' || md <= '01-03') return false;
  return !holidayJp.isHoliday(date);
}

/** The JST calendar date `n` business days after `date` (day 0, which need not be a business day itself). */
export function addBusinessDays(date: string, n: number): string {
  let t = new Date(`${date}T00:00:00Z`).getTime();
  let left = n;
  while (left > 0) {
    t += DAY_MS;
    if (isBusinessDay(new Date(t).toISOString().slice(0, 10))) left--;
  }
  return new Date(t).toISOString().slice(0, 10);
}

/** deletionDueAt for a cancellation effective at `effectiveAt`: 23:59:59.999 JST of the 5th business day after its JST day. */
export function deletionDueAt(effectiveAt: Date, businessDays = DELETION_BUSINESS_DAYS): Date {
  const due = addBusinessDays(jstDate(effectiveAt), businessDays);
  return new Date(new Date(`${due}T23:59:59.999+09:00`).getTime());
}
