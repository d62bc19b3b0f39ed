import * as net from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { StatusTrackerService, SubmissionsService } from '@charlotte/filing';
import type { EgovSim } from '../../apps/egov-sim/src/server';
import { login, PASSWORD, seedTenant, Seeded, startTestApp, TestApp, testKeys } from '../support/app';
import { launchChromium, loginThroughSpa, WEB_DIST } from '../support/browser';
import { egovEnv, linkEgovAccount, startTestSim, VALID_FORM } from '../support/egov';

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/**
 * 承認フロー in the SPA: a member's submission waits for the administrator's approval (nothing
 * reaches the e-Gov simulator); the approver finds it under 承認待ち, approves it with a comment on
 * the application page, and the filing then goes to e-Gov once and reaches 手続終了.
 */
describe('SPA: approval before filing (承認フロー)', () => {
  let now = Date.now();
  let sim: EgovSim;
  let t: TestApp;
  let acme: Seeded;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let base: string;

  beforeAll(async () => {
    sim = await startTestSim(() => now);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    t = await startTestApp({ WEB_DIST_DIR: WEB_DIST, PUBLIC_URL: base, ...egovEnv(sim) });
    await t.app.listen(port, '127.0.0.1');
    acme = await seedTenant(t, 'acme');
    browser = await launchChromium();
    context = await browser.newContext({ locale: 'ja-JP', viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
  });
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await t?.close();
    await sim?.close();
  });

  it('an approver approves a parked filing, which then reaches 手続終了 at the simulator', async () => {
    // Set up over the API: e-Gov linked, a route (submission needs the administrator's approval), a member's submission.
    const admin = await login(t, 'acme', acme.adminEmail);
    const member = await login(t, 'acme', acme.memberEmail);
    await linkEgovAccount(t, admin, sim);
    await admin.agent
      .put('/api/v1/approval-routes')
      .set('X-CSRF-Token', admin.csrf)
      .send({ routes: [{ appliesTo: ['submit'], steps: [{ approvers: [acme.adminId], mode: 'any' }] }] })
      .expect(200);
    const officeId = (
      await member.agent
        .post('/api/v1/offices')
        .set('X-CSRF-Token', member.csrf)
        .send({
          name: '株式会社アクメ 本社',
          address: '東京都千代田区霞が関1-2-3',
          pensionOfficeCode: '01-イロハ',
          pensionOfficeNumber: '12345',
        })
        .expect(201)
    ).body.id;
    const id = (
      await member.agent
        .post('/api/v1/applications')
        .set('X-CSRF-Token', member.csrf)
        .send({ procedureCode: 'shaho-shutoku', officeId, title: '資格取得（承認フロー）', form: VALID_FORM })
        .expect(201)
    ).body.id;
    await member.agent.post(`/api/v1/applications/${id}/validate`).set('X-CSRF-Token', member.csrf).expect(200);
    const submitted = await member.agent
      .post(`/api/v1/applications/${id}/submit`)
      .set('X-CSRF-Token', member.csrf)
      .set('Idempotency-Key', 'browser-approval-0001')
      .expect(202);
    expect(submitted.body.status).toBe('awaiting_approval');
    await t.app.get(SubmissionsService).runDue();
    expect(sim.state.cases.size).toBe(0);

    // The approver: 承認待ち in the menu, the request listed, opened.
    await loginThroughSpa(page, base, {
      tenant: 'acme',
      email: acme.adminEmail,
      password: PASSWORD,
      userId: acme.adminId,
      key: testKeys.get(`acme/${acme.adminEmail}`)!,
    });
    await page.getByTestId('nav-approvals').click();
    await page.getByTestId('approvals-table').waitFor();
    expect(await page.getByTestId('approvals-row').count()).toBe(1);
    expect(await page.getByTestId('approvals-row').innerText()).toContain('一般');
    await page.getByTestId('approvals-open').click();
    await page.waitForURL((u) => u.pathname === `/applications/${id}`);
    await page.locator('[data-testid="app-status"][data-status="awaiting_approval"]').filter({ hasText: '承認待ち' }).waitFor();
    const panel = page.getByTestId('approval-panel');
    await panel.waitFor();
    expect(await panel.getByTestId('approval-status').innerText()).toBe('承認待ち');

    // Approve with a comment: the filing starts (送信中), then the job sends it once.
    await panel.getByLabel('コメント').fill('内容を確認しました');
    await panel.getByTestId('approval-approve').click();
    await page.getByTestId('approval-notice').filter({ hasText: '承認しました。' }).waitFor();
    await page.locator('[data-testid="app-status"][data-status="submitting"]').waitFor();
    expect(await t.app.get(SubmissionsService).runDue()).toBe(1);
    expect(sim.state.cases.size).toBe(1);

    const tracker = t.app.get(StatusTrackerService);
    now += 1500;
    await tracker.pollAll();
    now += 1500;
    await tracker.pollAll();
    now += 10;
    await tracker.pollAll();
    await page.reload();
    await page.locator('[data-testid="app-status"][data-status="completed"]').filter({ hasText: '手続終了' }).waitFor();
    expect(sim.state.cases.size).toBe(1);
    // The approval is over: the panel is gone, and 承認待ち is empty.
    expect(await page.getByTestId('approval-panel').count()).toBe(0);
    await page.getByTestId('nav-approvals').click();
    await page.getByTestId('approvals-empty').waitFor();
  });

  it('the requester withdraws (取り下げ) their pending request on the application page: back to draft, the approver is told', async () => {
    const admin = await login(t, 'acme', acme.adminEmail);
    const member = await login(t, 'acme', acme.memberEmail);
    const officeId = (await member.agent.get('/api/v1/offices').expect(200)).body.items[0].id;
    const id = (
      await member.agent
        .post('/api/v1/applications')
        .set('X-CSRF-Token', member.csrf)
        .send({ procedureCode: 'shaho-shutoku', officeId, title: '資格取得（取り下げ）', form: VALID_FORM })
        .expect(201)
    ).body.id;
    await member.agent.post(`/api/v1/applications/${id}/validate`).set('X-CSRF-Token', member.csrf).expect(200);
    const submitted = await member.agent
      .post(`/api/v1/applications/${id}/submit`)
      .set('X-CSRF-Token', member.csrf)
      .set('Idempotency-Key', 'browser-approval-0002')
      .expect(202);
    const approvalId = submitted.body.approvalId as string;

    // The approver sees no 取り下げ (it is not their request).
    await page.goto(`${base}/applications/${id}`);
    await page.getByTestId('approval-panel').waitFor();
    expect(await page.getByTestId('approval-withdraw').count()).toBe(0);

    // The requester, in a session of their own.
    const memberContext = await browser.newContext({ locale: 'ja-JP', viewport: { width: 1280, height: 900 } });
    try {
      const mp = await memberContext.newPage();
      mp.setDefaultTimeout(15_000);
      await loginThroughSpa(mp, base, {
        tenant: 'acme',
        email: acme.memberEmail,
        password: PASSWORD,
        userId: acme.memberId,
        key: testKeys.get(`acme/${acme.memberEmail}`)!,
      });
      await mp.goto(`${base}/applications/${id}`);
      const panel = mp.getByTestId('approval-panel');
      await panel.waitFor();
      await panel.getByRole('button', { name: '承認依頼を取り下げる' }).click();
      await mp.getByTestId('approval-notice').filter({ hasText: '承認依頼を取り下げました。' }).waitFor();
      await mp.locator('[data-testid="app-status"][data-status="draft"]').waitFor();
      expect(await mp.getByTestId('approval-withdraw').count()).toBe(0);
    } finally {
      await memberContext.close();
    }
    expect((await admin.agent.get(`/api/v1/approvals/${approvalId}`).expect(200)).body.status).toBe('cancelled');
    const kinds = (await admin.agent.get('/api/v1/notices').expect(200)).body.items.map((n: { kind: string }) => n.kind);
    expect(kinds).toContain('approval_cancelled');
    // Nothing waits for the approver any more.
    await page.getByTestId('nav-approvals').click();
    await page.getByTestId('approvals-empty').waitFor();
    expect(sim.state.cases.size).toBe(1);
  });
});
