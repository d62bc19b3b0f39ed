import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';

type Db = EntityManager | DataSource;

export type EgovActionKind = 'amend' | 'withdraw';
export type EgovActionState = 'pending' | 'sending' | 'done' | 'failed';

/** One `egov_actions` row (declared once). The job columns (state, attempts, lease) are durable-job.ts's. */
export interface EgovActionRow {
  id: string;
  tenant_id: string;
  application_id: string;
  kind: EgovActionKind;
  state: EgovActionState;
  idempotency_key: string;
  reason_sealed: Buffer | null;
  requested_by: string | null;
  attempts: number;
  sending_started_at: Date | null;
  last_error: string | null;
  created_at: Date;
  updated_at: Date;
}

/**
 * The queries on `egov_actions` (補正 and 取下げ), by name. "At most one on its way per application"
 * is a partial unique index; claiming due jobs (SKIP LOCKED) stays in durable-job.ts.
 */
@Injectable()
export class EgovActionsRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  async byKey(tenantId: string, applicationId: string, key: string): Promise<Pick<EgovActionRow, 'id' | 'kind' | 'state'> | undefined> {
    const rows: Array<Pick<EgovActionRow, 'id' | 'kind' | 'state'>> = await this.ds.query(
      `SELECT id, kind, state FROM egov_actions WHERE tenant_id = $1 AND application_id = $2 AND idempotency_key = $3`,
      [tenantId, applicationId, key],
    );
    return rows[0];
  }

  /** The action of this application on its way to e-Gov (pending or sending), if any. */
  async inFlight(m: Db, tenantId: string, applicationId: string): Promise<Pick<EgovActionRow, 'kind'> | undefined> {
    const rows: Array<Pick<EgovActionRow, 'kind'>> = await m.query(
      `SELECT kind FROM egov_actions WHERE tenant_id = $1 AND application_id = $2 AND state IN ('pending', 'sending')`,
      [tenantId, applicationId],
    );
    return rows[0];
  }

  async insert(
    m: Db,
    a: {
      id: string;
      tenantId: string;
      applicationId: string;
      kind: EgovActionKind;
      key: string;
      reasonSealed: Buffer | null;
      requestedBy: string;
    },
  ): Promise<void> {
    await m.query(
      `INSERT INTO egov_actions (id, tenant_id, application_id, kind, idempotency_key, reason_sealed, requested_by) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [a.id, a.tenantId, a.applicationId, a.kind, a.key, a.reasonSealed, a.requestedBy],
    );
  }

  async latest(
    tenantId: string,
    applicationId: string,
  ): Promise<Pick<EgovActionRow, 'id' | 'kind' | 'state' | 'last_error' | 'created_at' | 'updated_at'> | undefined> {
    const rows: Array<Pick<EgovActionRow, 'id' | 'kind' | 'state' | 'last_error' | 'created_at' | 'updated_at'>> = await this.ds.query(
      `SELECT id, kind, state, last_error, created_at, updated_at FROM egov_actions WHERE tenant_id = $1 AND application_id = $2
          ORDER BY created_at DESC, id DESC LIMIT 1`,
      [tenantId, applicationId],
    );
    return rows[0];
  }

  async markDone(m: Db, id: string): Promise<void> {
    await m.query(`UPDATE egov_actions SET state = 'done', last_error = NULL, updated_at = now() WHERE id = $1`, [id]);
  }

  async markFailed(m: Db, id: string, reason: string): Promise<void> {
    await m.query(`UPDATE egov_actions SET state = 'failed', last_error = $2, updated_at = now() WHERE id = $1`, [id, reason]);
  }
}
