import { BOUNDED_FORMATS, FIELD_FORMATS, FieldFormat } from './formats';
import { parseIsoDate } from './dates';
import { DUE_KINDS, DueRuleDefinition } from './due';

/**
 * The procedure definition format (one JSON file per procedure version, see
 * definitions/README.md). Definitions are data: adding a procedure or a new
 * version of a form is adding a file, and the same definition drives the JSON
 * Schema the SPA renders and the server-side validation.
 */
export const FIELD_TYPES = ['string', 'integer', 'date', 'boolean', 'code'] as const;
export type FieldType = (typeof FIELD_TYPES)[number];
export type { FieldFormat } from './formats';

export type ConditionValue = string | number | boolean;

/**
 * A condition on the form's values. "present" means the field has a value:
 * undefined, null and '' are all absent.
 */
export type Condition =
  | { readonly field: string; readonly equals: ConditionValue }
  | { readonly field: string; readonly in: readonly ConditionValue[] }
  | { readonly field: string; readonly present: boolean }
  | { readonly all: readonly Condition[] }
  | { readonly any: readonly Condition[] }
  | { readonly not: Condition };

export interface CodeOption {
  readonly value: string;
  readonly label: string;
  readonly labelEn: string;
}

export interface FieldDefinition {
  /** camelCase, stable across versions: it is the key in stored forms. */
  readonly name: string;
  readonly label: string;
  readonly labelEn: string;
  readonly help: string;
  readonly helpEn?: string;
  readonly type: FieldType;
  readonly required?: boolean;
  readonly requiredIf?: Condition;
  readonly forbiddenIf?: Condition;
  readonly format?: FieldFormat;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly pattern?: string;
  readonly codes?: readonly CodeOption[];
  /** Shown in 和暦 in the UI; stored as an ISO date. */
  readonly eraDate?: boolean;
  /** Masked outside the editor (lists, logs): 個人番号. */
  readonly sensitive?: boolean;
  /** Something here (usually the code list) is from our knowledge, not from domain.md: verify against the latest 様式. */
  readonly unsure?: boolean;
  /** For maintainers (not served to the SPA): what to verify, where a value came from. */
  readonly notes?: string;
}

export interface SectionDefinition {
  readonly id: string;
  readonly title: string;
  readonly titleEn: string;
  readonly fields: readonly FieldDefinition[];
}

interface RuleBase {
  /** The rule applies only when this holds (always when absent). */
  readonly when?: Condition;
  /** Japanese statement of the rule: shown in the editor and used as the error message. */
  readonly message: string;
  readonly messageEn: string;
}

/** `field` must equal `from` + `days` calendar days (both dates). */
export interface DateOffsetRule extends RuleBase {
  readonly kind: 'dateOffset';
  readonly field: string;
  readonly from: string;
  readonly days: number;
}

/**
 * `field` must equal the sum of `of` (absent terms count as 0), rounded down to
 * a multiple of `truncateTo`; a sum over `max` is an error (`overMax: 'error'`,
 * the default) or is entered as `max` (`overMax: 'clamp'`).
 */
export interface SumRule extends RuleBase {
  readonly kind: 'sum';
  readonly field: string;
  readonly of: readonly string[];
  readonly truncateTo?: number;
  readonly max?: number;
  readonly overMax?: 'error' | 'clamp';
}

/** Exactly one of `fields` must be present. */
export interface OneOfRule extends RuleBase {
  readonly kind: 'oneOf';
  readonly fields: readonly string[];
}

/**
 * Plausibility: `field` must be before `before` (both dates; on the same day
 * too when `allowEqual`). The error is reported at `field`.
 */
export interface DateOrderRule extends RuleBase {
  readonly kind: 'dateOrder';
  readonly field: string;
  readonly before: string;
  readonly allowEqual?: boolean;
}

/**
 * Plausibility: `field` must not be more than `maxDaysAhead` days after today
 * (in Japan, JST); 0 means "not in the future" (a date of birth).
 */
export interface DateHorizonRule extends RuleBase {
  readonly kind: 'dateHorizon';
  readonly field: string;
  readonly maxDaysAhead: number;
}

/**
 * Plausibility: the age in full years (誕生日 passed) on the date `field`, of
 * someone born on `birth`, must be within `min`..`max` (either may be absent).
 * The error is reported at `birth`.
 */
export interface AgeRangeRule extends RuleBase {
  readonly kind: 'ageRange';
  readonly field: string;
  readonly birth: string;
  readonly min?: number;
  readonly max?: number;
}

