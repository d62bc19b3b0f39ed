import * as holidayJp from '@holiday-jp/holiday_jp';
import { addDays, daysInMonth, formatIsoDate, parseIsoDate } from './dates';

/**
 * Filing deadlines (提出期限) as data: a definition's `due` says from which date
 * field of the form and how the deadline is counted (definitions/README.md,
 * "Filing deadline"). The result is a JST calendar date, `YYYY-MM-DD`.
 */

/**
 * `days` calendar days after the date in `from`: 「事実発生日から5日以内」.
 * The day of the event is not counted (民法第140条, 初日不算入, which the
 * 健康保険法施行規則 / 厚生年金保険法施行規則 deadlines follow): an event on
 * 4月1日 is due on 4月6日, the usual reading of 日本年金機構's 「5日以内」.
 */
export interface DaysAfterDue {
  readonly kind: 'daysAfter';
  readonly from: string;
  readonly days: number;
}

/**
 * Day `day` of the month after the month of the date in `from`:
 * 「被保険者となった日の属する月の翌月10日まで」 (雇用保険法施行規則第6条).
 * A day the next month does not have (31 in a 30-day month) is its last day.
 */
export interface NextMonthDayDue {
  readonly kind: 'nextMonthDay';
  readonly from: string;
  readonly day: number;
}

export type DueRuleDefinition = DaysAfterDue | NextMonthDayDue;
export const DUE_KINDS = ['daysAfter', 'nextMonthDay'] as const;

/**
 * 行政機関の休日 (行政機関の休日に関する法律 第1条第1項): Saturdays, Sundays,
 * 国民の祝日に関する法律の休日 (振替休日 and 国民の休日 included; from the
 * maintained @holiday-jp/holiday_jp calendar) and 12月29日 to 1月3日.
 */
export function isAdministrativeHoliday(iso: string): boolean {
  const d = parseIsoDate(iso);
  if (!d) throw new RangeError(`not an ISO calendar date: ${JSON.stringify(iso)}`);
  const dow = new Date(Date.UTC(d.year, d.month - 1, d.day)).getUTCDay();
  if (dow === 0 || dow === 6) return true;
  if ((d.month === 12 && d.day >= 29) || (d.month === 1 && d.day <= 3)) return true;
  // The string form: a Date would be formatted in the process's local time zone.
  return Object.prototype.hasOwnProperty.call(holidayJp.holidays, iso);
}

/**
 * The first 開庁日 on or after `iso`. 行政機関の休日に関する法律 第2条: a deadline
 * for an application or notification to an administrative agency that falls on
 * a 行政機関の休日 is the next day that is not one. (The law speaks of deadlines
 * set as a period; 年金事務所 and ハローワーク apply the same to the fixed
 * 「翌月10日」, so every rule here moves.)
 */
export function nextOpenDay(iso: string): string {
  let day = iso;
  // At most 12/28 (Sat) → 1/4 (Sun) → … : a handful of steps; the bound only guards against a broken calendar.
  for (let i = 0; i < 31 && isAdministrativeHoliday(day); i++) day = addDays(day, 1);
  return day;
}

/** The deadline without the holiday move: the date the rule names. */
export function nominalDueDate(rule: DueRuleDefinition, fromDate: string): string | null {
  const d = parseIsoDate(fromDate);
  if (!d) return null;
  if (rule.kind === 'daysAfter') return addDays(fromDate, rule.days);
  const year = d.month === 12 ? d.year + 1 : d.year;
  const month = d.month === 12 ? 1 : d.month + 1;
  return formatIsoDate({ year, month, day: Math.min(rule.day, daysInMonth(year, month)) });
}

/**
 * The filing deadline of a form: null when the definition has no rule or the
 * form's `from` field holds no real date yet (a draft). Otherwise the rule's
 * date, moved to the next 開庁日 when it falls on a 行政機関の休日.
 */
export function dueDateOf(rule: DueRuleDefinition | undefined, form: Readonly<Record<string, unknown>>): string | null {
  if (!rule) return null;
  const from = form[rule.from];
  if (typeof from !== 'string') return null;
  const nominal = nominalDueDate(rule, from);
  return nominal === null ? null : nextOpenDay(nominal);
}
