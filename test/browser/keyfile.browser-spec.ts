import * as fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { login, LoggedIn, PASSWORD, seedTenant, Seeded, startTestApp, TestApp, testKeys } from '../support/app';
import { launchChromium, WEB_DIST, writeKeyFile } from '../support/browser';

/** Charlotteキー in a real Chromium: real files in the file input, signing with WebCrypto. */
describe('SPA: key-file login and enrolment', () => {
  let t: TestApp;
  let acme: Seeded;
  let admin: LoggedIn;
  let browser: Browser;
  let base: string;
  let page: Page;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'charlotte-keyfiles-'));

  beforeAll(async () => {
    t = await startTestApp({ WEB_DIST_DIR: WEB_DIST });
    await t.app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    acme = await seedTenant(t, 'acme');
    admin = await login(t, 'acme', acme.adminEmail);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    page = await (await browser.newContext({ locale: 'ja-JP', acceptDownloads: true })).newPage();
  });
  afterEach(() => page.context().close());

  async function passwordStep(email: string) {
    await page.goto(`${base}/login`);
    await page.getByTestId('login-tenant').fill('acme');
    await page.getByTestId('login-email').fill(email);
    await page.getByTestId('login-password').fill(PASSWORD);
    await page.getByTestId('login-submit').click();
  }

  it("refuses another user's key file in the browser, without sending it", async () => {
    await passwordStep(acme.memberEmail);
    const other = writeKeyFile(dir, 'acme', acme.adminEmail, acme.adminId, testKeys.get(`acme/${acme.adminEmail}`)!);
    let posted = false;
    page.on('request', (r) => {
      if (r.url().endsWith('/api/v1/auth/keyfile')) posted = true;
    });
    await page.getByTestId('keyfile-input').setInputFiles(other);
    await page.getByTestId('keyfile-error').filter({ hasText: '別のユーザー' }).waitFor();
    expect(posted).toBe(false);
  });

  it('shows a clear error for a corrupt file', async () => {
    await passwordStep(acme.memberEmail);
    const bad = path.join(dir, 'broken.charlotte-key.json');
    fs.writeFileSync(bad, '{"type": "charlotte-keyfile", "version": 1, ');
    await page.getByTestId('keyfile-input').setInputFiles(bad);
    await page.getByTestId('keyfile-error').filter({ hasText: '形式が正しくありません' }).waitFor();
  });

  it('opens a passphrase-protected, server-issued key file with its passphrase and refuses it without', async () => {
    const issued = await admin.agent
      .post(`/api/v1/users/${acme.memberId}/keyfiles`)
      .set('X-CSRF-Token', admin.csrf)
      .send({ label: 'ブラウザ試験', passphrase: 'correct passphrase 1' })
      .expect(201);
    const file = path.join(dir, 'member-encrypted.charlotte-key.json');
    fs.writeFileSync(file, JSON.stringify(issued.body));
    await passwordStep(acme.memberEmail);
    await page.getByTestId('keyfile-input').setInputFiles(file);
    await page.getByTestId('keyfile-passphrase').fill('wrong passphrase 1');
    await page.getByTestId('keyfile-submit').click();
    await page.getByTestId('keyfile-error').filter({ hasText: 'パスフレーズが正しくありません' }).waitFor();
    expect(page.url()).toContain('/login');
    await page.getByTestId('keyfile-passphrase').fill('correct passphrase 1');
    await page.getByTestId('keyfile-submit').click();
    await page.waitForURL((u) => !u.pathname.startsWith('/login'));
    const used = await t.ds.query('SELECT last_used_at FROM user_keys WHERE key_id = $1', [issued.body.keyId]);
    expect(used[0].last_used_at).not.toBeNull();
  });

  it('enrols an invited user: the browser makes the key, downloads the file, and the file logs in next time', async () => {
    const inv = await admin.agent
      .post('/api/v1/users')
      .set('X-CSRF-Token', admin.csrf)
      .send({ email: 'newbie@acme.example', displayName: '新人 花子', role: 'member' })
      .expect(201);
    const token = new URL(inv.body.invitation.url).pathname.split('/').pop();
    await page.goto(`${base}/invite/${token}`);
    await page.getByTestId('invite-password').fill(PASSWORD);
    await page.getByTestId('invite-confirm').fill(PASSWORD);
    await page.getByTestId('invite-submit').click();
    await page.getByTestId('invite-success').waitFor();

    await passwordStep('newbie@acme.example');
    await page.getByTestId('enroll-step').waitFor();
    const download = page.waitForEvent('download');
    await page.getByTestId('enroll-submit').click();
    const saved = path.join(dir, 'newbie.charlotte-key.json');
    await (await download).saveAs(saved);
    const file = JSON.parse(fs.readFileSync(saved, 'utf8'));
    expect(file).toMatchObject({
      type: 'charlotte-keyfile',
      version: 1,
      tenant: 'acme',
      email: 'newbie@acme.example',
      userId: inv.body.id,
    });
    const stored = await t.ds.query(`SELECT key_id, issued_by FROM user_keys WHERE user_id = $1`, [inv.body.id]);
    expect(stored).toEqual([{ key_id: file.keyId, issued_by: 'self' }]);
    await page.getByTestId('enroll-continue').click();
    await page.waitForURL((u) => !u.pathname.startsWith('/login'));

    // next time, the downloaded file is the second factor
    await page.context().clearCookies();
    await passwordStep('newbie@acme.example');
    await page.getByTestId('keyfile-input').setInputFiles(saved);
    await page.waitForURL((u) => !u.pathname.startsWith('/login'));
  });
});