export type RuleDefinition = DateOffsetRule | SumRule | OneOfRule | DateOrderRule | DateHorizonRule | AgeRangeRule;
export type RuleKind = RuleDefinition['kind'];

export interface ProcedureDefinition {
  /** Our procedure code, e.g. `shaho-shutoku`. */
  readonly code: string;
  readonly version: number;
  /** Official Japanese name of the form. */
  readonly name: string;
  readonly nameEn: string;
  /** Filing deadline, e.g. 事実発生から5日以内. */
  readonly dueRule: string;
  readonly dueRuleEn: string;
  /** The same deadline as a machine rule (due.ts): from which date field, counted how. Absent: no deadline computed. */
  readonly due?: DueRuleDefinition;
  readonly notes?: readonly string[];
  readonly sections: readonly SectionDefinition[];
  readonly rules: readonly RuleDefinition[];
}

/** A definition file is broken. Thrown at start-up (registry load), never at a user's request. */
export class ProcedureDefinitionError extends Error {
  readonly code = 'invalid_procedure_definition';
  constructor(message: string) {
    super(message);
    this.name = 'ProcedureDefinitionError';
  }
}

/** Every field of a definition, in form order. */
export function listFields(def: ProcedureDefinition): readonly FieldDefinition[] {
  return def.sections.flatMap((s) => s.fields);
}

const fieldMaps = new WeakMap<ProcedureDefinition, ReadonlyMap<string, FieldDefinition>>();

/** The fields of a definition by name (cached per definition object). */
export function fieldMap(def: ProcedureDefinition): ReadonlyMap<string, FieldDefinition> {
  let map = fieldMaps.get(def);
  if (!map) {
    map = new Map(listFields(def).map((f) => [f.name, f]));
    fieldMaps.set(def, map);
  }
  return map;
}

// ---------------------------------------------------------------------------
// Strict parsing. Every key is known, every reference resolves, every name is
// unique: a typo in a definition fails the start-up with the file and the path.
// ---------------------------------------------------------------------------

const CODE_RE = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;
const NAME_RE = /^[a-z][A-Za-z0-9]*$/;
const SECTION_ID_RE = /^[a-z][A-Za-z0-9-]*$/;

type Json = Record<string, unknown>;

const at = (path: string, key: string): string => (path ? `${path}.${key}` : key);

class Parser {
  constructor(private readonly where: string) {}

  fail(path: string, message: string): never {
    throw new ProcedureDefinitionError(`${this.where}${path ? `: ${path}` : ''}: ${message}`);
  }

  object(value: unknown, path: string): Json {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) this.fail(path, 'must be an object');
    return value as Json;
  }

  keys(obj: Json, path: string, required: readonly string[], optional: readonly string[]): void {
    for (const k of Object.keys(obj)) {
      if (!required.includes(k) && !optional.includes(k)) {
        this.fail(path, `unknown key "${k}" (allowed: ${[...required, ...optional].join(', ')})`);
      }
    }
    for (const k of required) if (obj[k] === undefined) this.fail(path, `missing required key "${k}"`);
  }

  string(obj: Json, key: string, path: string): string {
    const v = obj[key];
    if (typeof v !== 'string' || v.trim() === '') this.fail(at(path, key), 'must be a non-empty string');
    return v;
  }

  optString(obj: Json, key: string, path: string): string | undefined {
    return obj[key] === undefined ? undefined : this.string(obj, key, path);
  }

  int(obj: Json, key: string, path: string, min = Number.MIN_SAFE_INTEGER): number {
    const v = obj[key];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) this.fail(at(path, key), `must be an integer ≥ ${min}`);
    return v;
  }

  optInt(obj: Json, key: string, path: string, min?: number): number | undefined {
    return obj[key] === undefined ? undefined : this.int(obj, key, path, min);
  }

  optTrue(obj: Json, key: string, path: string): boolean | undefined {
    const v = obj[key];
    if (v === undefined) return undefined;
    // Only `true` is meaningful; `false` is the default and would just be noise.
    if (v !== true) this.fail(at(path, key), 'must be true when present (omit it for false)');
    return true;
  }

  array(obj: Json, key: string, path: string, nonEmpty = true): unknown[] {
    const v = obj[key];
    if (!Array.isArray(v) || (nonEmpty && v.length === 0)) this.fail(at(path, key), `must be a${nonEmpty ? ' non-empty' : 'n'} array`);
    return v;
  }
}

