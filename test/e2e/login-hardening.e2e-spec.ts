import request from 'supertest';
import { SsoSettingsService } from '@charlotte/auth';
import { login, PASSWORD, seedTenant, Seeded, startTestApp, TestApp } from '../support/app';
import { makeIdpCert, ssoSettings } from '../support/saml-idp';

/**
 * The security review's login findings, each reproduced as the attacker did it
 * (they failed on the code before the fix):
 * 2. a rotating X-Forwarded-For gave unlimited login attempts behind a proxy;
 * 3. with SSO enforced, break-glass admins answered differently (401) and
 *    could be locked out by strangers;
 * 5. the lockout told known accounts from unknown ones, and let anyone lock
 *    any account out;
 * 7. a demoted break-glass admin kept password login while SSO is required.
 */
const login1 = (t: TestApp, body: Record<string, string>, from?: string) => {
  const r = request(t.http).post('/api/v1/auth/login');
  // Behind one trusted proxy (TRUST_PROXY=1) the proxy appends the address it saw; the client writes the rest.
  if (from) r.set('X-Forwarded-For', from);
  return r.send(body);
};

describe('Per-IP limits behind a proxy (TRUST_PROXY, finding 2)', () => {
  let t: TestApp;

  beforeAll(async () => {
    // One proxy in front: only the entry it appended (the right-most) is the client.
    t = await startTestApp({ TRUST_PROXY: '1', RATE_LIMIT_LOGIN_PER_MINUTE: '30' });
    await seedTenant(t, 'proxyco');
  });
  afterAll(() => t.close());

  it('cannot be escaped by rotating the X-Forwarded-For entries the client writes', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 33; i++) {
      const r = await login1(
        t,
        { tenant: 'proxyco', email: 'nobody@proxyco.example', password: 'guess guess guess' },
        `10.9.${i}.1, 198.51.100.7`,
      );
      statuses.push(r.status);
    }
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(3);
    // The audit trail holds the address the proxy saw, not the spoofed ones.
    const ips: Array<{ ip: string }> = await t.ds.query(
      `SELECT DISTINCT ip FROM audit_events WHERE action IN ('auth.login', 'http.rate_limited')`,
    );
    expect(ips.map((r) => r.ip)).toEqual(['198.51.100.7']);
  });
});

