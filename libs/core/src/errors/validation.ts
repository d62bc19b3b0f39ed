import { ValidationError, ValidationPipe } from '@nestjs/common';
import { getMetadataStorage } from 'class-validator';
import type { ValidationMetadata } from 'class-validator/types/metadata/ValidationMetadata';
import { FieldError, ValidationFailedError } from './domain-error';

/**
 * The stable codes of DTO field errors (problem+json `errors[].code`). The SPA
 * has a Japanese and an English text for each (`validation.<code>`); a test
 * walks every DTO rule of the app and fails on a rule without one.
 */
export const VALIDATION_CODES = [
  'required',
  'unknown_field',
  'not_string',
  'not_boolean',
  'not_integer',
  'not_object',
  'not_array',
  'too_short',
  'too_long',
  'length_between',
  'too_small',
  'too_large',
  'too_few_items',
  'too_many_items',
  'duplicate_items',
  'not_in_list',
  'invalid_email',
  'invalid_date',
  'invalid_datetime',
  'invalid_format',
  'invalid_tenant_selection',
  'invalid',
  // Codes that `@Matches(…, { context: { code } })` gives a pattern its meaning with.
  'https_url',
  'uuid',
  'user_id',
  'procedure_code',
  'tenant_code',
  'key_thumbprint',
  'signature_format',
  'action_name',
  'not_blank',
  'datetime_with_offset',
  'client_code',
] as const;
export type ValidationCode = (typeof VALIDATION_CODES)[number];

type Params = Record<string, string | number>;
type Resolved = { code: ValidationCode; params?: Params };
type Resolver = (args: unknown[], value: unknown) => Resolved;

function lengthOf(value: unknown): number | undefined {
  return typeof value === 'string' ? value.length : undefined;
}

/** `isLength` covers both ends: the value (never echoed) tells which one was missed. */
function lengthRule([min, max]: unknown[], value: unknown): Resolved {
  const values = Array.isArray(value) ? value : [value];
  const lengths = values.map(lengthOf).filter((n): n is number => n !== undefined);
  if (typeof min === 'number' && lengths.some((n) => n < min)) return { code: 'too_short', params: { min } };
  if (typeof max === 'number' && lengths.some((n) => n > max)) return { code: 'too_long', params: { max } };
  if (typeof max !== 'number') return { code: 'too_short', params: { min: Number(min) } };
  return { code: 'length_between', params: { min: Number(min), max } };
}

/**
 * Every class-validator constraint used by a DTO, by name, and the code (and
 * parameters) it is reported with. A constraint missing here is reported as
 * `invalid` — the validation-messages test fails before that reaches a user.
 */
const BY_CONSTRAINT: Readonly<Record<string, Resolver>> = {
  whitelistValidation: () => ({ code: 'unknown_field' }),
  nestedValidation: () => ({ code: 'not_object' }),
  isDefined: () => ({ code: 'required' }),
  isString: () => ({ code: 'not_string' }),
  isBoolean: () => ({ code: 'not_boolean' }),
  isInt: () => ({ code: 'not_integer' }),
  isObject: () => ({ code: 'not_object' }),
  isArray: () => ({ code: 'not_array' }),
  isEmail: () => ({ code: 'invalid_email' }),
  isDateString: () => ({ code: 'invalid_date' }),
  isCalendarDate: () => ({ code: 'invalid_date' }),
  isInstant: () => ({ code: 'invalid_datetime' }),
  isTenantSelection: () => ({ code: 'invalid_tenant_selection' }),
  isIn: ([values]) => ({ code: 'not_in_list', params: { allowed: Array.isArray(values) ? values.join(', ') : '' } }),
  min: ([min]) => ({ code: 'too_small', params: { min: Number(min) } }),
  max: ([max]) => ({ code: 'too_large', params: { max: Number(max) } }),
  minLength: ([min]) => ({ code: 'too_short', params: { min: Number(min) } }),
  maxLength: ([max]) => ({ code: 'too_long', params: { max: Number(max) } }),
  isLength: lengthRule,
  arrayMinSize: ([min]) => ({ code: 'too_few_items', params: { min: Number(min) } }),
  arrayMaxSize: ([max]) => ({ code: 'too_many_items', params: { max: Number(max) } }),
  arrayUnique: () => ({ code: 'duplicate_items' }),
  // A bare pattern says nothing a user can act on: each @Matches names its meaning in `context.code`.
  matches: () => ({ code: 'invalid_format' }),
};