const FIELD_KEYS_REQUIRED = ['name', 'label', 'labelEn', 'help', 'type'] as const;
const FIELD_KEYS_OPTIONAL = [
  'helpEn',
  'required',
  'requiredIf',
  'forbiddenIf',
  'format',
  'minLength',
  'maxLength',
  'minimum',
  'maximum',
  'pattern',
  'codes',
  'eraDate',
  'sensitive',
  'unsure',
  'notes',
] as const;

function parseFieldShape(p: Parser, raw: unknown, path: string): Json {
  const obj = p.object(raw, path);
  p.keys(obj, path, FIELD_KEYS_REQUIRED, FIELD_KEYS_OPTIONAL);
  return obj;
}

function parseField(p: Parser, obj: Json, path: string): Omit<FieldDefinition, 'requiredIf' | 'forbiddenIf'> {
  const name = p.string(obj, 'name', path);
  if (!NAME_RE.test(name)) p.fail(`${path}.name`, `"${name}" is not camelCase ([a-z][A-Za-z0-9]*)`);
  const type = p.string(obj, 'type', path) as FieldType;
  if (!FIELD_TYPES.includes(type)) p.fail(`${path}.type`, `"${type}" is not one of ${FIELD_TYPES.join(', ')}`);

  const field: { -readonly [K in keyof FieldDefinition]: FieldDefinition[K] } = {
    name,
    label: p.string(obj, 'label', path),
    labelEn: p.string(obj, 'labelEn', path),
    help: p.string(obj, 'help', path),
    type,
  };
  const helpEn = p.optString(obj, 'helpEn', path);
  if (helpEn !== undefined) field.helpEn = helpEn;
  const required = p.optTrue(obj, 'required', path);
  if (required) field.required = true;

  const onlyFor = (key: string, types: readonly FieldType[]): void => {
    if (obj[key] !== undefined && !types.includes(type)) p.fail(`${path}.${key}`, `only allowed on ${types.join('/')} fields, not ${type}`);
  };
  onlyFor('format', ['string']);
  onlyFor('minLength', ['string']);
  onlyFor('maxLength', ['string']);
  onlyFor('pattern', ['string']);
  onlyFor('minimum', ['integer']);
  onlyFor('maximum', ['integer']);
  onlyFor('eraDate', ['date']);

  if (obj.format !== undefined) {
    const format = p.string(obj, 'format', path) as FieldFormat;
    if (!FIELD_FORMATS.includes(format)) p.fail(`${path}.format`, `"${format}" is not one of ${FIELD_FORMATS.join(', ')}`);
    field.format = format;
  }
  const minLength = p.optInt(obj, 'minLength', path, 0);
  const maxLength = p.optInt(obj, 'maxLength', path, 1);
  if (minLength !== undefined) field.minLength = minLength;
  if (maxLength !== undefined) field.maxLength = maxLength;
  if (minLength !== undefined && maxLength !== undefined && minLength > maxLength) p.fail(path, 'minLength > maxLength');
  // Free text must be bounded: an unbounded string field would let one form carry megabytes.
  if (type === 'string' && maxLength === undefined && !(field.format && BOUNDED_FORMATS.has(field.format))) {
    p.fail(path, 'a string field needs maxLength unless its format fixes the length');
  }

  if (obj.pattern !== undefined) {
    if (field.format) p.fail(`${path}.pattern`, 'use either format or pattern, not both');
    const pattern = p.string(obj, 'pattern', path);
    try {
      new RegExp(pattern, 'u');
    } catch (e) {
      p.fail(`${path}.pattern`, `not a valid regular expression: ${(e as Error).message}`);
    }
    field.pattern = pattern;
  }
  const minimum = p.optInt(obj, 'minimum', path);
  const maximum = p.optInt(obj, 'maximum', path);
  if (minimum !== undefined) field.minimum = minimum;
  if (maximum !== undefined) field.maximum = maximum;
  if (minimum !== undefined && maximum !== undefined && minimum > maximum) p.fail(path, 'minimum > maximum');

  if (type === 'code') {
    const codes = p.array(obj, 'codes', path);
    const seen = new Set<string>();
    field.codes = codes.map((c, i) => {
      const cp = `${path}.codes[${i}]`;
      const co = p.object(c, cp);
      p.keys(co, cp, ['value', 'label', 'labelEn'], []);
      const value = p.string(co, 'value', cp);
      if (seen.has(value)) p.fail(`${cp}.value`, `duplicate code "${value}"`);
      seen.add(value);
      return { value, label: p.string(co, 'label', cp), labelEn: p.string(co, 'labelEn', cp) };
    });
  } else if (obj.codes !== undefined) {
    p.fail(`${path}.codes`, 'only allowed on code fields');
  }

  if (p.optTrue(obj, 'eraDate', path)) field.eraDate = true;
  if (p.optTrue(obj, 'sensitive', path)) field.sensitive = true;
  if (p.optTrue(obj, 'unsure', path)) field.unsure = true;
  const notes = p.optString(obj, 'notes', path);
  if (notes !== undefined) field.notes = notes;
  if (field.unsure && !field.notes) p.fail(path, '"unsure": true needs "notes" saying what to verify');
  return field;
}

