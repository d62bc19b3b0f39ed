import { fieldMap } from '@charlotte/procedures';
import type { FieldDefinition, ProcedureDefinition } from '@charlotte/procedures';
import { toGovEraDate } from './era-format';
import type { EraCodeSet } from './era-format';
import { EgovPackageError } from './errors';
import { egovProcedure } from './procedure-ids';
import type { ProcedureFamily } from './procedure-ids';
import type { PackageInput, PackageOffice } from './types';
import { assertXmlText, present, serializeXml, textElement } from './xml-writer';
import type { XmlElement } from './xml-writer';

/**
 * The 申請書 XML of one form.
 *
 * PLACEHOLDER SHAPE: each e-Gov procedure has its own 様式 XML schema (element
 * names and order per form, with the field rules in its check.xml). Those
 * schemas are not available to us, so this is a generic, self-describing
 * shape (marked `format="charlotte-generic/1"`), to be replaced by a per-form
 * mapping once the real 様式 definitions are in hand:
 *
 * ```xml
 * <申請書 procedure="shaho-shutoku" version="1" name="…" format="charlotte-generic/1" eraCodes="pension">
 *   <事業所>
 *     <項目 name="officeName" label="事業所名称">…</項目>
 *   </事業所>
 *   <項目群 id="insured" title="被保険者">
 *     <項目 name="familyName" label="被保険者氏名（氏）" type="string">山田</項目>
 *     <項目 name="birthDate" label="生年月日" type="date" iso="1990-04-01" era="平成">7020401</項目>
 *     <項目 name="over70" label="…" type="boolean">1</項目>
 *   </項目群>
 * </申請書>
 * ```
 *
 * Values: strings as they are (validated and normalised upstream: digits
 * without hyphens), integers in decimal, booleans 1/0, codes as the code
 * value, dates as era code + YYMMDD (era-format.ts) with the ISO date kept in
 * `iso`. Absent fields (undefined, null, '') are left out, and so are sections
 * with nothing in them. 個人番号 is written here, because the authority needs
 * it; it appears nowhere else in the package (not in kousei.xml, file names or
 * error messages).
 */
export const FORM_XML_FORMAT = 'charlotte-generic/1';

const ERA_CODES_BY_FAMILY: Readonly<Record<ProcedureFamily, EraCodeSet>> = { shaho: 'pension', koyo: 'employment' };

/** The office items each family's forms carry, and which of them the form cannot do without. */
const OFFICE_ITEMS: Readonly<
  Record<ProcedureFamily, readonly { key: keyof PackageOffice; name: string; label: string; required: boolean }[]>
> = {
  shaho: [
    { key: 'pensionOfficeCode', name: 'pensionOfficeCode', label: '事業所整理記号', required: true },
    { key: 'pensionOfficeNumber', name: 'pensionOfficeNumber', label: '事業所番号', required: true },
    { key: 'name', name: 'officeName', label: '事業所名称', required: true },
    { key: 'address', name: 'officeAddress', label: '事業所所在地', required: false },
  ],
  koyo: [
    { key: 'employmentOfficeNumber', name: 'employmentOfficeNumber', label: '事業所番号（雇用保険適用事業所番号）', required: true },
    { key: 'name', name: 'officeName', label: '事業所名称', required: true },
    { key: 'address', name: 'officeAddress', label: '事業所所在地', required: false },
  ],
};

export type FormXmlInput = Pick<PackageInput, 'procedure' | 'form' | 'office'>;

/** The ZIP entry name of a procedure's n-th 申請書 XML (1-based): `shaho-shutoku_01.xml`. */
export function formFileName(procedure: ProcedureDefinition, index = 1): string {
  return `${procedure.code}_${String(index).padStart(2, '0')}.xml`;
}

const isAbsent = (v: unknown): boolean => v === undefined || v === null || v === '';

function officeElement(office: PackageOffice, family: ProcedureFamily): XmlElement {
  const items = OFFICE_ITEMS[family];
  const missing = items.filter((i) => i.required && (typeof office[i.key] !== 'string' || office[i.key]!.trim() === '')).map((i) => i.key);
  if (missing.length > 0) {
    throw new EgovPackageError(
      'egov_package_office_incomplete',
      `the office lacks ${missing.map((k) => `office.${k}`).join(', ')}, which the form needs`,
      `office.${missing[0]}`,
    );
  }
  return {
    name: '事業所',
    children: present(
      items.map((i) => {
        const value = office[i.key];
        if (isAbsent(value)) return undefined;
        if (typeof value !== 'string')
          throw new EgovPackageError('egov_package_invalid_input', `office.${i.key} must be a string`, `office.${i.key}`);
        assertXmlText(value, `office.${i.key}`);
        return textElement('項目', value, { name: i.name, label: i.label });
      }),
    ),
  };
}

/**
 * One field as an element; undefined when absent. A value that does not fit
 * its field means the form skipped validation: refused, naming the field but
 * never quoting the value (it may be a 個人番号).
 */
function fieldElement(field: FieldDefinition, value: unknown, eraCodes: EraCodeSet): XmlElement | undefined {
  if (isAbsent(value)) return undefined;
  const path = `form.${field.name}`;
  const bad = (what: string): EgovPackageError => new EgovPackageError('egov_package_invalid_form', `${path} ${what}`, path);
  const attrs = { name: field.name, label: field.label, type: field.type };
  switch (field.type) {
    case 'string':
      if (typeof value !== 'string') throw bad('must be a string');
      assertXmlText(value, path);
      return { name: '項目', attrs, text: value };
    case 'integer':
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw bad('must be an integer');
      return { name: '項目', attrs, text: String(value) };
    case 'boolean':
      if (typeof value !== 'boolean') throw bad('must be true or false');
      return { name: '項目', attrs, text: value ? '1' : '0' };
    case 'code':
      if (typeof value !== 'string' || !field.codes?.some((c) => c.value === value)) throw bad('is not one of its codes');
      return { name: '項目', attrs, text: value };
    case 'date': {
      if (typeof value !== 'string') throw bad('must be an ISO date');
      let date;
      try {
        date = toGovEraDate(value, eraCodes);
      } catch (e) {
        // toGovEraDate's RangeError quotes the date: not passed on (birth dates are personal data).
        if (e instanceof RangeError) throw bad(`must be an ISO date in an era the ${eraCodes} era codes cover`);
        throw e;
      }
      return { name: '項目', attrs: { ...attrs, iso: date.iso, era: date.era }, text: date.value };
    }
    default:
      throw bad(`has a field type the package builder does not know`);
  }
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
  const family = egovProcedure(procedure.code).family;
  const eraCodes = ERA_CODES_BY_FAMILY[family];

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

  const sections = procedure.sections.map((section): XmlElement | undefined => {
    const children = present(section.fields.map((f) => fieldElement(f, form[f.name], eraCodes)));
    return children.length === 0 ? undefined : { name: '項目群', attrs: { id: section.id, title: section.title }, children };
  });

  return serializeXml({
    name: '申請書',
    attrs: { procedure: procedure.code, version: procedure.version, name: procedure.name, format: FORM_XML_FORMAT, eraCodes },
    children: [officeElement(office, family), ...present(sections)],
  });
}
