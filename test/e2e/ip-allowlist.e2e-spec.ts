import request from 'supertest';
import { UsersService } from '@charlotte/auth';
import { login, LoggedIn, PASSWORD, seedTenant, Seeded, startTestApp, TestApp, testKeys } from '../support/app';
import { newTestKey, signChallenge } from '../support/keys';

const INSIDE = '203.0.113.10';
const OUTSIDE = '198.51.100.7';
const api = (p: string) => `/api/v1${p}`;

interface Session {
  agent: request.Agent;
  csrf: string;
}

/**
 * Logs in as the SPA does, every request from `ip` (X-Forwarded-For, honoured only where
 * TRUST_PROXY trusts the socket's peer). Answers the refused step's response instead of throwing.
 */
async function loginFrom(t: TestApp, tenant: string, email: string, ip: string, keyIp = ip, password = PASSWORD) {
  const agent = request.agent(t.http);
  const first = await agent.post(api('/auth/login')).set('X-Forwarded-For', ip).send({ tenant, email, password });
  if (first.status !== 200) return { res: first, agent };
  if (first.body.step === 'enroll_keyfile') {
    // First login of an account without a key (the operator here): enrol one from the same address.
    const key = newTestKey();
    testKeys.set(`${tenant}/${email}`, key);
    const res = await agent
      .post(api('/auth/keyfile/enroll'))
      .set('X-Forwarded-For', keyIp)
      .send({ publicKeyJwk: key.publicJwk, label: 'test', signature: signChallenge(key.privateKey, first.body.challenge) });
    return { res, agent, first };
  }
  const key = testKeys.get(`${tenant}/${email}`)!;
  const res = await agent
    .post(api('/auth/keyfile'))
    .set('X-Forwarded-For', keyIp)
    .send({ keyId: key.keyId, signature: signChallenge(key.privateKey, first.body.challenge) });
  return { res, agent, first };
}

async function sessionFrom(t: TestApp, tenant: string, email: string, ip: string): Promise<Session> {
  const { res, agent } = await loginFrom(t, tenant, email, ip);
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { agent, csrf: res.body.csrfToken as string };
}

const getFrom = (s: Session, path: string, ip: string) => s.agent.get(api(path)).set('X-Forwarded-For', ip);
const putFrom = (s: Session, path: string, ip: string, body: object) =>
  s.agent.put(api(path)).set('X-Forwarded-For', ip).set('X-CSRF-Token', s.csrf).send(body);

async function auditRows(t: TestApp, chain: string, action: string) {
  return (await t.ds.query(
    `SELECT ip, outcome, actor_type, actor_id, details FROM audit_events WHERE chain_key = $1 AND action = $2 ORDER BY seq`,
    [chain, action],
  )) as Array<{ ip: string | null; outcome: string; actor_type: string; actor_id: string | null; details: Record<string, unknown> }>;
}

