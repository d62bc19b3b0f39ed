import { ConflictError, DomainError, NotFoundError } from '@charlotte/core';

/**
 * Every error code the incidents answer with (problem+json `code`, worded in Japanese and English
 * by the SPA), and one factory per code. Add new codes here, never inline.
 */
export const IncidentErrorCode = {
  NotFound: 'not_found',
  UnknownTenants: 'incident_unknown_tenants',
  Resolved: 'incident_resolved',
  StartInFuture: 'incident_start_in_future',
} as const;
export type IncidentErrorCode = (typeof IncidentErrorCode)[keyof typeof IncidentErrorCode];

const C = IncidentErrorCode;

export const IncidentErrors = {
  notFound: () => new NotFoundError('incident'),
  /** 422 with one `errors[]` entry per code that names no tenant (the codes are contract codes, not personal data). */
  unknownTenants: (codes: string[]) =>
    new DomainError(
      422,
      C.UnknownTenants,
      'Unknown tenants',
      `No tenant has the code ${codes.join(', ')}.`,
      codes.map((code) => ({ field: 'tenants', message: code, code: 'unknown_tenant' })),
    ),
  resolved: () => new ConflictError(C.Resolved, 'This incident is resolved; it takes no further updates.'),
  startInFuture: () =>
    new DomainError(
      422,
      C.StartInFuture,
      'Start in the future',
      'startedAt lies in the future; an incident is reported once it has begun.',
      [{ field: 'startedAt', message: 'startedAt must not be in the future', code: 'in_future' }],
    ),
};
