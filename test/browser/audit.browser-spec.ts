import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PASSWORD, seedTenant, Seeded, startTestApp, TestApp, testKeys } from '../support/app';
import { clickNav, launchChromium, WEB_DIST, writeKeyFile } from '../support/browser';
import { expectNoAxeViolations } from '../support/axe';

/** The audit log page in a real Chromium: the admin sees the trail and verifies it. */
describe('SPA: audit log page', () => {
  let t: TestApp;
  let acme: Seeded;
  let browser: Browser;
  let base: string;
  let page: Page;

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

  it('lists the login failure and success, opens an event, and verifies the chain', async () => {
    await page.goto(`${base}/login`);
    await page.getByTestId('login-tenant').fill('acme');
    await page.getByTestId('login-email').fill(acme.adminEmail);
    await page.getByTestId('login-password').fill('wrong password!!');
    await page.getByTestId('login-submit').click();
    await page.getByTestId('login-error').waitFor();
    await page.getByTestId('login-password').fill(PASSWORD);
    await page.getByTestId('login-submit').click();
    const keyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'charlotte-keys-'));
    await page
      .getByTestId('keyfile-input')
      .setInputFiles(writeKeyFile(keyDir, 'acme', acme.adminEmail, acme.adminId, testKeys.get(`acme/${acme.adminEmail}`)!));
    await page.waitForURL((u) => !u.pathname.startsWith('/login'));

    await clickNav(page, 'nav-audit');
    await page.getByTestId('audit-row').first().waitFor();
    const text = await page.getByTestId('audit-table').innerText();
    expect(text).toContain('ログイン');
    expect(text).toContain('失敗');
    expect(text).toContain('成功');

    await page.getByTestId('audit-row').first().click();
    await page.getByTestId('audit-detail').waitFor();
    await expectNoAxeViolations(page, 'audit log with an event open');
    const hash: Array<{ h: string }> = await t.ds.query(
      `SELECT encode(hash, 'hex') AS h FROM audit_events WHERE chain_key = $1 ORDER BY seq DESC LIMIT 1`,
      [acme.tenantId],
    );
    expect(await page.getByTestId('audit-detail').innerText()).toContain(hash[0].h);
    await page.keyboard.press('Escape');

    await page.getByTestId('audit-verify').click();
    await page.getByTestId('audit-verify-result').filter({ hasText: '改ざんは検出されませんでした' }).waitFor();
  });

  it('shows a detected tampering', async () => {
    await t.ds.transaction(async (em) => {
      await em.query('SET LOCAL session_replication_role = replica');
      await em.query(
        `UPDATE audit_events SET outcome = CASE WHEN outcome = 'denied' THEN 'success' ELSE 'denied' END WHERE chain_key = $1 AND seq = 3`,
        [acme.tenantId],
      );
    });
    await page.getByTestId('audit-verify').click();
    await page.getByTestId('audit-verify-result').filter({ hasText: '改ざんを検出しました' }).waitFor();
    expect(await page.getByTestId('audit-verify-result').innerText()).toContain('3');
  });
});
