import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Filing with e-Gov: the linked e-Gov account per tenant (tokens sealed), the
 * durable submission jobs (one per application), the e-Gov state of an
 * application, official documents (sealed blobs) and notices (お知らせ).
 */
export class Egov1764800000000 implements MigrationInterface {
  name = 'Egov1764800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE egov_accounts (
        id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants(id),
        tokens_sealed bytea NOT NULL,
        linked_by uuid,
        linked_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    // One linked account per tenant for now (the API allows one token set per (tenant, account)).
    await q.query(`CREATE UNIQUE INDEX egov_accounts_tenant_key ON egov_accounts (tenant_id)`);
    await q.query(`
      CREATE TABLE egov_link_requests (
        state_hash bytea PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants(id),
        user_id uuid NOT NULL,
        verifier_sealed bytea NOT NULL,
        expires_at timestamptz NOT NULL
      )`);
    await q.query(`
      CREATE TABLE submissions (
        id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants(id),
        application_id uuid NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
        idempotency_key text NOT NULL,
        state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sending', 'sent', 'failed')),
        attempts int NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        sending_started_at timestamptz,
        last_error text,
        submitted_by text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    // At most one submission per application, whatever the retries or instances.
    await q.query(`CREATE UNIQUE INDEX submissions_application_key ON submissions (application_id)`);
    await q.query(`CREATE INDEX submissions_due_idx ON submissions (next_attempt_at) WHERE state IN ('pending', 'sending')`);
    await q.query(`ALTER TABLE applications ADD COLUMN arrive_id text, ADD COLUMN egov_status text, ADD COLUMN failure_reason text`);
    await q.query(`CREATE UNIQUE INDEX applications_arrive_key ON applications (arrive_id) WHERE arrive_id IS NOT NULL`);
    await q.query(`
      CREATE TABLE official_documents (
        id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants(id),
        application_id uuid NOT NULL REFERENCES applications(id),
        notice_sub_id text NOT NULL,
        entry_index int NOT NULL,
        title_sealed bytea NOT NULL,
        file_name_sealed bytea NOT NULL,
        content_type text NOT NULL,
        size bigint NOT NULL,
        sha256 bytea NOT NULL,
        blob_key text NOT NULL,
        fetched_at timestamptz NOT NULL DEFAULT now(),
        acknowledged_at timestamptz
      )`);
    await q.query(`CREATE UNIQUE INDEX official_documents_notice_key ON official_documents (application_id, notice_sub_id, entry_index)`);
    await q.query(`
      CREATE TABLE notices (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants(id),
        user_id uuid,
        application_id uuid REFERENCES applications(id) ON DELETE CASCADE,
        kind text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        read_at timestamptz
      )`);
    await q.query(`CREATE INDEX notices_user_idx ON notices (tenant_id, user_id, created_at DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE notices`);
    await q.query(`DROP TABLE official_documents`);
    await q.query(`DROP INDEX applications_arrive_key`);
    await q.query(`ALTER TABLE applications DROP COLUMN arrive_id, DROP COLUMN egov_status, DROP COLUMN failure_reason`);
    await q.query(`DROP TABLE submissions`);
    await q.query(`DROP TABLE egov_link_requests`);
    await q.query(`DROP TABLE egov_accounts`);
  }
}
