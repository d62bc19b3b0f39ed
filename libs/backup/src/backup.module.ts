import { Module } from '@nestjs/common';
import { APP_CONFIG } from '@charlotte/core';
import { StorageModule } from '@charlotte/storage';
import { BACKUP_STORES, BackupStoresReadiness, createBackupStores } from './stores';
// contract end, deletion, certificates (issue 15, contract/deletion helper)
import { CertificatesService } from './certificates/certificates.service';
import { ContractService } from './contract/contract.service';
import { DeletionJobs } from './deletion/deletion.jobs';
import { DeletionService } from './deletion/deletion.service';
import { OperatorTenantsController } from './http/operator-tenants.controller';

/**
 * Backups per contract, restore, contract end and certified deletion
 * (architecture.md P4, P5). Depends on core, crypto, audit and storage only.
 */
@Module({
  imports: [StorageModule],
  controllers: [
    // contract end, deletion, certificates
    OperatorTenantsController,
  ],
  providers: [
    { provide: BACKUP_STORES, inject: [APP_CONFIG], useFactory: createBackupStores },
    BackupStoresReadiness,
    // contract end, deletion, certificates
    ContractService,
    DeletionService,
    DeletionJobs,
    CertificatesService,
  ],
  exports: [
    BACKUP_STORES,
    // contract end, deletion, certificates
    ContractService,
    DeletionService,
    DeletionJobs,
    CertificatesService,
  ],
})
export class BackupModule {}
