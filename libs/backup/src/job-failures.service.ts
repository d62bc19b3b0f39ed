import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { ContractStatus } from './tenant-lookup';

/** One failed backup generation, restore or deletion: which, whose, when. No error text (ids and times only). */
export interface JobFailure {
  kind: 'backup' | 'restore' | 'deletion';
  id: string;
  tenantCode: string | null;
  at: string;
}

/**
 * What the operator home shows of this lib's jobs and contracts: counts and the latest failures,
 * read from the job tables this lib owns. Never tenant content.
 */
@Injectable()
export class JobFailuresService {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  /** Tenants by contract status (statuses without any tenant are 0). */
  async tenantCounts(): Promise<Record<ContractStatus, number>> {
    const rows: Array<{ status: ContractStatus; n: number }> = await this.ds.query(
      `SELECT status, count(*)::int AS n FROM tenants GROUP BY status`,
    );
    const out: Record<ContractStatus, number> = { active: 0, cancelled: 0, deleted: 0 };
    for (const r of rows) out[r.status] = r.n;
    return out;
  }

  /** Failures since `since`, newest first. A deletion job counts while it stays failed (the sweep retries it). */
  recent(since: Date, limit: number): Promise<JobFailure[]> {
    return this.ds
      .query(
        `SELECT kind, id, tenant_code AS "tenantCode", at FROM (
            SELECT 'backup' AS kind, g.id, g.tenant_id, COALESCE(g.completed_at, g.created_at) AS at
              FROM backup_generations g WHERE g.state = 'failed'
            UNION ALL
            SELECT 'restore', r.id, r.tenant_id, COALESCE(r.finished_at, r.started_at) FROM backup_restores r WHERE r.state = 'failed'
            UNION ALL
            SELECT 'deletion', d.id, d.tenant_id, d.updated_at FROM deletion_jobs d WHERE d.state = 'failed'
          ) f LEFT JOIN LATERAL (SELECT code AS tenant_code FROM tenants t WHERE t.id = f.tenant_id) t ON true
          WHERE f.at >= $1 ORDER BY f.at DESC, f.id LIMIT $2`,
        [since, limit],
      )
      .then((rows: Array<Omit<JobFailure, 'at'> & { at: Date }>) => rows.map((r) => ({ ...r, at: new Date(r.at).toISOString() })));
  }
}
