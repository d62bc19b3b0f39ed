import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 15, backups: one row per generation (daily in the primary store,
 * weekly copies in the remote store) and one per restore run, so that the
 * console can show progress from job state. No foreign key to `tenants`: the
 * rows are listed and removed by the deletion job itself, and a generation
 * row must never block or cascade a tenant operation. Neither table holds
 * tenant content: ids, counts, sizes, hashes, states and error reasons.
 */
export class BackupGenerations1765000000400 implements MigrationInterface {
  name = 'BackupGenerations1765000000400';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE backup_generations (
        id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL,
        kind text NOT NULL CHECK (kind IN ('daily', 'weekly')),
        store text NOT NULL CHECK (store IN ('primary', 'remote')),
        state text NOT NULL CHECK (state IN ('running', 'complete', 'failed')),
        error text,
        archive_key text NOT NULL,
        manifest_key text NOT NULL,
        size bigint,
        sha256 text,
        key_version integer,
        schema_version text,
        counts jsonb,
        progress_bytes bigint NOT NULL DEFAULT 0,
        source_id uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        completed_at timestamptz,
        verified_at timestamptz,
        verify_error text
      )`);
    await q.query(`CREATE INDEX backup_generations_tenant_idx ON backup_generations (tenant_id, created_at DESC)`);
    await q.query(`
      CREATE TABLE backup_restores (
        id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL,
        generation_id uuid NOT NULL,
        state text NOT NULL CHECK (state IN ('running', 'complete', 'failed')),
        step text,
        error text,
        started_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz
      )`);
    await q.query(`CREATE INDEX backup_restores_tenant_idx ON backup_restores (tenant_id, started_at DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE backup_restores`);
    await q.query(`DROP TABLE backup_generations`);
  }
}
