import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { UsersService } from '@charlotte/auth';
import { PASSWORD, seedTenant, Seeded, startTestApp, TestApp, testKeys } from '../support/app';
import { launchChromium, WEB_DIST, writeKeyFile } from '../support/browser';
import { expectNoAxeViolations } from '../support/axe';

/** The SPA in a real Chromium against the real API and database. */
describe('SPA: password login and users page', () => {
  let t: TestApp;
  let acme: Seeded;
  let browser: Browser;
  let base: string;
  let page: Page;
  const keyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'charlotte-keys-'));

  beforeAll(async () => {
    t = await startTestApp({ WEB_DIST_DIR: WEB_DIST });
    await t.app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    acme = await seedTenant(t, 'acme');
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });
  beforeEach(async () => {
    page = await browser.newPage({ locale: 'ja-JP' });
  });
  afterEach(() => page.close());

  /** Password step, then (when the password is right) the real key file chosen in the file input. */
  async function logIn(email: string, password = PASSWORD) {
    await page.goto(`${base}/users`);
    await page.waitForURL(/\/login/);
    await page.getByTestId('login-tenant').fill('acme');
    await page.getByTestId('login-email').fill(email);
    await page.getByTestId('login-password').fill(password);
    await page.getByTestId('login-submit').click();
    if (password !== PASSWORD) return;
    const userId = email === acme.adminEmail ? acme.adminId : acme.memberId;
    await page.getByTestId('keyfile-input').setInputFiles(writeKeyFile(keyDir, 'acme', email, userId, testKeys.get(`acme/${email}`)!));
  }

  it('shows the Japanese error for a wrong password and stays on the login page', async () => {
    await logIn(acme.adminEmail, 'wrong password!!');
    await page.getByTestId('login-error').waitFor();
    expect(await page.getByTestId('login-error').textContent()).toContain('正しくありません');
    await expectNoAxeViolations(page, 'login page with an error');
    expect(page.url()).toContain('/login');
    expect((await page.context().cookies()).find((c) => c.name === 'charlotte_session')).toBeUndefined();
  });

  it('logs an admin in, lands on the users page, creates a user, and logs out', async () => {
    await logIn(acme.adminEmail);
    await page.waitForURL(/\/users$/);
    await page.getByTestId('users-table').waitFor();
    await page.getByTestId('user-row').nth(1).waitFor();
    await expectNoAxeViolations(page, 'users page (admin)');
    const emails = await page.getByTestId('user-email').allTextContents();
    expect(emails.sort()).toEqual([acme.adminEmail, acme.memberEmail].sort());
    expect(await page.getByTestId('shell-tenant').textContent()).toContain('acme 株式会社');
    const cookie = (await page.context().cookies()).find((c) => c.name === 'charlotte_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict' });

    await page.getByTestId('create-user-open').click();
    await page.getByTestId('create-user-email').fill('hanako@acme.example');
    await page.getByTestId('create-user-display-name').fill('山田 花子');
    await page.getByTestId('create-user-role').selectOption('member');
    await page.getByTestId('create-user-password').fill(PASSWORD);
    await page.getByTestId('create-user-submit').click();
    await page.getByTestId('user-row').filter({ hasText: 'hanako@acme.example' }).waitFor();
    const rows = await t.ds.query(
      `SELECT id, tenant_id, display_name, display_name_sealed IS NOT NULL AS sealed, role, status FROM users WHERE email = 'hanako@acme.example'`,
    );
    // The name is stored only sealed with the tenant's key; the service opens it.
    expect(rows).toEqual([expect.objectContaining({ display_name: null, sealed: true, role: 'member', status: 'active' })]);
    expect((await t.app.get(UsersService).get(rows[0].tenant_id, rows[0].id)).displayName).toBe('山田 花子');

    await page.getByTestId('logout').click();
    await page.waitForURL(/\/login/);
    const live = await t.ds.query(`SELECT count(*)::int AS n FROM sessions WHERE user_id = $1 AND revoked_at IS NULL`, [acme.adminId]);
    expect(live[0].n).toBe(0);
  });

  it('keeps members out of the users page', async () => {
    await logIn(acme.memberEmail);
    await page.waitForURL((u) => !u.pathname.startsWith('/login'));
    expect(await page.getByTestId('nav-users').count()).toBe(0);
    await page.goto(`${base}/users`);
    await page.waitForLoadState('networkidle');
    expect(await page.getByTestId('users-table').count()).toBe(0);
  });
});
