import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { AppConfig, BackupStoreConfig, HealthRegistry } from '@charlotte/core';
import { BlobStore, FsBlobStore, S3BlobStore } from '@charlotte/storage';

/** Which of the two backup stores: the primary (daily generations) or the remote one (weekly copies). */
export type BackupStoreName = 'primary' | 'remote';

/**
 * The two backup stores, separate from the blob store of attachments and from
 * each other (P4: a remote copy survives the loss of the primary site). Both
 * hold only sealed archives and their signed manifests, under
 * `tenants/<tenantId>/` (see archiveKeyOf), so a tenant's deletion can list and
 * remove everything of it by prefix.
 */
export interface BackupStores {
  primary: BlobStore;
  remote: BlobStore;
}

export const BACKUP_STORES = Symbol('BACKUP_STORES');

export function createBackupStore(c: BackupStoreConfig): BlobStore {
  if (c.kind === 's3')
    return new S3BlobStore({
      endpoint: c.s3Endpoint,
      region: c.s3Region,
      bucket: c.s3Bucket as string,
      accessKeyId: c.s3AccessKeyId as string,
      secretAccessKey: c.s3SecretAccessKey as string,
      forcePathStyle: c.s3ForcePathStyle,
    });
  return new FsBlobStore({ root: c.dir });
}

export function createBackupStores(config: AppConfig): BackupStores {
  return { primary: createBackupStore(config.backup.primary), remote: createBackupStore(config.backup.remote) };
}

/** Every object of one tenant in a backup store lives under this prefix. */
export const tenantBackupPrefix = (tenantId: string): string => `tenants/${tenantId}/`;

/** The sealed archive of a generation and its manifest beside it (api.md: same base name, `.manifest.json`). */
export const archiveKeyOf = (tenantId: string, generationId: string): string => `tenants/${tenantId}/${generationId}.tar.gz.sealed`;
export const manifestKeyOf = (tenantId: string, generationId: string): string =>
  `tenants/${tenantId}/${generationId}.tar.gz.sealed.manifest.json`;

/** /health/ready includes both backup stores. */
@Injectable()
export class BackupStoresReadiness implements OnModuleInit {
  constructor(
    private readonly registry: HealthRegistry,
    private readonly indicator: HealthIndicatorService,
    @Inject(BACKUP_STORES) private readonly stores: BackupStores,
  ) {}

  onModuleInit(): void {
    for (const name of ['primary', 'remote'] as const) {
      const id = name === 'primary' ? 'backups' : 'backupsRemote';
      this.registry.register(id, async () => {
        const check = this.indicator.check(id);
        try {
          await this.stores[name].ping();
          return check.up({ kind: this.stores[name].kind });
        } catch (e) {
          return check.down({ message: e instanceof Error ? e.message : String(e) });
        }
      });
    }
  }
}
