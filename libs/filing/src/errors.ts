import { ConflictError, DomainError, FieldError } from '@charlotte/core';

/**
 * Every error code libs/filing answers with (problem+json `code`, mapped to Japanese and English
 * text by the SPA), and one factory per code. DomainError and the problem filter of libs/core stay.
 * (The Idempotency-Key check is core's: IdempotencyKey / IdempotencyKeyPipe.)
 */
export const FilingErrorCode = {
  EgovNotLinked: 'egov_not_linked',
  EgovLinkInvalid: 'egov_link_invalid',
  AlreadySubmitted: 'already_submitted',
  NotReady: 'not_ready',
  NotFailed: 'not_failed',
  OutcomeUnknown: 'outcome_unknown',
  PackageInvalid: 'package_invalid',
  FormIncomplete: 'validation_failed',
  NotCorrectable: 'not_correctable',
  NotWithdrawable: 'not_withdrawable',
  ActionInProgress: 'action_in_progress',
  IdempotencyKeyReused: 'idempotency_key_reused',
  NotFiled: 'not_filed',
  SignatureRequired: 'egov_signature_required',
  OutcomeAmbiguous: 'egov_outcome_ambiguous',
} as const;
export type FilingErrorCode = (typeof FilingErrorCode)[keyof typeof FilingErrorCode];

const C = FilingErrorCode;

export const FilingErrors = {
  egovNotLinked: () =>
    new DomainError(409, C.EgovNotLinked, 'e-Gov account not linked', 'An administrator must link an e-Gov account in the settings first.'),
  egovLinkInvalid: () =>
    new DomainError(
      400,
      C.EgovLinkInvalid,
      'Invalid e-Gov link',
      'The e-Gov login expired or was not started in this browser. Start again.',
    ),
  alreadySubmitted: () => new ConflictError(C.AlreadySubmitted, 'This application was already submitted.'),
  notReady: () => new ConflictError(C.NotReady, 'Only an application that passed the input check (status ready) can be submitted.'),
  notFailed: () => new ConflictError(C.NotFailed, 'Only an application whose filing failed can be reopened.'),
  outcomeUnknown: () =>
    new ConflictError(
      C.OutcomeUnknown,
      'e-Gov may have received this filing (its last answer never came). Check the filings of the e-Gov account, then confirm that it did not arrive.',
    ),
  /**
   * `reason` is the package builder's code without its `egov_package_` prefix
   * (`office_incomplete`, `invalid_input`…): the field error's code, which the SPA translates.
   */
  packageInvalid: (message: string, path?: string, reason = 'invalid_input') =>
    new DomainError(
      422,
      C.PackageInvalid,
      'Cannot build the e-Gov package',
      message,
      path ? [{ field: path, code: `package_${reason}`, message }] : undefined,
    ),
  /** A 補正 of a form that does not pass every rule (422, with every field error at once). */
  formIncomplete: (errors: FieldError[]) =>
    new DomainError(422, C.FormIncomplete, 'The form is not complete', 'Correct the form before sending the 補正.', errors),
  notCorrectable: () =>
    new ConflictError(C.NotCorrectable, 'Only an application for which e-Gov asked a correction (補正) can be amended.'),
  notWithdrawable: (status: string) =>
    new ConflictError(
      C.NotWithdrawable,
      `An application can be withdrawn while it is at e-Gov and under review (arrived, under_review, correction_requested); this one is ${status}.`,
    ),
  /** `kind` when the action on its way is known; the edit guard names both. */
  actionInProgress: (kind?: 'amend' | 'withdraw') =>
    new ConflictError(
      C.ActionInProgress,
      kind
        ? `A ${kind} of this application is on its way to e-Gov; wait for its outcome.`
        : 'A 補正 or 取下げ of this application is on its way to e-Gov; wait for its outcome.',
    ),
  idempotencyKeyReused: (kind: string) => new ConflictError(C.IdempotencyKeyReused, `This Idempotency-Key was used for a ${kind} request.`),
  notFiled: () => new DomainError(409, C.NotFiled, 'Not filed', 'The application has no e-Gov case.'),
  /** The procedure cannot be filed unsigned and the tenant has no (valid) e-signature certificate. */
  signatureRequired: () =>
    new DomainError(
      409,
      C.SignatureRequired,
      'Electronic signature required',
      'この手続は電子署名が必要です。設定で電子証明書を登録してください。 / This procedure must be signed: upload an e-signature certificate in the settings first.',
    ),
};
