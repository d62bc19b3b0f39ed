import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Approval routes (承認フロー, issue 19): a tenant's routes (which actions they apply to, ordered
 * steps of approvers, any/all), the approval requests an application's submission (or 補正, 取下げ)
 * waits on, and each approver's decision. `approval_routes.client_id` names a 顧問先 without a
 * foreign key: the client table is added separately, and the route matching (ApprovalsService.routeFor)
 * is the one place that compares it. Comments and a 取下げ reason are sealed (they may name people).
 */
export class ApprovalRoutes1765000000730 implements MigrationInterface {
  name = 'ApprovalRoutes1765000000730';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE applications DROP CONSTRAINT applications_status_check`);
    await q.query(`
      ALTER TABLE applications ADD CONSTRAINT applications_status_check CHECK (status IN ('draft', 'ready', 'awaiting_approval',
        'submitting', 'arrived', 'under_review', 'correction_requested', 'review_finished', 'completed', 'withdrawn', 'failed'))`);
    await q.query(`
      CREATE TABLE approval_routes (
        id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants(id),
        position int NOT NULL,
        client_id uuid,
        applies_to text[] NOT NULL,
        steps jsonb NOT NULL,
        allow_self_approval boolean NOT NULL DEFAULT false,
        updated_by uuid,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX approval_routes_tenant_idx ON approval_routes (tenant_id, position)`);
    await q.query(`
      CREATE TABLE approval_requests (
        id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants(id),
        application_id uuid NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
        route_id uuid,
        action text NOT NULL CHECK (action IN ('submit', 'amend', 'withdraw')),
        steps jsonb NOT NULL,
        allow_self_approval boolean NOT NULL,
        current_step int NOT NULL DEFAULT 0,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'sent_back', 'cancelled')),
        application_version int NOT NULL,
        requested_by text NOT NULL,
        idempotency_key text NOT NULL,
        amend_version int,
        reason_sealed bytea,
        created_at timestamptz NOT NULL DEFAULT now(),
        decided_at timestamptz
      )`);
    // At most one approval under way per application: a second submit cannot open a parallel one.
    await q.query(
      `CREATE UNIQUE INDEX approval_requests_one_pending ON approval_requests (tenant_id, application_id) WHERE status = 'pending'`,
    );
    await q.query(`CREATE INDEX approval_requests_tenant_idx ON approval_requests (tenant_id, status, created_at DESC)`);
    await q.query(`
      CREATE TABLE approval_decisions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants(id),
        approval_id uuid NOT NULL REFERENCES approval_requests(id) ON DELETE CASCADE,
        step int NOT NULL,
        user_id uuid NOT NULL,
        decision text NOT NULL CHECK (decision IN ('approved', 'sent_back')),
        comment_sealed bytea,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    // One decision per approver and step: a double click cannot count twice toward "all".
    await q.query(`CREATE UNIQUE INDEX approval_decisions_once ON approval_decisions (approval_id, step, user_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE approval_decisions');
    await q.query('DROP TABLE approval_requests');
    await q.query('DROP TABLE approval_routes');
    await q.query(`UPDATE applications SET status = 'draft' WHERE status = 'awaiting_approval'`);
    await q.query(`ALTER TABLE applications DROP CONSTRAINT applications_status_check`);
    await q.query(`
      ALTER TABLE applications ADD CONSTRAINT applications_status_check CHECK (status IN ('draft', 'ready', 'submitting', 'arrived',
        'under_review', 'correction_requested', 'review_finished', 'completed', 'withdrawn', 'failed'))`);
  }
}
