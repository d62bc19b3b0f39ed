import { Injectable, Module, OnModuleInit } from '@nestjs/common';
import { ApplicationsModule, DetailPartRegistry, EditGuardRegistry } from '@charlotte/applications';
import { AuditTargetRegistry } from '@charlotte/audit';
import { NotificationsModule } from '@charlotte/notifications';
import { ProceduresModule } from '@charlotte/procedures';
import { StorageModule } from '@charlotte/storage';
import { CaseNoticesService } from './case-notices.service';
import { DocumentsService } from './documents.service';
import { EgovAccountsService } from './egov-accounts.service';
import { EgovActionsRepository } from './egov-actions.repository';
import { EgovActionsService } from './egov-actions.service';
import { EgovClient } from './egov-client';
import { EgovReachability } from './egov-reachability';
import { SIGNING_CREDENTIALS } from './signing-hook';
import { EgovController, FilingController } from './egov.controller';
import { EgovJobs } from './egov.jobs';
import { StatusTrackerService } from './status-tracker.service';
import { SubmissionsRepository } from './submissions.repository';
import { SubmissionsService } from './submissions.service';
import { FilingErrors } from './errors';
import { FilingEventsRegistry } from './filing-events';
import { SigningModule } from './signing/signing.module';
import { SigningCredentialsService } from './signing/signing-credentials.service';
import { ApprovalGate } from './approvals/approval-gate.service';
import { ApprovalsRepository } from './approvals/approvals.repository';
import { ApprovalsService } from './approvals/approvals.service';
import { ApprovalRoutesController, ApprovalsController } from './approvals/approvals.controller';

/** What this lib adds to libs/applications through its extension points (the dependency stays one-way). */
@Injectable()
class FilingExtensions implements OnModuleInit {
  constructor(
    private readonly guards: EditGuardRegistry,
    private readonly parts: DetailPartRegistry,
    private readonly actions: EgovActionsService,
    private readonly caseNotices: CaseNoticesService,
    private readonly auditTargets: AuditTargetRegistry,
    private readonly documents: DocumentsService,
    private readonly approvals: ApprovalGate,
  ) {}

  onModuleInit(): void {
    // While a 補正 or 取下げ is on its way to e-Gov, the form stays as it is being sent. The guard runs in the
    // editing transaction, under the application's row lock, which the action's worker takes too.
    this.guards.register(async (m, tenantId, applicationId, status) => {
      if (status !== 'correction_requested') return;
      if (await this.actions.inFlight(m, tenantId, applicationId)) throw FilingErrors.actionInProgress();
    });
    // 承認フロー: an edit of the application cancels its pending approval (what was approved is what is filed).
    this.guards.onEdited((m, tenantId, applicationId, _status, actor) => this.approvals.cancelOnEdit(m, tenantId, applicationId, actor));
    // The e-Gov side of the application detail (GET /applications/{id}).
    this.parts.register(async (tenantId, app) => ({
      arriveId: app.arriveId ?? null,
      egovStatus: app.egovStatus ?? null,
      failureReason: app.failureReason ?? null,
      egovNotices: app.arriveId ? await this.caseNotices.list(tenantId, app.id) : [],
      lastAction: app.arriveId ? await this.actions.latest(tenantId, app.id) : null,
    }));
    // The audit log names a 公文書 by its title (as the documents list shows it), for tokens with documents:read.
    this.auditTargets.register({
      type: 'document',
      tokenScope: 'documents:read',
      resolve: async (tenantId, ids) =>
        new Map([...(await this.documents.titlesOf(tenantId, ids))].map(([id, label]) => [id, { label }] as const)),
    });
  }
}

/**
 * The e-Gov gateway: client, package builder, durable jobs (submission, 補正, 取下げ), accounts,
 * status tracking, case notices, official documents, and the お知らせ they raise (through
 * libs/notifications). Depends on applications, never the reverse.
 */
@Module({
  imports: [ApplicationsModule, ProceduresModule, StorageModule, SigningModule, NotificationsModule],
  controllers: [EgovController, FilingController, ApprovalRoutesController, ApprovalsController],
  providers: [
    SubmissionsRepository,
    EgovActionsRepository,
    EgovClient,
    EgovReachability,
    EgovAccountsService,
    SubmissionsService,
    EgovActionsService,
    CaseNoticesService,
    StatusTrackerService,
    DocumentsService,
    EgovJobs,
    FilingExtensions,
    FilingEventsRegistry,
    ApprovalsRepository,
    ApprovalGate,
    ApprovalsService,
    // The tenant's certificate (libs/filing/src/signing) signs packages with XML-DSig (package/signature.ts).
    { provide: SIGNING_CREDENTIALS, useExisting: SigningCredentialsService },
  ],
  exports: [
    EgovAccountsService,
    SubmissionsService,
    EgovActionsService,
    StatusTrackerService,
    EgovJobs,
    DocumentsService,
    FilingEventsRegistry,
  ],
})
export class FilingModule {}
