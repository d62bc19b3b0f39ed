import { Module } from '@nestjs/common';
import { APP_CONFIG } from '@charlotte/core';
import { BACKUP_STORES, BackupStoresReadiness, createBackupStores } from './stores';

/**
 * Backups per contract, restore, contract end and certified deletion
 * (architecture.md P4, P5). Depends on core, crypto, audit and storage only.
 */
@Module({
  providers: [{ provide: BACKUP_STORES, inject: [APP_CONFIG], useFactory: createBackupStores }, BackupStoresReadiness],
  exports: [BACKUP_STORES],
})
export class BackupModule {}