function parseCondition(p: Parser, raw: unknown, path: string, fields: ReadonlyMap<string, FieldDefinition>): Condition {
  const obj = p.object(raw, path);
  if ('field' in obj) {
    const ops = ['equals', 'in', 'present'].filter((k) => obj[k] !== undefined);
    if (ops.length !== 1) p.fail(path, 'a field condition needs exactly one of "equals", "in", "present"');
    p.keys(obj, path, ['field', ops[0]], []);
    const name = p.string(obj, 'field', path);
    const field = fields.get(name);
    if (!field) p.fail(`${path}.field`, `unknown field "${name}"`);
    const checkValue = (v: unknown, vp: string): ConditionValue => {
      const ok =
        field.type === 'integer'
          ? typeof v === 'number' && Number.isSafeInteger(v)
          : field.type === 'boolean'
            ? typeof v === 'boolean'
            : field.type === 'date'
              ? typeof v === 'string' && parseIsoDate(v) !== null
              : typeof v === 'string';
      if (!ok) p.fail(vp, `${JSON.stringify(v)} cannot be a value of ${field.type} field "${name}"`);
      if (field.codes && !field.codes.some((c) => c.value === v)) p.fail(vp, `"${String(v)}" is not a code of "${name}"`);
      return v as ConditionValue;
    };
    if (ops[0] === 'equals') return { field: name, equals: checkValue(obj.equals, `${path}.equals`) };
    if (ops[0] === 'in') return { field: name, in: p.array(obj, 'in', path).map((v, i) => checkValue(v, `${path}.in[${i}]`)) };
    if (typeof obj.present !== 'boolean') p.fail(`${path}.present`, 'must be true or false');
    return { field: name, present: obj.present };
  }
  const ops = ['all', 'any', 'not'].filter((k) => obj[k] !== undefined);
  if (ops.length !== 1) p.fail(path, 'a condition needs exactly one of "field", "all", "any", "not"');
  p.keys(obj, path, [ops[0]], []);
  if (ops[0] === 'not') return { not: parseCondition(p, obj.not, `${path}.not`, fields) };
  const list = p.array(obj, ops[0], path).map((c, i) => parseCondition(p, c, `${path}.${ops[0]}[${i}]`, fields));
  return ops[0] === 'all' ? { all: list } : { any: list };
}