describe('Lockout per account and address (findings 3, 5, 7)', () => {
  let t: TestApp;
  let acme: Seeded;
  let sso: Seeded;

  beforeAll(async () => {
    t = await startTestApp({ TRUST_PROXY: '1', LOGIN_MAX_FAILURES: '10', LOGIN_ACCOUNT_MAX_FAILURES: '25' });
    acme = await seedTenant(t, 'lockco');
    sso = await seedTenant(t, 'ssoco');
    const idp = makeIdpCert('lock-idp');
    await t.app
      .get(SsoSettingsService)
      .put(sso.tenantId, ssoSettings('https://idp.example.jp/lock', idp.certPem, { jitEnabled: false }), sso.adminId);
    // Enforcement on, with the admin as the only break-glass account (the API needs a tested SSO login first).
    await t.ds.query(`UPDATE tenant_sso_settings SET sso_required = true, break_glass_admin_ids = ARRAY[$2::uuid] WHERE tenant_id = $1`, [
      sso.tenantId,
      sso.adminId,
    ]);
  });
  afterAll(() => t.close());

  async function tenTimes(body: Record<string, string>, from: string): Promise<number[]> {
    const out: number[] = [];
    for (let i = 0; i < 11; i++) out.push((await login1(t, body, from)).status);
    return out;
  }

  it('answers an unknown account exactly like a known one: 401 nine times, then 423 (finding 5)', async () => {
    const known = await tenTimes({ tenant: 'lockco', email: acme.memberEmail, password: 'wrong password!' }, '203.0.113.1');
    const unknown = await tenTimes({ tenant: 'lockco', email: 'nobody@lockco.example', password: 'wrong password!' }, '203.0.113.1');
    const noTenant = await tenTimes({ tenant: 'no-such-co', email: 'nobody@lockco.example', password: 'wrong password!' }, '203.0.113.1');
    const expected = [...Array(9).fill(401), 423, 423];
    expect(known).toEqual(expected);
    expect(unknown).toEqual(expected);
    expect(noTenant).toEqual(expected);
    const a = await login1(t, { tenant: 'lockco', email: acme.memberEmail, password: 'x y z w v' }, '203.0.113.1');
    const b = await login1(t, { tenant: 'lockco', email: 'nobody@lockco.example', password: 'x y z w v' }, '203.0.113.1');
    const strip = (r: request.Response) => ({ ...r.body, requestId: undefined, retry: r.headers['retry-after'] !== undefined });
    expect(strip(a)).toEqual(strip(b));
  });

  it('does not let a stranger lock the owner out: the owner, elsewhere, still logs in (finding 5)', async () => {
    const attacker = await tenTimes({ tenant: 'lockco', email: acme.adminEmail, password: 'wrong password!' }, '203.0.113.66');
    expect(attacker[10]).toBe(423);
    // Even the right password from the attacker's address is refused while locked.
    expect((await login1(t, { tenant: 'lockco', email: acme.adminEmail, password: PASSWORD }, '203.0.113.66')).status).toBe(423);
    // The owner, from their office, is not affected.
    const first = await login1(t, { tenant: 'lockco', email: acme.adminEmail, password: PASSWORD }, '198.51.100.20');
    expect(first.status).toBe(200);
    expect(first.body.step).toBe('keyfile');
  });

  it('locks an account without a key file everywhere after the backstop, whatever the addresses', async () => {
    const invited = await t.ds.query(`UPDATE users SET key_enrolment_allowed = true WHERE id = $1 RETURNING id`, [acme.memberId]);
    expect(invited[1]).toBe(1);
    await t.ds.query(`UPDATE user_keys SET revoked_at = now() WHERE user_id = $1`, [acme.memberId]);
    await t.ds.query(`DELETE FROM login_failures WHERE subject = $1`, [acme.memberId]);
    const statuses: number[] = [];
    for (let i = 0; i < 26; i++) {
      statuses.push(
        (await login1(t, { tenant: 'lockco', email: acme.memberEmail, password: 'wrong password!' }, `192.0.2.${i + 1}`)).status,
      );
    }
    expect(statuses.slice(0, 24).every((s) => s === 401)).toBe(true);
    expect(statuses[24]).toBe(423);
    // Without a key the password is the only factor: the backstop holds from any address.
    expect((await login1(t, { tenant: 'lockco', email: acme.memberEmail, password: PASSWORD }, '198.51.100.99')).status).toBe(423);
  });

  it('answers a break-glass admin and everyone else the same with SSO enforced (finding 3)', async () => {
    const answers = [];
    for (const [email, password] of [
      [sso.adminEmail, 'wrong password!'], // break-glass, wrong password (was 401)
      [sso.memberEmail, 'wrong password!'],
      [sso.memberEmail, PASSWORD],
      ['nobody@ssoco.example', 'wrong password!'],
    ]) {
      const r = await login1(t, { tenant: 'ssoco', email, password }, '203.0.113.9');
      answers.push({ status: r.status, code: r.body.code, detail: r.body.detail });
    }
    expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
    expect(answers[0]).toMatchObject({ status: 403, code: 'sso_required' });
  });

  it('does not let strangers lock the break-glass admin out (finding 3)', async () => {
    const attacker = await tenTimes({ tenant: 'ssoco', email: sso.adminEmail, password: 'wrong password!' }, '203.0.113.77');
    expect(attacker[10]).toBe(423);
    // The break-glass admin, from elsewhere, gets in with password and key file.
    await request(t.http).get('/health/live').expect(200);
    const r = await login1(t, { tenant: 'ssoco', email: sso.adminEmail, password: PASSWORD }, '198.51.100.30');
    expect(r.status).toBe(200);
    expect(r.body.step).toBe('keyfile');
  });

  it('removes a demoted or disabled admin from the break-glass list (finding 7)', async () => {
    const users = (await import('@charlotte/auth')).UsersService;
    const svc = t.app.get(users);
    const second = await svc.create(sso.tenantId, {
      email: 'admin2@ssoco.example',
      displayName: '管理者2',
      role: 'admin',
      password: PASSWORD,
    });
    await t.ds.query(`UPDATE tenant_sso_settings SET break_glass_admin_ids = ARRAY[$2::uuid, $3::uuid] WHERE tenant_id = $1`, [
      sso.tenantId,
      sso.adminId,
      second.user.id,
    ]);
    // The second admin could log in with a password while an admin …
    expect((await login1(t, { tenant: 'ssoco', email: 'admin2@ssoco.example', password: PASSWORD }, '198.51.100.40')).status).toBe(200);
    const admin = await login(t, 'ssoco', sso.adminEmail);
    await admin.agent
      .patch(`/api/v1/users/${second.user.id}`)
      .set('X-CSRF-Token', admin.csrf)
      .set('X-Forwarded-For', '198.51.100.30')
      .send({ role: 'member' })
      .expect(200);
    // … and not once demoted.
    const r = await login1(t, { tenant: 'ssoco', email: 'admin2@ssoco.example', password: PASSWORD }, '198.51.100.40');
    expect(r.status).toBe(403);
    expect(r.body.code).toBe('sso_required');
    const ids = await t.ds.query(`SELECT break_glass_admin_ids AS ids FROM tenant_sso_settings WHERE tenant_id = $1`, [sso.tenantId]);
    expect(ids[0].ids).toEqual([sso.adminId]);
    // The last break-glass account of an SSO-enforced tenant cannot be demoted away.
    const third = await svc.create(sso.tenantId, {
      email: 'admin3@ssoco.example',
      displayName: '管理者3',
      role: 'admin',
      password: PASSWORD,
    });
    void third;
    const refused = await admin.agent
      .patch(`/api/v1/users/${sso.adminId}`)
      .set('X-CSRF-Token', admin.csrf)
      .set('X-Forwarded-For', '198.51.100.30')
      .send({ status: 'disabled' })
      .expect(409);
    expect(refused.body.code).toBe('last_break_glass_admin');
    const ev = await t.ds.query(
      `SELECT details FROM audit_events WHERE chain_key = $1 AND action = 'user.role_changed' AND target_id = $2`,
      [sso.tenantId, second.user.id],
    );
    expect(ev[0].details.changes).toContain('breakGlass');
  });
});
