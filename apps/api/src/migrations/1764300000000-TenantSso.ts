import { MigrationInterface, QueryRunner } from 'typeorm';

/** Per-tenant SAML SSO settings, and the SSO identity of users (tenant, IdP, NameID). */
export class TenantSso1764300000000 implements MigrationInterface {
  name = 'TenantSso1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE tenant_sso_settings (
        tenant_id uuid PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
        idp_entity_id text NOT NULL,
        sso_url text NOT NULL,
        certificates text[] NOT NULL,
        name_id_format text NOT NULL,
        attribute_mapping jsonb NOT NULL DEFAULT '{}'::jsonb,
        jit_enabled boolean NOT NULL DEFAULT false,
        jit_default_role text NOT NULL DEFAULT 'member' CHECK (jit_default_role IN ('admin', 'member')),
        allow_idp_initiated boolean NOT NULL DEFAULT false,
        sso_required boolean NOT NULL DEFAULT false,
        require_keyfile boolean NOT NULL DEFAULT false,
        break_glass_admin_ids uuid[] NOT NULL DEFAULT '{}',
        tested_at timestamptz,
        tested_by uuid,
        updated_at timestamptz NOT NULL DEFAULT now(),
        updated_by uuid
      )`);
    await q.query(`ALTER TABLE users ADD COLUMN sso_idp_entity_id text, ADD COLUMN sso_name_id text`);
    // A user is found by (tenant, IdP, NameID): the same e-mail in another tenant or IdP never links.
    await q.query(
      `CREATE UNIQUE INDEX users_sso_identity_key ON users (tenant_id, sso_idp_entity_id, sso_name_id) WHERE sso_name_id IS NOT NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX users_sso_identity_key`);
    await q.query(`ALTER TABLE users DROP COLUMN sso_name_id, DROP COLUMN sso_idp_entity_id`);
    await q.query(`DROP TABLE tenant_sso_settings`);
  }
}
