import type { Condition } from './definition';

/** A field has a value unless it is missing, null or the empty string (a cleared input). */
export function isPresent(value: unknown): boolean {
  return value !== undefined && value !== null && value !== '';
}

/** The form's own value of a key (never one inherited from Object.prototype, e.g. "constructor"). */
export function ownValue(form: Readonly<Record<string, unknown>>, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(form, key) ? form[key] : undefined;
}

/**
 * Sets an own property even for the key "__proto__" (a plain assignment would
 * change the copy's prototype instead and silently drop the key).
 */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Evaluates a definition condition against a form. Values compare strictly (no '1' == 1). */
export function evaluateCondition(condition: Condition, form: Readonly<Record<string, unknown>>): boolean {
  if ('all' in condition) return condition.all.every((c) => evaluateCondition(c, form));
  if ('any' in condition) return condition.any.some((c) => evaluateCondition(c, form));
  if ('not' in condition) return !evaluateCondition(condition.not, form);
  const value = ownValue(form, condition.field);
  if ('present' in condition) return isPresent(value) === condition.present;
  if ('equals' in condition) return value === condition.equals;
  return condition.in.some((v) => v === value);
}
