import { Inject, Injectable, Module, OnModuleInit } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { APP_CONFIG, AppConfig, HealthRegistry } from '@charlotte/core';
import { ApplicationsController } from './applications/applications.controller';
import { ApplicationsService } from './applications/applications.service';
import { AttachmentsController } from './attachments/attachments.controller';
import { AttachmentsService, BLOB_STORE, MALWARE_SCANNER } from './attachments/attachments.service';
import type { BlobStore } from './blobs/blob-store';
import { FsBlobStore } from './blobs/fs-blob-store';
import { CaseNoticesService } from './egov/case-notices.service';
import { DocumentsService } from './egov/documents.service';
import { EgovActionsService } from './egov/egov-actions.service';
import { EgovAccountsService } from './egov/egov-accounts.service';
import { EgovClient } from './egov/egov-client';
import { EgovController, FilingController, NoticesController } from './egov/egov.controller';
import { EgovJobs } from './egov/egov.jobs';
import { NoticesService } from './egov/notices.service';
import { StatusTrackerService } from './egov/status-tracker.service';
import { SubmissionsService } from './egov/submissions.service';
import { S3BlobStore } from './blobs/s3-blob-store';
import { OfficesController } from './offices/offices.controller';
import { OfficesService } from './offices/offices.service';
import { ProceduresController } from './procedures/procedures.controller';
import { ProceduresService } from './procedures/procedures.service';
import { ClamdScanner } from './scanning/clamd-scanner';
import type { MalwareScanner } from './scanning/scanner';

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
class ApplicationsReadiness implements OnModuleInit {
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

@Module({
  controllers: [
    OfficesController,
    ProceduresController,
    ApplicationsController,
    AttachmentsController,
    EgovController,
    FilingController,
    NoticesController,
  ],
  providers: [
    { provide: BLOB_STORE, inject: [APP_CONFIG], useFactory: createBlobStore },
    { provide: MALWARE_SCANNER, inject: [APP_CONFIG], useFactory: createScanner },
    OfficesService,
    ProceduresService,
    ApplicationsService,
    AttachmentsService,
    ApplicationsReadiness,
    EgovClient,
    EgovAccountsService,
    NoticesService,
    SubmissionsService,
    EgovActionsService,
    CaseNoticesService,
    StatusTrackerService,
    DocumentsService,
    EgovJobs,
  ],
  exports: [
    BLOB_STORE,
    MALWARE_SCANNER,
    OfficesService,
    ProceduresService,
    ApplicationsService,
    AttachmentsService,
    EgovAccountsService,
    SubmissionsService,
    EgovActionsService,
    StatusTrackerService,
    NoticesService,
    EgovJobs,
  ],
})
export class ApplicationsModule {}
