import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * 顧問先ポータル (client portal, issue 19).
 * - `users.role` may be `client`: a user of one 顧問先, who logs in (same password and key-file
 *   rules) to see that client's applications and 公文書 and to send 依頼 to the office.
 * - `users.client_id`: that client, in the same tenant (composite foreign key on (tenant_id,
 *   client_id): a portal user can never point at another tenant's client). Set iff role = client
 *   (CHECK). Clients exist only in sharoushi tenants (ClientsService refuses them elsewhere), so
 *   portal users do too.
 * - `client_requests` (依頼): title and body sealed with the tenant's data key like the clients'
 *   notes (customer content); status, ids and times plain. Indexed for the keyset-paged lists
 *   (newest first, per tenant and per client). A client's requests go with the client.
 */
export class ClientPortal1765000002000 implements MigrationInterface {
  name = 'ClientPortal1765000002000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE users DROP CONSTRAINT users_role_check`);
    await q.query(`ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('admin', 'member', 'operator', 'client'))`);
    await q.query(`ALTER TABLE users ADD COLUMN client_id uuid`);
    await q.query(`ALTER TABLE users ADD CONSTRAINT users_client_fk FOREIGN KEY (tenant_id, client_id) REFERENCES clients (tenant_id, id)`);
    await q.query(`ALTER TABLE users ADD CONSTRAINT users_client_role_check CHECK ((role = 'client') = (client_id IS NOT NULL))`);
    await q.query(`CREATE INDEX users_client_idx ON users (tenant_id, client_id) WHERE client_id IS NOT NULL`);
    await q.query(`
      CREATE TABLE client_requests (
        id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants(id),
        client_id uuid NOT NULL,
        created_by uuid NOT NULL REFERENCES users(id),
        title_sealed bytea NOT NULL,
        body_sealed bytea NOT NULL,
        status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
        closed_by uuid REFERENCES users(id),
        closed_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        FOREIGN KEY (tenant_id, client_id) REFERENCES clients (tenant_id, id) ON DELETE CASCADE,
        CHECK ((status = 'closed') = (closed_at IS NOT NULL))
      )`);
    await q.query(`CREATE INDEX client_requests_list_idx ON client_requests (tenant_id, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX client_requests_client_idx ON client_requests (tenant_id, client_id, created_at DESC, id DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE client_requests`);
    await q.query(`DROP INDEX users_client_idx`);
    await q.query(`ALTER TABLE users DROP CONSTRAINT users_client_role_check`);
    await q.query(`ALTER TABLE users DROP CONSTRAINT users_client_fk`);
    await q.query(`ALTER TABLE users DROP COLUMN client_id`);
    await q.query(`ALTER TABLE users DROP CONSTRAINT users_role_check`);
    await q.query(`ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('admin', 'member', 'operator'))`);
  }
}
