import { metrics } from '@charlotte/core';

/**
 * `charlotte_login_failures_total{reason}`: refused login steps by reason code
 * (invalid_password, unknown_user, account_locked, …; SSO refusals as
 * `saml_<reason>`). A closed set of codes, never the account, tenant or
 * address: those are in the audit trail.
 */
export function countLoginFailure(reason: string): void {
  metrics.counter('charlotte_login_failures_total', 'Refused login steps by reason', ['reason'] as const).inc({ reason });
}
