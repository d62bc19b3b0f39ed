/**
 * One field-level problem, as in problem+json `errors[]`. `code` (and `params`)
 * say what is wrong for a program: the SPA translates them (`validation.<code>`
 * in its i18n catalogue), so that users read Japanese (or English) whatever
 * the server's text. `message` stays an English sentence for integrators.
 */
export interface FieldError {
  field: string;
  /** Stable machine code of the rule broken (FIELD_ERROR_CODES in validation.ts, or a procedure form code). */
  code: string;
  /** What the text needs besides the code (`{min: 1}`, `{max: 200}`…). Never the value sent. */
  params?: Record<string, string | number>;
  /** English for integrators; procedure form errors carry Japanese here and English in `messageEn`. */
  message: string;
  /** Procedure form errors only: the English text of a rule of the procedure definition. */
  messageEn?: string;
  /** Bulk imports only: the data row (from 1, the header excluded) the problem is in. */
  row?: number;
}

/**
 * A failure the client can act on. `code` is the stable machine string of the
 * REST contract (api.md); the filter turns it into application/problem+json.
 */
export class DomainError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    readonly detail?: string,
    readonly errors?: FieldError[],
    readonly headers?: Record<string, string>,
  ) {
    super(detail ?? title);
    this.name = 'DomainError';
  }
}

export class ValidationFailedError extends DomainError {
  constructor(errors: FieldError[], detail = 'The request has invalid fields.') {
    super(400, 'validation_failed', 'Validation failed', detail, errors);
  }
}

export class NotFoundError extends DomainError {
  constructor(what = 'resource') {
    super(404, 'not_found', 'Not found', `The ${what} does not exist.`);
  }
}

export class ForbiddenError extends DomainError {
  constructor(detail = 'You are not allowed to do this.', code = 'forbidden') {
    super(403, code, 'Forbidden', detail);
  }
}

export class UnauthenticatedError extends DomainError {
  constructor(detail = 'Authentication is required.') {
    super(401, 'unauthenticated', 'Unauthenticated', detail);
  }
}

export class ConflictError extends DomainError {
  constructor(code: string, detail: string) {
    super(409, code, 'Conflict', detail);
  }
}
