import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Operator alerts (issue 17, libs/notifications/src/alerts):
 * - operator_alerts: one row per opening of an alert. `cause` is the dedupe key (`health:scanner`,
 *   `backup.failed:<tenantId>`, …); the partial unique index allows one open row per cause, so N
 *   instances raising the same cause at once end in one row (INSERT … ON CONFLICT DO UPDATE).
 *   summary and details hold no personal data and no tenant content (ids, counts, error classes).
 *   incident_id links the customer incident it became (no foreign key: the incidents table belongs
 *   to the incidents feature and may be migrated in either order); incident_auto says whether the
 *   alert → incident rule created it (then the alert's resolution resolves it too).
 * - alert_conditions: when the current run of failures of a condition began (e.g. e-Gov
 *   unreachable), shared by all instances, so "unreachable for N minutes" counts across them.
 */
export class OperatorAlerts1765000000620 implements MigrationInterface {
  name = 'OperatorAlerts1765000000620';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE operator_alerts (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        cause text NOT NULL,
        kind text NOT NULL,
        summary text NOT NULL,
        details jsonb NOT NULL DEFAULT '{}'::jsonb,
        customer_impact boolean NOT NULL DEFAULT false,
        opened_at timestamptz NOT NULL DEFAULT now(),
        last_seen_at timestamptz NOT NULL DEFAULT now(),
        occurrences integer NOT NULL DEFAULT 1,
        resolved_at timestamptz,
        incident_id uuid,
        incident_auto boolean NOT NULL DEFAULT false
      )`);
    await q.query(`CREATE UNIQUE INDEX operator_alerts_open_cause ON operator_alerts (cause) WHERE resolved_at IS NULL`);
    await q.query(`CREATE INDEX operator_alerts_opened ON operator_alerts (opened_at DESC)`);
    await q.query(`
      CREATE TABLE alert_conditions (
        cause text PRIMARY KEY,
        failing_since timestamptz NOT NULL DEFAULT now(),
        last_failure_at timestamptz NOT NULL DEFAULT now(),
        failures integer NOT NULL DEFAULT 1
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE alert_conditions`);
    await q.query(`DROP TABLE operator_alerts`);
  }
}
