import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * 補正 (amend) and 取下げ (withdraw) as durable jobs, the notices e-Gov
 * sends about a case (補正の内容, 取下げの受付, …) kept sealed on our side, and
 * when each open case was last polled.
 */
export class EgovActions1764900000000 implements MigrationInterface {
  name = 'EgovActions1764900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE egov_actions (
        id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants(id),
        application_id uuid NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
        kind text NOT NULL CHECK (kind IN ('amend', 'withdraw')),
        idempotency_key text NOT NULL,
        state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sending', 'done', 'failed')),
        attempts int NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        sending_started_at timestamptz,
        last_error text,
        reason_sealed bytea,
        requested_by text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX egov_actions_idempotency_key ON egov_actions (tenant_id, application_id, idempotency_key)`);
    // At most one 補正 or 取下げ on its way to e-Gov per application, whatever the instances.
    await q.query(`CREATE UNIQUE INDEX egov_actions_in_flight ON egov_actions (application_id) WHERE state IN ('pending', 'sending')`);
    await q.query(`CREATE INDEX egov_actions_due_idx ON egov_actions (next_attempt_at) WHERE state IN ('pending', 'sending')`);
    await q.query(`
      CREATE TABLE egov_case_notices (
        id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants(id),
        application_id uuid NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
        notice_sub_id text NOT NULL,
        notice_type text NOT NULL,
        title_sealed bytea NOT NULL,
        body_sealed bytea NOT NULL,
        notice_date text,
        fetched_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX egov_case_notices_key ON egov_case_notices (application_id, notice_sub_id)`);
    // A submission e-Gov refused (failed) may be followed by another once the user reopened and fixed the application:
    // still at most one that is not failed per application, and a key answers its own submission.
    await q.query(`DROP INDEX submissions_application_key`);
    await q.query(`CREATE UNIQUE INDEX submissions_application_key ON submissions (application_id) WHERE state <> 'failed'`);
    await q.query(`CREATE UNIQUE INDEX submissions_idempotency_key ON submissions (tenant_id, application_id, idempotency_key)`);
    // Set while a POST /apply may have reached e-Gov without us knowing the answer: only then may a retry adopt a case.
    await q.query(`ALTER TABLE submissions ADD COLUMN outcome_unknown_since timestamptz`);
    // The status poll walks every open case once per run, least recently polled first.
    await q.query(`ALTER TABLE applications ADD COLUMN egov_polled_at timestamptz`);
    await q.query(
      `CREATE INDEX applications_egov_poll_idx ON applications (egov_polled_at NULLS FIRST)
        WHERE arrive_id IS NOT NULL AND status NOT IN ('completed', 'withdrawn', 'failed')`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE submissions DROP COLUMN outcome_unknown_since`);
    await q.query(`DROP INDEX submissions_idempotency_key`);
    await q.query(`DROP INDEX submissions_application_key`);
    await q.query(`CREATE UNIQUE INDEX submissions_application_key ON submissions (application_id)`);
    await q.query(`DROP INDEX applications_egov_poll_idx`);
    await q.query(`ALTER TABLE applications DROP COLUMN egov_polled_at`);
    await q.query(`DROP TABLE egov_case_notices`);
    await q.query(`DROP TABLE egov_actions`);
  }
}
