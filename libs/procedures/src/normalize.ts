import { isPresent, setOwn } from './conditions';
import { fieldMap } from './definition';
import type { ProcedureDefinition } from './definition';
import { checkFormat, HYPHENATED_FORMATS } from './formats';

/**
 * The canonical stored form of a (draft or complete) form:
 * - 基礎年金番号, 雇用保険被保険者番号 and 郵便番号 lose their hyphens
 *   (`1234-567890` → `1234567890`): validation accepts both spellings, storage
 *   and the government XML use digits only;
 * - cleared fields (null, '') are dropped, so "absent" has one spelling.
 * Values that fail their format are left untouched, so the errors
 * validateForm() reports still quote what the user typed. Unknown keys are
 * kept (validateForm refuses them; normalisation does not hide them).
 */
export function normalizeForm(def: ProcedureDefinition, form: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const fields = fieldMap(def);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(form)) {
    if (!isPresent(value)) continue;
    const format = fields.get(key)?.format;
    setOwn(
      out,
      key,
      format && HYPHENATED_FORMATS.has(format) && typeof value === 'string' && checkFormat(format, value) === null
        ? value.replace(/-/g, '')
        : value,
    );
  }
  return out;
}
