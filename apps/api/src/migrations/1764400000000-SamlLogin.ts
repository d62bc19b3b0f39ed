import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * SAML login state shared by every instance: the AuthnRequests we issued
 * (InResponseTo is accepted once, by the tenant that issued it) and the
 * assertion ids already used (a replay is refused until the assertion expires).
 */
export class SamlLogin1764400000000 implements MigrationInterface {
  name = 'SamlLogin1764400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE saml_requests (
        request_id text PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        relay_id text NOT NULL,
        return_to text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX saml_requests_expires_idx ON saml_requests (expires_at)`);
    await q.query(`
      CREATE TABLE saml_assertion_ids (
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        assertion_id text NOT NULL,
        expires_at timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, assertion_id)
      )`);
    await q.query(`CREATE INDEX saml_assertion_ids_expires_idx ON saml_assertion_ids (expires_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE saml_assertion_ids`);
    await q.query(`DROP TABLE saml_requests`);
  }
}
