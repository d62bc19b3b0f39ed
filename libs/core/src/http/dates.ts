import { ValidateBy, ValidationOptions } from 'class-validator';

/**
 * Dates from query strings and cursors end up in SQL casts (`::date`,
 * `::timestamptz`). PostgreSQL refuses what JavaScript's Date happily accepts
 * (2026-02-30 rolls over in JS, year 0 or 99999, ISO week dates, Invalid Date),
 * and a refused cast answered 500 (issue 13, finding 12). These checks accept
 * only real calendar days in years 1900–9999 so that every value that passes
 * is one PostgreSQL and Date agree on.
 */
const MIN_YEAR = 1900;
const MAX_YEAR = 9999;

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const INSTANT = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;

function realDay(y: number, m: number, d: number): boolean {
  if (y < MIN_YEAR || y > MAX_YEAR || m < 1 || m > 12 || d < 1) return false;
  const dt = new Date(Date.UTC(y, m - 1, d));
  return dt.getUTCFullYear() === y && dt.getUTCMonth() === m - 1 && dt.getUTCDate() === d;
}

/** YYYY-MM-DD naming a day that exists, years 1900–9999. */
export function isCalendarDate(v: unknown): v is string {
  if (typeof v !== 'string') return false;
  const m = DATE.exec(v);
  return !!m && realDay(Number(m[1]), Number(m[2]), Number(m[3]));
}

/**
 * An ISO 8601 instant: a calendar date, or a date with time and an explicit
 * offset (Z or ±HH:MM), fields in range (no 24:00, no leap second, offsets up to ±14:00).
 */
export function isInstant(v: unknown): v is string {
  if (typeof v !== 'string' || v.length > 40) return false;
  const m = INSTANT.exec(v);
  if (!m || !realDay(Number(m[1]), Number(m[2]), Number(m[3]))) return false;
  if (m[4] !== undefined) {
    if (Number(m[4]) > 23 || Number(m[5]) > 59 || (m[6] !== undefined && Number(m[6]) > 59)) return false;
    const off = m[7];
    if (off !== 'Z' && (Number(off.slice(1, 3)) > 14 || Number(off.slice(4, 6)) > 59)) return false;
  }
  const t = new Date(v).getTime();
  return Number.isFinite(t);
}

/** class-validator: {@link isCalendarDate}. */
export function IsCalendarDate(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isCalendarDate',
      validator: {
        validate: isCalendarDate,
        defaultMessage: (args) => `${args?.property ?? 'value'} must be a date YYYY-MM-DD (1900–9999)`,
      },
    },
    options,
  );
}

/** class-validator: {@link isInstant}. */
export function IsInstant(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isInstant',
      validator: {
        validate: isInstant,
        defaultMessage: (args) => `${args?.property ?? 'value'} must be an ISO 8601 date or date-time with offset (years 1900–9999)`,
      },
    },
    options,
  );
}

/** Japan has had no daylight saving time since 1951: JST is UTC+9 all year. */
const JST_OFFSET_MS = 9 * 3600_000;

/**
 * The calendar day in Japan (JST) of an instant, YYYY-MM-DD: what a user in
 * Japan calls "today" (file names of downloads, due days), whatever the
 * server's time zone.
 */
export function jstCalendarDate(at: Date): string {
  return new Date(at.getTime() + JST_OFFSET_MS).toISOString().slice(0, 10);
}

/**
 * The last instant (23:59:59.999 JST) of a Japanese calendar day given as
 * YYYY-MM-DD, for an expiry a user picked as a day: "valid through 3/3" in
 * Japan. Throws on anything that is not a real day ({@link isCalendarDate}).
 */
export function jstEndOfDay(day: string): Date {
  if (!isCalendarDate(day)) throw new RangeError('not a calendar date');
  const [y, m, d] = day.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d + 1) - JST_OFFSET_MS - 1);
}
