import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Contract end and certified deletion (issue 15, api.md "Backups, contract end, deletion").
 * tenants: when a cancellation takes effect, when the deletion is due, when it was deleted.
 * deletion_jobs: the durable, resumable deletion (one per tenant); deletion_certificates: the
 * signed certificates. Both are named `deletion_*`: kept after the tenant's deletion and never
 * archived (libs/backup tenant-tables.ts). No foreign key to tenants on purpose (like
 * tenant_key_status): the records outlive everything else of the tenant.
 */
export class ContractEnd1765000000300 implements MigrationInterface {
  name = 'ContractEnd1765000000300';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE tenants
        ADD COLUMN cancelled_at timestamptz,
        ADD COLUMN deletion_due_at timestamptz,
        ADD COLUMN deleted_at timestamptz,
        ADD COLUMN reinstated_at timestamptz`);
    await q.query(`CREATE INDEX tenants_deletion_due_idx ON tenants (deletion_due_at) WHERE status = 'cancelled'`);
    await q.query(`
      CREATE TABLE deletion_jobs (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL,
        state text NOT NULL DEFAULT 'running' CHECK (state IN ('running', 'failed', 'done')),
        step int NOT NULL DEFAULT 0,
        requested_by text NOT NULL,
        attempts int NOT NULL DEFAULT 0,
        error text,
        counts jsonb NOT NULL DEFAULT '{}',
        admin_emails text[] NOT NULL DEFAULT '{}',
        certificate_id uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        started_at timestamptz,
        finished_at timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    // One deletion per tenant, ever: a second request joins the first.
    await q.query(`CREATE UNIQUE INDEX deletion_jobs_tenant_key ON deletion_jobs (tenant_id)`);
    await q.query(`
      CREATE TABLE deletion_certificates (
        id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL,
        body jsonb NOT NULL,
        admin_emails text[] NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    // Exactly one certificate per tenant, even when a crashed job issues it again.
    await q.query(`CREATE UNIQUE INDEX deletion_certificates_tenant_key ON deletion_certificates (tenant_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE deletion_certificates`);
    await q.query(`DROP TABLE deletion_jobs`);
    await q.query(`DROP INDEX tenants_deletion_due_idx`);
    await q.query(
      `ALTER TABLE tenants DROP COLUMN cancelled_at, DROP COLUMN deletion_due_at, DROP COLUMN deleted_at, DROP COLUMN reinstated_at`,
    );
  }
}
