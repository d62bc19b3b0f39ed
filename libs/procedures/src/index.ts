// The public surface of libs/procedures: pure rules (definitions, validation, formats, era dates), no I/O
// apart from reading the definition files once at start. Nothing here imports another lib of ours except core.
export * from './procedures.module';
export * from './procedures.service';
export type { FieldDefinition, ProcedureDefinition } from './definition';
export { fieldMap, listFields } from './definition';
export { dueDateOf, isAdministrativeHoliday, nextOpenDay } from './due';
export type { DueRuleDefinition } from './due';
export { addDays, todayInJapan } from './dates';
export { ERA_CODES, toEra, fromEra } from './era';
export { normalizeForm } from './normalize';
export { inputKindOf, normalizeTypedForm, normalizeTypedText, normalizeTypedValue, TYPED_INPUT_KINDS } from './typed-input';
export type { TypedInputKind } from './typed-input';
export { ProcedureRegistry } from './registry';
export { egovMapping, parseEgovMapping, attachEgovMapping, SIGNATURE_POLICIES } from './egov';
export type { EgovMapping, EgovElement, EgovValue, EgovDatePart, EgovOfficeKey, SignaturePolicy, EgovEraCodeSet } from './egov';
export type { FieldError, ValidationMode } from './validate';
export { validateForm } from './validate';
// Test fixtures shared by the procedure tests and the e-Gov package tests of libs/filing (data only).
export { MY_NUMBER, VALID_FORMS } from './test-forms';
