import { ConflictError, NotFoundError } from '@charlotte/core';

/** Error codes of operator alerts (problem+json `code`, translated in the SPA). */
export const AlertErrorCode = {
  AlertNotFound: 'not_found',
  AlertHasIncident: 'alert_has_incident',
  AlertResolved: 'alert_resolved',
} as const;

export const AlertErrors = {
  alertNotFound: () => new NotFoundError('alert'),
  alertHasIncident: () => new ConflictError(AlertErrorCode.AlertHasIncident, 'This alert is already linked to an incident.'),
  alertResolved: () =>
    new ConflictError(AlertErrorCode.AlertResolved, 'This alert is resolved; create an incident in the incidents console instead.'),
};
