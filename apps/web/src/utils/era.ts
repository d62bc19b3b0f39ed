/**
 * Japanese era dates (和暦) for display. Forms store ISO dates (YYYY-MM-DD);
 * the era form is only shown next to them (the server converts for the
 * government XML itself).
 */
export const ERAS = ['meiji', 'taisho', 'showa', 'heisei', 'reiwa'] as const;
export type Era = (typeof ERAS)[number];

/** First day of each era (the day of the change of era), newest first. */
const ERA_STARTS: readonly { era: Era; start: string; year: number }[] = [
  { era: 'reiwa', start: '2019-05-01', year: 2019 },
  { era: 'heisei', start: '1989-01-08', year: 1989 },
  { era: 'showa', start: '1926-12-25', year: 1926 },
  { era: 'taisho', start: '1912-07-30', year: 1912 },
  { era: 'meiji', start: '1868-10-23', year: 1868 },
];

export interface EraDate {
  era: Era;
  /** 1 for the first year (元年). */
  year: number;
  month: number;
  day: number;
}

export interface CalendarDay {
  year: number;
  month: number;
  day: number;
}

/** A real calendar day in `YYYY-MM-DD` form, or null (2025-02-30, 2025-2-3, …). */
export function parseIsoDay(value: unknown): CalendarDay | null {
  if (typeof value !== 'string') return null;
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!m) return null;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const check = new Date(Date.UTC(2000, month - 1, day));
  check.setUTCFullYear(year);
  if (year < 1 || check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) return null;
  return { year, month, day };
}

/**
 * The era date of an ISO day; null for a malformed day or one before Meiji
 * (1868-10-23). The zero-padded ISO strings compare in calendar order.
 */
export function toEraDate(iso: string): EraDate | null {
  const d = parseIsoDay(iso);
  if (!d) return null;
  const era = ERA_STARTS.find((e) => iso >= e.start);
  if (!era) return null;
  return { era: era.era, year: d.year - era.year + 1, month: d.month, day: d.day };
}