function parseRule(p: Parser, raw: unknown, path: string, fields: ReadonlyMap<string, FieldDefinition>): RuleDefinition {
  const obj = p.object(raw, path);
  const kind = p.string(obj, 'kind', path);
  const base = ['kind', 'message', 'messageEn'];
  const ref = (key: string, types: readonly FieldType[], value: unknown = obj[key], rp = `${path}.${key}`): string => {
    if (typeof value !== 'string') p.fail(rp, 'must be a field name');
    const f = fields.get(value);
    if (!f) p.fail(rp, `unknown field "${value}"`);
    if (!types.includes(f.type)) p.fail(rp, `field "${value}" is ${f.type}, this rule needs ${types.join('/')}`);
    return value;
  };
  const common = (): RuleBase => {
    const rule: { -readonly [K in keyof RuleBase]: RuleBase[K] } = {
      message: p.string(obj, 'message', path),
      messageEn: p.string(obj, 'messageEn', path),
    };
    if (obj.when !== undefined) rule.when = parseCondition(p, obj.when, `${path}.when`, fields);
    return rule;
  };
  switch (kind) {
    case 'dateOffset': {
      p.keys(obj, path, [...base, 'field', 'from', 'days'], ['when']);
      const field = ref('field', ['date']);
      const from = ref('from', ['date']);
      if (field === from) p.fail(path, '"field" and "from" must differ');
      return { kind, field, from, days: p.int(obj, 'days', path), ...common() };
    }
    case 'sum': {
      p.keys(obj, path, [...base, 'field', 'of'], ['when', 'truncateTo', 'max', 'overMax']);
      const field = ref('field', ['integer']);
      const of = p.array(obj, 'of', path).map((v, i) => ref('of', ['integer'], v, `${path}.of[${i}]`));
      if (of.includes(field) || new Set(of).size !== of.length) p.fail(`${path}.of`, 'terms must be distinct and differ from "field"');
      const rule: { -readonly [K in keyof SumRule]: SumRule[K] } = { kind, field, of, ...common() };
      const truncateTo = p.optInt(obj, 'truncateTo', path, 1);
      const max = p.optInt(obj, 'max', path, 0);
      if (truncateTo !== undefined) rule.truncateTo = truncateTo;
      if (max !== undefined) rule.max = max;
      if (obj.overMax !== undefined) {
        if (obj.overMax !== 'error' && obj.overMax !== 'clamp') p.fail(`${path}.overMax`, 'must be "error" or "clamp"');
        if (max === undefined) p.fail(`${path}.overMax`, 'needs "max"');
        rule.overMax = obj.overMax;
      }
      return rule;
    }
    case 'oneOf': {
      p.keys(obj, path, [...base, 'fields'], ['when']);
      const list = p.array(obj, 'fields', path).map((v, i) => ref('fields', FIELD_TYPES, v, `${path}.fields[${i}]`));
      if (list.length < 2 || new Set(list).size !== list.length) p.fail(`${path}.fields`, 'needs at least two distinct fields');
      return { kind, fields: list, ...common() };
    }
    case 'dateOrder': {
      p.keys(obj, path, [...base, 'field', 'before'], ['when', 'allowEqual']);
      const field = ref('field', ['date']);
      const before = ref('before', ['date']);
      if (field === before) p.fail(path, '"field" and "before" must differ');
      const rule: { -readonly [K in keyof DateOrderRule]: DateOrderRule[K] } = { kind, field, before, ...common() };
      if (p.optTrue(obj, 'allowEqual', path)) rule.allowEqual = true;
      return rule;
    }
    case 'dateHorizon': {
      p.keys(obj, path, [...base, 'field', 'maxDaysAhead'], ['when']);
      return { kind, field: ref('field', ['date']), maxDaysAhead: p.int(obj, 'maxDaysAhead', path, 0), ...common() };
    }
    case 'ageRange': {
      p.keys(obj, path, [...base, 'field', 'birth'], ['when', 'min', 'max']);
      const field = ref('field', ['date']);
      const birth = ref('birth', ['date']);
      if (field === birth) p.fail(path, '"field" and "birth" must differ');
      const rule: { -readonly [K in keyof AgeRangeRule]: AgeRangeRule[K] } = { kind, field, birth, ...common() };
      const min = p.optInt(obj, 'min', path, 0);
      const max = p.optInt(obj, 'max', path, 0);
      if (min === undefined && max === undefined) p.fail(path, 'needs "min" or "max"');
      if (min !== undefined && max !== undefined && min > max) p.fail(path, 'min > max');
      if (min !== undefined) rule.min = min;
      if (max !== undefined) rule.max = max;
      return rule;
    }
    default:
      return p.fail(`${path}.kind`, `unknown rule kind "${kind}" (dateOffset, sum, oneOf, dateOrder, dateHorizon, ageRange)`);
  }
}

/**
 * `due`: `{ "kind": "daysAfter", "from": <date field>, "days": n }` or
 * `{ "kind": "nextMonthDay", "from": <date field>, "day": 1..31 }`. The field
 * must exist and be a date field, or the deadline could never be computed.
 */
