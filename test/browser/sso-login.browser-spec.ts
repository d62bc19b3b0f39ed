import * as net from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { SsoSettingsService } from '@charlotte/auth';
import { PASSWORD, seedTenant, Seeded, startTestApp, TestApp, testKeys } from '../support/app';
import { clickNav, launchChromium, loginThroughSpa, WEB_DIST } from '../support/browser';
import { idpMetadataXml, makeIdpCert, startBrowserIdp } from '../support/saml-idp';

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/**
 * SSO in Chromium against a test IdP on another site (localhost vs 127.0.0.1):
 * the admin imports the IdP metadata, tests SSO and switches enforcement on;
 * users log in with "SSOでログイン", JIT creates them when on and refuses them
 * when off; a password login then meets the sso_required message.
 */
describe('SPA: SAML SSO login through a test IdP', () => {
  const IDP = 'https://idp.test/acme';
  const cert = makeIdpCert('browser-sso-idp');
  let t: TestApp;
  let acme: Seeded;
  let browser: Browser;
  let base: string;
  let idp: Awaited<ReturnType<typeof startBrowserIdp>>;
  const contexts: BrowserContext[] = [];

  async function freshPage(): Promise<Page> {
    const c = await browser.newContext({ locale: 'ja-JP' });
    contexts.push(c);
    const page = await c.newPage();
    page.setDefaultTimeout(10_000);
    return page;
  }

  /** At the IdP: type the user and sign in; the IdP posts back to our ACS. */
  async function signInAtIdp(page: Page, user: string): Promise<void> {
    await page.waitForURL((u) => u.hostname === 'localhost' && u.pathname === '/sso');
    await page.getByTestId('idp-user').fill(user);
    await page.getByTestId('idp-submit').click();
  }

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    t = await startTestApp({ WEB_DIST_DIR: WEB_DIST, PUBLIC_URL: base });
    await t.app.listen(port, '127.0.0.1');
    acme = await seedTenant(t, 'acme');
    idp = await startBrowserIdp({
      entityId: IDP,
      host: 'localhost',
      cert,
      spEntityId: (acs) => acs.replace(/\/acs$/, '/metadata'),
      attributes: (nameId) => ({ mail: nameId, displayName: nameId.startsWith('new.hire') ? '新入 花子' : nameId }),
    });
    browser = await launchChromium();
  });
  afterAll(async () => {
    for (const c of contexts) await c.close();
    await browser?.close();
    await idp?.close();
    await t?.close();
  });

  it('lets the admin import the IdP metadata, test SSO, and then require it', async () => {
    const page = await freshPage();
    await loginThroughSpa(page, base, {
      tenant: 'acme',
      email: acme.adminEmail,
      password: PASSWORD,
      userId: acme.adminId,
      key: testKeys.get(`acme/${acme.adminEmail}`)!,
    });
    await clickNav(page, 'nav-sso');
    await page.getByTestId('sso-metadata-xml').fill(idpMetadataXml(IDP, idp.ssoUrl, [cert.base64Der]));
    await page.getByTestId('sso-metadata-import').click();
    await page.getByTestId('sso-cert-info-0').filter({ hasText: 'browser-sso-idp' }).waitFor();

    await page.getByTestId('sso-test').click();
    await signInAtIdp(page, acme.adminEmail);
    await page.waitForURL((u) => u.origin === base && u.pathname === '/settings/sso');
    await page.getByTestId('sso-test-succeeded').waitFor();
    expect(await page.getByTestId('shell-user').innerText()).toBe('管理者');

    await page.getByTestId(`sso-break-glass-${acme.adminId}`).check();
    await page.getByTestId('sso-required').check();
    await page.getByTestId('sso-save').click();
    await page.getByTestId('sso-save').waitFor({ state: 'visible' });
    const deadline = Date.now() + 10_000;
    let required = false;
    while (!required && Date.now() < deadline) {
      required = (await t.ds.query('SELECT sso_required FROM tenant_sso_settings WHERE tenant_id = $1', [acme.tenantId]))[0].sso_required;
      if (!required) await new Promise((r) => setTimeout(r, 100));
    }
    expect(required).toBe(true);
  });

  it('logs a new user in with "SSOでログイン" and creates them just in time', async () => {
    await t.app.get(SsoSettingsService).put(
      acme.tenantId,
      {
        ...(await t.app.get(SsoSettingsService).get(acme.tenantId)),
        jitEnabled: true,
        attributeMapping: { email: 'mail', displayName: 'displayName' },
      },
      acme.adminId,
    );
    const page = await freshPage();
    await page.goto(`${base}/login`);
    await page.getByTestId('login-tenant').fill('acme');
    await page.getByTestId('login-sso').click();
    await signInAtIdp(page, 'new.hire@acme.example');
    await page.waitForURL((u) => u.origin === base && !u.pathname.startsWith('/login'));
    await page.getByTestId('shell-user').filter({ hasText: '新入 花子' }).waitFor();
    const u = await t.ds.query(
      `SELECT role, status, sso_idp_entity_id FROM users WHERE tenant_id = $1 AND email = 'new.hire@acme.example'`,
      [acme.tenantId],
    );
    expect(u).toEqual([{ role: 'member', status: 'active', sso_idp_entity_id: IDP }]);
  });

  it('refuses an unknown user when JIT is off, with the generic page and its reason', async () => {
    await t.app
      .get(SsoSettingsService)
      .put(acme.tenantId, { ...(await t.app.get(SsoSettingsService).get(acme.tenantId)), jitEnabled: false }, acme.adminId);
    const page = await freshPage();
    await page.goto(`${base}/login`);
    await page.getByTestId('login-tenant').fill('acme');
    await page.getByTestId('login-sso').click();
    await signInAtIdp(page, 'stranger@acme.example');
    await page.locator('#reason').waitFor();
    expect(await page.locator('#reason').innerText()).toBe('user_unknown');
    expect(await page.locator('h1').innerText()).toBe('SSOでログインできませんでした');
    expect(await t.ds.query(`SELECT id FROM users WHERE email = 'stranger@acme.example'`)).toEqual([]);
  });

  it('answers a password login with the SSO-required message while SSO is enforced', async () => {
    const page = await freshPage();
    await page.goto(`${base}/login`);
    await page.getByTestId('login-tenant').fill('acme');
    await page.getByTestId('login-email').fill(acme.memberEmail);
    await page.getByTestId('login-password').fill(PASSWORD);
    await page.getByTestId('login-submit').click();
    await page.getByTestId('login-error').filter({ hasText: 'SSOでのログインが必須です' }).waitFor();
  });
});
