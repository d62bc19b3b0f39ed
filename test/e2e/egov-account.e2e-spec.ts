import { EgovAccountsService } from '@charlotte/filing';
import type { EgovSim } from '../../apps/egov-sim/src/server';
import { login, LoggedIn, seedTenant, Seeded, startTestApp, TestApp } from '../support/app';
import { egovEnv, linkEgovAccount, startTestSim } from '../support/egov';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * Issue 18 「e-Gov連携」 against apps/egov-sim: GET /egov/account says which e-Gov account is linked
 * (from the id token of the link), when, and when the access and refresh tokens expire; never a
 * token. DELETE /egov/account (admins only) erases the tokens and is audited.
 */
describe('e-Gov account display and unlink (/api/v1/egov/account)', () => {
  let sim: EgovSim;
  let t: TestApp;
  let a: Seeded;
  let b: Seeded;
  let admin: LoggedIn;
  let member: LoggedIn;
  let adminB: LoggedIn;

  beforeAll(async () => {
    sim = await startTestSim(() => Date.now());
    t = await startTestApp(egovEnv(sim));
    a = await seedTenant(t, 'egov-acct-a');
    b = await seedTenant(t, 'egov-acct-b');
    admin = await login(t, 'egov-acct-a', a.adminEmail);
    member = await login(t, 'egov-acct-a', a.memberEmail);
    adminB = await login(t, 'egov-acct-b', b.adminEmail);
  });
  afterAll(async () => {
    await t?.close();
    await sim?.close();
  });

  it('says nothing is linked before the link', async () => {
    expect((await admin.agent.get('/api/v1/egov/account').expect(200)).body).toEqual({
      linked: false,
      linkedAt: null,
      accountId: null,
      accessTokenExpiresAt: null,
      refreshTokenExpiresAt: null,
      trialMode: false,
    });
  });

  it('shows the linked e-Gov account, when it was linked and when its tokens expire, to admins and members, and no token', async () => {
    const before = Date.now();
    await linkEgovAccount(t, admin, sim, 'taro@example.jp');
    const body = (await admin.agent.get('/api/v1/egov/account').expect(200)).body;
    expect(body).toMatchObject({ linked: true, accountId: 'taro@example.jp', trialMode: false });
    expect(Date.parse(body.linkedAt)).toBeGreaterThanOrEqual(before - 1000);
    // the simulator's lifetimes: one hour for the access token, 180 days for the refresh token
    expect(Date.parse(body.accessTokenExpiresAt) - before).toBeGreaterThan(HOUR - 60_000);
    expect(Date.parse(body.accessTokenExpiresAt) - before).toBeLessThan(HOUR + 60_000);
    expect(Date.parse(body.refreshTokenExpiresAt) - before).toBeGreaterThan(180 * DAY - 60_000);
    expect(Date.parse(body.refreshTokenExpiresAt) - before).toBeLessThan(180 * DAY + 60_000);
    expect(Object.keys(body).sort()).toEqual([
      'accessTokenExpiresAt',
      'accountId',
      'linked',
      'linkedAt',
      'refreshTokenExpiresAt',
      'trialMode',
    ]);
    expect((await member.agent.get('/api/v1/egov/account').expect(200)).body).toEqual(body);
    // The account id is stored sealed, like other personal data.
    const row = await t.ds.query(`SELECT account_sealed FROM egov_accounts WHERE tenant_id = $1`, [a.tenantId]);
    expect(row[0].account_sealed.toString('latin1')).not.toContain('taro');
    // Another tenant sees its own (unlinked) state.
    expect((await adminB.agent.get('/api/v1/egov/account').expect(200)).body).toMatchObject({ linked: false, accountId: null });
  });

  it('moves the expiries on when the tokens are refreshed', async () => {
    const accounts = t.app.get(EgovAccountsService);
    await accounts.expireAccessToken(a.tenantId);
    const expired = (await admin.agent.get('/api/v1/egov/account').expect(200)).body;
    expect(Date.parse(expired.accessTokenExpiresAt)).toBeLessThanOrEqual(Date.now());
    const before = Date.now();
    await accounts.accessToken(a.tenantId);
    const fresh = (await admin.agent.get('/api/v1/egov/account').expect(200)).body;
    expect(Date.parse(fresh.accessTokenExpiresAt) - before).toBeGreaterThan(HOUR - 60_000);
    expect(Date.parse(fresh.refreshTokenExpiresAt)).toBeGreaterThanOrEqual(Date.parse(expired.refreshTokenExpiresAt));
    expect(fresh.accountId).toBe('taro@example.jp');
  });

  it('unlinks for administrators only: tokens erased, audited, the e-Gov session ended', async () => {
    await member.agent.delete('/api/v1/egov/account').set('X-CSRF-Token', member.csrf).expect(403);
    await adminB.agent.delete('/api/v1/egov/account').set('X-CSRF-Token', adminB.csrf).expect(204);
    expect((await admin.agent.get('/api/v1/egov/account').expect(200)).body.linked).toBe(true);

    const live = () => [...sim.state.tokens.values()].filter((r) => r.sub === 'taro@example.jp').length;
    expect(live()).toBeGreaterThan(0);
    await admin.agent.delete('/api/v1/egov/account').set('X-CSRF-Token', admin.csrf).expect(204);
    // The unlink logged out at e-Gov: no token of that login works there any more.
    expect(live()).toBe(0);
    expect((await admin.agent.get('/api/v1/egov/account').expect(200)).body).toMatchObject({
      linked: false,
      accountId: null,
      accessTokenExpiresAt: null,
      refreshTokenExpiresAt: null,
    });
    expect(await t.ds.query(`SELECT 1 FROM egov_accounts WHERE tenant_id = $1`, [a.tenantId])).toEqual([]);
    const events = (await admin.agent.get('/api/v1/audit-events').query({ action: 'egov.account_unlinked' }).expect(200)).body.items;
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      outcome: 'success',
      actor: { type: 'user', id: a.adminId, label: '管理者' },
      target: { type: 'tenant', id: a.tenantId, label: 'egov-acct-a 株式会社', deleted: false },
    });
    // B's no-op unlink wrote nothing to A's trail, nor to its own.
    expect((await adminB.agent.get('/api/v1/audit-events').query({ action: 'egov.account_unlinked' }).expect(200)).body.items).toEqual([]);
  });
});
