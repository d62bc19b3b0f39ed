import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * e-Gov account linking bound to the browser that started it (security
 * review, finding 4: the callback was authorised by `state` alone, so an
 * administrator could start a link, send the e-Gov login URL to someone of
 * another company, and hold that company's e-Gov tokens once they logged in).
 * The SHA-256 of a random secret set as a cookie in the starting browser;
 * requests started before this migration cannot finish (they live 10 minutes).
 */
export class EgovLinkBrowserBinding1765000000010 implements MigrationInterface {
  name = 'EgovLinkBrowserBinding1765000000010';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM egov_link_requests`);
    await q.query(`ALTER TABLE egov_link_requests ADD COLUMN browser_binding bytea NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE egov_link_requests DROP COLUMN browser_binding`);
  }
}
