import { fieldMap, ProcedureDefinitionError } from './definition';
import type { ProcedureDefinition } from './definition';

/**
 * The e-Gov side of one procedure definition version: which e-Gov procedure
 * and 様式 it is filed as, and how each of our fields lands in the 申請書 XML.
 * Kept beside the definition as `<code>.v<N>.egov.json` (see definitions/README.md)
 * and parsed as strictly as the definition itself when the registry loads.
 */

/** 'required': only with an electronic certificate; 'optional-gbiz': GビズID filing may go unsigned; 'none': never signed. */
export const SIGNATURE_POLICIES = ['required', 'optional-gbiz', 'none'] as const;
export type SignaturePolicy = (typeof SIGNATURE_POLICIES)[number];

/** Era code sets (libs/filing era-format.ts): 日本年金機構 forms and 雇用保険 forms. */
export const EGOV_ERA_CODE_SETS = ['pension', 'employment'] as const;
export type EgovEraCodeSet = (typeof EGOV_ERA_CODE_SETS)[number];

export const EGOV_DATE_PARTS = ['era', 'year', 'month', 'day'] as const;
export type EgovDatePart = (typeof EGOV_DATE_PARTS)[number];

/** Office items a form may carry (PackageOffice in libs/filing). */
export const EGOV_OFFICE_KEYS = [
  'name',
  'address',
  'postalCode',
  'ownerName',
  'pensionOfficeCode',
  'pensionOfficeNumber',
  'employmentOfficeNumber',
] as const;
export type EgovOfficeKey = (typeof EGOV_OFFICE_KEYS)[number];

/** 事業所整理記号 is written in three boxes: 都道府県コード, 郡市区記号, 事業所記号. */
export const PENSION_OFFICE_CODE_PARTS = ['prefecture', 'district', 'office'] as const;
export type PensionOfficeCodePart = (typeof PENSION_OFFICE_CODE_PARTS)[number];

/** Where an element's text comes from. */
export type EgovValue =
  /** A fixed text (e.g. `<Xmit>0</Xmit>`, 帳票種別). */
  | { readonly kind: 'const'; readonly value: string }
  /**
   * One field of the form: strings as they are (optionally a [start, end) slice of
   * the code points: 郵便番号 親/子, 被保険者番号 4/6/CD), integers in decimal,
   * booleans 1/0, codes as their value or through `map`.
   */
  | {
      readonly kind: 'field';
      readonly field: string;
      readonly slice?: readonly [number, number];
      readonly map?: Readonly<Record<string, string>>;
    }
  /** One part of a date field written in the era calendar: 元号 code, 年 (era year), 月, 日 (two digits each). */
  | { readonly kind: 'eraDate'; readonly field: string; readonly part: EgovDatePart }
  /** Several string fields joined (氏 + 全角スペース + 名); absent ones are skipped. */
  | { readonly kind: 'join'; readonly fields: readonly string[]; readonly sep: string }
  /** '1' when the field is present, else '0' (the 該当 box beside a free-text その他). */
  | { readonly kind: 'flag'; readonly field: string }
  /** The first present of several string fields (個人番号 or else 基礎年金番号). */
  | { readonly kind: 'firstOf'; readonly fields: readonly string[] }
  /** An office item, optionally a slice of it, or one part of the 事業所整理記号. */
  | {
      readonly kind: 'office';
      readonly key: EgovOfficeKey;
      readonly slice?: readonly [number, number];
      readonly part?: PensionOfficeCodePart;
    }
  /** The filing date (the package's creation time, JST) in the era calendar. */
  | { readonly kind: 'submitted'; readonly part: EgovDatePart };

/** One element of the 申請書 XML, in the real form's order. Neither value nor children: an empty element. */
export interface EgovElement {
  readonly el: string;
  readonly value?: EgovValue;
  readonly children?: readonly EgovElement[];
}

export interface EgovUnmappedField {
  readonly field: string;
  readonly reason: string;
}