function parseDue(p: Parser, raw: unknown, fields: ReadonlyMap<string, FieldDefinition>): DueRuleDefinition {
  const obj = p.object(raw, 'due');
  const kind = p.string(obj, 'kind', 'due');
  const from = (): string => {
    const name = p.string(obj, 'from', 'due');
    const f = fields.get(name);
    if (!f) p.fail('due.from', `unknown field "${name}"`);
    if (f.type !== 'date') p.fail('due.from', `field "${name}" is ${f.type}, a deadline needs a date field`);
    return name;
  };
  switch (kind) {
    case 'daysAfter':
      p.keys(obj, 'due', ['kind', 'from', 'days'], []);
      return { kind, from: from(), days: p.int(obj, 'days', 'due', 0) };
    case 'nextMonthDay': {
      p.keys(obj, 'due', ['kind', 'from', 'day'], []);
      const day = p.int(obj, 'day', 'due', 1);
      if (day > 31) p.fail('due.day', 'must be a day of the month (1–31)');
      return { kind, from: from(), day };
    }
    default:
      return p.fail('due.kind', `unknown deadline kind "${kind}" (${DUE_KINDS.join(', ')})`);
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/**
 * Validates a definition file's JSON strictly and returns it typed and deeply
 * frozen (definitions are shared by every request). Throws
 * ProcedureDefinitionError naming `source` and the path of the first problem:
 * unknown keys, missing keys, duplicate field names or section ids, conditions
 * or rules that name unknown fields or fields of the wrong type, condition
 * values that are not codes of the field, bad patterns, unbounded strings.
 */
export function parseDefinition(json: unknown, source = 'procedure definition'): ProcedureDefinition {
  const p: Parser = new Parser(source);
  const root = p.object(json, '');
  p.keys(root, '', ['code', 'version', 'name', 'nameEn', 'dueRule', 'dueRuleEn', 'sections', 'rules'], ['notes', 'due']);
  const code = p.string(root, 'code', '');
  if (!CODE_RE.test(code)) p.fail('code', `"${code}" must be lowercase words joined by hyphens`);
  const version = p.int(root, 'version', '', 1);

  // First pass: shapes and names, so conditions may refer to any field of the form (also later ones).
  const sectionIds = new Set<string>();
  const byName = new Map<string, FieldDefinition>();
  const rawSections = p.array(root, 'sections', '').map((raw, si) => {
    const sp = `sections[${si}]`;
    const so = p.object(raw, sp);
    p.keys(so, sp, ['id', 'title', 'titleEn', 'fields'], []);
    const id = p.string(so, 'id', sp);
    if (!SECTION_ID_RE.test(id)) p.fail(`${sp}.id`, `"${id}" is not a valid section id`);
    if (sectionIds.has(id)) p.fail(`${sp}.id`, `duplicate section id "${id}"`);
    sectionIds.add(id);
    const fields = p.array(so, 'fields', sp).map((rf, fi) => {
      const fp = `${sp}.fields[${fi}]`;
      const fo = parseFieldShape(p, rf, fp);
      const field = parseField(p, fo, fp);
      if (byName.has(field.name)) p.fail(`${fp}.name`, `duplicate field name "${field.name}"`);
      byName.set(field.name, field);
      return { fo, fp, field };
    });
    return { id, title: p.string(so, 'title', sp), titleEn: p.string(so, 'titleEn', sp), fields };
  });

  const sections: SectionDefinition[] = rawSections.map((s) => ({
    id: s.id,
    title: s.title,
    titleEn: s.titleEn,
    fields: s.fields.map(({ fo, fp, field }) => {
      const full: { -readonly [K in keyof FieldDefinition]: FieldDefinition[K] } = { ...field };
      if (fo.requiredIf !== undefined) {
        if (field.required) p.fail(`${fp}.requiredIf`, 'use either required or requiredIf, not both');
        full.requiredIf = parseCondition(p, fo.requiredIf, `${fp}.requiredIf`, byName);
      }
      if (fo.forbiddenIf !== undefined) {
        if (field.required) p.fail(`${fp}.forbiddenIf`, 'a required field cannot be forbidden');
        full.forbiddenIf = parseCondition(p, fo.forbiddenIf, `${fp}.forbiddenIf`, byName);
      }
      return full;
    }),
  }));

  const rules = p.array(root, 'rules', '', false).map((r, i) => parseRule(p, r, `rules[${i}]`, byName));

  const def: ProcedureDefinition = {
    code,
    version,
    name: p.string(root, 'name', ''),
    nameEn: p.string(root, 'nameEn', ''),
    dueRule: p.string(root, 'dueRule', ''),
    dueRuleEn: p.string(root, 'dueRuleEn', ''),
    ...(root.due !== undefined ? { due: parseDue(p, root.due, byName) } : {}),
    ...(root.notes !== undefined
      ? {
          notes: p.array(root, 'notes', '').map((n, i) => {
            if (typeof n !== 'string' || n.trim() === '') p.fail(`notes[${i}]`, 'must be a non-empty string');
            return n;
          }),
        }
      : {}),
    sections,
    rules,
  };
  return deepFreeze(def);
}