/** Constraints that never report an error themselves (IsOptional, ValidateIf, Type…). */
const SILENT_CONSTRAINTS: ReadonlySet<string> = new Set(['conditionalValidation']);

/** The constraint name of one DTO rule (`isLength`, `matches`, `isCalendarDate`…), as ValidationError.constraints keys it. */
export function constraintNameOf(m: ValidationMetadata): string {
  // Decorators built on registerDecorator (IsString, Length, our IsCalendarDate…) are custom
  // validations known by their name; the rest (IsOptional, ValidateNested…) by their type.
  return m.type === 'customValidation' ? (m.name ?? m.type) : m.type;
}

/** What a DTO rule is reported with; `undefined` for a rule that cannot fail on its own (IsOptional). */
export function validationCodeOf(m: ValidationMetadata): ValidationCode | undefined {
  const name = constraintNameOf(m);
  if (SILENT_CONSTRAINTS.has(name)) return undefined;
  const own = (m.context as { code?: unknown } | undefined)?.code;
  if (typeof own === 'string') return own as ValidationCode;
  const resolve = BY_CONSTRAINT[name];
  return resolve ? resolve(m.constraints ?? [], undefined).code : 'invalid';
}

/** Whether a constraint name has a code (the test uses it to name what is missing). */
export function isKnownConstraint(name: string): boolean {
  return name in BY_CONSTRAINT || SILENT_CONSTRAINTS.has(name);
}

function rulesOf(target: unknown, property: string): ValidationMetadata[] {
  if (typeof target !== 'object' || target === null) return [];
  return getMetadataStorage()
    .getTargetValidationMetadatas(target.constructor, '', true, false)
    .filter((m) => m.propertyName === property);
}

function resolve(e: ValidationError, constraint: string, contexts: Record<string, unknown>): Resolved {
  const target = e.target as Record<string, unknown> | undefined;
  const value = constraint === 'whitelistValidation' ? undefined : target?.[e.property];
  if (constraint !== 'whitelistValidation' && value === undefined) return { code: 'required' };
  const own = (contexts[constraint] as { code?: unknown } | undefined)?.code;
  if (typeof own === 'string') return { code: own as ValidationCode };
  const rule = rulesOf(target, e.property).find((m) => constraintNameOf(m) === constraint);
  const resolver = BY_CONSTRAINT[constraint];
  return resolver ? resolver(rule?.constraints ?? [], value) : { code: 'invalid' };
}

/** class-validator's errors as our field list: field path, code and params from the rule, class-validator's English text. */
export function fieldErrorsOf(errors: ValidationError[], prefix = ''): FieldError[] {
  const out: FieldError[] = [];
  for (const e of errors) {
    const field = prefix ? `${prefix}.${e.property}` : e.property;
    for (const [constraint, message] of Object.entries(e.constraints ?? {})) {
      const { code, params } = resolve(e, constraint, e.contexts ?? {});
      // A missing field breaks every rule of it: say `required` once.
      if (code === 'required' && out.some((o) => o.field === field && o.code === 'required')) continue;
      out.push({ field, code, ...(params ? { params } : {}), message });
    }
    if (e.children?.length) out.push(...fieldErrorsOf(e.children, field));
  }
  return out;
}

/** The one global ValidationPipe: unknown fields are refused, every problem is listed. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    stopAtFirstError: false,
    // The target is kept so that fieldErrorsOf can read the rule's parameters
    // (min, max…) from the DTO class; neither target nor value leaves the server.
    validationError: { target: true, value: false },
    exceptionFactory: (errors) => new ValidationFailedError(fieldErrorsOf(errors)),
  });
}
