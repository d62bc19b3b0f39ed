import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 17, incidents (運用からのお知らせ): what platform operators tell customers about the
 * service itself.
 *
 * incidents / incident_updates: platform rows written by operators (or by the automatic alert →
 * incident rule, `alert_id`); they carry no tenant content, hence no tenant_id (declared global in
 * libs/backup tenant-tables.ts). `created_by` is the operator's user id, NULL for the system.
 * incident_tenants: which tenants an incident affects when it is not `all_tenants`; a tenant row
 * (tenant_id), so a tenant's deletion removes it with the rest of the tenant.
 * notices.incident_id: an お知らせ of kind `incident` points at its incident (one row per user, so
 * that read state is per user).
 */
export class Incidents1765000000610 implements MigrationInterface {
  name = 'Incidents1765000000610';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE incidents (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        severity text NOT NULL CHECK (severity IN ('minor', 'serious')),
        title text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
        body text NOT NULL CHECK (char_length(body) BETWEEN 1 AND 5000),
        all_tenants boolean NOT NULL,
        started_at timestamptz NOT NULL,
        resolved_at timestamptz,
        created_by uuid,
        alert_id uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX incidents_open_idx ON incidents (started_at DESC) WHERE resolved_at IS NULL`);
    await q.query(`CREATE INDEX incidents_resolved_idx ON incidents (resolved_at DESC) WHERE resolved_at IS NOT NULL`);
    await q.query(`
      CREATE TABLE incident_tenants (
        incident_id uuid NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
        tenant_id uuid NOT NULL REFERENCES tenants(id),
        PRIMARY KEY (incident_id, tenant_id)
      )`);
    await q.query(`CREATE INDEX incident_tenants_tenant_idx ON incident_tenants (tenant_id)`);
    await q.query(`
      CREATE TABLE incident_updates (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        incident_id uuid NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
        body text NOT NULL CHECK (char_length(body) BETWEEN 1 AND 5000),
        resolved boolean NOT NULL DEFAULT false,
        created_by uuid,
        created_at timestamptz NOT NULL DEFAULT clock_timestamp()
      )`);
    await q.query(`CREATE INDEX incident_updates_incident_idx ON incident_updates (incident_id, created_at)`);
    await q.query(`ALTER TABLE notices ADD COLUMN incident_id uuid REFERENCES incidents(id)`);
    await q.query(`CREATE INDEX notices_incident_idx ON notices (incident_id) WHERE incident_id IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM notices WHERE incident_id IS NOT NULL`);
    await q.query(`ALTER TABLE notices DROP COLUMN incident_id`);
    await q.query(`DROP TABLE incident_updates`);
    await q.query(`DROP TABLE incident_tenants`);
    await q.query(`DROP TABLE incidents`);
  }
}
