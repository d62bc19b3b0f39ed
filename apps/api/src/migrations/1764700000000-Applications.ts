import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Offices, applications with their status timeline, and attachments. Customer
 * content (office data, titles, forms, file names) is sealed with the tenant's
 * data key; ids, status, procedure code, sizes and timestamps are plain
 * (architecture.md, "Encryption at rest").
 */
export class Applications1764700000000 implements MigrationInterface {
  name = 'Applications1764700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE offices (
        id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants(id),
        data_sealed bytea NOT NULL,
        version int NOT NULL DEFAULT 1,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        deleted_at timestamptz
      )`);
    await q.query(`CREATE INDEX offices_tenant_idx ON offices (tenant_id, created_at, id)`);
    await q.query(`
      CREATE TABLE applications (
        id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants(id),
        office_id uuid NOT NULL REFERENCES offices(id),
        procedure_code text NOT NULL,
        procedure_version int NOT NULL,
        status text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'ready', 'submitting', 'arrived', 'under_review',
          'correction_requested', 'review_finished', 'completed', 'withdrawn', 'failed')),
        title_sealed bytea NOT NULL,
        form_sealed bytea NOT NULL,
        version int NOT NULL DEFAULT 1,
        created_by text,
        updated_by text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX applications_tenant_created_idx ON applications (tenant_id, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX applications_tenant_status_idx ON applications (tenant_id, status)`);
    await q.query(`CREATE INDEX applications_tenant_office_idx ON applications (tenant_id, office_id)`);
    // The status timeline: codes only (no form content), shown on the detail page.
    await q.query(`
      CREATE TABLE application_events (
        id bigserial PRIMARY KEY,
        tenant_id uuid NOT NULL,
        application_id uuid NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
        at timestamptz NOT NULL DEFAULT now(),
        kind text NOT NULL,
        from_status text,
        to_status text,
        actor text,
        details jsonb NOT NULL DEFAULT '{}'::jsonb
      )`);
    await q.query(`CREATE INDEX application_events_app_idx ON application_events (tenant_id, application_id, id)`);
    await q.query(`
      CREATE TABLE attachments (
        id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants(id),
        application_id uuid NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
        name_sealed bytea NOT NULL,
        content_type text NOT NULL,
        size bigint NOT NULL,
        sha256 bytea NOT NULL,
        blob_key text NOT NULL,
        scan text NOT NULL CHECK (scan IN ('clean')),
        created_by text,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX attachments_app_idx ON attachments (tenant_id, application_id, created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE attachments`);
    await q.query(`DROP TABLE application_events`);
    await q.query(`DROP TABLE applications`);
    await q.query(`DROP TABLE offices`);
  }
}
