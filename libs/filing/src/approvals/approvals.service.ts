import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditService } from '@charlotte/audit';
import { FieldError, NotFoundError, Principal, ValidationFailedError } from '@charlotte/core';
import { ApplicationStore } from '@charlotte/applications';
import { NoticesService, UserDirectoryService } from '@charlotte/notifications';
import { EgovActionsService } from '../egov-actions.service';
import { SubmissionsService } from '../submissions.service';
import { ApprovalErrors } from './approval-errors';
import { ApprovalGate, eligibleApprovers } from './approval-gate.service';
import { ApprovalRow, ApprovalsRepository, RouteRow } from './approvals.repository';
import { ApprovalListView, ApprovalRoutesDto, ApprovalRoutesView, ApprovalView, ListApprovalsQuery } from './dto/approvals.dto';

/**
 * Approval routes (承認フロー) and the decisions on approval requests. A decision runs under the
 * application's row lock and the request's: two approvers racing, a double click, or an edit at
 * the same moment are serialised, so the last approval starts the filing exactly once.
 */
@Injectable()
export class ApprovalsService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly rows: ApprovalsRepository,
    private readonly gate: ApprovalGate,
    private readonly store: ApplicationStore,
    private readonly submissions: SubmissionsService,
    private readonly actions: EgovActionsService,
    private readonly notices: NoticesService,
    private readonly audit: AuditService,
    private readonly directory: UserDirectoryService,
  ) {}

  async routes(tenantId: string): Promise<ApprovalRoutesView> {
    return { routes: (await this.rows.routes(tenantId)).map(routeView) };
  }

  /**
   * Replaces the tenant's routes. Approvers must be active users of the tenant; two routes of the
   * same 顧問先 (or both without one) cannot apply to the same action (which one would win?).
   * Approvals already under way keep the steps they started with.
   */
  async putRoutes(tenantId: string, userId: string, dto: ApprovalRoutesDto): Promise<ApprovalRoutesView> {
    const errors: FieldError[] = [];
    const everyone = [...new Set(dto.routes.flatMap((r) => r.steps.flatMap((s) => s.approvers.map((u) => u.toLowerCase()))))];
    const active = await this.rows.activeUsers(tenantId, everyone);
    const seen = new Map<string, number>();
    dto.routes.forEach((r, i) => {
      r.steps.forEach((s, j) =>
        s.approvers.forEach((u, k) => {
          if (!active.has(u.toLowerCase()))
            errors.push({
              field: `routes[${i}].steps[${j}].approvers[${k}]`,
              code: 'approver_not_active',
              message: 'approvers must be active users of this tenant',
            });
        }),
      );
      for (const a of r.appliesTo) {
        const key = `${r.clientId ?? ''}/${a}`;
        if (seen.has(key))
          errors.push({
            field: `routes[${i}].appliesTo`,
            code: 'route_overlap',
            params: { other: seen.get(key) as number },
            message: `another route already applies to ${a} for the same client`,
          });
        else seen.set(key, i);
      }
    });
    if (errors.length) throw new ValidationFailedError(errors);
    const rows: RouteRow[] = dto.routes.map((r) => ({
      id: r.id ?? randomUUID(),
      client_id: r.clientId ?? null,
      applies_to: r.appliesTo,
      steps: r.steps.map((s) => ({ approvers: s.approvers.map((u) => u.toLowerCase()), mode: s.mode })),
      allow_self_approval: r.allowSelfApproval === true,
    }));
    if (new Set(rows.map((r) => r.id)).size !== rows.length)
      throw new ValidationFailedError([{ field: 'routes', code: 'duplicate_id', message: 'route ids must be unique' }]);
    await this.ds.transaction((m) => this.rows.replaceRoutes(m, tenantId, userId, rows));
    await this.audit.record({
      category: 'operation',
      action: 'approval_route.updated',
      outcome: 'success',
      tenantId,
      target: { type: 'approval_routes', id: tenantId },
      details: { routes: rows.length, steps: rows.reduce((n, r) => n + r.steps.length, 0) },
    });
    return this.routes(tenantId);
  }

  async list(tenantId: string, p: Principal, q: ListApprovalsQuery): Promise<ApprovalListView> {
    let rows: ApprovalRow[];
    if (q.assigned === 'me') {
      const decided = await this.rows.decisions(
        tenantId,
        (rows = await this.rows.assignedTo(tenantId, p.userId)).map((r) => r.id),
      );
      rows = rows.filter(
        (r) =>
          eligibleApprovers(r.steps[r.current_step].approvers, r.allow_self_approval, r.requested_by).includes(p.userId) &&
          !decided.some((d) => d.approval_id === r.id && d.step === r.current_step && d.user_id === p.userId),
      );
    } else if (q.applicationId) rows = await this.rows.ofApplication(tenantId, q.applicationId);
    else rows = await this.rows.recent(tenantId);
    return { items: await this.views(tenantId, p.userId, rows) };
  }

  async get(tenantId: string, p: Principal, id: string): Promise<ApprovalView> {
    const r = await this.rows.get(tenantId, id);
    if (!r) throw new NotFoundError('approval');
    return (await this.views(tenantId, p.userId, [r]))[0];
  }

  async approve(tenantId: string, p: Principal, id: string, comment: string | undefined): Promise<ApprovalView> {
    const actor = `user:${p.userId}`;
    const first = await this.rows.get(tenantId, id);
    if (!first) throw new NotFoundError('approval');
    const out = await this.ds.transaction(async (m) => {
      // The application's row lock first (as an edit takes it), then the request's.
      const app = await this.store.lock(m, tenantId, first.application_id);
      const a = await this.rows.get(tenantId, id, m, true);
      if (!a) throw new NotFoundError('approval');
      const step = this.assertCanDecide(a, p.userId);
      const decisionId = randomUUID();
      const sealed = comment ? await this.gate.sealComment(tenantId, decisionId, comment) : null;
      const added = await this.rows.addDecision(m, tenantId, {
        id: decisionId,
        approvalId: a.id,
        step: a.current_step,
        userId: p.userId,
        decision: 'approved',
        comment: sealed,
      });
      if (!added) throw ApprovalErrors.alreadyDecided();
      const eligible = eligibleApprovers(step.approvers, a.allow_self_approval, a.requested_by);
      const approvedBy = (await this.rows.decisions(tenantId, [a.id], m))
        .filter((d) => d.step === a.current_step && d.decision === 'approved')
        .map((d) => d.user_id);
      const stepDone = step.mode === 'any' || eligible.every((u) => approvedBy.includes(u));
      if (!stepDone) return { a, final: false };
      if (a.current_step + 1 < a.steps.length) {
        await this.rows.setStep(m, tenantId, a.id, a.current_step + 1);
        await this.gate.notifyStep(m, tenantId, a.application_id, a.steps[a.current_step + 1].approvers, 'approval_requested');
        return { a, final: false };
      }
      let started: { submissionId: string; trial: boolean } | undefined;
      if (a.action === 'submit') {
        // What was approved is what is filed: an edit cancels the approval, so this holds unless something skipped that.
        if (app.status !== 'awaiting_approval' || app.version !== a.application_version) throw ApprovalErrors.notPending();
        started = await this.submissions.startApproved(m, tenantId, a, actor);
      }
      await this.rows.close(m, tenantId, a.id, 'approved');
      await this.notices.add(m, tenantId, a.requested_by, a.application_id, 'approval_approved');
      return { a, final: true, started };
    });
    await this.audit.record({
      category: 'operation',
      action: 'approval.approved',
      outcome: 'success',
      tenantId,
      target: { type: 'approval', id },
      details: { applicationId: out.a.application_id, step: out.a.current_step, final: out.final },
    });
    if (out.started)
      await this.submissions.approvedSubmitted(tenantId, out.a.application_id, out.started.submissionId, out.started.trial, id);
    // 補正 and 取下げ start after the approval committed, as the requester's own request (its key: a retry replays).
    if (out.final && out.a.action !== 'submit') await this.startAction(tenantId, out.a);
    return this.get(tenantId, p, id);
  }

  async sendBack(tenantId: string, p: Principal, id: string, comment: string): Promise<ApprovalView> {
    const actor = `user:${p.userId}`;
    const first = await this.rows.get(tenantId, id);
    if (!first) throw new NotFoundError('approval');
    const a = await this.ds.transaction(async (m) => {
      await this.store.lock(m, tenantId, first.application_id);
      const a = await this.rows.get(tenantId, id, m, true);
      if (!a) throw new NotFoundError('approval');
      this.assertCanDecide(a, p.userId);
      const decisionId = randomUUID();
      const added = await this.rows.addDecision(m, tenantId, {
        id: decisionId,
        approvalId: a.id,
        step: a.current_step,
        userId: p.userId,
        decision: 'sent_back',
        comment: await this.gate.sealComment(tenantId, decisionId, comment),
      });
      if (!added) throw ApprovalErrors.alreadyDecided();
      await this.rows.close(m, tenantId, a.id, 'sent_back');
      if (a.action === 'submit')
        await this.store.transition(m, tenantId, a.application_id, {
          from: 'awaiting_approval',
          to: 'draft',
          actor,
          details: { approvalId: a.id, sentBack: true },
        });
      await this.notices.add(m, tenantId, a.requested_by, a.application_id, 'approval_sent_back');
      return a;
    });
    await this.audit.record({
      category: 'operation',
      action: 'approval.sent_back',
      outcome: 'success',
      tenantId,
      target: { type: 'approval', id },
      details: { applicationId: a.application_id, step: a.current_step },
    });
    return this.get(tenantId, p, id);
  }

  /** The step the caller may decide now, or why not (403 not_approver / self_approval_not_allowed, 409 approval_not_pending). */
  private assertCanDecide(a: ApprovalRow, userId: string) {
    if (a.status !== 'pending') throw ApprovalErrors.notPending();
    const step = a.steps[a.current_step];
    if (!step.approvers.includes(userId)) throw ApprovalErrors.notApprover();
    // Four eyes: the requester does not approve their own request unless the route says so.
    if (!a.allow_self_approval && a.requested_by === `user:${userId}`) throw ApprovalErrors.selfApproval();
    return step;
  }

  private async startAction(tenantId: string, a: ApprovalRow): Promise<void> {
    const who = { kind: 'approved' as const, actor: a.requested_by };
    if (a.action === 'amend') await this.actions.amend(tenantId, who, a.application_id, a.idempotency_key, a.amend_version ?? -1);
    else {
      const reason = a.reason_sealed ? await this.gate.openReason(tenantId, a.id, a.reason_sealed) : '';
      await this.actions.withdraw(tenantId, who, a.application_id, a.idempotency_key, reason);
    }
  }

  private async views(tenantId: string, userId: string, rows: ApprovalRow[]): Promise<ApprovalView[]> {
    const decisions = await this.rows.decisions(
      tenantId,
      rows.map((r) => r.id),
    );
    const ids = new Set<string>();
    for (const r of rows) {
      r.steps.forEach((s) => s.approvers.forEach((u) => ids.add(u)));
      if (r.requested_by.startsWith('user:')) ids.add(r.requested_by.slice(5));
    }
    decisions.forEach((d) => ids.add(d.user_id));
    const people = await this.directory.displayNames(tenantId, [...ids]);
    const out: ApprovalView[] = [];
    for (const r of rows) {
      const mine = decisions.filter((d) => d.approval_id === r.id);
      const steps = [];
      for (const [i, s] of r.steps.entries()) {
        const ds = [];
        for (const d of mine.filter((x) => x.step === i))
          ds.push({
            userId: d.user_id,
            decision: d.decision,
            comment: d.comment_sealed ? await this.gate.openComment(tenantId, d.id, d.comment_sealed) : null,
            at: new Date(d.created_at).toISOString(),
          });
        steps.push({ approvers: s.approvers, mode: s.mode, decisions: ds });
      }
      const step = r.steps[r.current_step];
      out.push({
        id: r.id,
        applicationId: r.application_id,
        procedureCode: r.procedure_code,
        action: r.action,
        status: r.status,
        currentStep: r.current_step,
        steps,
        allowSelfApproval: r.allow_self_approval,
        applicationVersion: r.application_version,
        requestedBy: r.requested_by.startsWith('user:') ? r.requested_by.slice(5) : null,
        requestedAt: new Date(r.created_at).toISOString(),
        decidedAt: r.decided_at ? new Date(r.decided_at).toISOString() : null,
        canDecide:
          r.status === 'pending' &&
          eligibleApprovers(step.approvers, r.allow_self_approval, r.requested_by).includes(userId) &&
          !mine.some((d) => d.step === r.current_step && d.user_id === userId),
        people: people.filter(
          (x) =>
            r.steps.some((s) => s.approvers.includes(x.id)) || r.requested_by === `user:${x.id}` || mine.some((d) => d.user_id === x.id),
        ),
      });
    }
    return out;
  }
}

function routeView(r: RouteRow) {
  return { id: r.id, clientId: r.client_id, appliesTo: r.applies_to, steps: r.steps, allowSelfApproval: r.allow_self_approval };
}
