import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditService } from '@charlotte/audit';
import { APP_CONFIG, AppConfig, Caller } from '@charlotte/core';
import {
  actorOf,
  ApplicationRow,
  ApplicationStore,
  AttachmentsService,
  ClientAccess,
  ClientAccessService,
  OfficesService,
} from '@charlotte/applications';
import { ProceduresService } from '@charlotte/procedures';
import { EgovAccountsService, egovNotLinked } from './egov-accounts.service';
import { claimDue, failureReason, retryLater, runDueJobs } from './durable-job';
import { EgovClient, EgovError } from './egov-client';
import { NoticesService } from '@charlotte/notifications';
import { buildPackage, checkPackage } from './package/package';
import { EgovPackageError } from './package/errors';
import { SubmissionRow, SubmissionsRepository } from './submissions.repository';
import { FilingErrors } from './errors';
import { FilingEventsRegistry } from './filing-events';
import { matchOrphanCase } from './egov-api/recovery';
import { egovFactsOf, procNameOf, SIGNING_CREDENTIALS, SigningCredentialsPort, signaturePolicyOf } from './signing-hook';
import { ApprovalGate } from './approvals/approval-gate.service';
import type { ApprovalRow } from './approvals/approvals.repository';
import type { EntityManager } from 'typeorm';

/** egov_status of an application sent in 試行 mode: checked by e-Gov, not filed (no case to follow). */
export const TRIAL_EGOV_STATUS = '試行（形式チェックのみ・申請されていません）';

type Claimed = Pick<
  SubmissionRow,
  'id' | 'tenant_id' | 'application_id' | 'attempts' | 'sending_started_at' | 'outcome_unknown_since' | 'submitted_by' | 'trial'
>;

/**
 * Submission to e-Gov as a durable job (durable-job.ts): `submit` records the
 * intent (at most one submission that has not failed per application: a
 * partial unique index, so retries, double clicks and several instances can
 * never create a second filing) and answers 202; the worker builds the
 * package, sends it, and stores the arrive_id. When an attempt's outcome is
 * unknown (a timeout, a crash while the request was out), the next attempt
 * first looks for the one case of this procedure that arrived since and
 * belongs to none of our applications, and adopts it instead of filing twice.
 */
