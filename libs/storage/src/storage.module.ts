import { Inject, Injectable, Module, OnModuleInit } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { APP_CONFIG, AppConfig, HealthRegistry } from '@charlotte/core';
import type { BlobStore } from './blobs/blob-store';
import { FsBlobStore } from './blobs/fs-blob-store';
import { S3BlobStore } from './blobs/s3-blob-store';
import { ClamdScanner } from './scanning/clamd-scanner';
import type { MalwareScanner } from './scanning/scanner';
import { BLOB_STORE, MALWARE_SCANNER } from './tokens';

export function createBlobStore(config: AppConfig): BlobStore {
  if (config.blobStore === 's3')
    return new S3BlobStore({
      endpoint: config.s3Endpoint,
      region: config.s3Region,
      bucket: config.s3Bucket as string,
      accessKeyId: config.s3AccessKeyId as string,
      secretAccessKey: config.s3SecretAccessKey as string,
      forcePathStyle: config.s3ForcePathStyle,
    });
  return new FsBlobStore({ root: config.blobDir });
}

export function createScanner(config: AppConfig): MalwareScanner {
  return config.clamdHost
    ? new ClamdScanner({ host: config.clamdHost, port: config.clamdPort, timeoutMs: config.clamdTimeoutMs })
    : new ClamdScanner({ socket: config.clamdSocket, timeoutMs: config.clamdTimeoutMs });
}

/** /health/ready includes the malware scanner and the blob store: uploads fail closed without them. */
@Injectable()
class StorageReadiness implements OnModuleInit {
  constructor(
    private readonly registry: HealthRegistry,
    private readonly indicator: HealthIndicatorService,
    @Inject(MALWARE_SCANNER) private readonly scanner: MalwareScanner,
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
  ) {}

  onModuleInit(): void {
    this.registry.register('scanner', async () => {
      const check = this.indicator.check('scanner');
      try {
        await this.scanner.ping();
        return check.up();
      } catch (e) {
        return check.down({ message: e instanceof Error ? e.message : String(e) });
      }
    });
    this.registry.register('blobs', async () => {
      const check = this.indicator.check('blobs');
      try {
        await this.blobs.ping();
        return check.up({ kind: this.blobs.kind });
      } catch (e) {
        return check.down({ message: e instanceof Error ? e.message : String(e) });
      }
    });
  }
}

/** The blob store (fs or S3, by configuration) and the malware scanner (clamd), with their readiness checks. */
@Module({
  providers: [
    { provide: BLOB_STORE, inject: [APP_CONFIG], useFactory: createBlobStore },
    { provide: MALWARE_SCANNER, inject: [APP_CONFIG], useFactory: createScanner },
    StorageReadiness,
  ],
  exports: [BLOB_STORE, MALWARE_SCANNER],
})
export class StorageModule {}
