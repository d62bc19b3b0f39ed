import { Injectable } from '@nestjs/common';
import { NotFoundError } from '@charlotte/core';
import { fieldMap } from './definition';
import { dueDateOf } from './due';
import type { ProcedureDefinition } from './definition';
import { toJsonSchema } from './json-schema';
import { keepMaskedSensitive, maskSensitive } from './mask';
import { normalizeForm } from './normalize';
import { ProcedureRegistry } from './registry';
import { normalizeTypedForm } from './typed-input';
import { FieldError, validateForm, ValidationMode } from './validate';

/**
 * The procedures (form definitions) as a Nest provider: loaded once at start
 * from the definition files (a broken file stops the boot), served as JSON
 * Schema, and used to validate on the server with the same definitions the
 * SPA renders.
 */
@Injectable()
export class ProceduresService {
  private readonly registry = ProcedureRegistry.load();

  list(): ProcedureDefinition[] {
    return this.registry.list();
  }

  has(code: string): boolean {
    return this.registry.has(code);
  }

  /** A definition, or 404 (an application keeps the version it was created with). */
  get(code: string, version?: number): ProcedureDefinition {
    const def = this.registry.get(code, version);
    if (!def) throw new NotFoundError(`procedure ${code}${version ? ` v${version}` : ''}`);
    return def;
  }

  schema(def: ProcedureDefinition) {
    return toJsonSchema(def);
  }

  validate(def: ProcedureDefinition, form: Record<string, unknown>, mode: ValidationMode): FieldError[] {
    return validateForm(def, form, mode);
  }

  /** What the user typed in canonical spelling (全角数字 → 半角, 半角カナ → 全角, spaces): before any check. */
  normalizeInput(def: ProcedureDefinition, form: Record<string, unknown>): Record<string, unknown> {
    return normalizeTypedForm(fieldMap(def), form);
  }

  /** Hyphens stripped from numbers, empty values dropped: what is stored. */
  normalize(def: ProcedureDefinition, form: Record<string, unknown>): Record<string, unknown> {
    return normalizeForm(def, form);
  }

  /**
   * The filing deadline (提出期限, JST `YYYY-MM-DD`) of a stored (normalised)
   * form: null while the date it counts from is not filled in (or the
   * procedure has no machine rule). See due.ts for how it is counted.
   */
  dueDate(def: ProcedureDefinition, form: Record<string, unknown>): string | null {
    return dueDateOf(def.due, form);
  }

  mask(def: ProcedureDefinition, form: Record<string, unknown>): Record<string, unknown> {
    return maskSensitive(def, form);
  }

  /** A form edited from a masked copy: untouched masks of 個人番号 take the stored values again (see keepMaskedSensitive). */
  keepMasked(def: ProcedureDefinition, incoming: Record<string, unknown>, stored: Record<string, unknown>): Record<string, unknown> {
    return keepMaskedSensitive(def, incoming, stored);
  }
}
