import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { SPEC_SCHEMAS, type SpecSchemaName } from './schemas';

export { DATE_PATTERN, DATETIME_PATTERN, SPEC_SCHEMAS, type SpecSchemaName } from './schemas';

/**
 * Validation against the JSON Schemas written from the e-Gov API v2 spec.
 * Used by the simulator on every request body, by its tests on every answer,
 * and by the client's contract tests (requests it sends, answers it parses).
 */

let compiled: Map<SpecSchemaName, ValidateFunction> | undefined;

function validators(): Map<SpecSchemaName, ValidateFunction> {
  if (compiled) return compiled;
  const ajv = new Ajv({ allErrors: true, strict: true });
  addFormats(ajv, ['byte', 'date']);
  compiled = new Map();
  for (const [name, schema] of Object.entries(SPEC_SCHEMAS)) compiled.set(name as SpecSchemaName, ajv.compile(schema));
  return compiled;
}

/**
 * Compiles every schema now (about a second for all of them): the simulator calls it before it
 * listens, so that the first request is not the one that pays for it (a client with a short
 * timeout would otherwise see the first real answer time out).
 */
export function compileSpecSchemas(): void {
  validators();
}

export interface SpecValidation {
  valid: boolean;
  /** One line per problem: "<JSON pointer> <message>" ("/" for the root). */
  errors: string[];
}

export function validateAgainstSpec(name: SpecSchemaName, value: unknown): SpecValidation {
  const validate = validators().get(name);
  if (!validate) throw new Error(`unknown spec schema: ${String(name)}`);
  if (validate(value)) return { valid: true, errors: [] };
  const errors = (validate.errors ?? []).map((e) => {
    const where = e.instancePath || '/';
    const extra =
      e.keyword === 'additionalProperties' ? ` (${String((e.params as { additionalProperty?: string }).additionalProperty)})` : '';
    return `${where} ${e.message ?? e.keyword}${extra}`;
  });
  return { valid: false, errors };
}

/** Throws an Error listing the problems when `value` does not match (handy in tests). */
export function assertSpec(name: SpecSchemaName, value: unknown): void {
  const r = validateAgainstSpec(name, value);
  if (!r.valid) throw new Error(`not a valid ${name}: ${r.errors.join('; ')}\n${JSON.stringify(value).slice(0, 2000)}`);
}