export interface EgovMapping {
  readonly code: string;
  readonly version: number;
  /** 手続ID (e-Gov proc_id), 16 characters. */
  readonly procId: string;
  /** 受付行政機関ID, 6 digits. */
  readonly agencyId: string;
  /** 手続名称 as e-Gov writes it in kousei.xml. */
  readonly procName: string;
  /** 申請書様式ID, 18 characters. */
  readonly formId: string;
  /** 申請書様式バージョン as kousei.xml writes it (4 digits). */
  readonly formVersion: string;
  /** 様式バージョン inside the 申請書 XML, as the real file writes it ('1', '2', '0001'). */
  readonly formXmlVersion: string;
  /** 申請書様式名称. */
  readonly formName: string;
  readonly signature: SignaturePolicy;
  readonly eraCodes: EgovEraCodeSet;
  /** Public sources the ids and elements were read from (repo and path). */
  readonly sources: readonly string[];
  /** The form element below the fixed header (様式ID … Doctype). */
  readonly root: EgovElement;
  /** Fields of the definition the real form has no place for, each with why. */
  readonly unmapped: readonly EgovUnmappedField[];
}

const PROC_ID_RE = /^[0-9A-Z]{16}$/;
const AGENCY_ID_RE = /^[0-9]{6}$/;
const FORM_ID_RE = /^[0-9A-Z]{18}$/;
const FORM_VERSION_RE = /^[0-9]{4}$/;
const FORM_XML_VERSION_RE = /^[0-9]{1,4}$/;
// Element names of the real forms: letters (kanji, kana), digits, _ - and the x separators e-Gov uses.
const ELEMENT_RE = /^[\p{L}_][\p{L}\p{N}_.-]*$/u;

class MappingParser {
  constructor(private readonly source: string) {}

  fail(path: string, what: string): never {
    throw new ProcedureDefinitionError(`${this.source}: ${path ? `${path} ` : ''}${what}`);
  }

  object(v: unknown, path: string): Record<string, unknown> {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(path, 'must be an object');
    return v as Record<string, unknown>;
  }

  keys(o: Record<string, unknown>, path: string, required: readonly string[], optional: readonly string[]): void {
    for (const k of required) if (!(k in o)) this.fail(path, `lacks "${k}"`);
    for (const k of Object.keys(o)) if (!required.includes(k) && !optional.includes(k)) this.fail(path, `has unknown key "${k}"`);
  }

  string(o: Record<string, unknown>, key: string, path: string, re?: RegExp): string {
    const v = o[key];
    if (typeof v !== 'string' || v === '') this.fail(`${path}.${key}`.replace(/^\./, ''), 'must be a non-empty string');
    if (re && !re.test(v)) this.fail(`${path}.${key}`.replace(/^\./, ''), `"${v}" does not have the expected shape`);
    return v;
  }

  oneOf<T extends string>(o: Record<string, unknown>, key: string, path: string, values: readonly T[]): T {
    const v = o[key];
    if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) {
      this.fail(`${path}.${key}`.replace(/^\./, ''), `must be one of ${values.join(', ')}`);
    }
    return v as T;
  }

  stringArray(o: Record<string, unknown>, key: string, path: string): string[] {
    const v = o[key];
    if (!Array.isArray(v) || v.length === 0 || v.some((s) => typeof s !== 'string' || s === '')) {
      this.fail(`${path}.${key}`, 'must be a non-empty list of strings');
    }
    return v as string[];
  }

  slice(o: Record<string, unknown>, path: string): readonly [number, number] | undefined {
    if (!('slice' in o)) return undefined;
    const v = o.slice;
    if (
      !Array.isArray(v) ||
      v.length !== 2 ||
      !v.every((n) => Number.isSafeInteger(n) && (n as number) >= 0) ||
      (v[0] as number) >= (v[1] as number)
    ) {
      this.fail(`${path}.slice`, 'must be [start, end] with 0 <= start < end');
    }
    return [v[0] as number, v[1] as number];
  }
}

