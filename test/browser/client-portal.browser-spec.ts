import * as fs from 'node:fs';
import * as net from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { UsersService } from '@charlotte/auth';
import { StatusTrackerService, SubmissionsService } from '@charlotte/filing';
import type { EgovSim } from '../../apps/egov-sim/src/server';
import { giveKey, login, LoggedIn, PASSWORD, seedTenant, Seeded, startTestApp, TestApp, testKeys } from '../support/app';
import { launchChromium, loginThroughSpa, WEB_DIST } from '../support/browser';
import { egovEnv, linkEgovAccount, startTestSim, VALID_FORM } from '../support/egov';

const OFFICE = { address: '東京都千代田区霞が関1-2-2', pensionOfficeCode: '01-イロハ', pensionOfficeNumber: '12345' };

/**
 * 顧問先ポータル in Chromium (issue 19): a portal user of client アルファ logs in with the key file,
 * sees only アルファ's applications (a draft and a filed one, not ベータ's), downloads the 公文書 of
 * the filed one, and sends the office a 依頼; the staff member of アルファ finds it in the 依頼 inbox
 * and closes it, and the portal user sees it closed.
 */
describe('SPA: the client portal', () => {
  let sim: EgovSim;
  let now = Date.now();
  let t: TestApp;
  let sr: Seeded;
  let admin: LoggedIn;
  let browser: Browser;
  let base: string;
  const ids: Record<string, string> = {};
  const portalEmail = 'keiri@alpha.example';
  const staffEmail = 'tanto@sr-portal-b.example';

  const send = (method: 'post' | 'put' | 'patch', url: string, body: object) =>
    admin.agent[method](url).set('X-CSRF-Token', admin.csrf).send(body);

  beforeAll(async () => {
    sim = await startTestSim(() => now);
    t = await startTestApp({ ...egovEnv(sim), WEB_DIST_DIR: WEB_DIST });
    await t.app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(t.app.getHttpServer().address() as net.AddressInfo).port}`;
    sr = await seedTenant(t, 'sr-portal-b', { kind: 'sharoushi' });
    admin = await login(t, sr.code, sr.adminEmail);
    await linkEgovAccount(t, admin, sim);
    for (const [key, name] of [
      ['alpha', 'アルファ'],
      ['beta', 'ベータ'],
    ] as const) {
      ids[key] = (await send('post', '/api/v1/clients', { name: `株式会社${name}`, code: key.toUpperCase() }).expect(201)).body.id;
      const officeId = (await send('post', '/api/v1/offices', { clientId: ids[key], name: `${name}本社`, ...OFFICE }).expect(201)).body.id;
      ids[`${key}Draft`] = (
        await send('post', '/api/v1/applications', { procedureCode: 'shaho-shutoku', officeId, title: `${name}の下書き` }).expect(201)
      ).body.id;
      const filed = (
        await send('post', '/api/v1/applications', {
          procedureCode: 'shaho-shutoku',
          officeId,
          title: `${name}の提出済`,
          form: VALID_FORM,
        }).expect(201)
      ).body.id;
      ids[`${key}Filed`] = filed;
      await send('post', `/api/v1/applications/${filed}/validate`, {}).expect(200);
      await admin.agent
        .post(`/api/v1/applications/${filed}/submit`)
        .set('X-CSRF-Token', admin.csrf)
        .set('Idempotency-Key', `portal-b-${key}-01`)
        .expect(202);
    }
    await t.app.get(SubmissionsService).runDue();
    for (let i = 0; i < 3; i++) {
      now += 1500;
      await t.app.get(StatusTrackerService).pollAll();
    }
    // The portal of アルファ, its user (who enrols a key file at the first login as an invited user would; here given one)
    await send('patch', `/api/v1/clients/${ids.alpha}`, { portalEnabled: true }).expect(200);
    const users = t.app.get(UsersService);
    const portal = await users.create(
      sr.tenantId,
      { email: portalEmail, displayName: '経理 花子', role: 'client', password: PASSWORD },
      ids.alpha,
    );
    ids.portal = portal.user.id;
    await giveKey(t, sr.code, sr.tenantId, portal.user.id, portalEmail);
    // アルファ's staff member
    const staff = await users.create(sr.tenantId, { email: staffEmail, displayName: '担当 一郎', role: 'member', password: PASSWORD });
    ids.staff = staff.user.id;
    await giveKey(t, sr.code, sr.tenantId, staff.user.id, staffEmail);
    await send('put', `/api/v1/users/${staff.user.id}/assignments`, {
      all: false,
      clients: [{ clientId: ids.alpha, rights: ['draft'] }],
    }).expect(200);
    browser = await launchChromium();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await sim?.close();
  });

  async function pageFor(email: string, userId: string): Promise<Page> {
    const page = await browser.newPage({ locale: 'ja-JP', acceptDownloads: true });
    page.setDefaultTimeout(15_000);
    await loginThroughSpa(page, base, { tenant: sr.code, email, password: PASSWORD, userId, key: testKeys.get(`${sr.code}/${email}`)! });
    return page;
  }

  it("the portal user logs in with the key file and sees only アルファ's applications, read-only, and downloads the 公文書", async () => {
    const page = await pageFor(portalEmail, ids.portal);
    await page.waitForURL((u) => u.pathname === '/portal');
    await page.getByTestId('portal-application-row').first().waitFor();
    const rows = await page
      .getByTestId('portal-application-row')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-application-id')));
    expect(rows.sort()).toEqual([ids.alphaDraft, ids.alphaFiled].sort());
    expect(await page.getByTestId('portal-applications').innerText()).not.toContain('ベータ');
    // the office's menu is not there
    expect(await page.getByTestId('nav-clients').count()).toBe(0);
    expect(await page.getByTestId('nav-users').count()).toBe(0);
    expect(await page.getByTestId('nav-applications').count()).toBe(0);

    await page.getByTestId('portal-application-row').filter({ hasText: 'アルファの提出済' }).getByTestId('portal-application-open').click();
    await page.getByTestId('portal-read-only').waitFor();
    expect(await page.getByTestId('submit-egov').count()).toBe(0);
    expect(await page.getByTestId('app-delete').count()).toBe(0);
    const row = page.getByTestId('document-row').first();
    await row.waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), row.getByTestId('document-download').click()]);
    expect(fs.readFileSync((await download.path())!).length).toBeGreaterThan(0);

    // The office's pages send the portal user back to the portal home.
    await page.goto(`${base}/applications/${ids.betaDraft}`);
    await page.waitForURL((u) => u.pathname === '/portal');
    await page.close();
  });

  it('the portal user sends a 依頼; the staff member closes it in the inbox; the portal user sees it closed', async () => {
    const page = await pageFor(portalEmail, ids.portal);
    await page.getByTestId('nav-requests').click();
    await page.getByTestId('requests-new').waitFor();
    await page.getByTestId('request-title').fill('4月入社3名の資格取得届');
    await page.getByTestId('request-body').fill('名簿をお送りします。手続をお願いします。');
    await page.getByTestId('request-send').click();
    await page.getByTestId('requests-notice').filter({ hasText: '依頼を送りました。' }).waitFor();
    await page.getByTestId('request-row').filter({ hasText: '4月入社3名の資格取得届' }).waitFor();

    const staff = await pageFor(staffEmail, ids.staff);
    await staff.getByTestId('nav-requests').click();
    const row = staff.getByTestId('request-row').filter({ hasText: '4月入社3名の資格取得届' });
    await row.waitFor();
    expect(await row.innerText()).toContain('株式会社アルファ');
    await row.getByTestId('request-close').click();
    await staff.getByTestId('requests-notice').filter({ hasText: '完了にしました' }).waitFor();
    await staff.getByTestId('requests-empty').waitFor();

    await page.reload();
    await page.locator('[data-testid="request-row"][data-status="closed"]').filter({ hasText: '4月入社3名の資格取得届' }).waitFor();
    await page.close();
    await staff.close();
  });
});
