import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * e-Gov API v2 as it really is (issue 16):
 * - egov_settings: per tenant, whether filings go to e-Gov as trial calls (X-eGovAPI-Trial: true,
 *   試行: e-Gov checks the package and files nothing). Its own table, so that the choice survives an
 *   unlink and a new link of the e-Gov account (a tenant testing must not start filing for real
 *   because someone linked the account again).
 * - submissions.trial: the submission was sent in trial mode (no real case: the poll does not follow it).
 * - egov_case_notices.correct_type / correct_expires_on: the 補正種別 (部分補正, 再提出,
 *   手続終了(再提出可)) and the 補正期限 of a 補正 notice, which decide between POST /apply/amend and a
 *   new POST /apply. notice_sub_id stays text in storage (an integer on the wire, converted at the edge).
 */
export class EgovTrialMode1765000000500 implements MigrationInterface {
  name = 'EgovTrialMode1765000000500';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE egov_settings (
        tenant_id uuid PRIMARY KEY REFERENCES tenants(id),
        trial_mode boolean NOT NULL DEFAULT false,
        updated_by uuid,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`ALTER TABLE submissions ADD COLUMN trial boolean NOT NULL DEFAULT false`);
    await q.query(`ALTER TABLE egov_case_notices ADD COLUMN correct_type text, ADD COLUMN correct_expires_on date`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE egov_case_notices DROP COLUMN correct_type, DROP COLUMN correct_expires_on`);
    await q.query(`ALTER TABLE submissions DROP COLUMN trial`);
    await q.query(`DROP TABLE egov_settings`);
  }
}