describe('IP allow-list (TRUST_PROXY=loopback: the proxy on this host sets X-Forwarded-For)', () => {
  let t: TestApp;
  let a: Seeded;
  let b: Seeded;
  let adminA: Session;
  let adminB: Session;
  let tokenA: string;

  beforeAll(async () => {
    t = await startTestApp({ TRUST_PROXY: 'loopback' });
    a = await seedTenant(t, 'ipa');
    b = await seedTenant(t, 'ipb');
    await t.app.get(UsersService).createOperator('ops@charlotte.example', PASSWORD);
    adminA = await sessionFrom(t, 'ipa', a.adminEmail, INSIDE);
    adminB = await sessionFrom(t, 'ipb', b.adminEmail, OUTSIDE);
    tokenA = (
      await adminA.agent
        .post(api('/api-tokens'))
        .set('X-Forwarded-For', INSIDE)
        .set('X-CSRF-Token', adminA.csrf)
        .send({ name: 'ip', scopes: ['audit:read'] })
        .expect(201)
    ).body.token;
  });
  afterAll(() => t?.close());

  it('is off by default and shows the caller its own address', async () => {
    const r = await getFrom(adminA, '/tenant/ip-allowlist', INSIDE).expect(200);
    expect(r.body).toEqual({
      enabled: false,
      cidrs: [],
      appliesTo: 'all',
      currentAddress: INSIDE,
      currentAddressAllowed: false,
      updatedAt: null,
    });
  });

  it('refuses malformed CIDRs with 400 validation_failed per entry and changes nothing', async () => {
    const r = await putFrom(adminA, '/tenant/ip-allowlist', INSIDE, {
      enabled: true,
      cidrs: ['203.0.113.0/24', 'office', '10.0.0.0/33', 'fe80::1%eth0'],
      appliesTo: 'all',
    }).expect(400);
    expect(r.body.code).toBe('validation_failed');
    expect(r.body.errors.map((e: { field: string; code: string }) => [e.field, e.code])).toEqual([
      ['cidrs[1]', 'invalid_cidr'],
      ['cidrs[2]', 'invalid_cidr'],
      ['cidrs[3]', 'invalid_cidr'],
    ]);
    // An enabled list without entries would shut everyone out.
    const empty = await putFrom(adminA, '/tenant/ip-allowlist', INSIDE, { enabled: true, cidrs: [], appliesTo: 'all' }).expect(400);
    expect(empty.body.errors).toEqual([expect.objectContaining({ field: 'cidrs', code: 'too_few_items', params: { min: 1 } })]);
    await putFrom(adminA, '/tenant/ip-allowlist', INSIDE, { enabled: true, cidrs: ['203.0.113.0/24'], appliesTo: 'staff' }).expect(400);
    const after = await getFrom(adminA, '/tenant/ip-allowlist', INSIDE).expect(200);
    expect(after.body).toMatchObject({ enabled: false, cidrs: [], updatedAt: null });
    expect(await t.ds.query('SELECT 1 FROM tenant_ip_allowlists')).toEqual([]);
  });

  it('answers 409 would_lock_out for a list without the caller, and saves it when confirmed', async () => {
    const outsideOnly = { enabled: true, cidrs: ['192.0.2.0/24'], appliesTo: 'all' };
    const r = await putFrom(adminA, '/tenant/ip-allowlist', INSIDE, outsideOnly).expect(409);
    expect(r.body.code).toBe('would_lock_out');
    expect((await getFrom(adminA, '/tenant/ip-allowlist', INSIDE).expect(200)).body.enabled).toBe(false);

    // Saved with confirmation (switched off right after, so that the admin keeps working here).
    await putFrom(adminA, '/tenant/ip-allowlist', INSIDE, { ...outsideOnly, confirmOwnAddress: true }).expect(200);
    const refused = await getFrom(adminA, '/tenant/ip-allowlist', INSIDE).expect(403);
    expect(refused.body.code).toBe('ip_not_allowed');
    await t.ds.query('UPDATE tenant_ip_allowlists SET enabled = false WHERE tenant_id = $1', [a.tenantId]);
    const changed = await auditRows(t, a.tenantId, 'ip_allowlist.changed');
    expect(changed.at(-1)).toMatchObject({
      outcome: 'success',
      actor_id: a.adminId,
      details: expect.objectContaining({ enabled: true, added: ['192.0.2.0/24'], ownAddressExcluded: true }),
    });
  });

  it('saves a list that includes the caller, canonical (host bits cleared, IPv6 compressed, no duplicates)', async () => {
    const r = await putFrom(adminA, '/tenant/ip-allowlist', INSIDE, {
      enabled: true,
      cidrs: ['203.0.113.77/24', '2001:DB8:0:0::1/32', '203.0.113.0/24', '192.0.2.9'],
      appliesTo: 'all',
    }).expect(200);
    expect(r.body).toMatchObject({
      enabled: true,
      cidrs: ['203.0.113.0/24', '2001:db8::/32', '192.0.2.9/32'],
      appliesTo: 'all',
      currentAddress: INSIDE,
      currentAddressAllowed: true,
    });
  });

  it('refuses a session from outside with 403 ip_not_allowed (audited with the address), and serves it inside, IPv4 and IPv6', async () => {
    const before = (await auditRows(t, a.tenantId, 'http.ip_not_allowed')).length;
    const out = await getFrom(adminA, '/users', OUTSIDE).expect(403);
    expect(out.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(out.body.code).toBe('ip_not_allowed');
    expect(JSON.stringify(out.body)).not.toContain(OUTSIDE);
    await getFrom(adminA, '/users', '203.0.113.250').expect(200);
    await getFrom(adminA, '/users', '2001:db8:abcd::1').expect(200);
    await getFrom(adminA, '/users', '2001:db9::1').expect(403);
    // A spoofed first hop does not help: the address the trusted proxy saw is the last one.
    await getFrom(adminA, '/users', `${INSIDE}, ${OUTSIDE}`).expect(403);
    const events = await auditRows(t, a.tenantId, 'http.ip_not_allowed');
    expect(events.length).toBeGreaterThan(before);
    expect(events[before]).toMatchObject({
      ip: OUTSIDE,
      outcome: 'denied',
      actor_type: 'user',
      actor_id: a.adminId,
      details: { method: 'GET', route: '/api/v1/users', principal: 'session' },
    });
  });

  it('refuses an API token from outside and serves it inside', async () => {
    const bearer = { Authorization: `Bearer ${tokenA}` };
    const out = await request(t.http).get(api('/audit-events')).set(bearer).set('X-Forwarded-For', OUTSIDE).expect(403);
    expect(out.body.code).toBe('ip_not_allowed');
    await request(t.http).get(api('/audit-events')).set(bearer).set('X-Forwarded-For', INSIDE).expect(200);
    await request(t.http).get(api('/audit-events')).set(bearer).set('X-Forwarded-For', '2001:db8::42').expect(200);
  });

  it('refuses the login from outside before the password is checked: no session, no cookie', async () => {
    const sessionsBefore = await t.ds.query('SELECT count(*)::int AS n FROM sessions WHERE user_id = $1', [a.memberId]);
    for (const password of [PASSWORD, 'wrong password']) {
      const { res } = await loginFrom(t, 'ipa', a.memberEmail, OUTSIDE, OUTSIDE, password);
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('ip_not_allowed');
      expect(res.headers['set-cookie']).toBeUndefined();
    }
    expect(await t.ds.query('SELECT count(*)::int AS n FROM sessions WHERE user_id = $1', [a.memberId])).toEqual(sessionsBefore);
    const denied = (await auditRows(t, a.tenantId, 'auth.login')).filter((e) => e.details.reason === 'ip_not_allowed');
    expect(denied.at(-1)).toMatchObject({ ip: OUTSIDE, outcome: 'denied', details: { step: 'password', reason: 'ip_not_allowed' } });

    // Inside: the whole login works.
    const inside = await loginFrom(t, 'ipa', a.memberEmail, INSIDE);
    expect(inside.res.status).toBe(200);
    expect(inside.res.body.step).toBe('done');
  });

  it('refuses the key-file step from outside even after a password step inside (no full session)', async () => {
    const { res, first } = await loginFrom(t, 'ipa', a.memberEmail, INSIDE, OUTSIDE);
    expect(first?.status).toBe(200);
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('ip_not_allowed');
    expect(res.headers['set-cookie']).toBeUndefined();
  });

  it('never lets one tenant’s list touch another tenant', async () => {
    // Tenant B has no list: its admin works from the address A refuses.
    await getFrom(adminB, '/users', OUTSIDE).expect(200);
    const bList = await getFrom(adminB, '/tenant/ip-allowlist', OUTSIDE).expect(200);
    expect(bList.body).toMatchObject({ enabled: false, cidrs: [] });
    expect((await loginFrom(t, 'ipb', b.memberEmail, OUTSIDE)).res.status).toBe(200);
    // B saving its own list does not change A's.
    await putFrom(adminB, '/tenant/ip-allowlist', OUTSIDE, { enabled: true, cidrs: [`${OUTSIDE}/32`], appliesTo: 'all' }).expect(200);
    expect((await getFrom(adminA, '/tenant/ip-allowlist', INSIDE).expect(200)).body.cidrs).toEqual([
      '203.0.113.0/24',
      '2001:db8::/32',
      '192.0.2.9/32',
    ]);
    await getFrom(adminB, '/users', INSIDE).expect(403);
    await putFrom(adminB, '/tenant/ip-allowlist', OUTSIDE, { enabled: false, cidrs: [], appliesTo: 'all' }).expect(200);
  });

  it('with appliesTo "admins" restricts administrators and API tokens only', async () => {
    await putFrom(adminA, '/tenant/ip-allowlist', INSIDE, { enabled: true, cidrs: ['203.0.113.0/24'], appliesTo: 'admins' }).expect(200);
    // A member works from anywhere.
    const member = await loginFrom(t, 'ipa', a.memberEmail, OUTSIDE);
    expect(member.res.status).toBe(200);
    const m: Session = { agent: member.agent, csrf: member.res.body.csrfToken };
    await getFrom(m, '/applications', OUTSIDE).expect(200);
    // An administrator does not: refused after the right password (a wrong one answers as always).
    const admin = await loginFrom(t, 'ipa', a.adminEmail, OUTSIDE);
    expect(admin.res.status).toBe(403);
    expect(admin.res.body.code).toBe('ip_not_allowed');
    expect(admin.res.headers['set-cookie']).toBeUndefined();
    const wrong = await loginFrom(t, 'ipa', a.adminEmail, OUTSIDE, OUTSIDE, 'wrong password');
    expect(wrong.res.status).toBe(401);
    await getFrom(adminA, '/users', OUTSIDE).expect(403);
    await request(t.http)
      .get(api('/audit-events'))
      .set({ Authorization: `Bearer ${tokenA}` })
      .set('X-Forwarded-For', OUTSIDE)
      .expect(403);
  });

  it('lets an operator switch a locked-out tenant’s list off (both chains, お知らせ to its admins); operators are not subject to it', async () => {
    await putFrom(adminA, '/tenant/ip-allowlist', INSIDE, {
      enabled: true,
      cidrs: ['192.0.2.0/24'],
      appliesTo: 'all',
      confirmOwnAddress: true,
    }).expect(200);
    await getFrom(adminA, '/users', INSIDE).expect(403);

    // The operator logs in from an address no tenant list names.
    const op = await sessionFrom(t, 'platform', 'ops@charlotte.example', OUTSIDE);
    const disable = (s: Session, code: string) =>
      s.agent
        .post(api(`/operator/tenants/${code}/ip-allowlist/disable`))
        .set('X-Forwarded-For', OUTSIDE)
        .set('X-CSRF-Token', s.csrf);
    await disable(adminB, 'ipa').expect(403);
    await disable(op, 'nosuch').expect(404);
    const r = await disable(op, 'ipa').expect(200);
    expect(r.body).toEqual({ code: 'ipa', wasEnabled: true, entries: 1, adminsNotified: 1 });

    // Back in, from anywhere; the entries are kept for the admins to correct.
    const list = await getFrom(adminA, '/tenant/ip-allowlist', OUTSIDE).expect(200);
    expect(list.body).toMatchObject({ enabled: false, cidrs: ['192.0.2.0/24'] });
    const notices = await getFrom(adminA, '/notices', OUTSIDE).expect(200);
    expect(notices.body.items.map((n: { kind: string }) => n.kind)).toContain('ip_allowlist_disabled');
    const member = await sessionFrom(t, 'ipa', a.memberEmail, INSIDE);
    expect((await getFrom(member, '/notices', INSIDE).expect(200)).body.items.map((n: { kind: string }) => n.kind)).not.toContain(
      'ip_allowlist_disabled',
    );

    for (const chain of [a.tenantId, 'platform']) {
      const events = await auditRows(t, chain, 'ip_allowlist.disabled');
      expect(events).toEqual([
        expect.objectContaining({ outcome: 'success', details: { by: 'operator', wasEnabled: true, entries: 1, adminsNotified: 1 } }),
      ]);
    }
    // Again: nothing to do, nobody notified.
    expect((await disable(op, 'ipa').expect(200)).body).toMatchObject({ wasEnabled: false, adminsNotified: 0 });
  });
});

describe('IP allow-list without TRUST_PROXY (X-Forwarded-For ignored)', () => {
  let t: TestApp;
  let a: Seeded;
  let admin: LoggedIn;

  beforeAll(async () => {
    t = await startTestApp({});
    a = await seedTenant(t, 'ipn');
    admin = await login(t, 'ipn', a.adminEmail);
  });
  afterAll(() => t?.close());

  const put = (body: object, xff?: string) => {
    const r = admin.agent.put(api('/tenant/ip-allowlist')).set('X-CSRF-Token', admin.csrf);
    return (xff ? r.set('X-Forwarded-For', xff) : r).send(body);
  };

  it('sees the socket address (an IPv4 client of the dual-stack listener, shown without ::ffff:)', async () => {
    const r = await admin.agent.get(api('/tenant/ip-allowlist')).set('X-Forwarded-For', INSIDE).expect(200);
    expect(r.body.currentAddress).toBe('127.0.0.1');
  });

  it('does not let a spoofed X-Forwarded-For pass, nor dodge the lock-out check', async () => {
    const list = { enabled: true, cidrs: ['203.0.113.0/24'], appliesTo: 'all' };
    expect((await put(list, INSIDE).expect(409)).body.code).toBe('would_lock_out');
    await put({ ...list, confirmOwnAddress: true }, INSIDE).expect(200);
    const r = await admin.agent.get(api('/users')).set('X-Forwarded-For', INSIDE).expect(403);
    expect(r.body.code).toBe('ip_not_allowed');
    const { res } = await loginFrom(t, 'ipn', a.memberEmail, INSIDE);
    expect(res.status).toBe(403);
    // The event names the real peer, not the header.
    const ev = await auditRows(t, a.tenantId, 'http.ip_not_allowed');
    expect(ev.at(-1)?.ip).toMatch(/^(::ffff:)?127\.0\.0\.1$/);
  });

  it('matches the IPv4-mapped peer address against an IPv4 entry, whatever X-Forwarded-For says', async () => {
    await t.ds.query(`UPDATE tenant_ip_allowlists SET cidrs = '{127.0.0.0/8}' WHERE tenant_id = $1`, [a.tenantId]);
    await admin.agent.get(api('/users')).set('X-Forwarded-For', OUTSIDE).expect(200);
    expect((await loginFrom(t, 'ipn', a.memberEmail, OUTSIDE)).res.status).toBe(200);
  });
});
