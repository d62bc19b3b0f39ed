import { ValidateIf, ValidationOptions } from 'class-validator';

/**
 * Like class-validator's IsOptional, but only for an absent field: `null` is
 * validated like any other value (and so refused by IsString, IsIn…).
 *
 * Why: IsOptional skips every rule for null as well, so `{"role": null}` passed
 * validation and reached the service, which wrote NULL into a NOT NULL column
 * (500) or called a string method on it (found by the OpenAPI fuzz test). Use
 * this on every optional field for which null has no meaning.
 */
export function IsOptionalNonNull(options?: ValidationOptions): PropertyDecorator {
  return ValidateIf((_obj: object, value: unknown) => value !== undefined, options);
}
