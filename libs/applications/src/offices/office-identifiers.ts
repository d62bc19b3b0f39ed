import { normalizeTypedText } from '@charlotte/procedures';

/**
 * Office identifiers (domain.md "Who files what"). Each is optional; when
 * given it is checked by its format and stored normalised (digits without
 * hyphens, except 事業所整理記号 which keeps its カナ part).
 *
 * Unsure (to verify against the pension service's and the labour ministry's
 * current specifications): 事業所整理記号 is taken as 2 digits (郡市区符号) and
 * up to 4 characters (カナ, 英字 or digits), written with or without a hyphen.
 */
export const OFFICE_ID_FORMATS = {
  /** 事業所整理記号: e.g. 01-イロハ. */
  pensionOfficeCode: /^(\d{2})[-－]?([\p{Script=Katakana}ーA-Z0-9]{1,4})$/u,
  /** 事業所番号 (年金事務所): up to 5 digits. */
  pensionOfficeNumber: /^\d{1,5}$/,
  /** 雇用保険事業所番号: 4-6-1 digits. */
  employmentOfficeNumber: /^(\d{4})-?(\d{6})-?(\d)$/,
  /** 労働保険番号: 2+1+2+6+3 = 14 digits (都道府県, 所掌, 管轄, 基幹番号, 枝番号). */
  laborInsuranceNumber: /^(\d{2})-?(\d)-?(\d{2})-?(\d{6})-?(\d{3})$/,
} as const;

export type OfficeIdField = keyof typeof OFFICE_ID_FORMATS;

/** Field error of an identifier that does not match its format: the code the SPA translates, English for integrators. */
export const OFFICE_ID_ERRORS: Record<OfficeIdField, { code: string; message: string }> = {
  pensionOfficeCode: {
    code: 'pension_office_code_format',
    message: 'pensionOfficeCode must be 2 digits and up to 4 kana or alphanumerics (e.g. 01-イロハ)',
  },
  pensionOfficeNumber: { code: 'pension_office_number_format', message: 'pensionOfficeNumber must be up to 5 digits' },
  employmentOfficeNumber: { code: 'employment_office_number_format', message: 'employmentOfficeNumber must be 4-6-1 digits' },
  laborInsuranceNumber: { code: 'labor_insurance_number_format', message: 'laborInsuranceNumber must be 14 digits (2-1-2-6-3)' },
};

/**
 * The normalised form, or undefined when the value does not match its format.
 * Numbers are read as people type them (全角数字, 長音「ー」やダッシュ for the
 * hyphen, spaces) by the same normalisation as the procedure forms.
 */
export function normaliseOfficeId(field: OfficeIdField, value: string): string | undefined {
  const v = String(normalizeTypedText('number-text', value)).toUpperCase();
  const m = OFFICE_ID_FORMATS[field].exec(field === 'pensionOfficeCode' ? value.trim() : v);
  if (!m) return undefined;
  if (field === 'pensionOfficeCode') return `${m[1]}-${m[2]}`;
  return m.slice(1).join('') || m[0];
}
