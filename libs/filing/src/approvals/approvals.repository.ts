import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { ClientAccess } from '@charlotte/applications';
import type { ApprovalAction, ApprovalMode, ApprovalStatus } from './dto/approvals.dto';

type Db = EntityManager | DataSource;

export interface StoredStep {
  approvers: string[];
  mode: ApprovalMode;
}

export interface RouteRow {
  id: string;
  client_id: string | null;
  applies_to: ApprovalAction[];
  steps: StoredStep[];
  allow_self_approval: boolean;
}

export interface ApprovalRow {
  id: string;
  tenant_id: string;
  application_id: string;
  procedure_code: string;
  action: ApprovalAction;
  steps: StoredStep[];
  allow_self_approval: boolean;
  current_step: number;
  status: ApprovalStatus;
  application_version: number;
  requested_by: string;
  idempotency_key: string;
  amend_version: number | null;
  reason_sealed: Buffer | null;
  created_at: Date;
  decided_at: Date | null;
}

export interface DecisionRow {
  id: string;
  step: number;
  user_id: string;
  decision: 'approved' | 'sent_back';
  comment_sealed: Buffer | null;
  created_at: Date;
}

const APPROVAL_COLUMNS = `r.id, r.tenant_id, r.application_id, a.procedure_code, r.action, r.steps, r.allow_self_approval, r.current_step,
  r.status, r.application_version, r.requested_by, r.idempotency_key, r.amend_version, r.reason_sealed, r.created_at, r.decided_at`;

