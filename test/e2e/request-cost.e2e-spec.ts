import { Client } from 'pg';
import { login, LoggedIn, seedTenant, Seeded, startTestApp, TestApp } from '../support/app';

/**
 * The SQL an ordinary authenticated request costs (issue 20): the session lookup (which also
 * reads the tenant's IP allow-list) and the route's own statements. No separate allow-list
 * read, and no rate-limit write while the instance's local batch lasts.
 */
describe('Cost of an authenticated request', () => {
  let t: TestApp;
  let acme: Seeded;
  let admin: LoggedIn;

  beforeAll(async () => {
    // 6,000 a minute: a local batch of 60 (PgThrottlerStorage).
    t = await startTestApp({ RATE_LIMIT_API_PER_MINUTE: '6000' });
    acme = await seedTenant(t, 'costco');
    admin = await login(t, acme.code, acme.adminEmail);
  });
  afterAll(async () => {
    await t?.close();
  });

  /** The statements pg sends while `fn` runs (this process only). */
  async function statementsOf(fn: () => Promise<unknown>): Promise<string[]> {
    const seen: string[] = [];
    const proto = Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
    const original = proto.query;
    proto.query = function (this: unknown, ...args: unknown[]) {
      const q = args[0];
      seen.push(typeof q === 'string' ? q : ((q as { text?: string })?.text ?? ''));
      return original.apply(this, args);
    };
    try {
      await fn();
    } finally {
      proto.query = original;
    }
    return seen;
  }

  it('reads the session and the allow-list in one statement, and writes no rate-limit row per request', async () => {
    // The first request of a counter reads the shared total; the next ones are counted locally.
    await admin.agent.get('/api/v1/users?limit=5').expect(200);
    const sql = await statementsOf(() => admin.agent.get('/api/v1/users?limit=5').expect(200));
    const sessionReads = sql.filter((s) => /FROM sessions s/.test(s));
    expect(sessionReads).toHaveLength(1);
    expect(sessionReads[0]).toMatch(/tenant_ip_allowlists/);
    expect(sql.filter((s) => /tenant_ip_allowlists/.test(s))).toHaveLength(1);
    expect(sql.filter((s) => /rate_limit_hits/.test(s))).toEqual([]);
  });

  it('still applies an allow-list saved a moment ago on the very next request (no cache)', async () => {
    await t.ds.query(
      `INSERT INTO tenant_ip_allowlists (tenant_id, enabled, cidrs, applies_to) VALUES ($1, true, '{192.0.2.0/24}', 'all')
       ON CONFLICT (tenant_id) DO UPDATE SET enabled = true, cidrs = '{192.0.2.0/24}', applies_to = 'all'`,
      [acme.tenantId],
    );
    const r = await admin.agent.get('/api/v1/users?limit=5').expect(403);
    expect(r.body.code).toBe('ip_not_allowed');
    await t.ds.query('UPDATE tenant_ip_allowlists SET enabled = false WHERE tenant_id = $1', [acme.tenantId]);
    await admin.agent.get('/api/v1/users?limit=5').expect(200);
  });
});
