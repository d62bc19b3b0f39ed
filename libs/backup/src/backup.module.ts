import { Module } from '@nestjs/common';
import { APP_CONFIG } from '@charlotte/core';
import { StorageModule } from '@charlotte/storage';
import { BackupJobs } from './generations/backup.jobs';
import { BackupOperatorService } from './generations/backup-operator.service';
import { BackupsController, OperatorBackupsController } from './http/backups.controller';
import { GenerationsService } from './generations/generations.service';
import { RestoreService } from './generations/restore.service';
import { BACKUP_STORES, BackupStoresReadiness, createBackupStores } from './stores';

/**
 * Backups per contract, restore, contract end and certified deletion
 * (architecture.md P4, P5). Depends on core, crypto, audit and storage only.
 */
@Module({
  imports: [StorageModule],
  providers: [
    { provide: BACKUP_STORES, inject: [APP_CONFIG], useFactory: createBackupStores },
    BackupStoresReadiness,
    // generations, verification, restore, schedules (issue 15, backups)
    GenerationsService,
    RestoreService,
    BackupJobs,
    BackupOperatorService,
  ],
  controllers: [BackupsController, OperatorBackupsController],
  exports: [BACKUP_STORES, GenerationsService, RestoreService, BackupJobs, BackupOperatorService],
})
export class BackupModule {}
