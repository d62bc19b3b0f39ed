import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { AuditService } from '@charlotte/audit';
import type { ApplicationRow } from '@charlotte/applications';
import { KeyRotationService, SealingService } from '@charlotte/crypto';
import { NoticesService } from '@charlotte/notifications';
import { PURPOSE } from '../sealing-purposes';
import { ApprovalErrors } from './approval-errors';
import { ApprovalRow, ApprovalsRepository, RouteRow } from './approvals.repository';
import type { ApprovalAction } from './dto/approvals.dto';

/** Who may decide a step: its approvers, without the requester unless the route allows self-approval. */
export function eligibleApprovers(approvers: string[], allowSelfApproval: boolean, requestedBy: string): string[] {
  return allowSelfApproval ? approvers : approvers.filter((u) => `user:${u}` !== requestedBy);
}

/**
 * Where filing asks whether an action needs approval first (承認フロー). `park` runs in the
 * action's transaction under the application's row lock: when a route applies it records the
 * approval request (a snapshot of the route's steps, and the application version it is for) and
 * the action is not started. `cancelOnEdit` is the edit hook: what was approved is what is filed.
 */
@Injectable()
export class ApprovalGate {
  constructor(
    private readonly rows: ApprovalsRepository,
    private readonly notices: NoticesService,
    private readonly audit: AuditService,
    private readonly sealing: SealingService,
    rotation: KeyRotationService,
  ) {
    rotation.register({ table: 'approval_requests', column: 'reason_sealed', purpose: PURPOSE.approvalReason });
    rotation.register({ table: 'approval_decisions', column: 'comment_sealed', purpose: PURPOSE.approvalComment });
  }

  /** A 取下げ reason waiting for approval, sealed (it may name the insured person). */
  sealReason(tenantId: string, approvalId: string, reason: string): Promise<Buffer> {
    return this.sealing.seal(tenantId, PURPOSE.approvalReason, approvalId, reason);
  }

  openReason(tenantId: string, approvalId: string, sealed: Buffer): Promise<string> {
    return this.sealing.openString(tenantId, PURPOSE.approvalReason, approvalId, sealed);
  }

  sealComment(tenantId: string, decisionId: string, comment: string): Promise<Buffer> {
    return this.sealing.seal(tenantId, PURPOSE.approvalComment, decisionId, comment);
  }

  openComment(tenantId: string, decisionId: string, sealed: Buffer): Promise<string> {
    return this.sealing.openString(tenantId, PURPOSE.approvalComment, decisionId, sealed);
  }

  /** The route for an action on an application: its 顧問先's own route first, else the route without a client. */
  async routeFor(m: EntityManager, tenantId: string, applicationId: string, action: ApprovalAction): Promise<RouteRow | undefined> {
    const routes = (await this.rows.routes(tenantId, m)).filter((r) => r.applies_to.includes(action));
    if (!routes.length) return undefined;
    const client = await this.rows.clientOf(m, tenantId, applicationId);
    return (client ? routes.find((r) => r.client_id === client) : undefined) ?? routes.find((r) => r.client_id === null);
  }

  /**
   * Under the application's row lock: the pending approval this key already opened (a replay), 409
   * approval_pending for another key, or a new request when a route applies. undefined: no route,
   * the action goes ahead.
   */
  async park(
    m: EntityManager,
    tenantId: string,
    app: Pick<ApplicationRow, 'id' | 'version'>,
    action: ApprovalAction,
    requestedBy: string,
    idempotencyKey: string,
    extra: { amendVersion?: number; reasonSealed?: (id: string) => Promise<Buffer> } = {},
  ): Promise<{ approvalId: string; created: boolean } | undefined> {
    const pending = (await this.rows.pendingFor(m, tenantId, app.id))[0];
    if (pending) {
      if (pending.idempotency_key === idempotencyKey && pending.action === action) return { approvalId: pending.id, created: false };
      throw ApprovalErrors.pending();
    }
    const route = await this.routeFor(m, tenantId, app.id, action);
    if (!route) return undefined;
    // A step whose only approver is the requester (self-approval not allowed) could never be approved.
    if (route.steps.some((s) => eligibleApprovers(s.approvers, route.allow_self_approval, requestedBy).length === 0))
      throw ApprovalErrors.noEligibleApprover();
    const id = randomUUID();
    await this.rows.insert(m, {
      id,
      tenant_id: tenantId,
      application_id: app.id,
      route_id: route.id,
      action,
      steps: route.steps,
      allow_self_approval: route.allow_self_approval,
      application_version: app.version,
      requested_by: requestedBy,
      idempotency_key: idempotencyKey,
      amend_version: extra.amendVersion ?? null,
      reason_sealed: extra.reasonSealed ? await extra.reasonSealed(id) : null,
    });
    await this.notifyStep(m, tenantId, app.id, route.steps[0].approvers, 'approval_requested');
    return { approvalId: id, created: true };
  }

  /** Audit of a new request, after its transaction committed (ids only). */
  async requested(tenantId: string, approvalId: string, applicationId: string, action: ApprovalAction): Promise<void> {
    await this.audit.record({
      category: 'operation',
      action: 'approval.requested',
      outcome: 'success',
      tenantId,
      target: { type: 'approval', id: approvalId },
      details: { applicationId, action },
    });
  }

  /**
   * The edit hook (EditGuardRegistry.onEdited): an edit of the application cancels its pending
   * approval, in the editing transaction, and tells the approvers of the current step (and the
   * requester when someone else edited).
   */
  async cancelOnEdit(m: EntityManager, tenantId: string, applicationId: string, actor: string): Promise<void> {
    for (const a of await this.rows.pendingFor(m, tenantId, applicationId)) {
      await this.rows.close(m, tenantId, a.id, 'cancelled');
      await this.notifyStep(m, tenantId, applicationId, a.steps[a.current_step]?.approvers ?? [], 'approval_cancelled', actor);
      if (a.requested_by !== actor) await this.notices.add(m, tenantId, a.requested_by, applicationId, 'approval_cancelled');
      // Checked (issue 19 leftovers): the cancellation itself (the UPDATE above, the notices, the move to draft)
      // is atomic with the edit, all in `m` under the application's row lock. The audit event is not written
      // in `m`: AuditService appends to the tenant's hash chain in its own transaction and resolves once that
      // committed, i.e. before the edit commits. So the event can never be missing for a committed
      // cancellation (a failing audit write throws here and rolls the edit back), and the only divergence is
      // an event for a cancellation whose edit then failed to commit (the hook is the edit's last step, so
      // only the COMMIT itself can still fail): the request then reads `pending` with an `approval.cancelled`
      // event, which an audit reader can tell. Writing the event inside `m` would hold the tenant's chain head
      // locked for the rest of the edit; recording it after the commit (as approve/send-back/cancel do) would
      // need the edit hook to hand work back to its caller. Kept as is, deliberately.
      await this.audit.record({
        category: 'operation',
        action: 'approval.cancelled',
        outcome: 'success',
        tenantId,
        target: { type: 'approval', id: a.id },
        details: { applicationId, reason: 'edited' },
      });
    }
  }

  async notifyStep(
    m: EntityManager,
    tenantId: string,
    applicationId: string,
    approvers: string[],
    kind: 'approval_requested' | 'approval_cancelled',
    except?: string,
  ): Promise<void> {
    for (const u of approvers) if (`user:${u}` !== except) await this.notices.add(m, tenantId, `user:${u}`, applicationId, kind);
  }
}

export type { ApprovalRow };
