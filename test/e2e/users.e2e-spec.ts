import request from 'supertest';
import { login, LoggedIn, PASSWORD, seedTenant, Seeded, startTestApp, TestApp } from '../support/app';

describe('Users admin API (/api/v1/users)', () => {
  let t: TestApp;
  let a: Seeded;
  let b: Seeded;
  let adminA: LoggedIn;

  beforeAll(async () => {
    t = await startTestApp();
    a = await seedTenant(t, 'tenant-a');
    b = await seedTenant(t, 'tenant-b');
    adminA = await login(t, 'tenant-a', a.adminEmail);
  });
  afterAll(() => t.close());

  const post = (s: LoggedIn, path: string, body: object) => s.agent.post(path).set('X-CSRF-Token', s.csrf).send(body);
  const patch = (s: LoggedIn, path: string, body: object) => s.agent.patch(path).set('X-CSRF-Token', s.csrf).send(body);

  it('lists only the users of the admin’s own tenant', async () => {
    const res = await adminA.agent.get('/api/v1/users').expect(200);
    const emails = res.body.items.map((u: { email: string }) => u.email).sort();
    expect(emails).toEqual([a.adminEmail, a.memberEmail].sort());
    expect(res.body.nextCursor).toBeNull();
  });

  it('creates an active user with a password, who can then log in', async () => {
    const res = await post(adminA, '/api/v1/users', {
      email: 'Hanako@Tenant-A.example',
      displayName: '山田 花子',
      role: 'member',
      password: PASSWORD,
    }).expect(201);
    expect(res.body).toMatchObject({ email: 'hanako@tenant-a.example', displayName: '山田 花子', role: 'member', status: 'active' });
    expect(res.body.invitation).toBeUndefined();
    await login(t, 'tenant-a', 'hanako@tenant-a.example');
  });

  it('refuses the same e-mail in the tenant case-insensitively (409 email_taken) but allows it in another tenant', async () => {
    const res = await post(adminA, '/api/v1/users', { email: 'HANAKO@tenant-a.example', displayName: 'dup', role: 'member' }).expect(409);
    expect(res.body.code).toBe('email_taken');
    const adminB = await login(t, 'tenant-b', b.adminEmail);
    await post(adminB, '/api/v1/users', {
      email: 'hanako@tenant-a.example',
      displayName: '別テナント',
      role: 'member',
      password: PASSWORD,
    }).expect(201);
  });

  it('invites a user without a password; the one-time link sets the password once', async () => {
    const res = await post(adminA, '/api/v1/users', { email: 'invitee@tenant-a.example', displayName: '招待 次郎', role: 'member' }).expect(
      201,
    );
    expect(res.body.status).toBe('invited');
    const token = new URL(res.body.invitation.url).pathname.split('/').pop() as string;
    // re-issuing invalidates the first link
    const again = await post(adminA, `/api/v1/users/${res.body.id}/invite`, {}).expect(200);
    const token2 = new URL(again.body.url).pathname.split('/').pop() as string;
    const stale = await request(t.http).post('/api/v1/auth/invitations/accept').send({ token, password: PASSWORD }).expect(400);
    expect(stale.body.code).toBe('invitation_invalid');
    const short = await request(t.http).post('/api/v1/auth/invitations/accept').send({ token: token2, password: 'short' }).expect(400);
    expect(short.body.code).toBe('validation_failed');
    const ok = await request(t.http).post('/api/v1/auth/invitations/accept').send({ token: token2, password: PASSWORD }).expect(200);
    expect(ok.body).toEqual({
      ok: true,
      tenant: { code: 'tenant-a', name: 'tenant-a 株式会社' },
      email: 'invitee@tenant-a.example',
      loginCode: 'tenant-a',
    });
    await request(t.http).post('/api/v1/auth/invitations/accept').send({ token: token2, password: PASSWORD }).expect(400);
    await login(t, 'tenant-a', 'invitee@tenant-a.example');
    const reinvite = await post(adminA, `/api/v1/users/${res.body.id}/invite`, {}).expect(409);
    expect(reinvite.body.code).toBe('user_not_invited');
  });

  it('changes role and status; a role change ends the user’s sessions', async () => {
    const member = await login(t, 'tenant-a', a.memberEmail);
    const res = await patch(adminA, `/api/v1/users/${a.memberId}`, { role: 'admin', displayName: '昇格 済' }).expect(200);
    expect(res.body).toMatchObject({ role: 'admin', displayName: '昇格 済' });
    await member.agent.get('/api/v1/auth/session').expect(401);
    const again = await login(t, 'tenant-a', a.memberEmail);
    await again.agent.get('/api/v1/users').expect(200);
    await patch(adminA, `/api/v1/users/${a.memberId}`, { role: 'member' }).expect(200);
  });

  it('keeps at least one active admin (409 last_admin)', async () => {
    const solo = await seedTenant(t, 'solo');
    const s = await login(t, 'solo', solo.adminEmail);
    expect((await patch(s, `/api/v1/users/${solo.adminId}`, { role: 'member' }).expect(409)).body.code).toBe('last_admin');
    expect((await patch(s, `/api/v1/users/${solo.adminId}`, { status: 'disabled' }).expect(409)).body.code).toBe('last_admin');
    const rows = await t.ds.query('SELECT role, status FROM users WHERE id = $1', [solo.adminId]);
    expect(rows[0]).toEqual({ role: 'admin', status: 'active' });
  });

  it('forbids members (403 forbidden) on every users route', async () => {
    const m = await login(t, 'tenant-b', b.memberEmail);
    for (const r of [
      m.agent.get('/api/v1/users'),
      m.agent.get(`/api/v1/users/${b.adminId}`),
      m.agent.post('/api/v1/users').set('X-CSRF-Token', m.csrf).send({ email: 'z@tenant-b.example', displayName: 'z', role: 'admin' }),
      m.agent.patch(`/api/v1/users/${b.memberId}`).set('X-CSRF-Token', m.csrf).send({ role: 'admin' }),
      m.agent.post(`/api/v1/users/${b.memberId}/invite`).set('X-CSRF-Token', m.csrf).send({}),
    ]) {
      const res = await r;
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('forbidden');
    }
    const rows = await t.ds.query('SELECT role FROM users WHERE id = $1', [b.memberId]);
    expect(rows[0].role).toBe('member');
  });

  it('answers 404 for a user id of another tenant, exactly as for an unknown id, and changes nothing', async () => {
    const unknown = await adminA.agent.get('/api/v1/users/00000000-0000-4000-8000-000000000000').expect(404);
    const other = await adminA.agent.get(`/api/v1/users/${b.memberId}`).expect(404);
    expect({ ...other.body, requestId: 0 }).toEqual({ ...unknown.body, requestId: 0 });
    expect(other.body.code).toBe('not_found');
    await patch(adminA, `/api/v1/users/${b.memberId}`, { status: 'disabled', role: 'admin' }).expect(404);
    await post(adminA, `/api/v1/users/${b.memberId}/invite`, {}).expect(404);
    const rows = await t.ds.query('SELECT role, status FROM users WHERE id = $1', [b.memberId]);
    expect(rows[0]).toEqual({ role: 'member', status: 'active' });
  });

  it('pages with an opaque cursor and filters by e-mail prefix', async () => {
    const p = await seedTenant(t, 'pager');
    const s = await login(t, 'pager', p.adminEmail);
    for (let i = 0; i < 5; i++)
      await post(s, '/api/v1/users', { email: `u${i}@pager.example`, displayName: `u${i}`, role: 'member' }).expect(201);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: request.Response = await s.agent
        .get('/api/v1/users')
        .query({ limit: 3, ...(cursor ? { cursor } : {}) })
        .expect(200);
      expect(res.body.items.length).toBeLessThanOrEqual(3);
      seen.push(...res.body.items.map((u: { id: string }) => u.id));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(7);
    expect(new Set(seen).size).toBe(7);
    const filtered = await s.agent.get('/api/v1/users').query({ q: 'U3' }).expect(200);
    expect(filtered.body.items.map((u: { email: string }) => u.email)).toEqual(['u3@pager.example']);
    const bad = await s.agent.get('/api/v1/users').query({ cursor: 'not-a-cursor' }).expect(400);
    expect(bad.body.code).toBe('validation_failed');
  });

  it('keeps platform operators out of tenant user management', async () => {
    const { UsersService } = await import('@charlotte/auth');
    await t.app.get(UsersService).createOperator('ops@charlotte.example', PASSWORD);
    const op = await login(t, 'platform', 'ops@charlotte.example');
    expect((await op.agent.get('/api/v1/auth/session').expect(200)).body).toMatchObject({ tenant: null, user: { role: 'operator' } });
    await op.agent.get('/api/v1/users').expect(403);
  });
});
