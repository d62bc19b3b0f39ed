/**
 * Every action code the code base may write to the audit trail: `AuditRecord.action` is typed
 * with it, so an emitter cannot invent a code the catalogue (and the SPA's labels, checked by
 * audit-actions.spec.ts) does not know. Codes are never renamed: old events keep theirs.
 */
export const AUDIT_ACTIONS = [
  // sign-in and sessions
  'auth.login',
  'auth.logout',
  'auth.session_expired',
  'auth.account_locked',
  'auth.sso_login',
  'auth.sso_linked',
  'auth.sso_link_confirmed',
  'http.csrf_rejected',
  'http.rate_limited',
  // users, keys and tokens
  'user.created',
  'user.updated',
  'user.role_changed',
  'user.status_changed',
  'user.invited',
  'user.invitation_accepted',
  'operator.created',
  'keyfile.issued',
  'keyfile.enrolled',
  'keyfile.revoked',
  'keyfile.reset',
  'api_token.created',
  'api_token.revoked',
  'api_token.used',
  'sso.settings_changed',
  'notification.settings_changed',
  // offices, applications, attachments, documents
  'office.created',
  'office.updated',
  'application.created',
  'application.updated',
  'application.deleted',
  'application.validated',
  'application.sensitive_viewed',
  'application.submitted',
  'application.reopened',
  'application.trial_sent',
  'application.arrived',
  'application.submission_failed',
  'application.status_changed',
  'application.amend_requested',
  'application.amended',
  'application.amend_failed',
  'application.withdraw_requested',
  'application.withdrawn',
  'application.withdraw_failed',
  'attachment.uploaded',
  'attachment.downloaded',
  'attachment.deleted',
  'attachment.refused',
  'attachment.malware_detected',
  'document.received',
  'document.downloaded',
  // e-Gov and certificates
  'egov.account_linked',
  'egov.account_unlinked',
  'egov.link_refused',
  'egov.trial_mode_changed',
  'signing_certificate.uploaded',
  'signing_certificate.removed',
  'signing_certificate.refused',
  'proxy_certificate.uploaded',
  'proxy_certificate.removed',
  'proxy_certificate.refused',
  'proxy_certificate.malware_detected',
  // the audit trail itself
  'audit.exported',
  'audit.purged',
  // contracts, backups, deletion
  'tenant.created',
  'tenant.cancelled',
  'tenant.reinstated',
  'tenant.deletion_requested',
  'tenant.deletion_failed',
  'tenant.deletion_check_failed',
  'tenant.deleted',
  'tenant.deletion_certificate_issued',
  'deletion_certificate.read',
  'backup.requested',
  'backup.completed',
  'backup.failed',
  'backup.verify_failed',
  'backup.restore_requested',
  'backup.restored',
  'backup.restore_failed',
  // operations
  'mail.failed',
  'alert.opened',
  'alert.resolved',
  'alert.promoted',
  'incident.created',
  'incident.updated',
  'incident.resolved',
  'keys.kek_rotated',
  'keys.tenant_key_rotated',
  'keys.reencryption_finished',
  'system.error',
  'system.unhandled_error',
] as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[number];

const KNOWN: ReadonlySet<string> = new Set(AUDIT_ACTIONS);

export function isAuditAction(value: string): value is AuditAction {
  return KNOWN.has(value);
}
