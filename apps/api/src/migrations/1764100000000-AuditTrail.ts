import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Audit trail: append-only events in hash chains, chain heads, signed checkpoints.
 * No foreign key to tenants: the trail outlives a deleted tenant for its retention.
 */
export class AuditTrail1764100000000 implements MigrationInterface {
  name = 'AuditTrail1764100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE audit_chains (
        chain_key text PRIMARY KEY,
        tenant_id uuid,
        head_seq bigint NOT NULL DEFAULT 0,
        head_hash bytea NOT NULL DEFAULT '\\x0000000000000000000000000000000000000000000000000000000000000000'::bytea
      )`);
    await q.query(`
      CREATE TABLE audit_events (
        chain_key text NOT NULL,
        seq bigint NOT NULL,
        id uuid NOT NULL,
        occurred_at timestamptz NOT NULL,
        category text NOT NULL CHECK (category IN ('operation', 'access', 'security', 'system')),
        action text NOT NULL,
        outcome text NOT NULL CHECK (outcome IN ('success', 'failure', 'denied')),
        tenant_id uuid,
        actor_type text NOT NULL,
        actor_id text,
        target_type text,
        target_id text,
        request_id text,
        ip text,
        user_agent text,
        details jsonb NOT NULL DEFAULT '{}'::jsonb,
        prev_hash bytea NOT NULL,
        hash bytea NOT NULL,
        PRIMARY KEY (chain_key, seq)
      )`);
    await q.query(`CREATE UNIQUE INDEX audit_events_id_key ON audit_events (id)`);
    await q.query(`CREATE INDEX audit_events_chain_time_idx ON audit_events (chain_key, occurred_at)`);
    await q.query(`CREATE INDEX audit_events_chain_action_idx ON audit_events (chain_key, action, seq)`);
    await q.query(`
      CREATE TABLE audit_checkpoints (
        id bigserial PRIMARY KEY,
        chain_key text NOT NULL,
        kind text NOT NULL CHECK (kind IN ('head', 'purge')),
        seq bigint NOT NULL,
        hash bytea NOT NULL,
        created_at timestamptz NOT NULL,
        key_id text NOT NULL,
        signature text NOT NULL
      )`);
    await q.query(`CREATE INDEX audit_checkpoints_chain_idx ON audit_checkpoints (chain_key, seq)`);
    // Append-only: UPDATE and DELETE are refused, except DELETE by the retention
    // purge, which sets charlotte.audit_purge inside its own transaction.
    await q.query(`
      CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'DELETE' AND TG_TABLE_NAME = 'audit_events' AND current_setting('charlotte.audit_purge', true) = 'on' THEN
          RETURN OLD;
        END IF;
        RAISE EXCEPTION '% is append-only (% refused)', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$`);
    for (const table of ['audit_events', 'audit_checkpoints']) {
      await q.query(
        `CREATE TRIGGER ${table}_append_only BEFORE UPDATE OR DELETE ON ${table} FOR EACH ROW EXECUTE FUNCTION audit_append_only()`,
      );
      await q.query(
        `CREATE TRIGGER ${table}_no_truncate BEFORE TRUNCATE ON ${table} FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()`,
      );
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE audit_checkpoints`);
    await q.query(`DROP TABLE audit_events`);
    await q.query(`DROP TABLE audit_chains`);
    await q.query(`DROP FUNCTION audit_append_only()`);
  }
}
