import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 19, webhooks for integrators (libs/webhooks, api.md "Webhooks").
 *
 * webhooks: a tenant's endpoints. `secret_sealed` is the signing secret sealed with the tenant's key
 * (SealingService, purpose `webhook.secret`): it must be read back to sign, so it is encrypted, not
 * hashed, and it goes with the tenant's key (rotation re-seals it, crypto-shredding destroys it).
 * `status` is `active` or `disabled` (by an administrator, or automatically after a day of failures:
 * `disabled_reason`).
 *
 * webhook_deliveries: the durable outbox and the delivery log at once. A row is written in the
 * transaction of the status change that causes it (or by ping / redeliver); the worker claims due rows
 * with FOR UPDATE SKIP LOCKED under a lease (next_attempt_at), like mail_outbox. `body` is the exact
 * JSON that is signed and sent (ids and states only); the log keeps the response code, an error class
 * (never the receiver's answer) and the response time of the last attempt.
 */
export class Webhooks1765000000930 implements MigrationInterface {
  name = 'Webhooks1765000000930';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE webhooks (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        url text NOT NULL CHECK (char_length(url) BETWEEN 9 AND 2048),
        events text[] NOT NULL,
        description text CHECK (char_length(description) <= 200),
        secret_sealed bytea NOT NULL,
        status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
        disabled_reason text CHECK (disabled_reason IN ('admin', 'failures')),
        disabled_at timestamptz,
        created_by uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX webhooks_tenant_idx ON webhooks (tenant_id, created_at)`);
    await q.query(`
      CREATE TABLE webhook_deliveries (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        webhook_id uuid NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
        event_id uuid NOT NULL,
        event_type text NOT NULL,
        body text NOT NULL,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
        attempts int NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        last_attempt_at timestamptz,
        last_status_code int,
        last_error text,
        last_response_ms int,
        redelivery_of uuid,
        created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        delivered_at timestamptz
      )`);
    await q.query(`CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) WHERE status = 'pending'`);
    await q.query(`CREATE INDEX webhook_deliveries_log_idx ON webhook_deliveries (tenant_id, webhook_id, created_at DESC, id DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM notices WHERE kind = 'webhook_disabled'`);
    await q.query(`DROP TABLE webhook_deliveries`);
    await q.query(`DROP TABLE webhooks`);
  }
}
