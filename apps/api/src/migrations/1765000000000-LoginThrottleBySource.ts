import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Failed-login counters per account *and source address* (security review,
 * findings 3 and 5). A counter per account alone let anyone lock any account
 * out (break-glass administrators and the operator included) and told known
 * accounts from unknown ones (423 for the first, 401 for ever for the second).
 *
 * `subject` is the user id, or for an unknown account a SHA-256 of
 * tenant code and e-mail (so unknown accounts lock exactly like known ones
 * without storing the e-mail). `source` is the client address as Express
 * resolves it under TRUST_PROXY, or '*' for the account-wide backstop.
 */
export class LoginThrottleBySource1765000000000 implements MigrationInterface {
  name = 'LoginThrottleBySource1765000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE login_failures (
        subject text NOT NULL,
        source text NOT NULL,
        tenant_id uuid REFERENCES tenants(id) ON DELETE CASCADE,
        user_id uuid REFERENCES users(id) ON DELETE CASCADE,
        failures int NOT NULL DEFAULT 0,
        window_start timestamptz NOT NULL DEFAULT now(),
        locked_until timestamptz,
        PRIMARY KEY (subject, source)
      )`);
    await q.query(`CREATE INDEX login_failures_user_idx ON login_failures (user_id) WHERE user_id IS NOT NULL`);
    await q.query(`CREATE INDEX login_failures_window_idx ON login_failures (window_start)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE login_failures');
  }
}
