import { DomainError } from '@charlotte/core';
import { failureReason, INTERNAL_FAILURE_REASON, runDueJobs } from './durable-job';
import { EgovError } from './egov-client';
import { EgovPackageError } from './package/errors';

describe(failureReason.name, () => {
  it('keeps e-Gov wording and our fixed texts for the user', () => {
    expect(failureReason(new EgovError('permanent', 'この申請は取り下げられません', 400))).toBe('この申請は取り下げられません');
    expect(failureReason(new DomainError(409, 'egov_not_linked', 'Not linked', 'Link the account first.'))).toBe(
      'egov_not_linked: Link the account first.',
    );
  });

  it('never stores or shows internal error text (SQL, paths, input) — security review finding 10', () => {
    for (const e of [
      new Error('duplicate key value violates unique constraint "submissions_application_key"'),
      Object.assign(new Error("ENOENT: no such file or directory, open '/srv/charlotte/data/blobs/t/abc'"), { code: 'ENOENT' }),
      new TypeError("Cannot read properties of undefined (reading 'name')"),
      'a thrown string',
    ]) {
      expect(failureReason(e)).toBe(INTERNAL_FAILURE_REASON);
    }
    const pkg = failureReason(new EgovPackageError('egov_package_invalid_form', 'form.name: 山田 太郎 is too long', 'form.name'));
    expect(pkg).toMatch(/^egov_package_invalid_form: /);
    expect(pkg).not.toContain('山田');
  });
});

/** runDueJobs with a claim that hands out jobs from memory as claimDue would (each once, never an excluded tenant's). */
describe(runDueJobs.name, () => {
  interface Job {
    id: number;
    tenant_id: string;
    unknown?: boolean;
  }
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  function harness(jobs: Job[]) {
    const due = [...jobs];
    const sent: number[] = [];
    const running = new Map<string, number>();
    let runningAll = 0;
    let peakAll = 0;
    const peakTenant = new Map<string, number>();
    const log: string[] = [];
    const claim = async (excluded: readonly string[]) => {
      await sleep(1);
      const i = due.findIndex((j) => !excluded.includes(j.tenant_id));
      return i < 0 ? undefined : due.splice(i, 1)[0];
    };
    const send = async (j: Job) => {
      runningAll++;
      running.set(j.tenant_id, (running.get(j.tenant_id) ?? 0) + 1);
      peakAll = Math.max(peakAll, runningAll);
      peakTenant.set(j.tenant_id, Math.max(peakTenant.get(j.tenant_id) ?? 0, running.get(j.tenant_id)!));
      log.push(`start ${j.id}${j.unknown ? ' alone' : ''} with ${running.get(j.tenant_id)! - 1} others of ${j.tenant_id}`);
      await sleep(15);
      sent.push(j.id);
      log.push(`end ${j.id}`);
      runningAll--;
      running.set(j.tenant_id, running.get(j.tenant_id)! - 1);
      if (j.id === 3) throw new Error('boom');
    };
    return { claim, send, sent, log, peak: () => ({ all: peakAll, tenant: Object.fromEntries(peakTenant) }) };
  }

  it('sends up to `global` jobs at once and `perTenant` of one tenant, each job once; failures go to failed()', async () => {
    const jobs: Job[] = Array.from({ length: 12 }, (_, i) => ({ id: i, tenant_id: i % 3 === 0 ? 'a' : i % 3 === 1 ? 'b' : 'c' }));
    const h = harness(jobs);
    const failed: number[] = [];
    const n = await runDueJobs(h.claim, h.send, async (j) => void failed.push(j.id), undefined, { global: 4, perTenant: 2 });
    expect(n).toBe(12);
    expect([...h.sent].sort((x, y) => x - y)).toEqual(jobs.map((j) => j.id));
    expect(failed).toEqual([3]);
    expect(h.peak().all).toBe(4);
    for (const p of Object.values(h.peak().tenant)) expect(p).toBeLessThanOrEqual(2);
  });

  it('defaults to one at a time', async () => {
    const h = harness(Array.from({ length: 4 }, (_, i) => ({ id: 10 + i, tenant_id: `t${i}` })));
    expect(await runDueJobs(h.claim, h.send, async () => undefined)).toBe(4);
    expect(h.peak().all).toBe(1);
  });

  it('runs an exclusive job (unknown outcome) alone for its tenant: after the others, with none beside it', async () => {
    const jobs: Job[] = [
      { id: 20, tenant_id: 'a' },
      { id: 21, tenant_id: 'a', unknown: true },
      { id: 22, tenant_id: 'a' },
      { id: 23, tenant_id: 'b' },
      { id: 24, tenant_id: 'a' },
    ];
    const h = harness(jobs);
    const n = await runDueJobs(
      h.claim,
      h.send,
      async () => undefined,
      undefined,
      { global: 4, perTenant: 3 },
      (j) => !!j.unknown,
    );
    expect(n).toBe(5);
    expect(h.log).toContain('start 21 alone with 0 others of a');
    // While 21 ran, no other job of tenant a started; after it, the others of a ran side by side again.
    const during = h.log.slice(h.log.indexOf('start 21 alone with 0 others of a') + 1, h.log.indexOf('end 21'));
    expect(during.filter((l) => l.startsWith('start') && l.endsWith(' of a'))).toEqual([]);
    expect(h.peak().tenant.a).toBeGreaterThanOrEqual(2);
    expect(h.peak().tenant.b).toBe(1);
  });
});
