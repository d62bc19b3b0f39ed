import { fieldMap } from '@charlotte/procedures';
import type { EgovDatePart, EgovElement, EgovMapping, EgovValue, FieldDefinition, ProcedureDefinition } from '@charlotte/procedures';
import { toGovEraDate } from './era-format';
import type { EraCodeSet } from './era-format';
import { EgovPackageError } from './errors';
import { egovMappingFor } from './procedure-ids';
import type { PackageInput, PackageOffice } from './types';
import { assertXmlText, serializeXml } from './xml-writer';
import type { XmlElement } from './xml-writer';

/**
 * The 申請書 XML of one form, as the real e-Gov skeleton of the 様式 has it
 * (read from the public templates, see docs/egov-facts.md):
 *
 * ```xml
 * <DataRoot>
 *   <様式ID>495013521019030837</様式ID>
 *   <様式バージョン>1</様式バージョン>
 *   <STYLESHEET>495013521019030837.xsl</STYLESHEET>
 *   <様式コピー情報>0</様式コピー情報>
 *   <Doctype>1</Doctype>
 *   <G00005-A-330522-001_1> … the form's own elements … </G00005-A-330522-001_1>
 * </DataRoot>
 * ```
 *
 * The form element and everything below it come from the procedure's mapping
 * (`<code>.v<N>.egov.json`): element names and order as in the real file,
 * each leaf filled from our form, the office or the filing date, or left empty
 * as the skeleton leaves it. Values: strings as they are (validated and
 * normalised upstream: digits without hyphens), integers in decimal, booleans
 * 1/0, codes as their value (or through the mapping's table), dates split
 * into 元号 code / 年 / 月 / 日 elements (two digits each) with the family's era
 * code set (era-format.ts). 個人番号 is written here, because the authority
 * needs it; it appears nowhere else in the package (not in kousei.xml, file
 * names or error messages).
 */
export const FORM_XML_FORMAT = 'egov-skeleton';

export type FormXmlInput = Pick<PackageInput, 'procedure' | 'form' | 'office'> & {
  /** 提出年月日 / 届出年月日 (taken in JST); default now. */
  readonly submittedAt?: Date;
};

/** The ZIP entry name of a procedure's n-th 申請書 XML (1-based): `{様式ID}_01.xml`. */
export function formFileName(procedure: ProcedureDefinition, index = 1): string {
  return `${egovMappingFor(procedure).formId}_${String(index).padStart(2, '0')}.xml`;
}

const isAbsent = (v: unknown): boolean => v === undefined || v === null || v === '';

/** JIS X 0401 都道府県コード by name: the 都道府県コード of a 事業所整理記号 when the office gives only its address (unverified that 日本年金機構 numbers them the same way). */
const PREFECTURES = [
  '北海道',
  '青森県',
  '岩手県',
  '宮城県',
  '秋田県',
  '山形県',
  '福島県',
  '茨城県',
  '栃木県',
  '群馬県',
  '埼玉県',
  '千葉県',
  '東京都',
  '神奈川県',
  '新潟県',
  '富山県',
  '石川県',
  '福井県',
  '山梨県',
  '長野県',
  '岐阜県',
  '静岡県',
  '愛知県',
  '三重県',
  '滋賀県',
  '京都府',
  '大阪府',
  '兵庫県',
  '奈良県',
  '和歌山県',
  '鳥取県',
  '島根県',
  '岡山県',
  '広島県',
  '山口県',
  '徳島県',
  '香川県',
  '愛媛県',
  '高知県',
  '福岡県',
  '佐賀県',
  '長崎県',
  '熊本県',
  '大分県',
  '宮崎県',
  '鹿児島県',
  '沖縄県',
];

function officeIncomplete(key: string, what: string): EgovPackageError {
  return new EgovPackageError('egov_package_office_incomplete', `office.${key} ${what}`, `office.${key}`);
}

