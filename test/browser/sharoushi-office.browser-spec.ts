import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import request from 'supertest';
import { UsersService } from '@charlotte/auth';
import { StatusTrackerService, SubmissionsService } from '@charlotte/filing';
import { WebhookDestinations, WebhookWorker } from '@charlotte/webhooks';
import type { EgovSim } from '../../apps/egov-sim/src/server';
import { giveKey, login, LoggedIn, PASSWORD, seedTenant, Seeded, startTestApp, TestApp, testKeys } from '../support/app';
import { expectNoAxeViolations } from '../support/axe';
import { clickNav, launchChromium, loginThroughSpa, WEB_DIST } from '../support/browser';
import { egovEnv, linkEgovAccount, startTestSim, VALID_FORM } from '../support/egov';
import { signatureValid, startWebhookReceiver, WebhookReceiver } from '../support/webhook-receiver';

const OFFICE = { address: '東京都千代田区霞が関1-2-2', pensionOfficeCode: '01-イロハ', pensionOfficeNumber: '12345' };

/**
 * Issue 19's acceptance, end to end in Chromium: a 社労士 office with three 顧問先 and two staff
 * members. 佐藤 (assigned アルファ and ベータ) sees only those two; 鈴木 (ガンマ only) gets 404 on
 * アルファ's filing. アルファ's route needs the administrator's approval: 佐藤's submission waits,
 * nothing reaches e-Gov, the administrator approves in the SPA, the filing reaches 手続終了 at the
 * simulator once. アルファ's accountant, invited to the portal, accepts the invitation, enrols a key
 * file in the browser, sees that filing (and nothing of ベータ or ガンマ) and downloads its 公文書.
 * The office's integration got one signed webhook per status change, ids and states only.
 */
