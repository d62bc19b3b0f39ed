import { formatIsoDate, parseIsoDate } from './dates';

/**
 * Japanese eras (元号) for display and for the government XML. Forms store ISO
 * dates; an era date is derived, never stored.
 *
 * Era codes are those of the pension (日本年金機構) forms: 明治1 大正3 昭和5 平成7 令和9.
 * Other form families number eras differently (the 雇用保険 forms are believed
 * to use 大正2 昭和3 平成4 令和5 — unverified): the XML writer for those must map
 * `era`, not reuse `eraCode`.
 *
 * Start days are the Gregorian days each era began (明治 from 1868-10-23, the
 * day of the proclamation; dates before it are refused rather than guessed).
 */
export interface EraDate {
  /** 令和 */
  readonly era: string;
  /** Reiwa */
  readonly eraEn: string;
  /** Pension-form era code: 明治1 大正3 昭和5 平成7 令和9. */
  readonly eraCode: number;
  /** Year of the era (1 = 元年). */
  readonly year: number;
  readonly month: number;
  readonly day: number;
  /** 令和7年4月1日, 令和元年5月1日 */
  readonly text: string;
}

interface Era {
  readonly name: string;
  readonly nameEn: string;
  readonly code: number;
  readonly start: string;
}

/** Newest first. */
const ERAS: readonly Era[] = [
  { name: '令和', nameEn: 'Reiwa', code: 9, start: '2019-05-01' },
  { name: '平成', nameEn: 'Heisei', code: 7, start: '1989-01-08' },
  { name: '昭和', nameEn: 'Showa', code: 5, start: '1926-12-25' },
  { name: '大正', nameEn: 'Taisho', code: 3, start: '1912-07-30' },
  { name: '明治', nameEn: 'Meiji', code: 1, start: '1868-10-23' },
];

/** The first day an era date can express. */
export const MEIJI_START = '1868-10-23';

/** The era name and code table, for UIs that offer an era picker. */
export const ERA_CODES: readonly { readonly era: string; readonly eraEn: string; readonly eraCode: number; readonly start: string }[] =
  ERAS.map((e) => ({ era: e.name, eraEn: e.nameEn, eraCode: e.code, start: e.start }));

function eraText(era: string, year: number, month: number, day: number): string {
  return `${era}${year === 1 ? '元' : year}年${month}月${day}日`;
}

/** ISO date → era date. Throws RangeError for a string that is not a real ISO date or is before 明治. */
export function toEra(isoDate: string): EraDate {
  const d = parseIsoDate(isoDate);
  if (!d) throw new RangeError(`not an ISO calendar date: ${JSON.stringify(isoDate)}`);
  // YYYY-MM-DD strings with 4-digit years order like the dates they name.
  const era = ERAS.find((e) => isoDate >= e.start);
  if (!era) throw new RangeError(`${isoDate} is before the Meiji era (${MEIJI_START})`);
  const year = d.year - Number(era.start.slice(0, 4)) + 1;
  return {
    era: era.name,
    eraEn: era.nameEn,
    eraCode: era.code,
    year,
    month: d.month,
    day: d.day,
    text: eraText(era.name, year, d.month, d.day),
  };
}

/**
 * Era date → ISO date. Throws RangeError for an unknown era code, a day that
 * does not exist, or a day outside the era (平成31年5月1日 is 令和元年5月1日;
 * 昭和64年1月8日 does not exist).
 */
export function fromEra(eraCode: number, year: number, month: number, day: number): string {
  const index = ERAS.findIndex((e) => e.code === eraCode);
  if (index < 0) throw new RangeError(`unknown era code ${eraCode} (明治1 大正3 昭和5 平成7 令和9)`);
  const era = ERAS[index];
  if (!Number.isInteger(year) || year < 1) throw new RangeError(`era year must be 1 or more, got ${year}`);
  const iso = formatIsoDate({ year: Number(era.start.slice(0, 4)) + year - 1, month, day });
  if (!Number.isInteger(month) || !Number.isInteger(day) || !parseIsoDate(iso)) {
    throw new RangeError(`${era.name}${year}年${month}月${day}日 is not a real date`);
  }
  const next = index > 0 ? ERAS[index - 1] : undefined;
  if (iso < era.start || (next && iso >= next.start)) {
    throw new RangeError(`${eraText(era.name, year, month, day)} is outside the ${era.nameEn} era`);
  }
  return iso;
}