@Injectable()
export class SubmissionsService {
  private readonly logger = new Logger(SubmissionsService.name);

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly store: ApplicationStore,
    private readonly rows: SubmissionsRepository,
    private readonly attachments: AttachmentsService,
    private readonly procedures: ProceduresService,
    private readonly offices: OfficesService,
    private readonly accounts: EgovAccountsService,
    private readonly client: EgovClient,
    private readonly notices: NoticesService,
    private readonly audit: AuditService,
    private readonly events: FilingEventsRegistry,
    @Inject(SIGNING_CREDENTIALS) private readonly signing: SigningCredentialsPort,
    private readonly clientAccess: ClientAccessService,
    private readonly approvals: ApprovalGate,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Idempotent by key: the same key answers the same submission; another key for a submitted application is 409.
   * When an approval route (承認フロー) applies, nothing is filed: the application waits for approval
   * ({status: awaiting_approval, approvalId}) and the last approval starts the filing (startApproved).
   */
  async submit(
    tenantId: string,
    caller: Caller,
    applicationId: string,
    idempotencyKey: string,
  ): Promise<{ status: string; submissionId?: string; approvalId?: string }> {
    const account = await this.accounts.status(tenantId);
    if (!account.linked) throw egovNotLinked();
    // 顧問先: 404 outside the caller's clients, 403 right_missing without `submit` (replays included). After the
    // tenant-wide link check, which says nothing about the application (and answers as before in company tenants).
    await this.clientAccess.forApplication(caller, tenantId, applicationId, 'submit');
    await this.dryRun(tenantId, applicationId);
    await this.requireSignerIfNeeded(tenantId, applicationId);
    const trial = account.trialMode;
    const actor = actorOf(caller);
    const out = await this.ds.transaction(async (m) => {
      const app = [await this.store.lock(m, tenantId, applicationId)];
      const existing = await this.rows.forApplication(m, tenantId, applicationId);
      const same = existing.find((e) => e.idempotency_key === idempotencyKey);
      if (same) return { submissionId: same.id, status: app[0].status, replay: true };
      if (existing.some((e) => e.state !== 'failed')) throw FilingErrors.alreadySubmitted();
      if (app[0].status === 'ready' || app[0].status === 'awaiting_approval') {
        const parked = await this.approvals.park(
          m,
          tenantId,
          // The version the approvers approve: the one the move to awaiting_approval below gives it.
          { id: applicationId, version: app[0].version + (app[0].status === 'ready' ? 1 : 0) },
          'submit',
          actor,
          idempotencyKey,
        );
        if (parked?.created)
          await this.store.transition(m, tenantId, applicationId, {
            from: 'ready',
            to: 'awaiting_approval',
            actor,
            details: { approvalId: parked.approvalId },
          });
        if (parked) return { parked: true as const, approvalId: parked.approvalId, status: 'awaiting_approval', replay: !parked.created };
      }
      if (app[0].status !== 'ready') throw FilingErrors.notReady();
      const id = randomUUID();
      await this.rows.insert(m, { id, tenantId, applicationId, idempotencyKey, submittedBy: actor, trial });
      await this.store.transition(m, tenantId, applicationId, { from: 'ready', to: 'submitting', actor });
      await this.events.emit(m, { tenantId, type: 'application.submitted', applicationId, status: 'submitting' });
      return { submissionId: id, status: 'submitting', replay: false };
    });
    if ('parked' in out && out.parked) {
      if (!out.replay) await this.approvals.requested(tenantId, out.approvalId, applicationId, 'submit');
      return { status: out.status, approvalId: out.approvalId };
    }
    if (!out.replay)
      await this.audit.record({
        category: 'operation',
        action: 'application.submitted',
        outcome: 'success',
        tenantId,
        target: { type: 'application', id: applicationId },
        details: { submission: out.submissionId, trial },
      });
    return { status: out.status, submissionId: out.submissionId };
  }

  /**
   * The last approval of a submission (in the approver's transaction, under the application's row
   * lock): the filing starts as a normal submission by the requester, with the key of their submit.
   * The partial unique index on submissions and the `awaiting_approval` precondition of the
   * transition make a second start impossible. Returns the submission id.
   */
  async startApproved(
    m: EntityManager,
    tenantId: string,
    approval: Pick<ApprovalRow, 'application_id' | 'idempotency_key' | 'requested_by'>,
    approver: string,
  ) {
    const account = await this.accounts.status(tenantId);
    if (!account.linked) throw egovNotLinked();
    const id = randomUUID();
    await this.rows.insert(m, {
      id,
      tenantId,
      applicationId: approval.application_id,
      idempotencyKey: approval.idempotency_key,
      submittedBy: approval.requested_by,
      trial: account.trialMode,
    });
    const moved = await this.store.transition(m, tenantId, approval.application_id, {
      from: 'awaiting_approval',
      to: 'submitting',
      actor: approver,
      details: { approved: true },
    });
    if (!moved) throw FilingErrors.notReady();
    // The same event as a direct submission, in the same transaction (webhooks: application.submitted).
    await this.events.emit(m, { tenantId, type: 'application.submitted', applicationId: approval.application_id, status: 'submitting' });
    return { submissionId: id, trial: account.trialMode };
  }

  /** Audit of a filing started by its last approval (after the approver's transaction committed). */
  async approvedSubmitted(
    tenantId: string,
    applicationId: string,
    submissionId: string,
    trial: boolean,
    approvalId: string,
  ): Promise<void> {
    await this.audit.record({
      category: 'operation',
      action: 'application.submitted',
      outcome: 'success',
      tenantId,
      target: { type: 'application', id: applicationId },
      details: { submission: submissionId, trial, approval: approvalId },
    });
  }

