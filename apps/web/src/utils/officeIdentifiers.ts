/**
 * Office identifiers as Japanese paperwork writes them. The server stores
 * 雇用保険事業所番号 and 労働保険番号 as digits only (so that a value typed
 * with or without hyphens is the same value); people read them hyphenated,
 * as printed on the 適用事業所設置届 and the 労働保険 申告書. Display only:
 * the stored value does not change, and a value of another shape is shown
 * as it is.
 */
const GROUPS = {
  /** 雇用保険事業所番号: 4-6-1 (e.g. 1234-567890-1). */
  employmentOfficeNumber: [4, 6, 1],
  /** 労働保険番号: 都道府県 2, 所掌 1, 管轄 2, 基幹番号 6, 枝番号 3 (e.g. 13-1-01-123456-000). */
  laborInsuranceNumber: [2, 1, 2, 6, 3],
} as const;

export type HyphenatedOfficeId = keyof typeof GROUPS;

export function isHyphenatedOfficeId(field: string): field is HyphenatedOfficeId {
  return Object.prototype.hasOwnProperty.call(GROUPS, field);
}

/** `13101123456000` → `13-1-01-123456-000`; anything but the exact digit count is returned unchanged. */
export function formatOfficeId(field: HyphenatedOfficeId, value: string): string {
  const groups = GROUPS[field];
  const total = groups.reduce((sum, n) => sum + n, 0);
  if (!new RegExp(`^\\d{${total}}$`).test(value)) return value;
  const parts: string[] = [];
  let at = 0;
  for (const n of groups) {
    parts.push(value.slice(at, at + n));
    at += n;
  }
  return parts.join('-');
}

/** Any office field for display: the hyphenated ones formatted, the others as they are. */
export function displayOfficeId(field: string, value: string): string {
  return isHyphenatedOfficeId(field) ? formatOfficeId(field, value) : value;
}
