import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One row per run of a scheduled job and the cron slot (the minute) it was
 * fired for, so that a job scheduled on every API instance runs once per slot
 * (`runOncePerSlot`). The advisory lock alone only keeps two runs from
 * overlapping: an instance whose timer fired after the winner had finished ran
 * the job again (a second nightly backup generation, a second weekly remote
 * copy). No tenant content; rows older than 90 days are removed on the way.
 */
export class ScheduledJobRuns1765000000640 implements MigrationInterface {
  name = 'ScheduledJobRuns1765000000640';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE scheduled_job_runs (
        job text NOT NULL,
        slot timestamptz NOT NULL,
        claimed_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (job, slot)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE scheduled_job_runs');
  }
}