  /**
   * A procedure that e-Gov accepts only signed cannot be sent without the tenant's certificate: a
   * clear 409 now rather than e-Gov's refusal later.
   */
  async requireSignerIfNeeded(tenantId: string, applicationId: string): Promise<void> {
    const app = await this.store.row(tenantId, applicationId);
    const def = this.procedures.get(app.procedure_code, app.procedure_version);
    if (signaturePolicyOf(egovFactsOf(def)) !== 'required') return;
    if (!(await this.signing.signerFor(tenantId))) throw FilingErrors.signatureRequired();
  }

  /**
   * A failed filing back to draft, so that the user can fix it and submit it
   * again. When the last attempt may have reached e-Gov (its outcome is
   * unknown), the user must first confirm, after looking at the account's
   * filings on e-Gov, that it did not arrive: else it could be filed twice.
   */
  async reopen(tenantId: string, caller: Caller, applicationId: string, confirmNotReceived: boolean) {
    // Back to draft to fix it: the `draft` right on its client.
    await this.clientAccess.forApplication(caller, tenantId, applicationId, 'draft');
    const actor = actorOf(caller);
    const out = await this.ds.transaction(async (m) => {
      const app = [await this.store.lock(m, tenantId, applicationId)];
      if (app[0].status !== 'failed') throw FilingErrors.notFailed();
      const unknown = !!(await this.rows.latest(tenantId, applicationId, m))?.outcome_unknown_since;
      if (unknown && !confirmNotReceived) throw FilingErrors.outcomeUnknown();
      await this.store.transition(m, tenantId, applicationId, {
        from: 'failed',
        to: 'draft',
        actor,
        set: { failure_reason: null, updated_by: actor },
        details: { reopened: true, confirmedNotReceived: unknown },
      });
      return { unknown, version: app[0].version + 1 };
    });
    await this.audit.record({
      category: 'operation',
      action: 'application.reopened',
      outcome: 'success',
      tenantId,
      target: { type: 'application', id: applicationId },
      details: { confirmedNotReceived: out.unknown },
    });
    return { status: 'draft' as const, version: out.version };
  }

  /**
   * Checks the package (without attachments) first, so what the user must fix (e.g. the office's
   * 事業所整理記号) is a 422 now, not a failed filing later. Only checks: the package is built once,
   * by the worker that sends it (checkPackage throws what buildPackage would).
   */
  async dryRun(tenantId: string, applicationId: string): Promise<void> {
    const app = await this.store.row(tenantId, applicationId);
    try {
      checkPackage(await this.packageInput(tenantId, app, false));
    } catch (e) {
      if (e instanceof EgovPackageError) throw FilingErrors.packageInvalid(e.message, e.path, e.code.replace(/^egov_package_/, ''));
      throw e;
    }
  }

  /**
   * Works through every due submission (scheduled; tests call it directly), up to
   * EGOV_SEND_CONCURRENCY at once and EGOV_SEND_CONCURRENCY_PER_TENANT per tenant; an attempt
   * whose outcome is unknown runs alone for its tenant (it adopts an orphan case). Returns how
   * many were handled.
   */
  runDue(limits = { global: this.config.egovSendConcurrency, perTenant: this.config.egovSendConcurrencyPerTenant }): Promise<number> {
    return runDueJobs(
      (excludeTenants) =>
        claimDue<Claimed>(
          this.ds,
          'submissions',
          'id, tenant_id, application_id, attempts, sending_started_at, outcome_unknown_since, submitted_by, trial',
          excludeTenants,
        ),
      (job) => this.send(job),
      (job, e) => this.failed(job, e),
      'egov_submit',
      limits,
      (job) => !!job.outcome_unknown_since && !job.trial,
    );
  }

