import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';

type Db = EntityManager | DataSource;

/** One `submissions` row (declared once). The job columns (state, attempts, lease) are durable-job.ts's. */
export interface SubmissionRow {
  id: string;
  tenant_id: string;
  application_id: string;
  idempotency_key: string;
  state: 'pending' | 'sending' | 'sent' | 'failed';
  attempts: number;
  sending_started_at: Date | null;
  /** Set when an attempt may have reached e-Gov without us storing the answer (timeout, crash). */
  outcome_unknown_since: Date | null;
  submitted_by: string | null;
  /** Sent with X-eGovAPI-Trial (試行): e-Gov checked it and filed nothing. */
  trial: boolean;
  last_error: string | null;
  created_at: Date;
}

/**
 * The queries on `submissions`, by name. Claiming due jobs (FOR UPDATE SKIP LOCKED) and their retry
 * schedule stay in durable-job.ts, shared with egov_actions; "one submission that has not failed per
 * application" is a partial unique index, which `insert` relies on.
 */
@Injectable()
export class SubmissionsRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  forApplication(m: Db, tenantId: string, applicationId: string): Promise<Array<Pick<SubmissionRow, 'id' | 'idempotency_key' | 'state'>>> {
    return m.query(`SELECT id, idempotency_key, state FROM submissions WHERE tenant_id = $1 AND application_id = $2`, [
      tenantId,
      applicationId,
    ]);
  }

  async insert(
    m: Db,
    s: { id: string; tenantId: string; applicationId: string; idempotencyKey: string; submittedBy: string; trial?: boolean },
  ): Promise<void> {
    await m.query(
      `INSERT INTO submissions (id, tenant_id, application_id, idempotency_key, submitted_by, trial) VALUES ($1, $2, $3, $4, $5, $6)`,
      [s.id, s.tenantId, s.applicationId, s.idempotencyKey, s.submittedBy, s.trial ?? false],
    );
  }

  /** The latest submission of an application (its submitter, whether its outcome is unknown). */
  async latest(
    tenantId: string,
    applicationId: string,
    m: Db = this.ds,
  ): Promise<Pick<SubmissionRow, 'submitted_by' | 'outcome_unknown_since'> | undefined> {
    const r: Array<Pick<SubmissionRow, 'submitted_by' | 'outcome_unknown_since'>> = await m.query(
      `SELECT submitted_by, outcome_unknown_since FROM submissions WHERE tenant_id = $1 AND application_id = $2 ORDER BY created_at DESC LIMIT 1`,
      [tenantId, applicationId],
    );
    return r[0];
  }

  /** Durable before the call to e-Gov: a crash while it is in flight leaves the outcome marked unknown. */
  async markOutcomeUnknown(id: string): Promise<void> {
    await this.ds.query(`UPDATE submissions SET outcome_unknown_since = COALESCE(outcome_unknown_since, now()) WHERE id = $1`, [id]);
  }

  async clearOutcomeUnknown(id: string): Promise<void> {
    await this.ds.query(`UPDATE submissions SET outcome_unknown_since = NULL WHERE id = $1`, [id]);
  }

  async markSent(m: Db, id: string): Promise<void> {
    await m.query(
      `UPDATE submissions SET state = 'sent', last_error = NULL, outcome_unknown_since = NULL, updated_at = now() WHERE id = $1`,
      [id],
    );
  }

  async markFailed(m: Db, id: string, reason: string): Promise<void> {
    await m.query(`UPDATE submissions SET state = 'failed', last_error = $2, updated_at = now() WHERE id = $1`, [id, reason]);
  }
}
