import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { PASSWORD, seedTenant, Seeded, startTestApp, TestApp, testKeys } from '../support/app';
import { clickNav, launchChromium, loginThroughSpa, WEB_DIST } from '../support/browser';
import { idpMetadataXml, makeIdpCert } from '../support/saml-idp';

/** Words of the server's English messages (class-validator's and ours) that once reached Japanese users. */
const SERVER_ENGLISH = /must be|must contain|should not exist|longer than|https URL|EntityDescriptor|IDPSSODescriptor|metadata has/;
/** Latin words allowed in Japanese error texts (product and standard names). */
const ALLOWED_LATIN = /https:\/\/|URL|IdP|XML|e-Gov|PEM|X\.509/g;

/**
 * Issue 18, bug 3, in Chromium: a validation error of the server reads in
 * Japanese under its field (SSO設定: an http SSO URL, metadata that is not an
 * IdP's), and in English once the user chose English.
 */
describe('SPA: validation messages in the user’s language', () => {
  let t: TestApp;
  let acme: Seeded;
  let browser: Browser;
  let base: string;
  let page: Page;
  const idp = makeIdpCert('msg-idp');

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

  /** The text of every error on the page (field errors and alerts). */
  async function errorTexts(): Promise<string[]> {
    const texts = await page.locator('.field-error, [role="alert"]').allInnerTexts();
    return texts.map((s) => s.trim()).filter(Boolean);
  }

  it('shows the server’s refusal of an http SSO URL in Japanese under the field, without English', async () => {
    await loginThroughSpa(page, base, {
      tenant: 'acme',
      email: acme.adminEmail,
      password: PASSWORD,
      userId: acme.adminId,
      key: testKeys.get(`acme/${acme.adminEmail}`)!,
    });
    await clickNav(page, 'nav-sso');
    await page.getByTestId('sso-acs-url').waitFor();

    // Metadata that is XML but not an IdP's: refused by the server with a code.
    await page.getByTestId('sso-metadata-xml').fill(`<?xml version="1.0"?><root xmlns="urn:example">${'x'.repeat(60)}</root>`);
    await page.getByTestId('sso-metadata-import').click();
    await page.locator('#sso-metadata-xml-error').filter({ hasText: 'IdPのメタデータとして読み込めません' }).waitFor();

    // Valid metadata, then an http SSO URL: the server refuses it (https only).
    await page
      .getByTestId('sso-metadata-xml')
      .fill(idpMetadataXml('https://sts.example.jp/acme', 'https://sts.example.jp/saml2', [idp.base64Der]));
    await page.getByTestId('sso-metadata-import').click();
    await page.getByTestId('sso-cert-info-0').filter({ hasText: 'msg-idp' }).waitFor();
    await page.getByTestId('sso-url').fill('http://sts.example.jp/saml2');
    await page.getByTestId('sso-save').click();

    await page.locator('#sso-url-error').filter({ hasText: 'https:// で始まるURLを入力してください。' }).waitFor();
    expect(await page.getByTestId('sso-url').getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByTestId('sso-save-error').innerText()).toBe('入力内容に誤りがあります。各項目をご確認ください。');
    const saved = await t.ds.query('SELECT sso_url FROM tenant_sso_settings WHERE tenant_id = $1', [acme.tenantId]);
    expect(saved).toEqual([{ sso_url: 'https://sts.example.jp/saml2' }]);

    const errors = await errorTexts();
    expect(errors.length).toBeGreaterThan(0);
    expect(await page.locator('main').innerText()).not.toMatch(SERVER_ENGLISH);
    // No Latin word in any error text but the allowed names.
    expect(errors.filter((e) => /[A-Za-z]{2,}/.test(e.replace(ALLOWED_LATIN, '')))).toEqual([]);
  });

  it('shows the same refusal in English once the user chose English', async () => {
    await page.getByTestId('locale-switcher').selectOption('en');
    await page.locator('#sso-url-error').filter({ hasText: 'Enter a URL starting with https://.' }).waitFor();
    await page.getByTestId('sso-save').click();
    await page.locator('#sso-url-error').filter({ hasText: 'Enter a URL starting with https://.' }).waitFor();
    expect(await page.getByTestId('sso-save-error').innerText()).toBe('Some fields are invalid. Please check them.');
  });
});