  private async send(job: Claimed): Promise<void> {
    const t = job.tenant_id;
    const app = await this.store.row(t, job.application_id);
    const token = await this.accounts.accessToken(t);
    const def = this.procedures.get(app.procedure_code, app.procedure_version);
    // An earlier attempt may have reached e-Gov without us storing the answer: adopt that case instead of filing twice.
    // (A trial call files nothing, so there is nothing to adopt: it is simply sent again.)
    if (job.outcome_unknown_since && !job.trial) {
      const adopted = await this.adoptOrphan(t, token, job, procNameOf(def));
      if (adopted) return this.arrived(job, adopted, undefined, true);
    }
    const pkg = await this.buildFor(t, app.id);
    // Durable before the call: a crash while it is in flight leaves the outcome marked unknown.
    await this.rows.markOutcomeUnknown(job.id);
    let res: { arriveId: string; arriveDateText: string };
    try {
      res = await this.client.apply(token, pkg.procId, pkg.zip, pkg.fileName, { trial: job.trial });
    } catch (e) {
      // An error answer means e-Gov did not act: the next attempt just sends again.
      if (!(e instanceof EgovError && e.maybeProcessed) && !job.outcome_unknown_since) await this.rows.clearOutcomeUnknown(job.id);
      throw e;
    }
    await this.arrived(job, res.arriveId, res.arriveDateText, false);
  }

  /** The package to send for an application as it is now (form, office, attachments): the submission and a 補正 alike. */
  async buildFor(tenantId: string, applicationId: string, resubmit?: { firstArriveId: string }, amend?: { partialAmendOf: string }) {
    const app = await this.store.row(tenantId, applicationId);
    const input = await this.packageInput(tenantId, app, true);
    // The tenant's e-signature (XML-DSig in 署名情報) when a certificate is stored; unsigned otherwise.
    const signer = await this.signing.signerFor(tenantId);
    return buildPackage(
      {
        ...input,
        // kousei.xml 申請種別 and 初回受付番号 (the package lib reads them; 新規申請 when absent)
        ...(resubmit ? { applyType: '再提出' as const, firstArriveId: resubmit.firstArriveId } : {}),
        ...(amend ? { applyType: '部分補正' as const, firstArriveId: amend.partialAmendOf } : {}),
      },
      { signer },
    );
  }

  /** 申請者 of a package (and a withdrawal): the office for now (the sharoushi's own contact details are a follow-up). */
  async applicantOf(tenantId: string, officeId: string): Promise<{ name: string; address?: string }> {
    // Building the package (the caller's access was checked at the route): every office.
    const office = await this.offices.get(tenantId, officeId, ClientAccess.everything());
    return { name: office.name, address: office.address ?? undefined };
  }

  /** The tenant's signer (certificate storage), for the packages the other services build. */
  signerFor(tenantId: string) {
    return this.signing.signerFor(tenantId);
  }

  /** What the package is built from; without attachments for the dry run at submit time. */
  private async packageInput(
    t: string,
    app: Pick<ApplicationRow, 'id' | 'office_id' | 'procedure_code' | 'procedure_version' | 'form_sealed'>,
    withAttachments: boolean,
  ) {
    const def = this.procedures.get(app.procedure_code, app.procedure_version);
    const form = await this.store.openForm(t, app);
    const office = await this.offices.get(t, app.office_id, ClientAccess.everything());
    const attachments = withAttachments ? await this.attachments.forPackage(t, app.id) : [];
    // 社労士 filing for a client: the office's 提出代行証明書, zipped and listed as an attachment by the package lib.
    const proxyCertificate = withAttachments ? await this.signing.proxyCertificateFor(t, app.office_id) : undefined;
    return {
      ...(proxyCertificate ? { proxyCertificate } : {}),
      procedure: def,
      form,
      office: {
        name: office.name,
        address: office.address ?? undefined,
        pensionOfficeCode: office.pensionOfficeCode ?? undefined,
        pensionOfficeNumber: office.pensionOfficeNumber ?? undefined,
        employmentOfficeNumber: office.employmentOfficeNumber ?? undefined,
        laborInsuranceNumber: office.laborInsuranceNumber ?? undefined,
      },
      // 申請者連絡先情報: the office for now (the sharoushi's own contact details are a follow-up).
      applicant: { name: office.name, address: office.address ?? undefined },
      attachments,
    };
  }

