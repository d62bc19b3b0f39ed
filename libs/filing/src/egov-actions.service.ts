import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '@charlotte/audit';
import { APP_CONFIG, AppConfig, Caller } from '@charlotte/core';
import { KeyRotationService, SealingService } from '@charlotte/crypto';
import {
  actorOf,
  ApplicationsErrors,
  ApplicationStatus,
  ApplicationStore,
  ClientAccessService,
  EgovActionDto,
  WITHDRAWABLE,
} from '@charlotte/applications';
import { ProceduresService } from '@charlotte/procedures';
import type { EgovActionAcceptedView } from './dto/filing.dto';
import { CaseNoticesService } from './case-notices.service';
import { EgovAccountsService, egovNotLinked } from './egov-accounts.service';
import { EgovClient, EgovError } from './egov-client';
import { NoticeKind, NoticesService } from '@charlotte/notifications';
import { claimDue, failureReason, retryLater, runDueJobs } from './durable-job';
import { EgovActionKind, EgovActionRow, EgovActionsRepository } from './egov-actions.repository';
import { PURPOSE } from './sealing-purposes';
import { SubmissionsService } from './submissions.service';
import { mapEgovStatus } from './status-tracker.service';
import { FilingErrors } from './errors';
import { CorrectType } from './egov-api/types';
import { matchOrphanCase } from './egov-api/recovery';
import { buildWithdrawalPackage } from './withdrawal-package';
import { procNameOf } from './signing-hook';
import { ApprovalGate } from './approvals/approval-gate.service';
import type { ApprovalAcceptedView } from './approvals/dto/approvals.dto';

export type { EgovActionKind, EgovActionState } from './egov-actions.repository';

/** A 補正/取下げ started by the last approval of its route (承認フロー), as its requester's request. */
export interface ApprovedRequest {
  kind: 'approved';
  actor: string;
}
const actorOfRequest = (who: Caller | ApprovedRequest) => (who.kind === 'approved' ? who.actor : actorOf(who));

const REASON = PURPOSE.egovActionReason;

type Claimed = Pick<
  EgovActionRow,
  'id' | 'tenant_id' | 'application_id' | 'kind' | 'attempts' | 'sending_started_at' | 'requested_by' | 'reason_sealed'
>;

const FAILED_NOTICE: Record<EgovActionKind, NoticeKind> = { amend: 'amend_failed', withdraw: 'withdraw_failed' };

/**
 * 補正 (amend) and 取下げ (withdraw) of a filed application, as durable jobs
 * like the submission: the request is recorded with its Idempotency-Key (202),
 * at most one is on its way per application (a partial unique index), and the
 * worker sends it under a lease with retries. Neither call is idempotent at
 * e-Gov, so a retry after an unknown outcome first reads the case: a case no
 * longer waiting for correction, or already withdrawn, means the earlier
 * attempt got through.
 */
