import type { Condition, FieldDefinition, ProcedureDefinition, RuleDefinition } from './definition';
import { FORMAT_PATTERNS } from './formats';
import type { FieldFormat } from './formats';

/**
 * The public form schema served by `GET /procedures`: JSON Schema draft
 * 2020-12 for the standard part, `x-` keywords for what the SPA needs to lay
 * out and explain the editor. The SPA renders from this and nothing else; the
 * server validates with validateForm() on the same definition, so the two can
 * not drift.
 *
 * Standard keywords describe a complete form. Conditional requirements,
 * forbidden fields and cross-field rules are in `x-required-if`,
 * `x-forbidden-if` and `x-rules` (our condition language, see
 * definitions/README.md), because JSON Schema's if/then cannot express our
 * "absent = undefined, null or ''" semantics.
 */
export interface JsonSchemaCode {
  readonly value: string;
  readonly label: string;
  readonly labelEn: string;
}

export interface JsonSchemaProperty {
  readonly type: 'string' | 'integer' | 'boolean';
  readonly title: string;
  readonly description: string;
  readonly format?: 'date';
  readonly pattern?: string;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly enum?: readonly string[];
  readonly 'x-codes'?: readonly JsonSchemaCode[];
  readonly 'x-title-en': string;
  readonly 'x-description-en'?: string;
  /** Our format name (katakana, my-number, …): the server check is stricter than `pattern` (My Number check digit). */
  readonly 'x-format'?: FieldFormat;
  readonly 'x-field-type': FieldDefinition['type'];
  readonly 'x-section': string;
  /** 1-based position of the field in the whole form. */
  readonly 'x-order': number;
  readonly 'x-era-date'?: true;
  readonly 'x-sensitive'?: true;
  readonly 'x-required-if'?: Condition;
  readonly 'x-forbidden-if'?: Condition;
}

export interface JsonSchemaSection {
  readonly id: string;
  readonly title: string;
  readonly titleEn: string;
  readonly fields: readonly string[];
}

export interface ProcedureJsonSchema {
  readonly $schema: 'https://json-schema.org/draft/2020-12/schema';
  readonly $id: string;
  readonly title: string;
  readonly type: 'object';
  readonly properties: Readonly<Record<string, JsonSchemaProperty>>;
  readonly required: readonly string[];
  readonly additionalProperties: false;
  readonly 'x-code': string;
  readonly 'x-version': number;
  readonly 'x-title-en': string;
  readonly 'x-due-rule': string;
  readonly 'x-due-rule-en': string;
  readonly 'x-sections': readonly JsonSchemaSection[];
  readonly 'x-rules': readonly RuleDefinition[];
}

/** Plain JSON copy (definitions are frozen; the schema is handed to serializers and callers). */
function copy<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

function property(field: FieldDefinition, section: string, order: number): JsonSchemaProperty {
  const p: { -readonly [K in keyof JsonSchemaProperty]: JsonSchemaProperty[K] } = {
    type: field.type === 'integer' || field.type === 'boolean' ? field.type : 'string',
    title: field.label,
    description: field.help,
    'x-title-en': field.labelEn,
    'x-field-type': field.type,
    'x-section': section,
    'x-order': order,
  };
  if (field.helpEn) p['x-description-en'] = field.helpEn;
  if (field.type === 'date') p.format = 'date';
  if (field.format) {
    p['x-format'] = field.format;
    p.pattern = FORMAT_PATTERNS[field.format];
  }
  if (field.pattern) p.pattern = field.pattern;
  if (field.minLength !== undefined) p.minLength = field.minLength;
  if (field.maxLength !== undefined) p.maxLength = field.maxLength;
  if (field.minimum !== undefined) p.minimum = field.minimum;
  if (field.maximum !== undefined) p.maximum = field.maximum;
  if (field.codes) {
    p.enum = field.codes.map((c) => c.value);
    p['x-codes'] = field.codes.map((c) => ({ value: c.value, label: c.label, labelEn: c.labelEn }));
  }
  if (field.eraDate) p['x-era-date'] = true;
  if (field.sensitive) p['x-sensitive'] = true;
  if (field.requiredIf) p['x-required-if'] = copy(field.requiredIf);
  if (field.forbiddenIf) p['x-forbidden-if'] = copy(field.forbiddenIf);
  return p;
}

/**
 * JSON Schema of a procedure definition. Maintainer-only data (`unsure`,
 * `notes`) is not published.
 */
export function toJsonSchema(def: ProcedureDefinition): ProcedureJsonSchema {
  const properties: Record<string, JsonSchemaProperty> = {};
  const required: string[] = [];
  let order = 0;
  for (const section of def.sections) {
    for (const field of section.fields) {
      properties[field.name] = property(field, section.id, ++order);
      if (field.required) required.push(field.name);
    }
  }
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: `urn:charlotte:procedure:${def.code}:v${def.version}`,
    title: def.name,
    type: 'object',
    properties,
    required,
    additionalProperties: false,
    'x-code': def.code,
    'x-version': def.version,
    'x-title-en': def.nameEn,
    'x-due-rule': def.dueRule,
    'x-due-rule-en': def.dueRuleEn,
    'x-sections': def.sections.map((s) => ({ id: s.id, title: s.title, titleEn: s.titleEn, fields: s.fields.map((f) => f.name) })),
    'x-rules': copy(def.rules),
  };
}
