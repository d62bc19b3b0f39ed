import request from 'supertest';
import { login, PASSWORD, seedTenant, Seeded, startTestApp, TestApp, testKeys } from '../support/app';
import { signChallenge } from '../support/keys';

describe('Password login (POST /api/v1/auth/login)', () => {
  let t: TestApp;
  let acme: Seeded;

  beforeAll(async () => {
    t = await startTestApp({ LOGIN_MAX_FAILURES: '10' });
    acme = await seedTenant(t, 'acme');
  });
  afterAll(() => t.close());

  it('logs an admin in with password then key file, with a hardened session cookie', async () => {
    const first = await request(t.http)
      .post('/api/v1/auth/login')
      .send({ tenant: 'acme', email: 'ADMIN@acme.example', password: PASSWORD })
      .expect(200);
    expect(first.body).toEqual({ step: 'keyfile', challenge: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), expiresAt: expect.any(String) });
    const pending = ([] as string[]).concat(first.headers['set-cookie'])[0].split(';')[0];
    // the pending session grants nothing
    await request(t.http).get('/api/v1/auth/session').set('Cookie', pending).expect(401);
    await request(t.http).get('/api/v1/users').set('Cookie', pending).expect(401);

    const key = testKeys.get(`acme/${acme.adminEmail}`)!;
    const res = await request(t.http)
      .post('/api/v1/auth/keyfile')
      .set('Cookie', pending)
      .send({ keyId: key.keyId, signature: signChallenge(key.privateKey, first.body.challenge) })
      .expect(200);
    expect(res.body).toMatchObject({
      step: 'done',
      user: { email: 'admin@acme.example', role: 'admin', status: 'active' },
      tenant: { code: 'acme' },
    });
    expect(res.body.user.passwordHash).toBeUndefined();
    expect(typeof res.body.csrfToken).toBe('string');
    const cookie = ([] as string[]).concat(res.headers['set-cookie'])[0];
    expect(cookie).toMatch(/^charlotte_session=[A-Za-z0-9_-]{43};/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie.split(';')[0]).not.toBe(pending); // a new session id after the second step

    const session = await request(t.http).get('/api/v1/auth/session').set('Cookie', cookie.split(';')[0]).expect(200);
    expect(session.body).toMatchObject({ user: { id: acme.adminId }, tenant: { code: 'acme' }, csrfToken: res.body.csrfToken });
  });

  it('stores only the SHA-256 of the session token, never the token', async () => {
    const s = await login(t, 'acme', acme.adminEmail);
    const token = s.cookie.split('=')[1];
    const hashed = await t.ds.query(`SELECT count(*)::int AS n FROM sessions WHERE token_hash = sha256(convert_to($1, 'UTF8'))`, [token]);
    expect(hashed[0].n).toBe(1);
    const rows: Array<{ j: string }> = await t.ds.query(`SELECT row_to_json(s)::text AS j FROM sessions s`);
    expect(rows.some((r) => r.j.includes(token))).toBe(false);
  });

  it('gives a new session id at each login', async () => {
    const a = await login(t, 'acme', acme.adminEmail);
    const b = await login(t, 'acme', acme.adminEmail);
    expect(a.cookie).not.toEqual(b.cookie);
    expect(a.csrf).not.toEqual(b.csrf);
  });

  it('answers wrong password, unknown e-mail and unknown tenant identically (401 invalid_credentials)', async () => {
    const attempts = [
      { tenant: 'acme', email: acme.memberEmail, password: 'wrong password!!' },
      { tenant: 'acme', email: 'nobody@acme.example', password: PASSWORD },
      { tenant: 'no-such-tenant', email: acme.memberEmail, password: PASSWORD },
    ];
    const bodies = [];
    for (const body of attempts) {
      const res = await request(t.http).post('/api/v1/auth/login').send(body).expect(401);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.headers['set-cookie']).toBeUndefined();
      const { requestId, ...rest } = res.body;
      expect(requestId).toBeDefined();
      bodies.push(rest);
    }
    expect(bodies[0]).toEqual({
      type: 'urn:charlotte:problem:invalid_credentials',
      title: 'Invalid credentials',
      status: 401,
      detail: expect.any(String),
      code: 'invalid_credentials',
    });
    expect(bodies[1]).toEqual(bodies[0]);
    expect(bodies[2]).toEqual(bodies[0]);
    // reset the member's failure counter for later tests
    await t.ds.query('UPDATE users SET failed_login_count = 0, failed_window_start = NULL WHERE id = $1', [acme.memberId]);
  });

  it('refuses an unsafe request without the CSRF header (403 csrf_invalid) and accepts it with the header', async () => {
    const s = await login(t, 'acme', acme.adminEmail);
    const noHeader = await request(t.http).post('/api/v1/auth/logout').set('Cookie', s.cookie).expect(403);
    expect(noHeader.body.code).toBe('csrf_invalid');
    const wrong = await request(t.http)
      .post('/api/v1/users')
      .set('Cookie', s.cookie)
      .set('X-CSRF-Token', 'x'.repeat(43))
      .send({ email: 'x@acme.example', displayName: 'x', role: 'member' })
      .expect(403);
    expect(wrong.body.code).toBe('csrf_invalid');
    const count = await t.ds.query(`SELECT count(*)::int AS n FROM users WHERE email = 'x@acme.example'`);
    expect(count[0].n).toBe(0);
    await request(t.http).get('/api/v1/auth/session').set('Cookie', s.cookie).expect(200);
    await request(t.http).post('/api/v1/auth/logout').set('Cookie', s.cookie).set('X-CSRF-Token', s.csrf).expect(204);
    const after = await request(t.http).get('/api/v1/auth/session').set('Cookie', s.cookie).expect(401);
    expect(after.body.code).toBe('unauthenticated');
  });

  it('locks the account after 10 failures: 423 even with the right password', async () => {
    const u = await seedTenant(t, 'lockco');
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) {
      const r = await request(t.http)
        .post('/api/v1/auth/login')
        .send({ tenant: 'lockco', email: u.memberEmail, password: `wrong-${i}-password` });
      statuses.push(r.status);
    }
    expect(statuses.slice(0, 9)).toEqual(Array(9).fill(401));
    expect(statuses[9]).toBe(423);
    const res = await request(t.http)
      .post('/api/v1/auth/login')
      .send({ tenant: 'lockco', email: u.memberEmail, password: PASSWORD })
      .expect(423);
    expect(res.body.code).toBe('account_locked');
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    // other users of the tenant are not affected
    await login(t, 'lockco', u.adminEmail);
    // the admin sees the lock in the users list
    const admin = await login(t, 'lockco', u.adminEmail);
    const list = await admin.agent.get('/api/v1/users').expect(200);
    expect(list.body.items.find((x: { id: string }) => x.id === u.memberId).lockedUntil).not.toBeNull();
  });

  it('counts failures only inside the window', async () => {
    const u = await seedTenant(t, 'windowco');
    for (let i = 0; i < 9; i++) {
      await request(t.http)
        .post('/api/v1/auth/login')
        .send({ tenant: 'windowco', email: u.memberEmail, password: 'wrong password!' })
        .expect(401);
    }
    await t.ds.query(`UPDATE login_failures SET window_start = now() - interval '16 minutes' WHERE subject = $1`, [u.memberId]);
    await request(t.http)
      .post('/api/v1/auth/login')
      .send({ tenant: 'windowco', email: u.memberEmail, password: 'wrong password!' })
      .expect(401);
    await login(t, 'windowco', u.memberEmail);
  });

  it('ends a session after 30 idle minutes and after 12 hours in all', async () => {
    const idle = await login(t, 'acme', acme.adminEmail);
    await request(t.http).get('/api/v1/auth/session').set('Cookie', idle.cookie).expect(200);
    await t.ds.query(`UPDATE sessions SET last_seen_at = now() - interval '31 minutes' WHERE csrf_token = $1`, [idle.csrf]);
    await request(t.http).get('/api/v1/auth/session').set('Cookie', idle.cookie).expect(401);

    const old = await login(t, 'acme', acme.adminEmail);
    await t.ds.query(`UPDATE sessions SET expires_at = now() - interval '1 second' WHERE csrf_token = $1`, [old.csrf]);
    await request(t.http).get('/api/v1/auth/session').set('Cookie', old.cookie).expect(401);
  });

  it('refuses disabled and invited users with the same 401', async () => {
    const u = await seedTenant(t, 'statusco');
    const admin = await login(t, 'statusco', u.adminEmail);
    const memberSession = await login(t, 'statusco', u.memberEmail);
    await admin.agent.patch(`/api/v1/users/${u.memberId}`).set('X-CSRF-Token', admin.csrf).send({ status: 'disabled' }).expect(200);
    // the disabled user's live session ends at once
    await request(t.http).get('/api/v1/auth/session').set('Cookie', memberSession.cookie).expect(401);
    const r = await request(t.http)
      .post('/api/v1/auth/login')
      .send({ tenant: 'statusco', email: u.memberEmail, password: PASSWORD })
      .expect(401);
    expect(r.body.code).toBe('invalid_credentials');
    const invited = await admin.agent
      .post('/api/v1/users')
      .set('X-CSRF-Token', admin.csrf)
      .send({ email: 'new@statusco.example', displayName: '新人', role: 'member' })
      .expect(201);
    expect(invited.body.status).toBe('invited');
    await request(t.http)
      .post('/api/v1/auth/login')
      .send({ tenant: 'statusco', email: 'new@statusco.example', password: PASSWORD })
      .expect(401);
  });

  it('refuses a session cookie that was never issued', async () => {
    await request(t.http)
      .get('/api/v1/auth/session')
      .set('Cookie', 'charlotte_session=' + 'A'.repeat(43))
      .expect(401);
    await request(t.http).get('/api/v1/users').expect(401);
  });
});

describe('Login throttling per IP', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ RATE_LIMIT_LOGIN_PER_MINUTE: '5' });
    await seedTenant(t, 'acme');
  });
  afterAll(() => t.close());

  it('answers 429 rate_limited past the per-minute limit', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      const r = await request(t.http).post('/api/v1/auth/login').send({ tenant: 'acme', email: 'nobody@acme.example', password: 'x' });
      statuses.push(r.status);
      if (r.status === 429) {
        expect(r.body.code).toBe('rate_limited');
        expect(r.headers['content-type']).toMatch(/problem\+json/);
      }
    }
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.slice(5)).toEqual([429, 429]);
    // health is not limited by the login limit
    await request(t.http).get('/health/live').expect(200);
  });
});