@Injectable()
export class EgovActionsService {
  private readonly logger = new Logger(EgovActionsService.name);

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly sealing: SealingService,
    private readonly store: ApplicationStore,
    private readonly rows: EgovActionsRepository,
    private readonly procedures: ProceduresService,
    private readonly submissions: SubmissionsService,
    private readonly accounts: EgovAccountsService,
    private readonly client: EgovClient,
    private readonly notices: NoticesService,
    private readonly caseNotices: CaseNoticesService,
    private readonly audit: AuditService,
    private readonly clientAccess: ClientAccessService,
    private readonly approvals: ApprovalGate,
    rotation: KeyRotationService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    rotation.register({ table: 'egov_actions', column: 'reason_sealed', purpose: REASON });
  }

  /** 補正: sends the application as it is now (edited since the correction request) for the case waiting for correction. */
  async amend(
    tenantId: string,
    caller: Caller | ApprovedRequest,
    applicationId: string,
    idempotencyKey: string,
    version: number,
  ): Promise<EgovActionAcceptedView | ApprovalAcceptedView> {
    // 顧問先: 404 outside the caller's clients, 403 right_missing without `submit` (replays included).
    // An approved request was checked when it was made (it runs as its requester).
    if (caller.kind !== 'approved') await this.clientAccess.forApplication(caller, tenantId, applicationId, 'submit');
    const replay = await this.replay(tenantId, applicationId, idempotencyKey, 'amend');
    if (replay) return replay;
    const app = await this.current(tenantId, applicationId);
    if (!(await this.accounts.status(tenantId)).linked) throw egovNotLinked();
    if (app.status !== 'correction_requested') throw FilingErrors.notCorrectable();
    // A correction (部分補正 or 再提出) is signed like the filing: refused now when it cannot be.
    await this.submissions.requireSignerIfNeeded(tenantId, applicationId);
    // Every rule at once, as POST /validate answers them; then the package as e-Gov will get it (without attachments).
    const def = this.procedures.get(app.procedure_code, app.procedure_version);
    const form = await this.store.openForm(tenantId, app);
    const errors = this.procedures.validate(def, form, 'complete');
    if (errors.length)
      throw FilingErrors.formIncomplete(
        errors.map((e) => ({ field: `form.${e.field}`, code: e.code, message: e.message, messageEn: e.messageEn })),
      );
    await this.submissions.dryRun(tenantId, applicationId);
    return this.record(
      tenantId,
      actorOfRequest(caller),
      applicationId,
      'amend',
      idempotencyKey,
      null,
      (status, v) => {
        if (status !== 'correction_requested') throw FilingErrors.notCorrectable();
        if (v !== version) throw ApplicationsErrors.versionConflict();
      },
      caller.kind === 'approved' ? undefined : { amendVersion: version },
    );
  }

  /** 取下げ with the applicant's reason (sealed: it may name the insured person). */
  async withdraw(
    tenantId: string,
    caller: Caller | ApprovedRequest,
    applicationId: string,
    idempotencyKey: string,
    reason: string,
  ): Promise<EgovActionAcceptedView | ApprovalAcceptedView> {
    // 顧問先: 404 outside the caller's clients, 403 right_missing without `submit` (replays included).
    // An approved request was checked when it was made (it runs as its requester).
    if (caller.kind !== 'approved') await this.clientAccess.forApplication(caller, tenantId, applicationId, 'submit');
    const replay = await this.replay(tenantId, applicationId, idempotencyKey, 'withdraw');
    if (replay) return replay;
    // An application sent in 試行 mode is "arrived" without a case at e-Gov (no arrive_id): nothing to withdraw.
    const cur = await this.current(tenantId, applicationId);
    if (WITHDRAWABLE.includes(cur.status) && !cur.arrive_id) throw FilingErrors.notFiled();
    if (!(await this.accounts.status(tenantId)).linked) throw egovNotLinked();
    // The withdrawal package is signed like any package: refused now when it cannot be.
    await this.submissions.requireSignerIfNeeded(tenantId, applicationId);
    return this.record(
      tenantId,
      actorOfRequest(caller),
      applicationId,
      'withdraw',
      idempotencyKey,
      reason.trim(),
      (status) => {
        if (!WITHDRAWABLE.includes(status)) throw FilingErrors.notWithdrawable(status);
      },
      caller.kind === 'approved' ? undefined : {},
    );
  }

  private current(tenantId: string, applicationId: string) {
    return this.store.row(tenantId, applicationId);
  }

  /** The same key answers the same action (with its state now); the key of the other kind is a client bug. */
  private async replay(
    tenantId: string,
    applicationId: string,
    key: string,
    kind: EgovActionKind,
  ): Promise<Required<Omit<EgovActionAcceptedView, 'approvalId'>> | undefined> {
    const r = await this.rows.byKey(tenantId, applicationId, key);
    if (!r) return undefined;
    if (r.kind !== kind) throw FilingErrors.idempotencyKeyReused(r.kind);
    const app = await this.store.row(tenantId, applicationId);
    return { actionId: r.id, kind: r.kind, state: r.state, status: app.status };
  }

  /**
   * Records the action for the worker; with `gate` (a request not yet approved) an applicable
   * approval route (承認フロー) parks it instead: 202 {status: awaiting_approval, approvalId}, and
   * its last approval calls amend/withdraw again with `approved` (the requester as actor, no gate).
   */
  private async record(
    tenantId: string,
    actor: string,
    applicationId: string,
    kind: EgovActionKind,
    key: string,
    reason: string | null,
    check: (status: ApplicationStatus, version: number) => void,
    gate?: { amendVersion?: number },
  ): Promise<EgovActionAcceptedView | ApprovalAcceptedView> {
    const id = randomUUID();
    const reasonSealed = reason === null ? null : await this.sealing.seal(tenantId, REASON, id, reason);
    const out = await this.ds.transaction(async (m) => {
      const app = [await this.store.lock(m, tenantId, applicationId)];
      // Under the row lock: a concurrent request with the same key lands here second and replays.
      const same = await this.replay(tenantId, applicationId, key, kind);
      if (same) return { ...same, replayed: true };
      check(app[0].status, app[0].version);
      const busy = await this.rows.inFlight(m, tenantId, applicationId);
      if (busy) throw FilingErrors.actionInProgress(busy.kind);
      if (gate) {
        const parked = await this.approvals.park(m, tenantId, app[0], kind, actor, key, {
          amendVersion: gate.amendVersion,
          reasonSealed: reason === null ? undefined : (approvalId) => this.approvals.sealReason(tenantId, approvalId, reason),
        });
        if (parked) return { parked: true as const, approvalId: parked.approvalId, created: parked.created };
      }
      await this.rows.insert(m, { id, tenantId, applicationId, kind, key, reasonSealed, requestedBy: actor });
      await this.store.event(m, tenantId, applicationId, `${kind}_requested`, actor, { action: id });
      return { actionId: id, kind, state: 'pending' as const, status: app[0].status, replayed: false };
    });
    if ('parked' in out) {
      if (out.created) await this.approvals.requested(tenantId, out.approvalId, applicationId, kind);
      return { status: 'awaiting_approval', approvalId: out.approvalId };
    }
    if (!out.replayed)
      await this.audit.record({
        category: 'operation',
        action: kind === 'amend' ? 'application.amend_requested' : 'application.withdraw_requested',
        outcome: 'success',
        tenantId,
        target: { type: 'application', id: applicationId },
        details: { action: out.actionId },
      });
    return { actionId: out.actionId, kind: out.kind, state: out.state, status: out.status };
  }

  /** The latest 補正/取下げ of an application, for its detail view. */
  async latest(tenantId: string, applicationId: string): Promise<EgovActionDto | null> {
    const r = await this.rows.latest(tenantId, applicationId);
    if (!r) return null;
    return {
      id: r.id,
      kind: r.kind,
      state: r.state,
      lastError: r.state === 'failed' || r.state === 'pending' ? r.last_error : null,
      createdAt: new Date(r.created_at).toISOString(),
      updatedAt: new Date(r.updated_at).toISOString(),
    };
  }

  /** True while a 補正 or 取下げ is on its way: the form stays as it is being sent. */
  async inFlight(m: EntityManager | DataSource, tenantId: string, applicationId: string): Promise<boolean> {
    return (await this.rows.inFlight(m, tenantId, applicationId)) !== undefined;
  }

  /** Works through every due 補正/取下げ (scheduled with the submission worker; tests call it directly). */
  runDue(limits = { global: this.config.egovSendConcurrency, perTenant: this.config.egovSendConcurrencyPerTenant }): Promise<number> {
    return runDueJobs(
      (excludeTenants) =>
        claimDue<Claimed>(
          this.ds,
          'egov_actions',
          'id, tenant_id, application_id, kind, attempts, sending_started_at, requested_by, reason_sealed',
          excludeTenants,
        ),
      (job) => this.send(job),
      (job, e) => this.failed(job, e),
      'egov_actions',
      limits,
      // A retry may look for its case among the tenant's recent arrivals: alone for its tenant.
      (job) => job.attempts > 1,
    );
  }

  /**
   * 補正 as e-Gov asks it (the 補正種別 of the latest 補正 notice): 部分補正 → POST /apply/amend with
   * the corrected package (申請種別 部分補正, 初回受付番号 = arrive_id); 再提出 or 手続終了(再提出可)
   * → a new POST /apply with 申請種別 再提出 and 初回受付番号 = the first arrive_id, whose new
   * arrive_id the application then follows (the first one stays in the timeline). 取下げ → POST
   * /apply/withdraw with a withdrawal package (kousei of 9990000000000003 + torisageirai.xml).
   */
  private async send(job: Claimed): Promise<void> {
    const t = job.tenant_id;
    const app = await this.store.row(t, job.application_id);
    const arriveId = app.arrive_id;
    if (!arriveId) throw FilingErrors.notFiled();
    const token = await this.accounts.accessToken(t);
    const def = this.procedures.get(app.procedure_code, app.procedure_version);
    const correctType = job.kind === 'amend' ? await this.caseNotices.latestCorrectType(t, job.application_id) : undefined;
    const resubmit = correctType === CorrectType.Resubmit || correctType === CorrectType.EndedResubmittable;
    if (job.attempts > 1) {
      // The earlier attempt may have reached e-Gov without us storing the answer.
      if (resubmit) {
        // A 再提出 is a new case: looked for like a submission with an unknown outcome (never guessed).
        const since = new Date((job.sending_started_at ?? new Date()).getTime() - 60_000);
        const until = new Date(Date.now() + 60_000);
        const cases = await this.client.listCases(token, { from: since, to: until });
        const known = await this.store.knownArriveIds(cases.map((c) => c.arrive_id));
        const match = matchOrphanCase(cases, { since, until, procName: procNameOf(def), known });
        if (match.kind === 'one') return this.done(job, arriveId, token, '到達', { newArriveId: match.arriveId });
        if (match.kind === 'ambiguous')
          throw new EgovError(
            'permanent',
            `再提出が e-Gov に届いたか判断できません（候補${match.count}件）。e-Gov の申請案件一覧で確認してください。 / Cannot tell whether the resubmission arrived (${match.count} candidates). Check the e-Gov case list.`,
          );
      } else {
        const c = await this.client.getCase(token, arriveId);
        const now = mapEgovStatus(c.status);
        const through =
          job.kind === 'amend'
            ? now !== undefined && now !== 'correction_requested'
            : (c.notice_list ?? []).some((n) => (n.notice_data_type ?? '').includes('取下'));
        if (through) return this.done(job, arriveId, token, c.status);
      }
    }
    if (job.kind === 'amend' && resubmit) {
      const pkg = await this.submissions.buildFor(t, job.application_id, { firstArriveId: arriveId });
      const res = await this.client.apply(token, pkg.procId, pkg.zip, pkg.fileName);
      return this.done(job, arriveId, token, '到達', { newArriveId: res.arriveId });
    }
    if (job.kind === 'amend') {
      const pkg = await this.submissions.buildFor(t, job.application_id, undefined, { partialAmendOf: arriveId });
      await this.client.amend(token, arriveId, pkg.zip, pkg.fileName);
      return this.done(job, arriveId, token, '審査中');
    }
    const reason = await this.sealing.openString(t, REASON, job.id, job.reason_sealed as Buffer);
    const office = await this.submissions.applicantOf(t, app.office_id);
    const pkg = await buildWithdrawalPackage({
      arriveId,
      procName: procNameOf(def),
      applicant: office,
      reason,
      requestedAt: new Date(),
      signer: await this.submissions.signerFor(t),
    });
    await this.client.withdraw(token, arriveId, pkg.zip, pkg.fileName);
    // The withdrawal's own status string is e-Gov's (the poll reads it); until then the last one seen stays.
    return this.done(job, arriveId, token, null);
  }

  private async done(
    job: Claimed,
    arriveId: string,
    token: string,
    egovStatus: string | null,
    resubmitted?: { newArriveId: string },
  ): Promise<void> {
    const t = job.tenant_id;
    const to: ApplicationStatus = job.kind === 'amend' ? 'under_review' : 'withdrawn';
    const from: readonly ApplicationStatus[] = job.kind === 'amend' ? ['correction_requested'] : WITHDRAWABLE;
    const moved = await this.ds.transaction(async (m) => {
      await this.rows.markDone(m, job.id);
      const cur = await this.store.lock(m, t, job.application_id);
      // The status poll may have moved it meanwhile (e.g. to withdrawn): then only the event is recorded.
      const prev = from.includes(cur.status) ? cur.status : undefined;
      const flag = job.kind === 'amend' ? 'amended' : 'withdrawn';
      // A 再提出 is a new case at e-Gov: the application follows its arrive_id from now on; the first one stays here.
      const details = resubmitted
        ? { action: job.id, [flag]: true, resubmitted: true, firstArriveId: arriveId, arriveId: resubmitted.newArriveId }
        : { action: job.id, [flag]: true };
      const set = {
        ...(egovStatus !== null ? { egov_status: egovStatus.slice(0, 100) } : {}),
        ...(resubmitted ? { arrive_id: resubmitted.newArriveId } : {}),
      };
      if (prev)
        await this.store.transition(m, t, job.application_id, {
          from: prev,
          to,
          actor: 'system',
          // e-Gov's own status string when its answer carried one; else the last one seen stays.
          set,
          details,
        });
      // Moved meanwhile: only the event, except that a 再提出's new case must still be followed.
      else if (resubmitted)
        await this.store.change(m, t, job.application_id, { arrive_id: resubmitted.newArriveId }, { kind: flag, actor: 'system', details });
      else await this.store.event(m, t, job.application_id, flag, 'system', details);
      await this.notices.add(m, t, job.requested_by, job.application_id, job.kind === 'amend' ? 'amended' : 'withdrawn');
      return !!prev;
    });
    await this.audit.record({
      category: 'operation',
      action: job.kind === 'amend' ? 'application.amended' : 'application.withdrawn',
      outcome: 'success',
      tenantId: t,
      actor: { type: 'system' },
      target: { type: 'application', id: job.application_id },
      details: { action: job.id, attempts: job.attempts, statusChanged: moved, resubmitted: !!resubmitted },
    });
    // The receipt of a 取下げ (and any other new notice) is kept with the application; best effort.
    try {
      const c = await this.client.getCase(token, resubmitted?.newArriveId ?? arriveId);
      await this.caseNotices.sync(t, job.application_id, token, c);
    } catch (e) {
      this.logger.warn({ message: 'e-Gov notices not fetched after an action', action: job.id, error: (e as Error).message });
    }
  }

  private async failed(job: Claimed, e: unknown): Promise<void> {
    const reason = failureReason(e);
    if (e instanceof EgovError && e.kind === 'auth') await this.accounts.expireAccessToken(job.tenant_id).catch(() => undefined);
    if (await retryLater(this.ds, 'egov_actions', job, e, this.logger, job.kind)) return;
    await this.ds.transaction(async (m) => {
      await this.rows.markFailed(m, job.id, reason);
      await this.store.event(m, job.tenant_id, job.application_id, `${job.kind}_failed`, 'system', { action: job.id, reason });
      await this.notices.add(m, job.tenant_id, job.requested_by, job.application_id, FAILED_NOTICE[job.kind]);
    });
    await this.audit.record({
      category: 'operation',
      action: job.kind === 'amend' ? 'application.amend_failed' : 'application.withdraw_failed',
      outcome: 'failure',
      tenantId: job.tenant_id,
      actor: { type: 'system' },
      target: { type: 'application', id: job.application_id },
      details: { action: job.id, attempts: job.attempts, kind: e instanceof EgovError ? e.kind : 'internal' },
    });
  }
}
