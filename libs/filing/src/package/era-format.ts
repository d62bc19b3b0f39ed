import { toEra } from '@charlotte/procedures';

/**
 * Era dates of the government forms: an era code followed by YYMMDD (era year,
 * month, day, two digits each); the 申請書 XML writes the parts into separate
 * 元号/年/月/日 (雇用保険: 年号/年/月/日) elements (form-xml.ts).
 * 1990-04-01 is 平成2年4月1日 → '7' + '020401'
 * on a pension form.
 *
 * Two code sets:
 * - `pension` (日本年金機構 forms, domain.md): 明治1 大正3 昭和5 平成7 令和9.
 * - `employment` (雇用保険 forms): 大正2 昭和3 平成4 令和5. UNVERIFIED: taken
 *   from the comment in procedures/era.ts ("believed to use"), not from a
 *   published 様式 or check.xml; 明治 has no code here (refused). Confirm
 *   against the ハローワーク form's 記載要領 / e-Gov check.xml before filing.
 *
 * Codes are looked up by era name (toEra().era), never by reusing the pension
 * `eraCode` for another family.
 */
export type EraCodeSet = 'pension' | 'employment';

export const PENSION_ERA_CODES: Readonly<Record<string, number>> = Object.freeze({ 明治: 1, 大正: 3, 昭和: 5, 平成: 7, 令和: 9 });

/** UNVERIFIED (see above). */
export const EMPLOYMENT_ERA_CODES: Readonly<Record<string, number>> = Object.freeze({ 大正: 2, 昭和: 3, 平成: 4, 令和: 5 });

/** False until EMPLOYMENT_ERA_CODES is checked against the official form. */
export const EMPLOYMENT_ERA_CODES_VERIFIED = false;

const CODE_SETS: Readonly<Record<EraCodeSet, Readonly<Record<string, number>>>> = {
  pension: PENSION_ERA_CODES,
  employment: EMPLOYMENT_ERA_CODES,
};

export interface GovEraDate {
  /** '7020401' */
  readonly value: string;
  /** 平成 */
  readonly era: string;
  /** The era code in the chosen set. */
  readonly eraCode: number;
  /** The ISO date it came from. */
  readonly iso: string;
}

const two = (n: number): string => String(n).padStart(2, '0');

/**
 * ISO date → government era date. Throws RangeError for a string that is not a
 * real ISO date, a date before 明治, or an era the code set has no code for.
 * The message may contain the date: callers that log must not pass it on.
 */
export function toGovEraDate(isoDate: string, codeSet: EraCodeSet = 'pension'): GovEraDate {
  const e = toEra(isoDate);
  const codes = CODE_SETS[codeSet];
  const eraCode = Object.prototype.hasOwnProperty.call(codes, e.era) ? codes[e.era] : undefined;
  if (eraCode === undefined) throw new RangeError(`the ${codeSet} era codes have no code for ${e.eraEn}`);
  // Era years stay below 100 (明治45, 昭和64), so two digits always suffice.
  return { value: `${eraCode}${two(e.year)}${two(e.month)}${two(e.day)}`, era: e.era, eraCode, iso: isoDate };
}
