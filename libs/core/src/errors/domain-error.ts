/** One field-level problem, as in problem+json `errors[]`. */
export interface FieldError {
  field: string;
  message: string;
  /** A stable machine code for the rule broken (form validation), when there is one. */
  code?: string;
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
