import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * 顧問先 (client companies) of a sharoushi tenant (issue 19).
 * - `tenants.kind`: `company` (every existing tenant, unchanged) or `sharoushi`.
 * - `clients`: name and notes sealed like the offices' data (customer content); the code stays
 *   plain so that it can be unique per tenant and matched on CSV import.
 * - `offices.client_id`: the office's client, in the same tenant (composite foreign key on
 *   (tenant_id, client_id): an office can never point at another tenant's client).
 * - `client_assignments` / `client_assignment_scopes`: which clients a staff member (role member)
 *   sees and with which rights, or all of them. No row means nothing (default deny).
 */
export class Clients1765000001910 implements MigrationInterface {
  name = 'Clients1765000001910';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE tenants ADD COLUMN kind text NOT NULL DEFAULT 'company' CHECK (kind IN ('company', 'sharoushi'))`);
    await q.query(`
      CREATE TABLE clients (
        id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants(id),
        code text,
        name_sealed bytea NOT NULL,
        notes_sealed bytea,
        portal_enabled boolean NOT NULL DEFAULT false,
        version int NOT NULL DEFAULT 1,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT clients_tenant_id_key UNIQUE (tenant_id, id)
      )`);
    await q.query(`CREATE UNIQUE INDEX clients_tenant_code_key ON clients (tenant_id, code) WHERE code IS NOT NULL`);
    await q.query(`ALTER TABLE offices ADD COLUMN client_id uuid`);
    await q.query(
      `ALTER TABLE offices ADD CONSTRAINT offices_client_fk FOREIGN KEY (tenant_id, client_id) REFERENCES clients (tenant_id, id)`,
    );
    await q.query(`CREATE INDEX offices_client_idx ON offices (tenant_id, client_id)`);
    await q.query(`
      CREATE TABLE client_assignment_scopes (
        tenant_id uuid NOT NULL REFERENCES tenants(id),
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        all_clients boolean NOT NULL DEFAULT false,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, user_id)
      )`);
    await q.query(`
      CREATE TABLE client_assignments (
        tenant_id uuid NOT NULL REFERENCES tenants(id),
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        client_id uuid NOT NULL,
        rights text[] NOT NULL DEFAULT '{}' CHECK (rights <@ ARRAY['draft', 'submit', 'documents', 'offices']::text[]),
        PRIMARY KEY (tenant_id, user_id, client_id),
        FOREIGN KEY (tenant_id, client_id) REFERENCES clients (tenant_id, id) ON DELETE CASCADE
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE client_assignments`);
    await q.query(`DROP TABLE client_assignment_scopes`);
    await q.query(`ALTER TABLE offices DROP CONSTRAINT offices_client_fk`);
    await q.query(`ALTER TABLE offices DROP COLUMN client_id`);
    await q.query(`DROP TABLE clients`);
    await q.query(`ALTER TABLE tenants DROP COLUMN kind`);
  }
}
