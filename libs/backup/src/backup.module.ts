import { Module } from '@nestjs/common';
import { APP_CONFIG } from '@charlotte/core';
import { NotificationsModule } from '@charlotte/notifications';
import { StorageModule } from '@charlotte/storage';
import { BackupJobs } from './generations/backup.jobs';
import { BackupOperatorService } from './generations/backup-operator.service';
import { BackupsController, OperatorBackupsController } from './http/backups.controller';
import { GenerationsService } from './generations/generations.service';
import { RestoreService } from './generations/restore.service';
import { BACKUP_STORES, BackupStoresReadiness, createBackupStores } from './stores';
// contract end, deletion, certificates (issue 15, contract/deletion helper)
import { CertificateMailAttachment } from './certificates/certificate-mail';
import { CertificatesService } from './certificates/certificates.service';
import { ContractService } from './contract/contract.service';
import { DeletionAlerts } from './deletion/deletion-alerts';
import { DeletionJobs } from './deletion/deletion.jobs';
import { DeletionService } from './deletion/deletion.service';
import { OperatorTenantsController } from './http/operator-tenants.controller';
import { JobFailuresService } from './job-failures.service';

/**
 * Backups per contract, restore, contract end and certified deletion
 * (architecture.md P4, P5). Depends on core, crypto, audit, storage and notifications (the
 * deletion certificate mail, operator alerts).
 */
@Module({
  imports: [StorageModule, NotificationsModule],
  controllers: [
    // generations, verification, restore
    BackupsController,
    OperatorBackupsController,
    // contract end, deletion, certificates
    OperatorTenantsController,
  ],
  providers: [
    { provide: BACKUP_STORES, inject: [APP_CONFIG], useFactory: createBackupStores },
    BackupStoresReadiness,
    // generations, verification, restore, schedules
    GenerationsService,
    RestoreService,
    BackupJobs,
    BackupOperatorService,
    // contract end, deletion, certificates
    ContractService,
    DeletionService,
    DeletionJobs,
    DeletionAlerts,
    CertificatesService,
    CertificateMailAttachment,
    JobFailuresService,
  ],
  exports: [
    BACKUP_STORES,
    GenerationsService,
    RestoreService,
    BackupJobs,
    BackupOperatorService,
    ContractService,
    DeletionService,
    DeletionJobs,
    CertificatesService,
    JobFailuresService,
  ],
})
export class BackupModule {}