/** The SQL of approval routes, requests and decisions; every method takes the tenant first. */
@Injectable()
export class ApprovalsRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  routes(tenantId: string, m: Db = this.ds): Promise<RouteRow[]> {
    return m.query(
      `SELECT id, client_id, applies_to, steps, allow_self_approval FROM approval_routes WHERE tenant_id = $1 ORDER BY position`,
      [tenantId],
    );
  }

  async replaceRoutes(m: EntityManager, tenantId: string, userId: string, routes: RouteRow[]): Promise<void> {
    await m.query(`DELETE FROM approval_routes WHERE tenant_id = $1`, [tenantId]);
    for (const [i, r] of routes.entries())
      await m.query(
        `INSERT INTO approval_routes (id, tenant_id, position, client_id, applies_to, steps, allow_self_approval, updated_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [r.id, tenantId, i, r.client_id, r.applies_to, JSON.stringify(r.steps), r.allow_self_approval, userId],
      );
  }

  /** Which of `ids` are active users of the tenant with role admin or member (approvers must be), and their role. */
  async activeUsers(tenantId: string, ids: string[], m: Db = this.ds): Promise<Map<string, 'admin' | 'member'>> {
    if (!ids.length) return new Map();
    const rows: Array<{ id: string; role: 'admin' | 'member' }> = await m.query(
      `SELECT id, role FROM users WHERE tenant_id = $1 AND id = ANY($2::uuid[]) AND status = 'active' AND role IN ('admin', 'member')`,
      [tenantId, ids],
    );
    return new Map(rows.map((r) => [r.id, r.role]));
  }

  /** The 顧問先 of an application's office (null in a company tenant): which per-client route applies. */
  async clientOf(m: Db, tenantId: string, applicationId: string): Promise<string | null> {
    const rows: Array<{ client_id: string | null }> = await m.query(
      `SELECT o.client_id FROM applications a JOIN offices o ON o.id = a.office_id AND o.tenant_id = a.tenant_id WHERE a.tenant_id = $1 AND a.id = $2`,
      [tenantId, applicationId],
    );
    return rows[0]?.client_id ?? null;
  }

  async insert(
    m: EntityManager,
    r: Pick<
      ApprovalRow,
      | 'id'
      | 'tenant_id'
      | 'application_id'
      | 'action'
      | 'steps'
      | 'allow_self_approval'
      | 'application_version'
      | 'requested_by'
      | 'idempotency_key'
      | 'amend_version'
      | 'reason_sealed'
    > & { route_id: string },
  ): Promise<void> {
    await m.query(
      `INSERT INTO approval_requests (id, tenant_id, application_id, route_id, action, steps, allow_self_approval, application_version,
         requested_by, idempotency_key, amend_version, reason_sealed)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
      [
        r.id,
        r.tenant_id,
        r.application_id,
        r.route_id,
        r.action,
        JSON.stringify(r.steps),
        r.allow_self_approval,
        r.application_version,
        r.requested_by,
        r.idempotency_key,
        r.amend_version,
        r.reason_sealed,
      ],
    );
  }

  async get(tenantId: string, id: string, m: Db = this.ds, forUpdate = false): Promise<ApprovalRow | undefined> {
    const rows: ApprovalRow[] = await m.query(
      `SELECT ${APPROVAL_COLUMNS} FROM approval_requests r JOIN applications a ON a.id = r.application_id AND a.tenant_id = r.tenant_id
        WHERE r.tenant_id = $1 AND r.id = $2${forUpdate ? ' FOR UPDATE OF r' : ''}`,
      [tenantId, id],
    );
    return rows[0];
  }

  pendingFor(m: Db, tenantId: string, applicationId: string): Promise<ApprovalRow[]> {
    return m.query(
      `SELECT ${APPROVAL_COLUMNS} FROM approval_requests r JOIN applications a ON a.id = r.application_id AND a.tenant_id = r.tenant_id
        WHERE r.tenant_id = $1 AND r.application_id = $2 AND r.status = 'pending' FOR UPDATE OF r`,
      [tenantId, applicationId],
    );
  }

  /**
   * One page of a tenant's approval requests the caller sees (顧問先 visibility is part of the query,
   * as for applications: a request on a client the caller does not see is never read). Keyset on
   * (created_at, id): `assignedTo` is a queue, oldest first, and holds only what that user can decide
   * now (an approver of the current step, not the requester unless the route allows it, not yet
   * decided); otherwise newest first, of one application or of the whole tenant. `c` is the row's
   * creation time with its microseconds (the cursor).
   */
  page(
    tenantId: string,
    access: ClientAccess,
    f: { assignedTo?: string; applicationId?: string; limit: number; after?: { c: string; i: string } },
  ): Promise<Array<ApprovalRow & { c: string }>> {
    const params: unknown[] = [tenantId];
    const where = ['r.tenant_id = $1', access.applicationCondition('a.office_id', 'a.tenant_id', params)];
    const add = (sql: (n: number) => string, v: unknown) => {
      params.push(v);
      where.push(sql(params.length));
    };
    const asc = f.assignedTo !== undefined;
    if (f.assignedTo !== undefined) {
      where.push(`r.status = 'pending'`);
      add((n) => `(r.steps -> r.current_step -> 'approvers') ? $${n}::text`, f.assignedTo);
      add((n) => `(r.allow_self_approval OR r.requested_by <> $${n}::text)`, `user:${f.assignedTo}`);
      add(
        (n) =>
          `NOT EXISTS (SELECT 1 FROM approval_decisions d WHERE d.tenant_id = r.tenant_id AND d.approval_id = r.id
             AND d.step = r.current_step AND d.user_id = $${n}::uuid)`,
        f.assignedTo,
      );
    }
    if (f.applicationId !== undefined) add((n) => `r.application_id = $${n}::uuid`, f.applicationId);
    if (f.after) {
      params.push(f.after.c, f.after.i);
      where.push(`(r.created_at, r.id) ${asc ? '>' : '<'} ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
    }
    params.push(f.limit + 1);
    const dir = asc ? 'ASC' : 'DESC';
    return this.ds.query(
      `SELECT ${APPROVAL_COLUMNS}, to_char(r.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS c
         FROM approval_requests r JOIN applications a ON a.id = r.application_id AND a.tenant_id = r.tenant_id
        WHERE ${where.join(' AND ')}
        ORDER BY r.created_at ${dir}, r.id ${dir} LIMIT $${params.length}`,
      params,
    );
  }

  /** Which of `ids` are clients (顧問先) of the tenant: a route names one of its own clients or none. */
  async clientsOf(tenantId: string, ids: string[]): Promise<Set<string>> {
    if (!ids.length) return new Set();
    const rows: Array<{ id: string }> = await this.ds.query(`SELECT id FROM clients WHERE tenant_id = $1 AND id = ANY($2::uuid[])`, [
      tenantId,
      ids,
    ]);
    return new Set(rows.map((r) => r.id));
  }

  decisions(tenantId: string, approvalIds: string[], m: Db = this.ds): Promise<Array<DecisionRow & { approval_id: string }>> {
    if (!approvalIds.length) return Promise.resolve([]);
    return m.query(
      `SELECT id, approval_id, step, user_id, decision, comment_sealed, created_at FROM approval_decisions
        WHERE tenant_id = $1 AND approval_id = ANY($2::uuid[]) ORDER BY created_at`,
      [tenantId, approvalIds],
    );
  }

  /** false when this approver already decided this step (the unique index: a double click counts once). */
  async addDecision(
    m: EntityManager,
    tenantId: string,
    d: { id: string; approvalId: string; step: number; userId: string; decision: 'approved' | 'sent_back'; comment: Buffer | null },
  ): Promise<boolean> {
    const rows: unknown[] = await m.query(
      `INSERT INTO approval_decisions (id, tenant_id, approval_id, step, user_id, decision, comment_sealed) VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (approval_id, step, user_id) DO NOTHING RETURNING id`,
      [d.id, tenantId, d.approvalId, d.step, d.userId, d.decision, d.comment],
    );
    return rows.length > 0;
  }

  async setStep(m: EntityManager, tenantId: string, id: string, step: number): Promise<void> {
    await m.query(`UPDATE approval_requests SET current_step = $3 WHERE tenant_id = $1 AND id = $2`, [tenantId, id, step]);
  }

  async close(m: EntityManager, tenantId: string, id: string, status: Exclude<ApprovalStatus, 'pending'>): Promise<void> {
    await m.query(`UPDATE approval_requests SET status = $3, decided_at = now() WHERE tenant_id = $1 AND id = $2 AND status = 'pending'`, [
      tenantId,
      id,
      status,
    ]);
  }
}
