import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 18 「e-Gov連携」: the settings page says which e-Gov account is linked and when its tokens
 * expire. Nothing identified the account so far (the tokens were the only record of it):
 * - account_sealed: the e-Gov account id from the OpenID Connect id token of the link
 *   (`preferred_username`, else `sub`), sealed with the tenant key like other personal data (an
 *   e-Gov account id is often a mail address). No token, no secret.
 * - access_expires_at / refresh_expires_at: when the current access and refresh tokens expire, kept
 *   in step with the sealed token set at each link and refresh (plain: times are not secrets, and
 *   a job may look for links about to lapse). NULL for links made before this migration (and a
 *   refresh token e-Gov gave no lifetime for) until the next refresh or link.
 */
export class EgovAccountIdentity1765000000670 implements MigrationInterface {
  name = 'EgovAccountIdentity1765000000670';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE egov_accounts ADD COLUMN account_sealed bytea, ADD COLUMN access_expires_at timestamptz, ADD COLUMN refresh_expires_at timestamptz`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE egov_accounts DROP COLUMN account_sealed, DROP COLUMN access_expires_at, DROP COLUMN refresh_expires_at`);
  }
}
