/**
 * String formats of procedure fields. Each format has a JSON Schema `pattern`
 * (served to the SPA, which can check as the user types) and a server check
 * (the pattern plus what a regular expression cannot say, such as the My
 * Number check digit). The server check is the authority.
 */
export const FIELD_FORMATS = [
  'katakana',
  'kanji-name',
  'digits',
  'my-number',
  'basic-pension-number',
  'employment-insured-number',
  'postal-code',
  'phone',
] as const;
export type FieldFormat = (typeof FIELD_FORMATS)[number];

/** Formats whose length is fixed by the format itself (no maxLength needed in a definition). */
export const BOUNDED_FORMATS: ReadonlySet<FieldFormat> = new Set<FieldFormat>([
  'my-number',
  'basic-pension-number',
  'employment-insured-number',
  'postal-code',
  'phone',
]);

/**
 * Patterns (ECMAScript, `u` flag). Hyphens are optional where people commonly
 * write them (基礎年金番号 1234-567890, 被保険者番号 1234-567890-1, 〒100-0001);
 * normalizeForm() strips them before storage, so stored values are digits only.
 */
export const FORMAT_PATTERNS: Readonly<Record<FieldFormat, string>> = {
  // Full-width katakana ァ..ヶ, the long vowel mark ー and the full-width space only:
  // no hiragana, kanji, half-width kana (ｱ), ASCII or middle dot (the forms' OCR/CSV rules).
  katakana: '^[\\u30A1-\\u30F6\\u30FC\\u3000]+$',
  // Full-width characters only: nothing from ASCII/Latin-1 (incl. control characters)
  // and no half-width katakana or half-width forms (U+FF61-FFDC, U+FFE8-FFEE).
  'kanji-name': '^[^\\u0000-\\u00FF\\uFF61-\\uFFDC\\uFFE8-\\uFFEE\\u2028\\u2029]+$',
  digits: '^[0-9]+$',
  'my-number': '^[0-9]{12}$',
  'basic-pension-number': '^[0-9]{4}-?[0-9]{6}$',
  'employment-insured-number': '^[0-9]{4}-?[0-9]{6}-?[0-9]$',
  'postal-code': '^[0-9]{3}-?[0-9]{4}$',
  // Japanese numbers: leading 0, 10 or 11 digits in all, at most two single hyphens.
  phone: '^(?=(?:[^0-9]*[0-9]){10,11}[^0-9]*$)0[0-9]{1,4}-?[0-9]{1,4}-?[0-9]{3,4}$',
};

const COMPILED: Readonly<Record<FieldFormat, RegExp>> = Object.fromEntries(
  FIELD_FORMATS.map((f) => [f, new RegExp(FORMAT_PATTERNS[f], 'u')]),
) as Record<FieldFormat, RegExp>;

/** Error codes of format failures (stable: clients may branch on them). */
export const FORMAT_ERROR_CODES: Readonly<Record<FieldFormat, string>> = {
  katakana: 'not_katakana',
  'kanji-name': 'not_full_width',
  digits: 'not_digits',
  'my-number': 'my_number_length',
  'basic-pension-number': 'basic_pension_number_format',
  'employment-insured-number': 'employment_insured_number_format',
  'postal-code': 'postal_code_format',
  phone: 'phone_format',
};

/**
 * Check digit of a 個人番号 (My Number), from 行政手続における特定の個人を識別するための
 * 番号の利用等に関する法律施行令 第8条:
 *
 *   check = 11 − (Σ_{n=1..11} Pn × Qn mod 11), or 0 when (Σ mod 11) ≤ 1
 *   Pn = the n-th digit counted from the right of the 11 leading digits
 *        (P1 is the digit just left of the check digit)
 *   Qn = n + 1 for 1 ≤ n ≤ 6,  n − 5 for 7 ≤ n ≤ 11
 *
 * Example: 12345678901 → Σ = 212, 212 mod 11 = 3, check = 8 → 123456789018.
 */
export function myNumberCheckDigit(first11: string): number {
  if (!/^[0-9]{11}$/.test(first11)) throw new RangeError('myNumberCheckDigit needs exactly 11 digits');
  let sum = 0;
  for (let n = 1; n <= 11; n++) {
    const p = Number(first11[11 - n]);
    const q = n <= 6 ? n + 1 : n - 5;
    sum += p * q;
  }
  const remainder = sum % 11;
  return remainder <= 1 ? 0 : 11 - remainder;
}

export function isValidMyNumber(value: string): boolean {
  return /^[0-9]{12}$/.test(value) && myNumberCheckDigit(value.slice(0, 11)) === Number(value[11]);
}

/** The error code of a format failure, or null when the value is well formed. */
export function checkFormat(format: FieldFormat, value: string): string | null {
  if (!COMPILED[format].test(value)) return FORMAT_ERROR_CODES[format];
  if (format === 'my-number' && !isValidMyNumber(value)) return 'my_number_check_digit';
  return null;
}

/** Formats whose canonical stored form drops the hyphens people type. */
export const HYPHENATED_FORMATS: ReadonlySet<FieldFormat> = new Set<FieldFormat>([
  'basic-pension-number',
  'employment-insured-number',
  'postal-code',
]);
