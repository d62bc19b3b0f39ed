import request from 'supertest';
import { login, LoggedIn, seedTenant, Seeded, startTestApp, TestApp } from '../support/app';

/** API tokens for integrators: scoped, expiring, revocable, tenant-bound, bearer only. */
describe('API tokens (/api/v1/api-tokens, Authorization: Bearer)', () => {
  let t: TestApp;
  let a: Seeded;
  let b: Seeded;
  let adminA: LoggedIn;
  let adminB: LoggedIn;

  beforeAll(async () => {
    t = await startTestApp();
    a = await seedTenant(t, 'tok-a');
    b = await seedTenant(t, 'tok-b');
    adminA = await login(t, 'tok-a', a.adminEmail);
    adminB = await login(t, 'tok-b', b.adminEmail);
  });
  afterAll(() => t.close());

  const create = (s: LoggedIn, body: object) => s.agent.post('/api/v1/api-tokens').set('X-CSRF-Token', s.csrf).send(body);
  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

  it('shows a new token once, lists it without the secret, and stores only its hash', async () => {
    const res = await create(adminA, { name: '給与連携', scopes: ['audit:read'] }).expect(201);
    expect(res.body).toMatchObject({ name: '給与連携', scopes: ['audit:read'], token: expect.stringMatching(/^chr_[A-Za-z0-9_-]{43}$/) });
    const days = (Date.parse(res.body.expiresAt) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(89);
    expect(days).toBeLessThan(91);
    const list = await adminA.agent.get('/api/v1/api-tokens').expect(200);
    expect(JSON.stringify(list.body)).not.toContain(res.body.token);
    const rows: Array<{ j: string }> = await t.ds.query('SELECT row_to_json(k)::text AS j FROM api_tokens k');
    expect(rows.some((r) => r.j.includes(res.body.token.slice(4)))).toBe(false);
  });

  it('reads audit events with audit:read, without a CSRF header, only of its own tenant', async () => {
    const { body } = await create(adminA, { name: 'audit', scopes: ['audit:read'] }).expect(201);
    const res = await request(t.http).get('/api/v1/audit-events').set(bearer(body.token)).expect(200);
    expect(res.body.items.length).toBeGreaterThan(0);
    expect(res.body.items.every((e: { tenantId: string }) => e.tenantId === a.tenantId)).toBe(true);
    await request(t.http).get('/api/v1/audit-events/verify').set(bearer(body.token)).expect(200);
    // an event id of tenant B is not found
    const evB: Array<{ id: string }> = await t.ds.query('SELECT id FROM audit_events WHERE chain_key = $1 LIMIT 1', [b.tenantId]);
    await request(t.http).get(`/api/v1/audit-events/${evB[0].id}`).set(bearer(body.token)).expect(404);
    // its use is an audit event of type api_token
    const used: Array<{ actor_id: string }> = await t.ds.query(
      `SELECT actor_id FROM audit_events WHERE action = 'api_token.used' AND chain_key = $1`,
      [a.tenantId],
    );
    expect(used.map((u) => u.actor_id)).toContain(body.id);
  });

  it('refuses a token without the scope (403 scope_missing) and on session-only routes (403 token_not_allowed)', async () => {
    const { body } = await create(adminA, { name: 'apps', scopes: ['applications:read'] }).expect(201);
    const audit = await request(t.http).get('/api/v1/audit-events').set(bearer(body.token)).expect(403);
    expect(audit.body.code).toBe('scope_missing');
    for (const r of [
      request(t.http).get('/api/v1/users').set(bearer(body.token)),
      request(t.http)
        .post('/api/v1/api-tokens')
        .set(bearer(body.token))
        .send({ name: 'x', scopes: ['audit:read'] }),
      request(t.http).get('/api/v1/me/keyfiles').set(bearer(body.token)),
      request(t.http).post(`/api/v1/users/${a.memberId}/keyfiles`).set(bearer(body.token)).send({ label: 'x' }),
      request(t.http).get('/api/v1/auth/session').set(bearer(body.token)),
    ]) {
      const res = await r;
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('token_not_allowed');
    }
    const count = await t.ds.query('SELECT count(*)::int AS n FROM api_tokens');
    expect(count[0].n).toBe(3);
  });

  it('answers 401 for expired, revoked and unknown tokens', async () => {
    const { body } = await create(adminA, { name: 'short', scopes: ['audit:read'] }).expect(201);
    await request(t.http).get('/api/v1/audit-events').set(bearer(body.token)).expect(200);
    await adminA.agent.delete(`/api/v1/api-tokens/${body.id}`).set('X-CSRF-Token', adminA.csrf).expect(204);
    const revoked = await request(t.http).get('/api/v1/audit-events').set(bearer(body.token)).expect(401);
    expect(revoked.body.code).toBe('token_invalid');
    const other = await create(adminA, { name: 'old', scopes: ['audit:read'] }).expect(201);
    await t.ds.query(`UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE id = $1`, [other.body.id]);
    await request(t.http).get('/api/v1/audit-events').set(bearer(other.body.token)).expect(401);
    await request(t.http)
      .get('/api/v1/audit-events')
      .set(bearer('chr_' + 'x'.repeat(43)))
      .expect(401);
    await request(t.http).get('/api/v1/audit-events').set('Authorization', 'Basic abc').expect(401);
  });

  it('reads an expiry given as a date as the end of that day in Japan, and lists that same day (issue 18, bug 9)', async () => {
    // A day 30 days ahead in Japan, as the SPA's date picker gives it.
    const day = new Date(Date.now() + 9 * 3600_000 + 30 * 86_400_000).toISOString().slice(0, 10);
    const res = await create(adminA, { name: '日付指定', scopes: ['audit:read'], expiresAt: day }).expect(201);
    // 23:59:59.999 JST of that day: the listed instant names the chosen day, not 00:00 of the next.
    expect(res.body.expiresAt).toBe(`${day}T14:59:59.999Z`);
    const listed = (await adminA.agent.get('/api/v1/api-tokens').expect(200)).body.items.find((i: { id: string }) => i.id === res.body.id);
    expect(listed.expiresAt).toBe(`${day}T14:59:59.999Z`);
    expect(new Date(Date.parse(listed.expiresAt) + 9 * 3600_000).toISOString().slice(0, 10)).toBe(day);
    // The token works until then.
    await request(t.http).get('/api/v1/audit-events').set(bearer(res.body.token)).expect(200);
    // An instant with a time is kept as it is.
    const at = new Date(Date.now() + 10 * 86_400_000).toISOString();
    expect((await create(adminA, { name: '時刻指定', scopes: ['audit:read'], expiresAt: at }).expect(201)).body.expiresAt).toBe(at);
    // A date more than a year ahead, or yesterday, is refused like an instant.
    const tooFar = new Date(Date.now() + 9 * 3600_000 + 370 * 86_400_000).toISOString().slice(0, 10);
    await create(adminA, { name: 'x', scopes: ['audit:read'], expiresAt: tooFar }).expect(400);
    const yesterday = new Date(Date.now() + 9 * 3600_000 - 86_400_000).toISOString().slice(0, 10);
    await create(adminA, { name: 'x', scopes: ['audit:read'], expiresAt: yesterday }).expect(400);
  });

  it('validates creation: scopes, expiry within a year, admins only; other tenants get 404', async () => {
    await create(adminA, { name: 'x', scopes: ['everything'] }).expect(400);
    await create(adminA, { name: 'x', scopes: [] }).expect(400);
    await create(adminA, { name: 'x', scopes: ['audit:read'], expiresAt: new Date(Date.now() + 400 * 86_400_000).toISOString() }).expect(
      400,
    );
    await create(adminA, { name: 'x', scopes: ['audit:read'], expiresAt: new Date(Date.now() - 1000).toISOString() }).expect(400);
    const member = await login(t, 'tok-a', a.memberEmail);
    await member.agent
      .post('/api/v1/api-tokens')
      .set('X-CSRF-Token', member.csrf)
      .send({ name: 'x', scopes: ['audit:read'] })
      .expect(403);
    await member.agent.get('/api/v1/api-tokens').expect(403);
    const mine = await create(adminA, { name: 'mine', scopes: ['audit:read'] }).expect(201);
    await adminB.agent.delete(`/api/v1/api-tokens/${mine.body.id}`).set('X-CSRF-Token', adminB.csrf).expect(404);
    expect((await adminB.agent.get('/api/v1/api-tokens').expect(200)).body.items).toEqual([]);
    await request(t.http).get('/api/v1/audit-events').set(bearer(mine.body.token)).expect(200);
  });

  it('works with the integrator example script (curl), paging through every item', async () => {
    const { body } = await create(adminA, { name: 'example', scopes: ['audit:read'] }).expect(201);
    await t.app.listen(0, '127.0.0.1');
    const port = (t.app.getHttpServer().address() as import('node:net').AddressInfo).port;
    const { execFile } = await import('node:child_process');
    const path = await import('node:path');
    // asynchronously: the server answering the script runs in this very process
    const r = await new Promise<{ status: number; stdout: string; stderr: string }>((resolve) =>
      execFile(
        'bash',
        [path.resolve(__dirname, '../../examples/list-applications.sh')],
        {
          env: {
            ...process.env,
            CHARLOTTE_URL: `http://127.0.0.1:${port}`,
            CHARLOTTE_TOKEN: body.token,
            CHARLOTTE_PATH: '/api/v1/audit-events',
          },
          timeout: 30_000,
        },
        (err, stdout, stderr) => resolve({ status: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      ),
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { tenantId: string; seq: number });
    const total = (await t.ds.query('SELECT count(*)::int AS n FROM audit_events WHERE chain_key = $1', [a.tenantId]))[0].n;
    expect(lines.length).toBeGreaterThanOrEqual(total - 2); // the script's own calls may add api_token.used events meanwhile
    expect(lines.every((l) => l.tenantId === a.tenantId)).toBe(true);
  });

  it('audits creation and revocation', async () => {
    const rows: Array<{ action: string }> = await t.ds.query(
      `SELECT DISTINCT action FROM audit_events WHERE chain_key = $1 AND action LIKE 'api_token.%'`,
      [a.tenantId],
    );
    expect(rows.map((r) => r.action).sort()).toEqual(['api_token.created', 'api_token.revoked', 'api_token.used']);
  });
});
