import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import request from 'supertest';
import { login, LoggedIn, PASSWORD, seedTenant, Seeded, startTestApp, TestApp } from '../support/app';

interface Ev {
  id: string;
  seq: number;
  category: string;
  action: string;
  outcome: string;
  actor: { type: string; id: string | null; label?: string | null };
  target: { type: string; id: string | null; label?: string | null } | null;
  requestId: string | null;
  details: Record<string, unknown>;
}

describe('Audit trail over HTTP (/api/v1/audit-events)', () => {
  let t: TestApp;
  let a: Seeded;
  let b: Seeded;
  let adminA: LoggedIn;
  let adminB: LoggedIn;

  beforeAll(async () => {
    t = await startTestApp({ RATE_LIMIT_LOGIN_PER_MINUTE: '1000' });
    a = await seedTenant(t, 'audit-a');
    b = await seedTenant(t, 'audit-b');
    adminA = await login(t, 'audit-a', a.adminEmail);
    adminB = await login(t, 'audit-b', b.adminEmail);
  });
  afterAll(() => t.close());

  const eventsOf = async (s: LoggedIn, query: Record<string, string> = {}): Promise<Ev[]> => {
    const res = await s.agent
      .get('/api/v1/audit-events')
      .query({ limit: '100', ...query })
      .expect(200);
    return res.body.items;
  };

  it('records a failed login as a security event in the same request, with the reason and no e-mail', async () => {
    const res = await request(t.http)
      .post('/api/v1/auth/login')
      .send({ tenant: 'audit-a', email: a.memberEmail, password: 'wrong password!' })
      .expect(401);
    const ev = (await eventsOf(adminA, { category: 'security' })).find((e) => e.requestId === res.body.requestId);
    expect(ev).toMatchObject({
      action: 'auth.login',
      outcome: 'failure',
      target: { type: 'user', id: a.memberId },
      details: { reason: 'invalid_password', step: 'password' },
    });
    expect(JSON.stringify(ev)).not.toContain(a.memberEmail);
  });

  it('records successful logins and logouts as access events', async () => {
    const s = await login(t, 'audit-a', a.memberEmail);
    await s.agent.post('/api/v1/auth/logout').set('X-CSRF-Token', s.csrf).expect(204);
    const evs = await eventsOf(adminA, { category: 'access' });
    expect(evs.find((e) => e.action === 'auth.login' && e.actor.id === a.memberId)).toMatchObject({ outcome: 'success' });
    expect(evs.find((e) => e.action === 'auth.logout' && e.actor.id === a.memberId)).toBeDefined();
  });

  it('records lockouts and CSRF rejections as security events', async () => {
    const victim = await adminA.agent
      .post('/api/v1/users')
      .set('X-CSRF-Token', adminA.csrf)
      .send({ email: 'victim@audit-a.example', displayName: '被害 者', role: 'member', password: PASSWORD })
      .expect(201);
    for (let i = 0; i < 10; i++)
      await request(t.http)
        .post('/api/v1/auth/login')
        .send({ tenant: 'audit-a', email: 'victim@audit-a.example', password: `nope-${i}-nope` });
    const csrf = await adminA.agent.patch(`/api/v1/users/${a.memberId}`).send({ role: 'admin' }).expect(403);
    const evs = await eventsOf(adminA, { category: 'security' });
    expect(evs.find((e) => e.action === 'auth.account_locked')).toMatchObject({
      target: { id: victim.body.id },
      details: { failures: 10 },
    });
    expect(evs.find((e) => e.action === 'http.csrf_rejected' && e.requestId === csrf.body.requestId)).toMatchObject({
      outcome: 'denied',
      actor: { type: 'user', id: a.adminId },
      details: { method: 'PATCH', route: '/api/v1/users/:id', header: 'missing' },
    });
  });

  it('records user and role changes as operation events', async () => {
    await adminA.agent.patch(`/api/v1/users/${a.memberId}`).set('X-CSRF-Token', adminA.csrf).send({ role: 'admin' }).expect(200);
    await adminA.agent
      .patch(`/api/v1/users/${a.memberId}`)
      .set('X-CSRF-Token', adminA.csrf)
      .send({ role: 'member', displayName: '新しい 名前' })
      .expect(200);
    const evs = await eventsOf(adminA, { category: 'operation' });
    const roleChanges = evs.filter((e) => e.action === 'user.role_changed' && e.target?.id === a.memberId);
    expect(roleChanges.map((e) => e.details)).toEqual(
      expect.arrayContaining([
        { changes: ['role'], role: 'admin', status: 'active' },
        { changes: ['displayName', 'role'], role: 'member', status: 'active' },
      ]),
    );
    // The new name is in no event (the chain holds ids only); the list names the user when read (issue 18).
    const stored = await t.ds.query(`SELECT to_jsonb(e)::text AS row FROM audit_events e WHERE chain_key = $1`, [a.tenantId]);
    expect(stored.map((r: { row: string }) => r.row).join('\n')).not.toContain('新しい 名前');
    expect(
      JSON.stringify(evs.map((e) => ({ ...e, actor: { ...e.actor, label: null }, target: e.target && { ...e.target, label: null } }))),
    ).not.toContain('新しい 名前');
    expect(roleChanges[0].target).toMatchObject({ label: '新しい 名前' });
  });

  it('records session expiry once', async () => {
    const s = await login(t, 'audit-a', a.memberEmail);
    await t.ds.query(`UPDATE sessions SET last_seen_at = now() - interval '31 minutes' WHERE csrf_token = $1`, [s.csrf]);
    await s.agent.get('/api/v1/auth/session').expect(401);
    await s.agent.get('/api/v1/auth/session').expect(401);
    const expired = (await eventsOf(adminA, { action: 'auth.session_expired' })).filter((e) => e.details.userId === a.memberId);
    expect(expired).toHaveLength(1);
    expect(expired[0].details.reason).toBe('idle_timeout');
  });

  it('filters by category, action, actor and time, and pages with a cursor', async () => {
    const all = await eventsOf(adminA);
    expect(all.length).toBeGreaterThan(10);
    const seqs = all.map((e) => e.seq);
    expect([...seqs].sort((x, y) => y - x)).toEqual(seqs); // newest first
    expect((await eventsOf(adminA, { actor: a.adminId })).every((e) => e.actor.id === a.adminId)).toBe(true);
    expect(await eventsOf(adminA, { from: '2999-01-01T00:00:00Z' })).toEqual([]);
    expect((await eventsOf(adminA, { to: '2999-01-01T00:00:00Z' })).length).toBe(all.length);
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const res: request.Response = await adminA.agent
        .get('/api/v1/audit-events')
        .query({ limit: 7, ...(cursor ? { cursor } : {}) })
        .expect(200);
      seen.push(...res.body.items.map((e: Ev) => e.seq));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(seqs);
    await adminA.agent.get('/api/v1/audit-events').query({ category: 'nonsense' }).expect(400);
    await adminA.agent.get('/api/v1/audit-events').query({ from: 'yesterday' }).expect(400);
  });

  it('keeps tenants apart and members out', async () => {
    const evA = (await eventsOf(adminA))[0];
    const evsB = await eventsOf(adminB);
    expect(evsB.some((e) => e.id === evA.id)).toBe(false);
    expect(evsB.every((e) => e.actor.id !== a.adminId)).toBe(true);
    const other = await adminB.agent.get(`/api/v1/audit-events/${evA.id}`).expect(404);
    expect(other.body.code).toBe('not_found');
    await adminA.agent.get(`/api/v1/audit-events/${evA.id}`).expect(200);
    const member = await login(t, 'audit-b', b.memberEmail);
    for (const p of [
      '/api/v1/audit-events',
      '/api/v1/audit-events/verify',
      '/api/v1/audit-events/export?format=jsonl',
      `/api/v1/audit-events/${evA.id}`,
    ]) {
      expect((await member.agent.get(p)).status).toBe(403);
    }
    await request(t.http).get('/api/v1/audit-events').expect(401);
  });

  it('verifies the chain, and exports it so that it verifies offline with the published key', async () => {
    await request(t.http).get('/api/v1/audit-events/verify').expect(401);
    const v = await adminA.agent.get('/api/v1/audit-events/verify').expect(200);
    expect(v.body).toMatchObject({ ok: true, firstBrokenSeq: null, checkpoints: { invalid: 0 } });
    expect(v.body.checked).toBeGreaterThan(10);
    const { AuditService } = await import('@charlotte/audit');
    await t.app.get(AuditService).checkpointAll();

    const exp = await adminA.agent
      .get('/api/v1/audit-events/export')
      .query({ format: 'jsonl' })
      .buffer(true)
      .parse((res, cb) => {
        let data = '';
        res.on('data', (c: Buffer) => (data += c.toString()));
        res.on('end', () => cb(null, data));
      });
    expect(exp.status).toBe(200);
    expect(exp.headers['content-disposition']).toMatch(/attachment; filename="audit-\d{4}-\d{2}-\d{2}\.jsonl"/);
    const key = await request(t.http).get('/.well-known/charlotte-signing-key.json').expect(200);
    expect(key.body.keys[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA' });
    const dir = t.config.dataDir;
    fs.writeFileSync(path.join(dir, 'export.jsonl'), exp.body as string);
    fs.writeFileSync(path.join(dir, 'key.json'), JSON.stringify(key.body));
    const verifier = path.resolve(__dirname, '../../tools/verify-audit-export.mjs');
    const r = spawnSync(process.execPath, [verifier, path.join(dir, 'export.jsonl'), path.join(dir, 'key.json')], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, checkpoints: 1 });
    // the export itself is an access event
    expect((await eventsOf(adminA, { action: 'audit.exported' }))[0]).toMatchObject({ category: 'access', details: { format: 'jsonl' } });

    // Named by the day in Japan (the page shows JST), not the UTC day (issue 18, bug 9).
    const jstDay = () => new Date(Date.now() + 9 * 3600_000).toISOString().slice(0, 10);
    const before = jstDay();
    const csv = await adminA.agent.get('/api/v1/audit-events/export').query({ format: 'csv' }).expect(200);
    const named = /filename="audit-(\d{4}-\d{2}-\d{2})\.csv"/.exec(csv.headers['content-disposition'])?.[1];
    expect([before, jstDay()]).toContain(named);
    const lines = csv.text
      .replace(/^\ufeff/, '')
      .trim()
      .split('\r\n');
    expect(lines[0].split(',').slice(0, 4)).toEqual(['record_type', 'chain', 'seq', 'id']);
    expect(lines.some((l) => l.startsWith('checkpoint,'))).toBe(true);
    await adminA.agent.get('/api/v1/audit-events/export').query({ format: 'xml' }).expect(400);
  });

  it('keeps personal data out of every recorded event', async () => {
    const pii = [
      a.adminEmail,
      a.memberEmail,
      b.adminEmail,
      b.memberEmail,
      'victim@audit-a.example',
      '被害 者',
      '新しい 名前',
      '管理者',
      PASSWORD,
    ];
    const rows: Array<{ j: string }> = await t.ds.query('SELECT row_to_json(e)::text AS j FROM audit_events e');
    expect(rows.length).toBeGreaterThan(20);
    for (const r of rows) for (const p of pii) expect(r.j).not.toContain(p);
  });

  it('records an unhandled error as a system event carrying the request id', async () => {
    await t.ds.query('ALTER TABLE tenants RENAME TO tenants_away');
    let res: request.Response;
    try {
      res = await request(t.http).post('/api/v1/auth/login').send({ tenant: 'audit-a', email: a.adminEmail, password: PASSWORD });
    } finally {
      await t.ds.query('ALTER TABLE tenants_away RENAME TO tenants');
    }
    expect(res.status).toBe(500);
    expect(res.body).toMatchObject({ code: 'internal_error' });
    expect(JSON.stringify(res.body)).not.toMatch(/tenants|QueryFailed|stack/i);
    const ev: Array<{ action: string; details: Record<string, unknown> }> = await t.ds.query(
      `SELECT action, details FROM audit_events WHERE chain_key = 'platform' AND category = 'system' AND request_id = $1`,
      [res.body.requestId],
    );
    expect(ev).toEqual([
      { action: 'system.error', details: { errorClass: 'QueryFailedError', method: 'POST', route: '/api/v1/auth/login' } },
    ]);
  });

  it('writes one access-log line per request to the daily file, without secrets', async () => {
    // refused (unknown query parameter), yet logged like every request
    const res = await request(t.http).get('/api/v1/users?limit=5&token=sekret-value').set('Cookie', adminA.cookie).expect(400);
    const logDir = path.join(t.config.dataDir, 'logs');
    const deadline = Date.now() + 3000;
    let line: Record<string, unknown> | undefined;
    while (!line && Date.now() < deadline) {
      const files = fs.existsSync(logDir) ? fs.readdirSync(logDir).filter((f) => f.startsWith('access-')) : [];
      const text = files.map((f) => fs.readFileSync(path.join(logDir, f), 'utf8')).join('');
      line = text
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .find((l) => l.requestId === res.headers['x-request-id']);
      if (!line) await new Promise((r) => setTimeout(r, 100));
    }
    expect(line).toMatchObject({ type: 'access', method: 'GET', status: 400, tenantId: a.tenantId, principal: `user:${a.adminId}` });
    expect(line?.path).toBe('/api/v1/users?limit=5&token=%5Bredacted%5D');
    expect(typeof line?.durationMs).toBe('number');
    expect(line?.bytes).toBeGreaterThan(0);
  });

  it('reports the clock status in readiness', async () => {
    const ready = await request(t.http).get('/health/ready').expect(200);
    expect(ready.body.details.clock).toMatchObject({ status: 'up', synchronized: expect.anything(), source: expect.any(String) });
  });
});

describe('Rate-limit rejections are audited', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ RATE_LIMIT_LOGIN_PER_MINUTE: '2' });
  });
  afterAll(() => t.close());

  it('records http.rate_limited in the platform chain', async () => {
    for (let i = 0; i < 3; i++) await request(t.http).post('/api/v1/auth/login').send({ tenant: 'x', email: 'y', password: 'z' });
    const rows: Array<{ action: string; details: Record<string, unknown> }> = await t.ds.query(
      `SELECT action, details FROM audit_events WHERE chain_key = 'platform' AND action = 'http.rate_limited'`,
    );
    expect(rows).toEqual([{ action: 'http.rate_limited', details: { route: '/api/v1/auth/login', limit: 2, ttlSeconds: 60 } }]);
  });
});
