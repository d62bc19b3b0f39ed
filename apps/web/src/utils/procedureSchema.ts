import type { ApplicationForm, FormValue, ProcedureSchema, SchemaCondition, SchemaField, SchemaSection } from '@/api/client';

/**
 * Reading a procedure's JSON Schema for display. The server validates forms
 * with the same definition; the SPA only lays the fields out and evaluates
 * `x-required-if` to show the "required" marker. No rule is repeated here.
 */

export interface SchemaFieldEntry {
  name: string;
  field: SchemaField;
}

export interface SchemaSectionEntry extends SchemaSection {
  fields: SchemaFieldEntry[];
}

/** undefined, null and '' are absent (the server's definition of "present"). */
export function isPresent(value: FormValue | undefined): boolean {
  return value !== undefined && value !== null && value !== '';
}

export function evaluateCondition(condition: SchemaCondition, form: Readonly<ApplicationForm>): boolean {
  if ('all' in condition) return condition.all.every((c) => evaluateCondition(c, form));
  if ('any' in condition) return condition.any.some((c) => evaluateCondition(c, form));
  if ('not' in condition) return !evaluateCondition(condition.not, form);
  const value = form[condition.field];
  if ('equals' in condition) return isPresent(value) && value === condition.equals;
  if ('in' in condition) return isPresent(value) && condition.in.some((v) => v === value);
  return isPresent(value) === condition.present;
}

/** Whether the field is required now: listed in `required`, or its `x-required-if` holds. */
export function isFieldRequired(schema: ProcedureSchema, name: string, form: Readonly<ApplicationForm>): boolean {
  if (schema.required?.includes(name)) return true;
  const condition = schema.properties[name]?.['x-required-if'];
  return condition ? evaluateCondition(condition, form) : false;
}

/**
 * The sections in the schema's order, each with its fields by `x-order`.
 * Fields naming an unknown section are kept in a trailing section (id
 * `other`) rather than dropped: every field the server expects stays reachable.
 */
export function sectionsOf(schema: ProcedureSchema): SchemaSectionEntry[] {
  const sections: SchemaSectionEntry[] = (schema['x-sections'] ?? []).map((s) => ({ ...s, fields: [] }));
  const byId = new Map(sections.map((s) => [s.id, s]));
  let other: SchemaSectionEntry | null = null;
  for (const [name, field] of Object.entries(schema.properties)) {
    let section = byId.get(field['x-section']);
    if (!section) {
      other ??= { id: 'other', title: 'その他', titleEn: 'Other', fields: [] };
      section = other;
    }
    section.fields.push({ name, field });
  }
  if (other) sections.push(other);
  for (const s of sections) s.fields.sort((a, b) => (a.field['x-order'] ?? 0) - (b.field['x-order'] ?? 0));
  return sections.filter((s) => s.fields.length > 0);
}

/** The form field an error names: `form.birthDate` and `birthDate` both answer `birthDate`. */
export function formFieldOf(field: string): string {
  return field.startsWith('form.') ? field.slice('form.'.length) : field;
}

/** Code list of a field: `x-codes` with labels, else plain `enum` values. */
export function codesOf(field: SchemaField): { value: string; label: string; labelEn: string }[] | null {
  if (field['x-codes']?.length) return field['x-codes'];
  if (field.enum?.length) return field.enum.map((v) => ({ value: String(v), label: String(v), labelEn: String(v) }));
  return null;
}

/** How a value reads in the read-only summary of a filed form. */
export type SummaryKind = 'code' | 'era-date' | 'date' | 'boolean' | 'integer' | 'sensitive' | 'text';

export interface SummaryEntry extends SchemaFieldEntry {
  value: FormValue;
  kind: SummaryKind;
}

export interface SummarySection extends SchemaSection {
  entries: SummaryEntry[];
}

export function summaryKindOf(field: SchemaField): SummaryKind {
  if (field['x-sensitive'] === true) return 'sensitive';
  if (codesOf(field)) return 'code';
  if (field.format === 'date') return field['x-era-date'] === true ? 'era-date' : 'date';
  if (field.type === 'boolean') return 'boolean';
  if (field.type === 'integer') return 'integer';
  return 'text';
}

/**
 * The filled fields of a form, per section in the form's order, for the
 * read-only summary once it is filed. Absent values (undefined, null, '')
 * are left out; a section with none is left out; false is a value.
 */
export function summaryOf(schema: ProcedureSchema, form: Readonly<ApplicationForm>): SummarySection[] {
  return sectionsOf(schema)
    .map(({ fields, ...section }) => ({
      ...section,
      entries: fields
        .filter((entry) => isPresent(form[entry.name]))
        .map((entry) => ({ ...entry, value: form[entry.name] as FormValue, kind: summaryKindOf(entry.field) })),
    }))
    .filter((s) => s.entries.length > 0);
}
