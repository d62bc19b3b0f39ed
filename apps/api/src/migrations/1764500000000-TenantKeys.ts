import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Tenant data-encryption keys, stored only wrapped by the key provider's KEK.
 * These tables are key material: per-tenant data backups must never include
 * them (crypto-shredding depends on it; the key store is backed up on its own).
 */
export class TenantKeys1764500000000 implements MigrationInterface {
  name = 'TenantKeys1764500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE tenant_keys (
        tenant_id uuid NOT NULL,
        version int NOT NULL CHECK (version > 0),
        provider text NOT NULL CHECK (provider IN ('local', 'pkcs11')),
        kek_version int NOT NULL,
        wrapped bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, version)
      )`);
    // No foreign key to tenants on purpose: the status row outlives the keys
    // (destroyed_at) so that a later open fails with tenant_keys_destroyed.
    await q.query(`
      CREATE TABLE tenant_key_status (
        tenant_id uuid PRIMARY KEY,
        current_version int NOT NULL,
        destroyed_at timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    // Tenant key rotations: progress per sealed column, committed after every batch.
    await q.query(`
      CREATE TABLE key_rotation_jobs (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL,
        target_version int NOT NULL,
        state text NOT NULL DEFAULT 'running' CHECK (state IN ('running', 'done')),
        cursor jsonb NOT NULL DEFAULT '{}'::jsonb,
        processed int NOT NULL DEFAULT 0,
        reencrypted int NOT NULL DEFAULT 0,
        started_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE key_rotation_jobs`);
    await q.query(`DROP TABLE tenant_key_status`);
    await q.query(`DROP TABLE tenant_keys`);
  }
}
