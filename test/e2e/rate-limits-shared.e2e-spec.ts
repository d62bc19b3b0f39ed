import request from 'supertest';
import { DataSource } from 'typeorm';
import { metricsRegistry } from '@charlotte/core';
import { PASSWORD, seedTenant, Seeded, startTestApp, TestApp } from '../support/app';
import { localBatchOf, PgThrottlerStorage } from '../../libs/auth/src/rate-limits/pg-throttler-storage';
import { RateLimitCleanupJob } from '../../libs/auth/src/rate-limits/rate-limit-cleanup.job';

/**
 * Per-IP rate limits shared by every API instance through PostgreSQL
 * (issue 17): two instances on one database enforce one limit, not two.
 */
describe('Rate limits across instances', () => {
  let a: TestApp;
  let b: TestApp;
  let acme: Seeded;

  beforeAll(async () => {
    a = await startTestApp({ RATE_LIMIT_LOGIN_PER_MINUTE: '30' });
    b = await startTestApp({ RATE_LIMIT_LOGIN_PER_MINUTE: '30' }, { db: a.db });
    acme = await seedTenant(a, 'rateco');
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  const attempt = (t: TestApp) =>
    request(t.http).post('/api/v1/auth/login').send({ tenant: acme.code, email: acme.adminEmail, password: PASSWORD });

  it('answers 30 login attempts spread over two instances, and 429 to the 31st on either', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) statuses.push((await attempt(i % 2 ? b : a)).status);
    expect(statuses).toEqual(Array(30).fill(200));
    const on = [a, b][Math.floor(Math.random() * 2)];
    const over = await attempt(on);
    expect(over.status).toBe(429);
    expect(over.body.code).toBe('rate_limited');
    expect(Number(over.headers['retry-after-login'])).toBeGreaterThan(0);
    // …and the other instance agrees: the block is shared, not one instance's memory.
    expect((await attempt(on === a ? b : a)).status).toBe(429);
    // Other routes keep their own limit.
    expect((await request(b.http).get('/health/ready')).status).not.toBe(429);
  });
});

