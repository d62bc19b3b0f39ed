import { BackupJobs } from '@charlotte/backup';
import { cronSlot, runOncePerSlot } from '@charlotte/core';
import { seedTenant, startTestApp, TestApp } from '../support/app';

/**
 * Scheduled jobs on N instances (issue 17, deployment with two replicas): every
 * instance's timer fires for the same cron slot; the job must run once. The
 * advisory lock alone only kept two runs from overlapping, so an instance whose
 * timer fired after the winner had finished made a second nightly generation.
 */
describe('scheduled jobs across instances', () => {
  let a: TestApp;
  let b: TestApp;
  let tenantId: string;

  beforeAll(async () => {
    const env = { CLAMD_SOCKET: process.env.CLAMD_SOCKET ?? '/tmp/charlotte-clamd/clamd.sock' };
    a = await startTestApp(env);
    b = await startTestApp(env, { db: a.db });
    tenantId = (await seedTenant(a, 'slots')).tenantId;
  }, 120_000);

  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  const generations = async () =>
    (await a.ds.query(`SELECT count(*)::int AS n FROM backup_generations WHERE tenant_id = $1 AND kind = 'daily'`, [tenantId]))[0]
      .n as number;

  it('the nightly backup fired on two instances for one slot makes one generation; the next slot makes another', async () => {
    const fired = new Date('2026-12-03T17:00:00.120Z'); // 02:00 JST
    const ranA = await runOncePerSlot(a.ds, 'backup-nightly', fired, () => a.app.get(BackupJobs).runNightly(fired));
    // (The job bodies run on instance a, whose DATA_DIR holds the test's master key; the claims go through both.)
    // The second instance's timer fires later in the same minute, after the first run has finished.
    const late = new Date(fired.getTime() + 1_500);
    const ranB = await runOncePerSlot(b.ds, 'backup-nightly', late, () => a.app.get(BackupJobs).runNightly(late));
    expect([ranA, ranB]).toEqual([true, false]);
    expect(await generations()).toBe(1);

    const nextNight = new Date(fired.getTime() + 24 * 3600_000);
    let report: unknown;
    const ranNext = await runOncePerSlot(b.ds, 'backup-nightly', nextNight, async () => {
      report = await a.app.get(BackupJobs).runNightly(nextNight);
    });
    expect(ranNext).toBe(true);
    expect(report).toMatchObject({ completed: [tenantId], failed: [] });
    expect(await generations()).toBe(2);
  }, 120_000);

  it('slots are per job and per minute', async () => {
    const at = new Date('2026-12-04T00:00:59.999Z');
    expect(cronSlot(at).toISOString()).toBe('2026-12-04T00:00:00.000Z');
    let runs = 0;
    const job = async () => void runs++;
    expect(await runOncePerSlot(a.ds, 'x', at, job)).toBe(true);
    expect(await runOncePerSlot(b.ds, 'y', at, job)).toBe(true);
    expect(await runOncePerSlot(b.ds, 'x', new Date('2026-12-04T00:00:00.000Z'), job)).toBe(false);
    expect(await runOncePerSlot(b.ds, 'x', new Date('2026-12-04T00:01:00.000Z'), job)).toBe(true);
    expect(runs).toBe(3);
  });
});
