import { isPresent, setOwn } from './conditions';
import { fieldMap } from './definition';
import type { ProcedureDefinition } from './definition';

const VISIBLE = 4;

/** `123456789018` → `********9018`; values of 4 characters or fewer are masked entirely. */
export function maskValue(value: unknown): string {
  if (typeof value !== 'string') return '****';
  const chars = [...value];
  if (chars.length <= VISIBLE) return '*'.repeat(chars.length || VISIBLE);
  return '*'.repeat(chars.length - VISIBLE) + chars.slice(-VISIBLE).join('');
}

/**
 * A copy of the form with every `sensitive` field (個人番号) masked to its last
 * four characters, for lists, logs and anything outside the editor: the full
 * number is needed only to edit the form and to build the filing, and a leaked
 * list or log line must not carry it. Absent values (undefined, null, '') stay
 * as they are so "not entered" remains visible; other fields are copied as is.
 */
export function maskSensitive(def: ProcedureDefinition, form: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const fields = fieldMap(def);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(form)) {
    const sensitive = fields.get(key)?.sensitive === true;
    setOwn(out, key, sensitive && isPresent(value) ? maskValue(value) : value);
  }
  return out;
}