/** 事業所整理記号 → 都道府県コード, 郡市区記号, 事業所記号 (see PackageOffice.pensionOfficeCode). */
export function pensionOfficeCodeParts(office: PackageOffice): { prefecture: string; district: string; office: string } {
  const raw = office.pensionOfficeCode;
  if (typeof raw !== 'string' || raw.trim() === '') throw officeIncomplete('pensionOfficeCode', 'is missing, and the form needs it');
  const parts = raw.trim().split(/[-－‐\s\u3000]+/u);
  let prefecture: string | undefined;
  let district: string;
  let mark: string;
  let m: RegExpExecArray | null;
  if (parts.length === 3) [prefecture, district, mark] = parts;
  else if (parts.length === 2) [district, mark] = parts;
  else if ((m = /^([0-9]{2})([0-9]{2})([^0-9].*)$/u.exec(raw.trim()))) [, prefecture, district, mark] = m;
  else if ((m = /^([0-9]{2})([^0-9].*)$/u.exec(raw.trim()))) [, district, mark] = m;
  else throw officeIncomplete('pensionOfficeCode', 'is not a 事業所整理記号 (郡市区記号 2 digits + 事業所記号)');
  if (prefecture === undefined) {
    if (office.prefectureCode !== undefined) prefecture = office.prefectureCode;
    else {
      const i = PREFECTURES.findIndex((p) => office.address?.startsWith(p));
      if (i < 0) throw officeIncomplete('prefectureCode', 'is missing and the office address does not start with a prefecture');
      prefecture = String(i + 1).padStart(2, '0');
    }
  }
  if (!/^(0[1-9]|[1-3][0-9]|4[0-7])$/.test(prefecture)) throw officeIncomplete('prefectureCode', 'must be a 都道府県コード 01-47');
  if (!/^[0-9]{2}$/.test(district)) throw officeIncomplete('pensionOfficeCode', 'must start with a 2-digit 郡市区記号');
  if (Array.from(mark).length > 4 || mark === '')
    throw officeIncomplete('pensionOfficeCode', 'must end with a 事業所記号 of 1 to 4 characters');
  return { prefecture, district, office: mark };
}

const REQUIRED_OFFICE_KEYS: ReadonlySet<string> = new Set(['name', 'pensionOfficeCode', 'pensionOfficeNumber', 'employmentOfficeNumber']);

interface Context {
  readonly def: ProcedureDefinition;
  readonly fields: ReadonlyMap<string, FieldDefinition>;
  readonly form: Readonly<Record<string, unknown>>;
  readonly office: PackageOffice;
  readonly submittedIso: string;
  readonly eraCodes: EraCodeSet;
}

const slice = (text: string, range: readonly [number, number] | undefined): string =>
  range ? Array.from(text).slice(range[0], range[1]).join('') : text;

/** One part of an era date: 元号 code, era year, month, day (two digits each). */
function eraPart(iso: string, part: EgovDatePart, codes: EraCodeSet, bad: (what: string) => EgovPackageError): string {
  let value: string;
  try {
    value = toGovEraDate(iso, codes).value;
  } catch (e) {
    // toGovEraDate's RangeError quotes the date: not passed on (birth dates are personal data).
    if (e instanceof RangeError) throw bad(`must be an ISO date in an era the ${codes} era codes cover`);
    throw e;
  }
  const code = value.slice(0, value.length - 6);
  const rest = value.slice(-6);
  return part === 'era' ? code : part === 'year' ? rest.slice(0, 2) : part === 'month' ? rest.slice(2, 4) : rest.slice(4, 6);
}

function stringField(ctx: Context, name: string): string | undefined {
  const value = ctx.form[name];
  if (isAbsent(value)) return undefined;
  const path = `form.${name}`;
  if (typeof value !== 'string') throw new EgovPackageError('egov_package_invalid_form', `${path} must be a string`, path);
  assertXmlText(value, path);
  return value;
}

/**
 * The text of one element; '' when its source is absent. A value that does
 * not fit its field means the form skipped validation: refused, naming the
 * field but never quoting the value (it may be a 個人番号).
 */
