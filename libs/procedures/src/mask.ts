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

/**
 * The form a client sends back after editing a masked copy: every `sensitive`
 * field whose value is still exactly the mask of the stored value takes the
 * stored value again. The editor loads forms masked (showing a 個人番号 is an
 * explicit, audited request), so an untouched `********9018` means "unchanged",
 * never "store these asterisks". Anything else the user typed is taken as is
 * (and validated as usual); other fields are copied as they are.
 */
export function keepMaskedSensitive(
  def: ProcedureDefinition,
  incoming: Readonly<Record<string, unknown>>,
  stored: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const fields = fieldMap(def);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(incoming)) {
    const previous = Object.prototype.hasOwnProperty.call(stored, key) ? stored[key] : undefined;
    const untouchedMask =
      fields.get(key)?.sensitive === true && typeof value === 'string' && isPresent(previous) && value === maskValue(previous);
    setOwn(out, key, untouchedMask ? previous : value);
  }
  return out;
}