function parseValue(p: MappingParser, raw: unknown, path: string, def: ProcedureDefinition, used: Set<string>): EgovValue {
  const o = p.object(raw, path);
  const fields = fieldMap(def);
  const field = (name: string, at: string) => {
    const f = fields.get(name);
    if (!f) p.fail(at, `"${name}" is not a field of ${def.code} v${def.version}`);
    used.add(name);
    return f;
  };
  if ('const' in o) {
    p.keys(o, path, ['const'], []);
    if (typeof o.const !== 'string') p.fail(`${path}.const`, 'must be a string');
    return { kind: 'const', value: o.const };
  }
  if ('era' in o) {
    p.keys(o, path, ['field', 'era'], []);
    const name = p.string(o, 'field', path);
    if (field(name, `${path}.field`).type !== 'date') p.fail(`${path}.field`, `"${name}" is not a date field`);
    return { kind: 'eraDate', field: name, part: p.oneOf(o, 'era', path, EGOV_DATE_PARTS) };
  }
  if ('field' in o) {
    p.keys(o, path, ['field'], ['slice', 'map']);
    const name = p.string(o, 'field', path);
    const f = field(name, `${path}.field`);
    if (f.type === 'date') p.fail(`${path}.field`, `"${name}" is a date: write it with "era"`);
    const slice = p.slice(o, path);
    if (slice && f.type !== 'string') p.fail(`${path}.slice`, 'only string fields can be sliced');
    let map: Record<string, string> | undefined;
    if ('map' in o) {
      if (f.type !== 'code' && f.type !== 'boolean') p.fail(`${path}.map`, 'only code and boolean fields can be mapped');
      const m = p.object(o.map, `${path}.map`);
      const expected = f.type === 'code' ? (f.codes ?? []).map((c) => c.value) : ['true', 'false'];
      for (const k of Object.keys(m)) if (!expected.includes(k)) p.fail(`${path}.map`, `maps "${k}", which is not a value of ${name}`);
      for (const k of expected) if (typeof m[k] !== 'string') p.fail(`${path}.map`, `lacks a string for "${k}"`);
      map = m as Record<string, string>;
    }
    return { kind: 'field', field: name, ...(slice ? { slice } : {}), ...(map ? { map } : {}) };
  }
  if ('flag' in o) {
    p.keys(o, path, ['flag'], []);
    const name = p.string(o, 'flag', path);
    field(name, `${path}.flag`);
    return { kind: 'flag', field: name };
  }
  if ('join' in o || 'firstOf' in o) {
    const key = 'join' in o ? 'join' : 'firstOf';
    p.keys(o, path, key === 'join' ? ['join', 'sep'] : ['firstOf'], []);
    const names = p.stringArray(o, key, path);
    for (const n of names) if (field(n, `${path}.${key}`).type !== 'string') p.fail(`${path}.${key}`, `"${n}" is not a string field`);
    if (key === 'firstOf') return { kind: 'firstOf', fields: names };
    if (typeof o.sep !== 'string') p.fail(`${path}.sep`, 'must be a string');
    return { kind: 'join', fields: names, sep: o.sep };
  }
  if ('office' in o) {
    p.keys(o, path, ['office'], ['slice', 'part']);
    const key = p.oneOf(o, 'office', path, EGOV_OFFICE_KEYS);
    const slice = p.slice(o, path);
    let part: PensionOfficeCodePart | undefined;
    if ('part' in o) {
      if (key !== 'pensionOfficeCode') p.fail(`${path}.part`, 'only the pensionOfficeCode has parts');
      part = p.oneOf(o, 'part', path, PENSION_OFFICE_CODE_PARTS);
    }
    if (slice && part) p.fail(path, 'takes a slice or a part, not both');
    return { kind: 'office', key, ...(slice ? { slice } : {}), ...(part ? { part } : {}) };
  }
  if ('submitted' in o) {
    p.keys(o, path, ['submitted'], []);
    return { kind: 'submitted', part: p.oneOf(o, 'submitted', path, EGOV_DATE_PARTS) };
  }
  return p.fail(path, 'must have one of const, field, flag, join, firstOf, office, submitted');
}

function parseElement(p: MappingParser, raw: unknown, path: string, def: ProcedureDefinition, used: Set<string>): EgovElement {
  const o = p.object(raw, path);
  p.keys(o, path, ['el'], ['value', 'children']);
  const el = p.string(o, 'el', path, ELEMENT_RE);
  if ('value' in o && 'children' in o) p.fail(path, 'has both a value and children');
  if ('value' in o) return { el, value: parseValue(p, o.value, `${path}.value`, def, used) };
  if ('children' in o) {
    if (!Array.isArray(o.children) || o.children.length === 0) p.fail(`${path}.children`, 'must be a non-empty list');
    return { el, children: o.children.map((c, i) => parseElement(p, c, `${path}.children[${i}]`, def, used)) };
  }
  return { el };
}

