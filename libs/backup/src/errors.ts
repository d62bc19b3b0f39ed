import { ConflictError, DomainError, NotFoundError } from '@charlotte/core';

/**
 * Every error code libs/backup answers with (problem+json `code`, mapped to Japanese and English
 * text by the SPA), and one factory per code. Add new codes here, never inline.
 */
export const BackupErrorCode = {
  TenantNotFound: 'not_found',
  BackupNotFound: 'not_found',
  TenantBusy: 'tenant_busy',
  TenantNotActive: 'tenant_not_active',
  TenantNotCancelled: 'tenant_not_cancelled',
  TenantDeleted: 'tenant_deleted',
  BackupInvalid: 'backup_invalid',
  BackupSchemaMismatch: 'backup_schema_mismatch',
  CertificateNotFound: 'not_found',
  DeletionStarted: 'deletion_started',
  CertificateFontMissing: 'certificate_font_missing',
} as const;
export type BackupErrorCode = (typeof BackupErrorCode)[keyof typeof BackupErrorCode];

const C = BackupErrorCode;

export const BackupErrors = {
  tenantNotFound: () => new NotFoundError('tenant'),
  backupNotFound: () => new NotFoundError('backup'),
  certificateNotFound: () => new NotFoundError('deletion certificate'),
  deletionNotFound: () => new NotFoundError('deletion'),
  tenantBusy: () => new ConflictError(C.TenantBusy, 'A restore or deletion of this tenant is running; try again when it has finished.'),
  tenantNotActive: () => new ConflictError(C.TenantNotActive, 'Only an active tenant can be cancelled.'),
  tenantNotCancelled: () => new ConflictError(C.TenantNotCancelled, 'Only a cancelled tenant can be deleted or reinstated.'),
  tenantDeleted: () => new ConflictError(C.TenantDeleted, 'This tenant was deleted; nothing of it can be restored or changed.'),
  deletionStarted: () => new ConflictError(C.DeletionStarted, 'The deletion of this tenant has started; it can no longer be reinstated.'),
  /** The Japanese font for the PDF rendering is not installed (scripts/setup-system.sh installs fonts-ipaexfont-gothic). */
  certificateFontMissing: () =>
    new DomainError(
      503,
      C.CertificateFontMissing,
      'Certificate PDF unavailable',
      'The Japanese font for the certificate PDF is not installed on the server (fonts-ipaexfont-gothic); the JSON certificate is available.',
    ),
  /** The archive or its manifest did not verify (signature, sha256, decryption or counts); `reason` names which check. */
  backupInvalid: (reason: string) =>
    new DomainError(422, C.BackupInvalid, 'Backup does not verify', `The backup does not verify: ${reason}.`),
  backupSchemaMismatch: (archive: string, current: string) =>
    new ConflictError(
      C.BackupSchemaMismatch,
      `This backup was written by schema version ${archive} and this release is at ${current}. Restore it with the release of that schema version, then upgrade (README, "Backups").`,
    ),
};