function resolve(ctx: Context, v: EgovValue): string {
  switch (v.kind) {
    case 'const':
      return v.value;
    case 'submitted':
      return eraPart(
        ctx.submittedIso,
        v.part,
        ctx.eraCodes,
        (what) => new EgovPackageError('egov_package_invalid_input', `createdAt ${what}`),
      );
    case 'flag':
      return isAbsent(ctx.form[v.field]) ? '0' : '1';
    case 'join':
      return v.fields
        .map((f) => stringField(ctx, f))
        .filter((s): s is string => s !== undefined)
        .join(v.sep);
    case 'firstOf':
      return v.fields.map((f) => stringField(ctx, f)).find((s) => s !== undefined) ?? '';
    case 'office': {
      if (v.part) return pensionOfficeCodeParts(ctx.office)[v.part];
      const value = ctx.office[v.key];
      if (isAbsent(value)) {
        // The office identifiers a form carries cannot be left empty: the authority files the notice by them.
        if (REQUIRED_OFFICE_KEYS.has(v.key)) throw officeIncomplete(v.key, 'is missing, and the form needs it');
        return '';
      }
      if (typeof value !== 'string')
        throw new EgovPackageError('egov_package_invalid_input', `office.${v.key} must be a string`, `office.${v.key}`);
      assertXmlText(value, `office.${v.key}`);
      return slice(value, v.slice);
    }
    case 'eraDate':
    case 'field': {
      const field = ctx.fields.get(v.field)!;
      const value = ctx.form[v.field];
      if (isAbsent(value)) return '';
      const path = `form.${field.name}`;
      const bad = (what: string): EgovPackageError => new EgovPackageError('egov_package_invalid_form', `${path} ${what}`, path);
      if (v.kind === 'eraDate') {
        if (typeof value !== 'string') throw bad('must be an ISO date');
        return eraPart(value, v.part, ctx.eraCodes, bad);
      }
      switch (field.type) {
        case 'string':
          if (typeof value !== 'string') throw bad('must be a string');
          assertXmlText(value, path);
          return slice(value, v.slice);
        case 'integer':
          if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw bad('must be an integer');
          return String(value);
        case 'boolean':
          if (typeof value !== 'boolean') throw bad('must be true or false');
          return v.map ? v.map[String(value)] : value ? '1' : '0';
        case 'code':
          if (typeof value !== 'string' || !field.codes?.some((c) => c.value === value)) throw bad('is not one of its codes');
          return v.map ? v.map[value] : value;
        default:
          throw bad('has a field type the package builder does not know');
      }
    }
  }
}

function element(ctx: Context, el: EgovElement): XmlElement {
  if (el.children) return { name: el.el, children: el.children.map((c) => element(ctx, c)) };
  return { name: el.el, text: el.value ? resolve(ctx, el.value) : '' };
}

/** 'YYYY-MM-DD' of an instant in JST (e-Gov's dates are Japanese dates). */
export function jstDate(at: Date): string {
  return new Date(at.getTime() + 9 * 3600_000).toISOString().slice(0, 10);
}

/** The fixed head of every e-Gov XML: 様式ID, 様式バージョン, STYLESHEET. */
export function formHeader(formId: string, version: string): XmlElement[] {
  return [
    { name: '様式ID', text: formId },
    { name: '様式バージョン', text: version },
    { name: 'STYLESHEET', text: `${formId}.xsl` },
  ];
}

/**
 * The 申請書 XML for the form (see the shape above). Throws EgovPackageError:
 * `egov_package_unknown_procedure` for a procedure without e-Gov mapping,
 * `egov_package_office_incomplete` when the office lacks an identifier the
 * form needs, `egov_package_invalid_form` for a key that is not a field or a
 * value that does not fit its field, `egov_package_invalid_text` for a
 * character XML cannot carry.
 */
export function buildFormXml(input: FormXmlInput): string {
  const { procedure, form, office } = input;
  const mapping: EgovMapping = egovMappingFor(procedure);

  // Defence in depth: the form was validated, but nothing unknown may ride along into a government filing.
  const fields = fieldMap(procedure);
  for (const key of Object.keys(form)) {
    if (!fields.has(key)) {
      const shown = JSON.stringify(key.slice(0, 40));
      throw new EgovPackageError(
        'egov_package_invalid_form',
        `form.${shown} is not a field of ${procedure.code} v${procedure.version}`,
        'form',
      );
    }
  }
  if (typeof office?.name !== 'string' || office.name.trim() === '') throw officeIncomplete('name', 'is missing, and the form needs it');

  const ctx: Context = {
    def: procedure,
    fields,
    form,
    office,
    submittedIso: jstDate(input.submittedAt ?? new Date()),
    eraCodes: mapping.eraCodes,
  };
  return serializeXml({
    name: 'DataRoot',
    children: [
      ...formHeader(mapping.formId, mapping.formXmlVersion),
      { name: '様式コピー情報', text: '0' },
      { name: 'Doctype', text: '1' },
      element(ctx, mapping.root),
    ],
  });
}
