import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Key-file second factor (public keys only), pending login sessions with a
 * single-use challenge, and API tokens for integrators (hashes only).
 */
export class KeyFilesAndTokens1764200000000 implements MigrationInterface {
  name = 'KeyFilesAndTokens1764200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE user_keys (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid REFERENCES tenants(id) ON DELETE CASCADE,
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        key_id text NOT NULL,
        label text NOT NULL,
        public_jwk jsonb NOT NULL,
        issued_by text NOT NULL CHECK (issued_by IN ('self', 'admin')),
        issued_by_user uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz,
        revoked_at timestamptz,
        revoked_by uuid
      )`);
    await q.query(`CREATE UNIQUE INDEX user_keys_user_key_key ON user_keys (user_id, key_id)`);
    // Until a user has a key: may they create one themselves at login? (invited, created, or reset by an admin)
    await q.query(`ALTER TABLE users ADD COLUMN key_enrolment_allowed boolean NOT NULL DEFAULT true`);
    await q.query(`ALTER TABLE sessions ADD COLUMN stage text NOT NULL DEFAULT 'full' CHECK (stage IN ('pending', 'full'))`);
    await q.query(`ALTER TABLE sessions ADD COLUMN pending_kind text CHECK (pending_kind IN ('keyfile', 'enroll'))`);
    await q.query(`ALTER TABLE sessions ADD COLUMN challenge text`);
    await q.query(`ALTER TABLE sessions ADD COLUMN challenge_expires_at timestamptz`);
    await q.query(`ALTER TABLE sessions ADD COLUMN key_id text`);
    await q.query(`CREATE INDEX sessions_key_idx ON sessions (user_id, key_id) WHERE revoked_at IS NULL`);
    await q.query(`
      CREATE TABLE api_tokens (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        name text NOT NULL,
        token_hash bytea NOT NULL,
        scopes text[] NOT NULL,
        created_by uuid NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        last_used_at timestamptz,
        last_audited_at timestamptz,
        revoked_at timestamptz
      )`);
    await q.query(`CREATE UNIQUE INDEX api_tokens_hash_key ON api_tokens (token_hash)`);
    await q.query(`CREATE INDEX api_tokens_tenant_idx ON api_tokens (tenant_id, created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE api_tokens`);
    await q.query(`DROP INDEX sessions_key_idx`);
    await q.query(
      `ALTER TABLE sessions DROP COLUMN key_id, DROP COLUMN challenge_expires_at, DROP COLUMN challenge, DROP COLUMN pending_kind, DROP COLUMN stage`,
    );
    await q.query(`ALTER TABLE users DROP COLUMN key_enrolment_allowed`);
    await q.query(`DROP TABLE user_keys`);
  }
}