/**
 * Parses `<code>.v<N>.egov.json` against its definition. Throws
 * ProcedureDefinitionError (stops the boot) for a malformed id, an unknown
 * key, a value naming a field the definition does not have, and a field of the
 * definition that is neither mapped nor listed in `unmapped` with a reason.
 */
export function parseEgovMapping(json: unknown, def: ProcedureDefinition, source = 'e-Gov mapping'): EgovMapping {
  const p = new MappingParser(source);
  const o = p.object(json, '');
  p.keys(
    o,
    '',
    [
      'code',
      'version',
      'procId',
      'agencyId',
      'procName',
      'formId',
      'formVersion',
      'formXmlVersion',
      'formName',
      'signature',
      'eraCodes',
      'sources',
      'root',
    ],
    ['unmapped'],
  );
  if (o.code !== def.code || o.version !== def.version) p.fail('code', `must be ${def.code} with version ${def.version}`);
  const used = new Set<string>();
  const root = parseElement(p, o.root, 'root', def, used);
  const unmapped: EgovUnmappedField[] = [];
  if ('unmapped' in o) {
    const list: unknown = o.unmapped;
    if (!Array.isArray(list)) p.fail('unmapped', 'must be a list');
    (list as unknown[]).forEach((raw, i) => {
      const u = p.object(raw, `unmapped[${i}]`);
      p.keys(u, `unmapped[${i}]`, ['field', 'reason'], []);
      const name = p.string(u, 'field', `unmapped[${i}]`);
      if (!fieldMap(def).has(name)) p.fail(`unmapped[${i}].field`, `"${name}" is not a field of ${def.code}`);
      if (used.has(name)) p.fail(`unmapped[${i}].field`, `"${name}" is mapped`);
      unmapped.push({ field: name, reason: p.string(u, 'reason', `unmapped[${i}]`) });
    });
  }
  for (const name of fieldMap(def).keys()) {
    if (!used.has(name) && !unmapped.some((u) => u.field === name)) {
      p.fail('root', `does not map the field "${name}" (map it, or list it in unmapped with a reason)`);
    }
  }
  return {
    code: def.code,
    version: def.version,
    procId: p.string(o, 'procId', '', PROC_ID_RE),
    agencyId: p.string(o, 'agencyId', '', AGENCY_ID_RE),
    procName: p.string(o, 'procName', ''),
    formId: p.string(o, 'formId', '', FORM_ID_RE),
    formVersion: p.string(o, 'formVersion', '', FORM_VERSION_RE),
    formXmlVersion: p.string(o, 'formXmlVersion', '', FORM_XML_VERSION_RE),
    formName: p.string(o, 'formName', ''),
    signature: p.oneOf(o, 'signature', '', SIGNATURE_POLICIES),
    eraCodes: p.oneOf(o, 'eraCodes', '', EGOV_ERA_CODE_SETS),
    sources: p.stringArray(o, 'sources', ''),
    root,
    unmapped,
  };
}

const mappings = new WeakMap<ProcedureDefinition, EgovMapping>();

/** Called by the registry when it loads a definition's `.egov.json`. */
export function attachEgovMapping(def: ProcedureDefinition, mapping: EgovMapping): void {
  if (mapping.code !== def.code || mapping.version !== def.version) {
    throw new ProcedureDefinitionError(`e-Gov mapping ${mapping.code} v${mapping.version} does not belong to ${def.code} v${def.version}`);
  }
  mappings.set(def, mapping);
}

/**
 * The e-Gov mapping of a definition loaded by the registry; undefined for a
 * definition without one (it cannot be filed electronically). Kept out of the
 * definition object so that the API's procedure answers stay as they are.
 */
export function egovMapping(def: ProcedureDefinition): EgovMapping | undefined {
  return mappings.get(def);
}
