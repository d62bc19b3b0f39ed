import * as net from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { UsersService } from '@charlotte/auth';
import { giveKey, login, LoggedIn, PASSWORD, seedTenant, Seeded, startTestApp, TestApp, testKeys } from '../support/app';
import { clickNav, launchChromium, loginThroughSpa, WEB_DIST } from '../support/browser';

/**
 * 顧問先 in Chromium (issue 19): the admin of a 社労士 office assigns one of its two clients to a
 * staff member on ユーザー管理 (担当顧問先); the staff member then sees that client only — on 顧問先,
 * 事業所, the status board of 申請 and the new-application form — and another client's
 * application by its URL is 「対象が見つかりません」.
 */
describe('SPA: a sharoushi staff member sees only assigned clients', () => {
  let t: TestApp;
  let sr: Seeded;
  let admin: LoggedIn;
  let browser: Browser;
  let base: string;
  let staffId: string;
  const staffEmail = 'tanto@sr-browser.example';
  const ids: Record<string, string> = {};

  const post = (url: string, body: object) => admin.agent.post(url).set('X-CSRF-Token', admin.csrf).send(body);

  beforeAll(async () => {
    t = await startTestApp({ WEB_DIST_DIR: WEB_DIST });
    await t.app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(t.app.getHttpServer().address() as net.AddressInfo).port}`;
    sr = await seedTenant(t, 'sr-browser', { kind: 'sharoushi' });
    const { user } = await t.app.get(UsersService).create(sr.tenantId, {
      email: staffEmail,
      displayName: '担当 花子',
      role: 'member',
      password: PASSWORD,
    });
    staffId = user.id;
    await giveKey(t, sr.code, sr.tenantId, user.id, user.email);
    admin = await login(t, sr.code, sr.adminEmail);
    for (const [key, name, office] of [
      ['alpha', '株式会社アルファ', 'アルファ本社'],
      ['beta', '株式会社ベータ', 'ベータ本社'],
    ] as const) {
      ids[key] = (await post('/api/v1/clients', { name, code: key.toUpperCase() }).expect(201)).body.id;
      ids[`${key}Office`] = (await post('/api/v1/offices', { clientId: ids[key], name: office }).expect(201)).body.id;
      ids[`${key}App`] = (
        await post('/api/v1/applications', {
          procedureCode: 'shaho-shutoku',
          officeId: ids[`${key}Office`],
          title: `${office}の資格取得届`,
        }).expect(201)
      ).body.id;
    }
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  async function pageFor(email: string, userId: string): Promise<Page> {
    const page = await browser.newPage({ locale: 'ja-JP' });
    page.setDefaultTimeout(15_000);
    await loginThroughSpa(page, base, { tenant: sr.code, email, password: PASSWORD, userId, key: testKeys.get(`${sr.code}/${email}`)! });
    return page;
  }

  it('the admin assigns client アルファ with 申請の作成・編集 to the staff member on ユーザー管理', async () => {
    const page = await pageFor(sr.adminEmail, sr.adminId);
    await page.getByTestId('nav-clients').click();
    await page.getByTestId('client-row').filter({ hasText: '株式会社ベータ' }).waitFor();
    await clickNav(page, 'nav-users');
    const row = page.getByTestId('user-row').filter({ hasText: staffEmail });
    await row.getByTestId('user-assignments-open').click();
    const alpha = page.getByTestId('user-assignment-row').filter({ hasText: '株式会社アルファ' });
    await alpha.getByTestId('user-assignment-assigned').check();
    await alpha.getByTestId('user-assignment-right-draft').check();
    await page.getByTestId('user-assignments-save').click();
    await page.getByTestId('user-assignments-saved').filter({ hasText: '担当 花子 さんの担当顧問先を保存しました。' }).waitFor();
    const stored = await admin.agent.get(`/api/v1/users/${staffId}/assignments`).expect(200);
    expect(stored.body).toEqual({ all: false, clients: [{ clientId: ids.alpha, rights: ['draft'] }] });
    await page.close();
  });

  it('the staff member sees アルファ only: 顧問先, 事業所, 申請 and the new-application form', async () => {
    const page = await pageFor(staffEmail, staffId);
    await page.getByTestId('nav-clients').click();
    await page.getByTestId('client-row').first().waitFor();
    expect(await page.getByTestId('client-row').allTextContents()).toEqual([expect.stringContaining('株式会社アルファ')]);
    expect(await page.getByTestId('client-rights').textContent()).toBe('申請の作成・編集');
    expect(await page.getByTestId('client-new').count()).toBe(0);

    await page.getByTestId('nav-offices').click();
    await page.getByTestId('office-row').first().waitFor();
    expect(await page.getByTestId('office-row').allTextContents()).toEqual([expect.stringContaining('アルファ本社')]);

    await page.getByTestId('nav-applications').click();
    await page.getByTestId('app-row').first().waitFor();
    const rows = page.getByTestId('app-row');
    expect(await rows.count()).toBe(1);
    expect(await rows.first().getByTestId('app-client').textContent()).toBe('株式会社アルファ');
    expect(await page.getByTestId('apps-filter-client').locator('option').allTextContents()).toEqual(['すべて', '株式会社アルファ']);
    await page.getByTestId('app-new').click();
    expect(await page.getByTestId('app-new-office').locator('option').allTextContents()).toEqual(['選択してください', 'アルファ本社']);

    // Another client's application by its address: as if it did not exist.
    await page.goto(`${base}/applications/${ids.betaApp}`);
    await page.getByText('対象が見つかりません').first().waitFor();
    expect(await page.content()).not.toContain('ベータ本社の資格取得届');
    await page.close();
  });
});