  /**
   * The case an attempt with an unknown outcome created, found in GET /apply/lists (every page) by
   * procedure name and arrival time among the cases none of our applications holds
   * (egov-api/recovery.ts says what stays ambiguous). One → adopted; none → the package is sent again
   * (a duplicate at e-Gov can be withdrawn; adopting another filing could not be noticed); several →
   * no guess: the submission fails with its outcome still unknown, so that reopening it asks the
   * user to confirm, after looking at e-Gov, that it did not arrive.
   */
  private async adoptOrphan(tenantId: string, token: string, job: Claimed, procName: string): Promise<string | undefined> {
    const since = new Date((job.outcome_unknown_since as Date).getTime() - 60_000);
    const until = new Date(Date.now() + 60_000);
    const cases = await this.client.listCases(token, { from: since, to: until });
    const known = await this.store.knownArriveIds(cases.map((c) => c.arrive_id));
    const match = matchOrphanCase(cases, { since, until, procName, known });
    this.logger.warn({
      message: 'e-Gov submission retried after an unknown outcome',
      submission: job.id,
      tenant: tenantId,
      match: match.kind,
    });
    if (match.kind === 'one') return match.arriveId;
    if (match.kind === 'ambiguous')
      throw new EgovError(
        'permanent',
        `e-Gov に同じ手続の到達が${match.count}件あり、どれがこの申請か判断できません。e-Gov の申請案件一覧で確認してください。 / ` +
          `${match.count} cases of this procedure arrived at e-Gov in that time; which one is this filing cannot be told. Check the e-Gov case list.`,
        undefined,
        undefined,
        true,
      );
    return undefined;
  }

  private async arrived(job: Claimed, arriveId: string, arriveDate: string | undefined, adopted: boolean): Promise<void> {
    await this.ds.transaction(async (m) => {
      await this.rows.markSent(m, job.id);
      // 試行: e-Gov checked the package and filed nothing. No arrive_id is stored (the poll follows only
      // applications that have one, and there is no case to follow); the status and the timeline say so.
      const moved = await this.store.transition(m, job.tenant_id, job.application_id, {
        from: 'submitting',
        to: 'arrived',
        actor: 'system',
        set: job.trial ? { egov_status: TRIAL_EGOV_STATUS } : { arrive_id: arriveId, egov_status: '到達' },
        details: job.trial ? { trial: true, trialArriveId: arriveId, arriveDate } : { arriveId, arriveDate, adopted },
      });
      // Only this job moves an application out of submitting: anything else is a broken invariant, not a filing to forget.
      if (!moved) throw new Error(`application ${job.application_id} left submitting while its submission was in flight`);
      await this.notices.add(m, job.tenant_id, job.submitted_by, job.application_id, 'arrived');
      await this.events.emit(m, {
        tenantId: job.tenant_id,
        type: 'application.arrived',
        applicationId: job.application_id,
        status: 'arrived',
      });
    });
    await this.audit.record({
      category: 'operation',
      action: job.trial ? 'application.trial_sent' : 'application.arrived',
      outcome: 'success',
      tenantId: job.tenant_id,
      actor: { type: 'system' },
      target: { type: 'application', id: job.application_id },
      details: { arriveId, attempts: job.attempts, adopted, trial: job.trial },
    });
  }

  private async failed(job: Claimed, e: unknown): Promise<void> {
    const reason = failureReason(e);
    if (e instanceof EgovError && e.kind === 'auth') await this.accounts.expireAccessToken(job.tenant_id).catch(() => undefined);
    if (await retryLater(this.ds, 'submissions', job, e, this.logger, 'submission')) return;
    await this.ds.transaction(async (m) => {
      await this.rows.markFailed(m, job.id, reason);
      await this.store.transition(m, job.tenant_id, job.application_id, {
        from: 'submitting',
        to: 'failed',
        actor: 'system',
        set: { failure_reason: reason },
        details: { reason },
      });
      await this.notices.add(m, job.tenant_id, job.submitted_by, job.application_id, 'failed');
      await this.events.emit(m, {
        tenantId: job.tenant_id,
        type: 'application.failed',
        applicationId: job.application_id,
        status: 'failed',
      });
    });
    await this.audit.record({
      category: 'operation',
      action: 'application.submission_failed',
      outcome: 'failure',
      tenantId: job.tenant_id,
      actor: { type: 'system' },
      target: { type: 'application', id: job.application_id },
      details: { attempts: job.attempts, kind: e instanceof EgovError ? e.kind : 'internal' },
    });
  }
}
