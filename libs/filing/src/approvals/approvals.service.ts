import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '@charlotte/audit';
import { decodeCursor, encodeCursor, FieldError, NotFoundError, Principal, ValidationFailedError } from '@charlotte/core';
import { ApplicationStore, ClientAccess, ClientAccessService } from '@charlotte/applications';
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
    private readonly clientAccess: ClientAccessService,
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
    // A route's 顧問先 must be a client of this tenant: another tenant's client id (or a made-up one) would
    // be stored as a route nobody can see the point of, and would tell nothing about the other tenant.
    const named = [...new Set(dto.routes.map((r) => r.clientId?.toLowerCase()).filter((c): c is string => !!c))];
    const known = await this.rows.clientsOf(tenantId, named);
    // What each staff approver sees of the clients (admins see every client): an approver of a client's route
    // must be able to open that client's applications, or the request would wait for someone who gets 404.
    const scopes = new Map<string, ClientAccess>();
    const scopeOf = async (u: string): Promise<ClientAccess> => {
      if (active.get(u) === 'admin') return ClientAccess.everything();
      let got = scopes.get(u);
      if (!got) scopes.set(u, (got = await this.clientAccess.ofUser(tenantId, u)));
      return got;
    };
    const seen = new Map<string, number>();
    for (const [i, r] of dto.routes.entries()) {
      const clientId = r.clientId ? r.clientId.toLowerCase() : null;
      if (clientId && !known.has(clientId))
        errors.push({ field: `routes[${i}].clientId`, code: 'unknown_client', message: 'clientId must be a client of this tenant' });
      for (const [j, s] of r.steps.entries())
        for (const [k, raw] of s.approvers.entries()) {
          const u = raw.toLowerCase();
          const field = `routes[${i}].steps[${j}].approvers[${k}]`;
          if (!active.has(u)) errors.push({ field, code: 'approver_not_active', message: 'approvers must be active users of this tenant' });
          else if (clientId && known.has(clientId) && !(await scopeOf(u)).sees(clientId))
            errors.push({
              field,
              code: 'approver_cannot_see_client',
              message: 'approvers of a client route must see that client (assigned to it, or to all clients, or an administrator)',
            });
        }
      for (const a of r.appliesTo) {
        const key = `${clientId ?? ''}/${a}`;
        if (seen.has(key))
          errors.push({
            field: `routes[${i}].appliesTo`,
            code: 'route_overlap',
            params: { other: seen.get(key) as number },
            message: `another route already applies to ${a} for the same client`,
          });
        else seen.set(key, i);
      }
    }
    if (errors.length) throw new ValidationFailedError(errors);
    const rows: RouteRow[] = dto.routes.map((r) => ({
      id: r.id ?? randomUUID(),
      client_id: r.clientId ? r.clientId.toLowerCase() : null,
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

  /** One page of approval requests the caller sees (see ApprovalsRepository.page). */
  async list(tenantId: string, p: Principal, q: ListApprovalsQuery): Promise<ApprovalListView> {
    const limit = q.limit ?? 50;
    const after = decodeCursor(q.cursor, ['c', 'i'] as const);
    const access = await this.clientAccess.of(p);
    const rows = await this.rows.page(tenantId, access, {
      assignedTo: q.assigned === 'me' ? p.userId : undefined,
      applicationId: q.applicationId?.toLowerCase(),
      limit,
      after,
    });
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: await this.views(tenantId, p.userId, page),
      nextCursor: rows.length > limit && last ? encodeCursor({ c: last.c, i: last.id }) : null,
    };
  }

  async get(tenantId: string, p: Principal, id: string): Promise<ApprovalView> {
    const r = await this.visible(tenantId, p, id);
    return (await this.views(tenantId, p.userId, [r]))[0];
  }

  /**
   * The request, if the caller may see it: in the tenant, and on an application of a 顧問先 the caller
   * sees now (404 otherwise, like another tenant's id). Asked again at decision time, so a staff member
   * who lost the assignment, or a user who was disabled or is no longer admin/member, cannot decide on
   * a request whose route still names them.
   */
  private async visible(tenantId: string, p: Principal, id: string, m?: EntityManager): Promise<ApprovalRow> {
    const r = await this.rows.get(tenantId, id, m);
    if (!r) throw new NotFoundError('approval');
    if (!(await this.rows.activeUsers(tenantId, [p.userId], m)).has(p.userId)) throw new NotFoundError('approval');
    const access = await this.clientAccess.of(p, m);
    try {
      await this.clientAccess.application(tenantId, access, r.application_id, undefined, m);
    } catch (e) {
      if (e instanceof NotFoundError) throw new NotFoundError('approval');
      throw e;
    }
    return r;
  }

  async approve(tenantId: string, p: Principal, id: string, comment: string | undefined): Promise<ApprovalView> {
    const actor = `user:${p.userId}`;
    const first = await this.visible(tenantId, p, id);
    const out = await this.ds.transaction(async (m) => {
      // The application's row lock first (as an edit takes it), then the request's.
      const app = await this.store.lock(m, tenantId, first.application_id);
      const a = await this.rows.get(tenantId, id, m, true);
      if (!a) throw new NotFoundError('approval');
      // Under the locks: an assignment removed or a user disabled a moment ago counts.
      await this.visible(tenantId, p, id, m);
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
    const first = await this.visible(tenantId, p, id);
    const a = await this.ds.transaction(async (m) => {
      await this.store.lock(m, tenantId, first.application_id);
      const a = await this.rows.get(tenantId, id, m, true);
      if (!a) throw new NotFoundError('approval');
      await this.visible(tenantId, p, id, m);
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

  /**
   * 取り下げ of a pending request by its requester: the request is cancelled, an application waiting
   * for the approval of its submission is a draft again, and the approvers of the current step are
   * told (お知らせ). Only the requester: an approver has send-back, an admin edits the routes.
   */
  async cancel(tenantId: string, p: Principal, id: string): Promise<ApprovalView> {
    const actor = `user:${p.userId}`;
    const first = await this.visible(tenantId, p, id);
    const a = await this.ds.transaction(async (m) => {
      await this.store.lock(m, tenantId, first.application_id);
      const a = await this.rows.get(tenantId, id, m, true);
      if (!a) throw new NotFoundError('approval');
      if (a.requested_by !== actor) throw ApprovalErrors.notRequester();
      if (a.status !== 'pending') throw ApprovalErrors.notPending();
      await this.rows.close(m, tenantId, a.id, 'cancelled');
      if (a.action === 'submit')
        await this.store.transition(m, tenantId, a.application_id, {
          from: 'awaiting_approval',
          to: 'draft',
          actor,
          details: { approvalId: a.id, withdrawn: true },
        });
      await this.gate.notifyStep(m, tenantId, a.application_id, a.steps[a.current_step]?.approvers ?? [], 'approval_cancelled', actor);
      return a;
    });
    await this.audit.record({
      category: 'operation',
      action: 'approval.cancelled',
      outcome: 'success',
      tenantId,
      target: { type: 'approval', id },
      details: { applicationId: a.application_id, reason: 'withdrawn' },
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
