import { ConflictError, DomainError, FieldError, ValidationFailedError } from '@charlotte/core';
import type { ApplicationStatus } from './applications/dto/application.dto';

/**
 * Every error code libs/applications answers with (problem+json `code`, mapped to Japanese and
 * English text by the SPA), and one factory per code so that status, title and wording are
 * written once. DomainError and the one problem filter of libs/core stay as they are.
 * (`validation_failed` and `not_found` are core's generic codes, used through its classes.)
 */
export const ApplicationsErrorCode = {
  VersionConflict: 'version_conflict',
  NotEditable: 'not_editable',
  OfficeLocked: 'office_locked',
  InvalidTransition: 'invalid_transition',
  UnmaskNotAllowed: 'unmask_not_allowed',
  PayloadTooLarge: 'payload_too_large',
  UnsupportedFileType: 'unsupported_file_type',
  MalwareDetected: 'malware_detected',
  RightMissing: 'right_missing',
  NotSharoushi: 'not_sharoushi',
  ClientInUse: 'client_in_use',
  ClientCodeTaken: 'client_code_taken',
  ImportInvalid: 'import_invalid',
} as const;
export type ApplicationsErrorCode = (typeof ApplicationsErrorCode)[keyof typeof ApplicationsErrorCode];

const C = ApplicationsErrorCode;

export const ApplicationsErrors = {
  /** Optimistic concurrency: the version the client read is not the current one. */
  versionConflict: (what: 'application' | 'office' | 'client' = 'application') =>
    new ConflictError(C.VersionConflict, `The ${what} was changed by someone else; reload it and try again.`),
  notEditable: (status: ApplicationStatus, verb: 'changed' | 'deleted' = 'changed') =>
    new ConflictError(C.NotEditable, `An application in status ${status} can no longer be ${verb}.`),
  officeLocked: () =>
    new ConflictError(C.OfficeLocked, 'The office (事業所) of a filed application cannot change; a 補正 corrects the form.'),
  invalidTransition: (from: ApplicationStatus, to: ApplicationStatus) =>
    new ConflictError(C.InvalidTransition, `An application cannot go from ${from} to ${to}.`),
  unmaskNotAllowed: () =>
    new DomainError(403, C.UnmaskNotAllowed, 'Forbidden', 'Only a logged-in user of this tenant can see 個人番号 unmasked.'),
  payloadTooLarge: (max: number) =>
    new DomainError(413, C.PayloadTooLarge, 'Payload too large', `The file is larger than ${Math.floor(max / 1024 / 1024)} MB.`),
  unsupportedFileType: () =>
    new DomainError(
      415,
      C.UnsupportedFileType,
      'Unsupported file type',
      'Only PDF, JPEG, PNG, XML and CSV files are accepted (checked by content).',
    ),
  malwareDetected: (signature: string) =>
    new DomainError(
      422,
      C.MalwareDetected,
      'Malware detected',
      `The file was refused: the malware scanner found ${signature}. Nothing was stored.`,
    ),
  /** A staff member sees the client but lacks the right this action needs (draft, submit, documents, offices). */
  rightMissing: (right: string) =>
    new DomainError(403, C.RightMissing, 'Forbidden', `You are not assigned the right "${right}" for this client (顧問先).`),
  /** 顧問先 exist in sharoushi tenants only. */
  notSharoushi: () =>
    new ConflictError(
      C.NotSharoushi,
      'This tenant is a company: 顧問先 (client companies) exist in 社会保険労務士 (sharoushi) tenants only.',
    ),
  clientInUse: (offices: number) =>
    new ConflictError(C.ClientInUse, `The client still has ${offices} office(s); move or remove them before deleting it.`),
  /** Same code as above: the client is still in use, here by the users of its portal (who are disabled, never deleted). */
  clientHasPortalUsers: (users: number) =>
    new ConflictError(
      C.ClientInUse,
      `The client has ${users} portal user(s); a client whose portal was used is kept (turn its portal off instead).`,
    ),
  clientCodeTaken: () => new ConflictError(C.ClientCodeTaken, 'Another client of this tenant already has this code.'),
  /** A CSV import with at least one bad row: nothing was created; every problem with its row. */
  importInvalid: (errors: FieldError[]) =>
    new DomainError(
      422,
      C.ImportInvalid,
      'Import refused',
      `${errors.length} problem(s) in the file; nothing was imported. Fix the rows listed and import the whole file again.`,
      errors,
    ),
  /** The form breaks type or format rules a draft must already meet (400 validation_failed). */
  formInvalid: (errors: FieldError[]) => new ValidationFailedError(errors, 'The form has fields of the wrong type or format.'),
  /** The upload is not a multipart body with one file in the field `file` (400 validation_failed). */
  badUpload: (message: string) => new ValidationFailedError([{ field: 'file', code: 'upload_invalid', message }]),
};
