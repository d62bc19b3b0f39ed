/**
 * Contract end (api.md, "Backups, contract end, deletion"): active → cancelled → deleted, and
 * reinstatement while not deleted.
 *
 * Ownership: libs/backup owns the contract-lifecycle columns of `tenants` (status, cancelled_at,
 * deletion_due_at, deleted_at, reinstated_at). libs/auth only reads them (403 contract_cancelled
 * from the effective time on); nothing else writes them.
 */
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditAction, AuditService, JsonValue } from '@charlotte/audit';
import { ValidationFailedError } from '@charlotte/core';
import { recordOnBothChains } from '../audit-both';
import { BackupErrors } from '../errors';
import { withTenantLock } from '../tenant-lock';
import { ContractStatus, tenantByCode } from '../tenant-lookup';
import { deletionDueAt } from './business-days';

/**
 * How far in the past an explicit effectiveAt may lie (clock skew between the operator's machine
 * and the server). Anything older is refused: a cancellation never takes effect retroactively, so
 * the due date is never shortened behind the customer's back.
 */
export const EFFECTIVE_AT_PAST_TOLERANCE_MS = 5 * 60_000;

/** What an operator sees of a contract: never tenant content. */
export interface OperatorTenantView {
  id: string;
  code: string;
  name: string;
  /** company, or sharoushi (a 社会保険労務士 office holding 顧問先). */
  kind: 'company' | 'sharoushi';
  status: ContractStatus;
  cancelledAt: string | null;
  deletionDueAt: string | null;
  deletedAt: string | null;
  reinstatedAt: string | null;
  /** completed_at of the newest backup generation, or null (none yet, or backups not installed). */
  lastBackupAt: string | null;
  /** The deletion certificate, once issued. */
  certificateId: string | null;
}

interface TenantRow {
  id: string;
  code: string;
  name: string;
  kind: 'company' | 'sharoushi';
  status: ContractStatus;
  cancelled_at: Date | null;
  deletion_due_at: Date | null;
  deleted_at: Date | null;
  reinstated_at: Date | null;
  last_backup_at: Date | null;
  certificate_id: string | null;
}

const iso = (d: Date | null): string | null => (d ? new Date(d).toISOString() : null);

@Injectable()
export class ContractService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly audit: AuditService,
  ) {}

  private async rows(where: string, params: unknown[]): Promise<TenantRow[]> {
    return this.ds.query(
      `SELECT t.id, t.code, t.name, t.kind, t.status, t.cancelled_at, t.deletion_due_at, t.deleted_at, t.reinstated_at,
              (SELECT max(g.completed_at) FROM backup_generations g WHERE g.tenant_id = t.id AND g.state = 'complete') AS last_backup_at,
              (SELECT c.id FROM deletion_certificates c WHERE c.tenant_id = t.id) AS certificate_id
         FROM tenants t ${where} ORDER BY t.code`,
      params,
    );
  }

  private view(r: TenantRow): OperatorTenantView {
    return {
      id: r.id,
      code: r.code,
      name: r.name,
      kind: r.kind,
      status: r.status,
      cancelledAt: iso(r.cancelled_at),
      deletionDueAt: iso(r.deletion_due_at),
      deletedAt: iso(r.deleted_at),
      reinstatedAt: iso(r.reinstated_at),
      lastBackupAt: iso(r.last_backup_at),
      certificateId: r.certificate_id,
    };
  }

  async list(): Promise<OperatorTenantView[]> {
    return (await this.rows('', [])).map((r) => this.view(r));
  }

  async get(code: string): Promise<OperatorTenantView> {
    const t = await tenantByCode(this.ds, code);
    return this.view((await this.rows('WHERE t.id = $1', [t.id]))[0]);
  }

  /**
   * Cancels an active contract. From `effectiveAt` (default now; at most a few minutes in the
   * past) logins, SSO, sessions and tokens answer 403 contract_cancelled; a future effectiveAt
   * changes nothing until then. deletionDueAt = end of the 5th business day after its JST day.
   * Nothing is revoked or destroyed: a reinstatement restores everything.
   */
  async cancel(code: string, effectiveAt?: Date, now = new Date()): Promise<OperatorTenantView> {
    const at = effectiveAt ?? now;
    if (Number.isNaN(at.getTime()))
      throw new ValidationFailedError([
        { field: 'effectiveAt', code: 'invalid_datetime', message: 'effectiveAt must be an ISO 8601 date-time' },
      ]);
    if (at.getTime() < now.getTime() - EFFECTIVE_AT_PAST_TOLERANCE_MS)
      throw new ValidationFailedError([{ field: 'effectiveAt', code: 'in_the_past', message: 'effectiveAt must not lie in the past' }]);
    const t = await tenantByCode(this.ds, code);
    if (t.status === 'deleted') throw BackupErrors.tenantDeleted();
    if (t.status !== 'active') throw BackupErrors.tenantNotActive();
    const due = deletionDueAt(at);
    const [, n]: [unknown, number] = await this.ds.query(
      `UPDATE tenants SET status = 'cancelled', cancelled_at = $2, deletion_due_at = $3, updated_at = now()
        WHERE id = $1 AND status = 'active'`,
      [t.id, at, due],
    );
    if (!n) throw BackupErrors.tenantNotActive(); // lost a race with another cancellation
    const details = { effectiveAt: at.toISOString(), deletionDueAt: due.toISOString() };
    await this.recordBoth('tenant.cancelled', t.id, details);
    return this.get(t.code);
  }

  /** Reinstates a cancelled contract (until its deletion has started): status active, dates cleared. */
  async reinstate(code: string): Promise<OperatorTenantView> {
    const t = await tenantByCode(this.ds, code);
    if (t.status === 'deleted') throw BackupErrors.tenantDeleted();
    if (t.status !== 'cancelled') throw BackupErrors.tenantNotCancelled();
    // Under the tenant lock: never while a deletion runs, and never once one has started.
    await withTenantLock(this.ds, t.id, async () => {
      const job: unknown[] = await this.ds.query(`SELECT 1 FROM deletion_jobs WHERE tenant_id = $1`, [t.id]);
      if (job.length) throw BackupErrors.deletionStarted();
      const [, n]: [unknown, number] = await this.ds.query(
        `UPDATE tenants SET status = 'active', cancelled_at = NULL, deletion_due_at = NULL, reinstated_at = now(), updated_at = now()
          WHERE id = $1 AND status = 'cancelled'`,
        [t.id],
      );
      if (!n) throw BackupErrors.tenantNotCancelled();
    });
    await this.recordBoth('tenant.reinstated', t.id, {});
    return this.get(t.code);
  }

  /** An operator action on a contract: on the platform chain and on the tenant's own chain (while it exists). */
  async recordBoth(action: AuditAction, tenantId: string, details: { [k: string]: JsonValue }, tenantChain = true) {
    await recordOnBothChains(
      this.audit,
      tenantId,
      { category: 'operation', action, outcome: 'success', target: { type: 'tenant', id: tenantId }, details },
      tenantChain,
    );
  }
}
