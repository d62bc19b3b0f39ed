import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Customer mails (issue 17):
 * - notification_preferences: per user, whether they receive the filing mails (到達, 補正, 手続終了,
 *   公文書, failures) and, for administrators, the daily digest of drafts. No row = both on.
 * - notification_digest_runs: the day (JST) a tenant's digest was enqueued, so that two instances
 *   whose cron fires at the same minute send it once (the advisory lock alone does not exclude a
 *   second run that starts after the first one finished).
 */
export class NotificationPreferences1765000000601 implements MigrationInterface {
  name = 'NotificationPreferences1765000000601';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE notification_preferences (
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        filing_mail boolean NOT NULL DEFAULT true,
        draft_digest boolean NOT NULL DEFAULT true,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, user_id)
      )`);
    await q.query(`
      CREATE TABLE notification_digest_runs (
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        digest_day date NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, digest_day)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE notification_digest_runs`);
    await q.query(`DROP TABLE notification_preferences`);
  }
}
