import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The per-tenant IP allow-list (issue 19): whether it is on, the canonical CIDRs
 * (IPv4 and IPv6), and whom it restricts (`all`, or `admins`: administrators and
 * API tokens). One row per tenant, absent = off. A tenant table like any other
 * (backed up, restored, deleted with the tenant).
 */
export class IpAllowlist1765000000720 implements MigrationInterface {
  name = 'IpAllowlist1765000000720';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE tenant_ip_allowlists (
        tenant_id uuid PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
        enabled boolean NOT NULL DEFAULT false,
        cidrs text[] NOT NULL DEFAULT '{}',
        applies_to text NOT NULL DEFAULT 'all' CHECK (applies_to IN ('all', 'admins')),
        updated_at timestamptz NOT NULL DEFAULT now(),
        updated_by uuid
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE tenant_ip_allowlists');
  }
}