describe('SPA: a 社労士 office with three 顧問先, approval, e-Gov, portal and webhooks (issue 19 acceptance)', () => {
  let sim: EgovSim;
  let now = Date.now();
  let receiver: WebhookReceiver;
  let t: TestApp;
  let sr: Seeded;
  let admin: LoggedIn;
  let browser: Browser;
  let base: string;
  let keyDir: string;
  const ids: Record<string, string> = {};
  const people = {
    sato: { email: 'sato@sr-office.example', name: '佐藤 一郎' },
    suzuki: { email: 'suzuki@sr-office.example', name: '鈴木 次郎' },
  };
  const portalEmail = 'keiri@alpha.example';
  let hookSecret = '';

  const send = (u: LoggedIn, method: 'post' | 'put' | 'patch', url: string, body: object) =>
    u.agent[method](url).set('X-CSRF-Token', u.csrf).send(body);

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    sim = await startTestSim(() => now);
    t = await startTestApp({
      ...egovEnv(sim),
      WEB_DIST_DIR: WEB_DIST,
      WEBHOOK_CA_FILE: receiver.caFile,
      WEBHOOK_ALLOW_HOSTS: receiver.hostPort,
    });
    // `receiver.test` is in no DNS: the guard resolves it to 127.0.0.1 (allowed through WEBHOOK_ALLOW_HOSTS only).
    t.app.get(WebhookDestinations).resolve = async (host) =>
      host === 'receiver.test' ? [{ address: '127.0.0.1', family: 4 }] : Promise.reject(new Error(`unexpected lookup of ${host}`));
    await t.app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(t.app.getHttpServer().address() as net.AddressInfo).port}`;
    keyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'charlotte-office-keys-'));

    sr = await seedTenant(t, 'sr-office', { kind: 'sharoushi' });
    admin = await login(t, sr.code, sr.adminEmail);
    await linkEgovAccount(t, admin, sim);
    for (const [key, name, code] of [
      ['alpha', 'アルファ', 'A001'],
      ['beta', 'ベータ', 'B001'],
      ['gamma', 'ガンマ', 'C001'],
    ] as const) {
      ids[key] = (await send(admin, 'post', '/api/v1/clients', { name: `株式会社${name}`, code }).expect(201)).body.id;
      ids[`${key}Office`] = (
        await send(admin, 'post', '/api/v1/offices', { clientId: ids[key], name: `${name}本社`, ...OFFICE }).expect(201)
      ).body.id;
    }
    const users = t.app.get(UsersService);
    for (const [who, clients] of [
      ['sato', ['alpha', 'beta']],
      ['suzuki', ['gamma']],
    ] as const) {
      const { user } = await users.create(sr.tenantId, {
        email: people[who].email,
        displayName: people[who].name,
        role: 'member',
        password: PASSWORD,
      });
      ids[who] = user.id;
      await giveKey(t, sr.code, sr.tenantId, user.id, user.email);
      await send(admin, 'put', `/api/v1/users/${user.id}/assignments`, {
        all: false,
        clients: clients.map((c) => ({ clientId: ids[c], rights: ['draft', 'submit', 'documents'] })),
      }).expect(200);
    }
    // アルファ's filings need the administrator's approval; the other clients' do not.
    await send(admin, 'put', '/api/v1/approval-routes', {
      routes: [{ clientId: ids.alpha, appliesTo: ['submit'], steps: [{ approvers: [sr.adminId], mode: 'any' }] }],
    }).expect(200);
    const hook = await send(admin, 'post', '/api/v1/webhooks', {
      url: `${receiver.base}/charlotte`,
      events: [
        'application.submitted',
        'application.arrived',
        'application.correction_requested',
        'application.completed',
        'application.failed',
        'document.available',
      ],
      description: '基幹システム',
    }).expect(201);
    hookSecret = hook.body.secret;
    browser = await launchChromium();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await sim?.close();
    await receiver?.close();
    if (keyDir) fs.rmSync(keyDir, { recursive: true, force: true });
  });

  async function pageAs(email: string, userId: string): Promise<Page> {
    const page = await browser.newPage({ locale: 'ja-JP', viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    page.setDefaultTimeout(15_000);
    await loginThroughSpa(page, base, { tenant: sr.code, email, password: PASSWORD, userId, key: testKeys.get(`${sr.code}/${email}`)! });
    return page;
  }

  it('staff see only their 顧問先; an approved filing reaches 手続終了; the portal user gets the 公文書; webhooks are signed', async () => {
    // 佐藤 sees アルファ and ベータ, not ガンマ.
    const sato = await pageAs(people.sato.email, ids.sato);
    await clickNav(sato, 'nav-clients');
    await sato.getByTestId('client-row').nth(1).waitFor();
    expect(await sato.getByTestId('client-row').count()).toBe(2);
    const clientsText = await sato.getByTestId('clients-table').innerText();
    expect(clientsText).toContain('株式会社アルファ');
    expect(clientsText).toContain('株式会社ベータ');
    expect(clientsText).not.toContain('株式会社ガンマ');

    // 佐藤 drafts and submits アルファ's 資格取得届: it waits for approval, nothing reaches e-Gov.
    const satoApi = await login(t, sr.code, people.sato.email);
    const appId = (
      await send(satoApi, 'post', '/api/v1/applications', {
        procedureCode: 'shaho-shutoku',
        officeId: ids.alphaOffice,
        title: 'アルファ 4月入社 資格取得',
        form: VALID_FORM,
      }).expect(201)
    ).body.id as string;
    await send(satoApi, 'post', `/api/v1/applications/${appId}/validate`, {}).expect(200);
    const parked = await satoApi.agent
      .post(`/api/v1/applications/${appId}/submit`)
      .set('X-CSRF-Token', satoApi.csrf)
      .set('Idempotency-Key', 'office-acceptance-0001')
      .expect(202);
    expect(parked.body.status).toBe('awaiting_approval');
    await t.app.get(SubmissionsService).runDue();
    expect(sim.state.cases.size).toBe(0);
    // 鈴木 (ガンマ only) does not even learn that it exists.
    const suzukiApi = await login(t, sr.code, people.suzuki.email);
    await suzukiApi.agent.get(`/api/v1/applications/${appId}`).expect(404);
    // 佐藤's list shows it as 承認待ち.
    await sato.goto(`${base}/applications/${appId}`);
    await sato.locator('[data-testid="app-status"][data-status="awaiting_approval"]').waitFor();
    await sato.close();

    // The administrator approves it in the SPA; the filing goes to e-Gov once and is followed to 手続終了.
    const boss = await pageAs(sr.adminEmail, sr.adminId);
    await boss.getByTestId('nav-approvals').click();
    await boss.getByTestId('approvals-table').waitFor();
    await boss.getByTestId('approvals-open').first().click();
    await boss.waitForURL((u) => u.pathname === `/applications/${appId}`);
    const panel = boss.getByTestId('approval-panel');
    await panel.getByLabel('コメント').fill('確認しました');
    await panel.getByTestId('approval-approve').click();
    await boss.getByTestId('approval-notice').filter({ hasText: '承認しました。' }).waitFor();
    const worker = t.app.get(WebhookWorker);
    await worker.drain();
    expect(await t.app.get(SubmissionsService).runDue()).toBe(1);
    await worker.drain();
    const tracker = t.app.get(StatusTrackerService);
    for (let i = 0; i < 3; i++) {
      now += 1500;
      await tracker.pollAll();
      await worker.drain();
    }
    await boss.reload();
    await boss.locator('[data-testid="app-status"][data-status="completed"]').filter({ hasText: '手続終了' }).waitFor();
    expect(sim.state.cases.size).toBe(1);

    // アルファ's portal: switched on, its accountant invited (the one-time link, as the SPA shows it).
    await send(admin, 'patch', `/api/v1/clients/${ids.alpha}`, { portalEnabled: true }).expect(200);
    const invited = await send(admin, 'post', `/api/v1/clients/${ids.alpha}/users`, {
      email: portalEmail,
      displayName: '経理 花子',
    }).expect(201);
    const token = new URL(invited.body.invitation.url).pathname.split('/').pop();
    await boss.close();

    // The accountant accepts the invitation, sets a password, enrols a key file made in the browser.
    const portal = await browser.newPage({ locale: 'ja-JP', viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    portal.setDefaultTimeout(15_000);
    await portal.goto(`${base}/invite/${token}`);
    await portal.getByTestId('invite-password').fill(PASSWORD);
    await portal.getByTestId('invite-confirm').fill(PASSWORD);
    await portal.getByTestId('invite-submit').click();
    await portal.getByTestId('invite-success').waitFor();
    await portal.goto(`${base}/login`);
    await portal.getByTestId('login-tenant').fill(sr.code);
    await portal.getByTestId('login-email').fill(portalEmail);
    await portal.getByTestId('login-password').fill(PASSWORD);
    await portal.getByTestId('login-submit').click();
    await portal.getByTestId('enroll-step').waitFor();
    const keyDownload = portal.waitForEvent('download');
    await portal.getByTestId('enroll-submit').click();
    const keyFile = path.join(keyDir, 'keiri.charlotte-key.json');
    await (await keyDownload).saveAs(keyFile);
    expect(JSON.parse(fs.readFileSync(keyFile, 'utf8'))).toMatchObject({ type: 'charlotte-keyfile', tenant: sr.code, email: portalEmail });
    await portal.getByTestId('enroll-continue').click();
    await portal.waitForURL((u) => u.pathname === '/portal');

    // Only アルファ's filing, 手続終了, and its 公文書.
    await portal.getByTestId('portal-application-row').first().waitFor();
    const rows = await portal
      .getByTestId('portal-application-row')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-application-id')));
    expect(rows).toEqual([appId]);
    await expectNoAxeViolations(portal, 'portal home');
    await portal.getByTestId('portal-application-open').first().click();
    await portal.getByTestId('portal-read-only').waitFor();
    const doc = portal.getByTestId('document-row').first();
    await doc.waitFor();
    const [download] = await Promise.all([portal.waitForEvent('download'), doc.getByTestId('document-download').click()]);
    expect(fs.readFileSync((await download.path())!).length).toBeGreaterThan(0);
    // ベータ's and ガンマ's ids answer 404 to the portal user as to a stranger.
    const portalCookies = await portal.context().cookies();
    const cookie = portalCookies.map((c) => `${c.name}=${c.value}`).join('; ');
    await request(t.http).get(`/api/v1/offices/${ids.betaOffice}`).set('Cookie', cookie).expect(404);
    await request(t.http).get('/api/v1/clients').set('Cookie', cookie).expect(404);
    await portal.close();

    // The office's integration: one signed event per status change, ids and states only.
    const mine = receiver.received.filter((r) => r.body.data?.applicationId === appId);
    for (const r of mine) expect(signatureValid(r, hookSecret)).toBe(true);
    const types = mine.map((r) => r.body.type);
    for (const type of ['application.submitted', 'application.arrived', 'application.completed'])
      expect(types.filter((x) => x === type)).toHaveLength(1);
    expect(types).toContain('document.available');
    expect(types.indexOf('application.submitted')).toBeLessThan(types.indexOf('application.arrived'));
    expect(types.indexOf('application.arrived')).toBeLessThan(types.indexOf('application.completed'));
    for (const r of mine) {
      expect(r.body.tenant).toBe(sr.code);
      expect(Object.keys(r.body.data).every((k) => ['applicationId', 'status', 'documentId'].includes(k))).toBe(true);
      expect(r.raw).not.toContain('アルファ');
      expect(r.raw).not.toContain('資格取得');
    }
  });
});
