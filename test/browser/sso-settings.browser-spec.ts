import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { PASSWORD, seedTenant, Seeded, startTestApp, TestApp, testKeys } from '../support/app';
import { clickNav, launchChromium, loginThroughSpa, WEB_DIST } from '../support/browser';
import { idpMetadataXml, makeIdpCert } from '../support/saml-idp';

/** The SSO settings page in Chromium: import IdP metadata, see the certificate, try to enforce too early. */
describe('SPA: SSO settings page', () => {
  let t: TestApp;
  let acme: Seeded;
  let browser: Browser;
  let base: string;
  let page: Page;
  const idp = makeIdpCert('browser-idp');

  beforeAll(async () => {
    t = await startTestApp({ WEB_DIST_DIR: WEB_DIST });
    await t.app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    acme = await seedTenant(t, 'acme');
    browser = await launchChromium();
    page = await browser.newPage({ locale: 'ja-JP' });
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('imports IdP metadata and refuses to require SSO before a tested login', async () => {
    await loginThroughSpa(page, base, {
      tenant: 'acme',
      email: acme.adminEmail,
      password: PASSWORD,
      userId: acme.adminId,
      key: testKeys.get(`acme/${acme.adminEmail}`)!,
    });

    await clickNav(page, 'nav-sso');
    await page.getByTestId('sso-acs-url').waitFor();
    expect(await page.getByTestId('sso-acs-url').innerText()).toContain('/api/v1/auth/saml/acme/acs');
    await page
      .getByTestId('sso-metadata-xml')
      .fill(idpMetadataXml('https://sts.example.jp/acme', 'https://sts.example.jp/saml2', [idp.base64Der]));
    await page.getByTestId('sso-metadata-import').click();
    await page.getByTestId('sso-cert-info-0').filter({ hasText: 'browser-idp' }).waitFor();
    expect(await page.getByTestId('sso-idp-entity-id').inputValue()).toBe('https://sts.example.jp/acme');
    const saved = await t.ds.query('SELECT idp_entity_id FROM tenant_sso_settings WHERE tenant_id = $1', [acme.tenantId]);
    expect(saved).toEqual([{ idp_entity_id: 'https://sts.example.jp/acme' }]);

    await page.getByTestId(`sso-break-glass-${acme.adminId}`).check();
    await page.getByTestId('sso-required').check();
    await page.getByTestId('sso-save').click();
    await page.getByTestId('sso-save-error').filter({ hasText: 'SSOログインを完了してください' }).waitFor();
    const after = await t.ds.query('SELECT sso_required FROM tenant_sso_settings WHERE tenant_id = $1', [acme.tenantId]);
    expect(after[0].sso_required).toBe(false);
  });
});
