import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The e-mail outbox (libs/notifications/src/mail): a mail is a row written in the transaction of the
 * business change that causes it, so it exists iff that change committed; a worker sends the due rows
 * (claimed with FOR UPDATE SKIP LOCKED under a lease), retrying with backoff for a day.
 * `vars` holds ids, counts and titles written by operators, never names of people or form content;
 * `last_error` never holds an address. tenant_id is null for the platform's own mails (operator alerts).
 */
export class MailOutbox1765000000600 implements MigrationInterface {
  name = 'MailOutbox1765000000600';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE mail_outbox (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid REFERENCES tenants(id) ON DELETE CASCADE,
        recipient text NOT NULL,
        template text NOT NULL,
        locale text NOT NULL DEFAULT 'ja' CHECK (locale IN ('ja', 'en')),
        vars jsonb NOT NULL DEFAULT '{}',
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
        attempts int NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        last_error text,
        message_id text,
        created_at timestamptz NOT NULL DEFAULT now(),
        sent_at timestamptz
      )`);
    await q.query(`CREATE INDEX mail_outbox_due_idx ON mail_outbox (next_attempt_at) WHERE status = 'pending'`);
    await q.query(`CREATE INDEX mail_outbox_tenant_idx ON mail_outbox (tenant_id, created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE mail_outbox`);
  }
}
