import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { makeTestP12 } from '../../libs/filing/src/signing/test-pkcs12';
import { PASSWORD, seedTenant, Seeded, startTestApp, TestApp, testKeys } from '../support/app';
import { clickNav, launchChromium, loginThroughSpa, WEB_DIST } from '../support/browser';

const SHOTS = '/tmp/shots-signing';
const PIN = 'browser-PIN-2468';
const DAY = 24 * 3600_000;

/** 「電子署名用証明書」 in Chromium: an administrator uploads a real PKCS#12 file, with a wrong PIN first. */
describe('SPA: electronic-signature certificate (電子署名用証明書)', () => {
  let t: TestApp;
  let acme: Seeded;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let base: string;

  beforeAll(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    t = await startTestApp({ WEB_DIST_DIR: WEB_DIST, CLAMD_SOCKET: process.env.CLAMD_SOCKET ?? '/tmp/charlotte-clamd/clamd.sock' });
    await t.app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    acme = await seedTenant(t, 'acme');
    browser = await launchChromium();
    context = await browser.newContext({ locale: 'ja-JP', viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    await loginThroughSpa(page, base, {
      tenant: 'acme',
      email: acme.adminEmail,
      password: PASSWORD,
      userId: acme.adminId,
      key: testKeys.get(`acme/${acme.adminEmail}`)!,
    });
  });
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await t?.close();
  });

  const shot = (name: string) => page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });

  async function uploadInPage(p12: Buffer, pin: string): Promise<void> {
    await page.getByTestId('signing-file').setInputFiles({ name: 'company.p12', mimeType: 'application/x-pkcs12', buffer: p12 });
    await page.getByTestId('signing-pin').fill(pin);
    await page.getByTestId('signing-upload').click();
  }

  it('refuses a wrong PIN with a Japanese message and stores nothing; the right PIN shows 名義, 有効期間, 指紋 and 残り日数', async () => {
    const good = makeTestP12({ pin: PIN, commonName: '山田 太郎', organization: 'テスト社会保険労務士法人' });
    await clickNav(page, 'nav-signing');
    await page.waitForURL(`${base}/settings/signing`);
    await page.getByRole('heading', { level: 1, name: '電子署名用証明書' }).waitFor();
    await page.getByTestId('signing-none').filter({ hasText: '登録されていません' }).waitFor();

    // Nothing chosen: the form says what is missing, in the page, without a request.
    await page.getByTestId('signing-upload').click();
    await page.getByTestId('signing-file-error').filter({ hasText: 'ファイルを選んでください。' }).waitFor();
    await page.getByTestId('signing-pin-error').filter({ hasText: 'PINを入力してください。' }).waitFor();

    await uploadInPage(good.p12, 'wrong-PIN-0000');
    await page.getByTestId('signing-error').filter({ hasText: 'PINが正しくありません' }).waitFor();
    // The PIN is not kept in the form after the attempt.
    expect(await page.getByTestId('signing-pin').inputValue()).toBe('');
    expect(await page.getByTestId('signing-none').isVisible()).toBe(true);
    expect(await t.ds.query(`SELECT 1 FROM signing_certificates WHERE tenant_id = $1`, [acme.tenantId])).toEqual([]);
    await shot('01-wrong-pin');

    // The file input still holds the file; the right PIN now.
    await page.getByTestId('signing-pin').fill(PIN);
    await page.getByTestId('signing-upload').click();
    await page.getByTestId('signing-notice').filter({ hasText: '電子署名用証明書を登録しました。' }).waitFor();
    expect(await page.getByTestId('signing-error').count()).toBe(0);
    const subject = await page.getByTestId('signing-subject').innerText();
    expect(subject).toContain('山田 太郎');
    expect(subject).toContain('テスト社会保険労務士法人');
    const cert = new X509Certificate(good.certificatePem);
    expect(await page.getByTestId('signing-validity').innerText()).toMatch(/\d{4}.*〜.*\d{4}/);
    const fingerprint = (await page.getByTestId('signing-fingerprint').innerText()).replace(/[\s:]/g, '').toUpperCase();
    expect(fingerprint).toBe(cert.fingerprint256.replace(/:/g, ''));
    expect(await page.getByTestId('signing-days-left').innerText()).toMatch(/^36[45]日$/);
    expect(await page.getByTestId('signing-expiry-banner').count()).toBe(0);
    for (const label of ['名義', '有効期間', '指紋（SHA-256）', '残り日数'])
      expect(await page.locator('dt', { hasText: label }).count()).toBe(1);
    await shot('02-uploaded');
  });

  it('warns when the certificate expires within 30 days', async () => {
    const soon = makeTestP12({ pin: PIN, commonName: '期限 近子', notAfter: new Date(Date.now() + 12 * DAY + 3600_000) });
    await uploadInPage(soon.p12, PIN);
    await page.getByTestId('signing-notice').filter({ hasText: '登録しました' }).waitFor();
    await page.getByTestId('signing-subject').filter({ hasText: '期限 近子' }).waitFor();
    const banner = page.locator('[data-testid="signing-expiry-banner"][data-expiry="soon"]');
    await banner.waitFor();
    expect(await banner.innerText()).toMatch(/有効期限が近づいています（残り12日、.+まで）/);
    expect(await page.getByTestId('signing-days-left').innerText()).toBe('12日');
    await shot('03-expiring-soon');
    // The replaced certificate is not the current one any more.
    expect(
      await t.ds.query(`SELECT subject_cn, status FROM signing_certificates WHERE tenant_id = $1 ORDER BY created_at`, [acme.tenantId]),
    ).toEqual([
      { subject_cn: '山田 太郎', status: 'revoked' },
      { subject_cn: '期限 近子', status: 'active' },
    ]);
  });
});