describe(PgThrottlerStorage.name, () => {
  let t: TestApp;
  let ds: DataSource;
  let sut: PgThrottlerStorage;

  beforeAll(async () => {
    t = await startTestApp();
    ds = t.ds;
    sut = new PgThrottlerStorage(ds);
  });
  afterAll(async () => {
    sut?.onApplicationShutdown();
    await t?.close();
  });

  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it('counts concurrent hits exactly once each', async () => {
    const results = await Promise.all(Array.from({ length: 40 }, () => sut.increment('k-concurrent', 60_000, 1000, 60_000, 'api')));
    expect(results.map((r) => r.totalHits).sort((x, y) => x - y)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(results.every((r) => !r.isBlocked && r.timeToExpire > 0 && r.timeToExpire <= 60)).toBe(true);
  });

  it('blocks past the limit for the block duration, then starts a new window', async () => {
    for (let i = 1; i <= 3; i++) expect((await sut.increment('k-block', 1000, 3, 1500, 'login')).isBlocked).toBe(false);
    const blocked = await sut.increment('k-block', 1000, 3, 1500, 'login');
    expect(blocked).toMatchObject({ isBlocked: true, totalHits: 4 });
    expect(blocked.timeToBlockExpire).toBeGreaterThan(0);
    // Still blocked after the window (1 s) while the block (1.5 s) runs.
    await sleep(1100);
    expect((await sut.increment('k-block', 1000, 3, 1500, 'login')).isBlocked).toBe(true);
    await sleep(600);
    expect(await sut.increment('k-block', 1000, 3, 1500, 'login')).toMatchObject({ isBlocked: false, totalHits: 1 });
    // The same key under another throttler name is another counter.
    expect((await sut.increment('k-block', 1000, 3, 1500, 'api')).totalHits).toBe(1);
  });

  it('starts a new window when the old one is over', async () => {
    await sut.increment('k-window', 500, 10, 500, 'api');
    await sut.increment('k-window', 500, 10, 500, 'api');
    await sleep(600);
    expect((await sut.increment('k-window', 500, 10, 500, 'api')).totalHits).toBe(1);
  });

  const rowHits = async (key: string) =>
    ((await ds.query(`SELECT hits FROM rate_limit_hits WHERE key = $1`, [key])) as Array<{ hits: number }>)[0]?.hits;

  it('counts up to 1 % of the limit in the instance, and sends those hits within the sync interval (issue 20)', async () => {
    const s = new PgThrottlerStorage(ds, 300);
    try {
      expect(localBatchOf(1000)).toBe(10);
      // The first hit of a counter is written (the instance reads the shared total).
      expect((await s.increment('k-local', 60_000, 1000, 60_000, 'api')).totalHits).toBe(1);
      expect(await rowHits('k-local')).toBe(1);
      for (let i = 2; i <= 6; i++) expect((await s.increment('k-local', 60_000, 1000, 60_000, 'api')).totalHits).toBe(i);
      // Five hits counted here only…
      expect(await rowHits('k-local')).toBe(1);
      // …and in PostgreSQL after the next sync.
      await sleep(700);
      expect(await rowHits('k-local')).toBe(6);
      // A full batch is sent at once: hits 7..15 stay local, the 16th sends 10.
      for (let i = 7; i <= 16; i++) await s.increment('k-local', 60_000, 1000, 60_000, 'api');
      expect(await rowHits('k-local')).toBe(16);
    } finally {
      s.onApplicationShutdown();
    }
  });

  it('keeps one limit across two instances, at most N × (batch − 1) over it, and both see the block', async () => {
    // No timer sends during the test: only the batch and the limit make an instance write.
    const a1 = new PgThrottlerStorage(ds, 3_600_000);
    const b1 = new PgThrottlerStorage(ds, 3_600_000);
    try {
      const limit = 300; // batch 3
      let admitted = 0;
      const blocked = { a: false, b: false };
      for (let i = 0; i < 400 && !(blocked.a && blocked.b); i++) {
        const on = i % 3 === 0 ? 'b' : 'a'; // uneven, so the instances' views differ
        const r = await (on === 'a' ? a1 : b1).increment('k-two', 60_000, limit, 60_000, 'api');
        if (r.isBlocked) blocked[on] = true;
        else {
          expect(blocked[on]).toBe(false); // once blocked, it stays blocked
          admitted++;
        }
      }
      expect(blocked).toEqual({ a: true, b: true });
      expect(admitted).toBeGreaterThanOrEqual(limit);
      expect(admitted).toBeLessThanOrEqual(limit + 2 * (localBatchOf(limit) - 1));
      // The block is in PostgreSQL: a third instance refuses at its first request.
      const c1 = new PgThrottlerStorage(ds, 3_600_000);
      try {
        expect((await c1.increment('k-two', 60_000, limit, 60_000, 'api')).isBlocked).toBe(true);
      } finally {
        c1.onApplicationShutdown();
      }
    } finally {
      a1.onApplicationShutdown();
      b1.onApplicationShutdown();
    }
  });

  it('writes every hit of a limit under 200 a window (the login limit: batch 1)', async () => {
    expect(localBatchOf(199)).toBe(1);
    for (let i = 1; i <= 5; i++) {
      await sut.increment('k-exact', 60_000, 30, 60_000, 'login');
      expect(await rowHits('k-exact')).toBe(i);
    }
  });

  it('has its expired rows removed by the cleanup job, and only those', async () => {
    await sut.increment('k-old', 100, 10, 100, 'api');
    await sut.increment('k-live', 60_000, 10, 60_000, 'api');
    await sleep(200);
    expect(await t.app.get(RateLimitCleanupJob).run()).toBeGreaterThanOrEqual(1);
    const keys: Array<{ key: string }> = await ds.query(`SELECT key FROM rate_limit_hits WHERE key IN ('k-old', 'k-live')`);
    expect(keys.map((k) => k.key)).toEqual(['k-live']);
  });

  it('leaves liveness probes out (no database write), but counts readiness probes', async () => {
    const rows = async () => Number((await ds.query(`SELECT count(*)::int AS n FROM rate_limit_hits`))[0].n);
    const before = await rows();
    for (let i = 0; i < 3; i++) expect((await request(t.http).get('/health/live')).status).toBe(200);
    expect(await rows()).toBe(before);
    await request(t.http).get('/health/ready');
    expect(await rows()).toBe(before + 1);
  });

  it('counts in the instance when PostgreSQL does not answer, rather than failing every request', async () => {
    const gone = new DataSource({ type: 'postgres', url: t.db.url });
    await gone.initialize();
    await gone.destroy();
    const local = new PgThrottlerStorage(gone);
    try {
      expect((await local.increment('k-down', 60_000, 2, 60_000, 'api')).isBlocked).toBe(false);
      expect((await local.increment('k-down', 60_000, 2, 60_000, 'api')).isBlocked).toBe(false);
      expect((await local.increment('k-down', 60_000, 2, 60_000, 'api')).isBlocked).toBe(true);
    } finally {
      local.onApplicationShutdown();
    }
    expect(await metricsRegistry.getSingleMetricAsString('charlotte_rate_limit_fallbacks_total')).toMatch(
      /^charlotte_rate_limit_fallbacks_total 3$/m,
    );
  });
});
