import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * SAML fixes of issue 13:
 * - finding 9: an SP-initiated login is bound to the browser that started it.
 *   `saml_requests.browser_binding` holds the SHA-256 of the browser's binding
 *   cookie; the ACS stores what it verified in `saml_handoffs` under the
 *   SHA-256 of a one-time code, and GET /finish (where the SameSite=Lax cookie
 *   is sent) consumes it. Rows live two minutes; the display name is sealed
 *   with the tenant key, as in `users`.
 * - finding 11: linking existing accounts at their first SSO login is a tenant
 *   setting (off), and administrators confirm it for themselves first.
 */
export class SamlBindingAndLinking1765000000100 implements MigrationInterface {
  name = 'SamlBindingAndLinking1765000000100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE saml_requests ADD COLUMN browser_binding bytea`);
    await q.query(`
      CREATE TABLE saml_handoffs (
        code_hash bytea PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        sp_initiated boolean NOT NULL,
        browser_binding bytea,
        idp_entity_id text NOT NULL,
        name_id text NOT NULL,
        email text,
        jit_role text NOT NULL CHECK (jit_role IN ('admin', 'member')),
        jit_user_id uuid NOT NULL,
        display_name_sealed bytea,
        return_to text NOT NULL,
        expires_at timestamptz NOT NULL,
        CHECK (NOT sp_initiated OR browser_binding IS NOT NULL)
      )`);
    await q.query(`CREATE INDEX saml_handoffs_expires_idx ON saml_handoffs (expires_at)`);
    await q.query(`ALTER TABLE tenant_sso_settings ADD COLUMN link_existing_accounts boolean NOT NULL DEFAULT false`);
    await q.query(`ALTER TABLE users ADD COLUMN sso_link_confirmed_until timestamptz`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE users DROP COLUMN sso_link_confirmed_until`);
    await q.query(`ALTER TABLE tenant_sso_settings DROP COLUMN link_existing_accounts`);
    await q.query(`DROP TABLE saml_handoffs`);
    await q.query(`ALTER TABLE saml_requests DROP COLUMN browser_binding`);
  }
}
