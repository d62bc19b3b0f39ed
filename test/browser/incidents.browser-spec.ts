import type { AddressInfo } from 'node:net';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { UsersService } from '@charlotte/auth';
import { MailWorker } from '@charlotte/notifications';
import { giveKey, PASSWORD, seedTenant, Seeded, startTestApp, TestApp, testKeys } from '../support/app';
import { launchChromium, loginThroughSpa, WEB_DIST } from '../support/browser';
import { SmtpSink, startSmtpSink } from '../support/smtp-sink';

/** Where this spec leaves its screenshots (git-ignored). */
const SHOTS = path.resolve(__dirname, '../../test-results/browser');
const OPERATOR_EMAIL = 'ops@charlotte.example';
const TITLE = '電子申請の送信が遅延しています';

/**
 * Incidents (運用からのお知らせ, issue 17) in a real Chromium against the whole app: a platform
 * operator reports a serious incident for one contract in the console; an administrator of that
 * contract sees it in the bell (with its title) and, following the link, on the 運用状況 page; a
 * real SMTP server received the e-mail to that administrator, and nothing for the member or the
 * other contract.
 */
describe('SPA: incidents (operator console, bell, status page, e-mail)', () => {
  let t: TestApp;
  let sink: SmtpSink;
  let acme: Seeded;
  let other: Seeded;
  let operatorId: string;
  let browser: Browser;
  let base: string;
  let opContext: BrowserContext;
  let adminContext: BrowserContext;
  let op: Page;
  let admin: Page;
  let incidentId: string;

  beforeAll(async () => {
    sink = await startSmtpSink();
    t = await startTestApp({ WEB_DIST_DIR: WEB_DIST, SMTP_URL: sink.url });
    await t.app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    acme = await seedTenant(t, 'acme');
    other = await seedTenant(t, 'other');
    const { user } = await t.app.get(UsersService).createOperator(OPERATOR_EMAIL, PASSWORD);
    operatorId = user.id;
    await giveKey(t, 'platform', null, operatorId, OPERATOR_EMAIL);
    browser = await launchChromium();
    opContext = await browser.newContext({ locale: 'ja-JP', viewport: { width: 1280, height: 900 } });
    adminContext = await browser.newContext({ locale: 'ja-JP', viewport: { width: 1280, height: 900 } });
    op = await opContext.newPage();
    admin = await adminContext.newPage();
    op.setDefaultTimeout(15_000);
    admin.setDefaultTimeout(15_000);
    fs.mkdirSync(SHOTS, { recursive: true });
  }, 120_000);
  afterAll(async () => {
    await opContext?.close();
    await adminContext?.close();
    await browser?.close();
    await t?.close();
    await sink?.close();
  });

  it('lets an operator report a serious incident for one contract in the console', async () => {
    await loginThroughSpa(op, base, {
      tenant: 'platform',
      email: OPERATOR_EMAIL,
      password: PASSWORD,
      userId: operatorId,
      key: testKeys.get(`platform/${OPERATOR_EMAIL}`)!,
    });
    await op.getByTestId('nav-operator-incidents').click();
    await op.waitForURL((u) => u.pathname === '/operator/incidents');
    expect(await op.locator('h1').innerText()).toBe('運用からのお知らせ');
    await op.getByTestId('incidents-empty').waitFor();

    await op.getByTestId('incident-severity-serious').check();
    await op.getByTestId('incident-scope-some').check();
    await op.getByTestId('incident-tenant-acme').check();
    await op.getByTestId('incident-title').fill(TITLE);
    await op.getByTestId('incident-body').fill('e-Gov への送信に時間がかかっています。\n復旧の見込みは追ってお知らせします。');
    await op.getByTestId('incident-submit').click();

    // serious: the console asks first, because every administrator gets an e-mail
    const dialog = op.getByTestId('confirm-dialog');
    await dialog.waitFor();
    expect(await dialog.innerText()).toContain('管理者全員にメールが送信されます');
    await op.getByTestId('confirm-ok').click();
    await op.getByTestId('incident-created').filter({ hasText: 'お知らせ 2 件を通知し、メール 1 件を送信待ちにしました' }).waitFor();

    const row = op.getByTestId('incident-row').first();
    incidentId = (await row.getAttribute('data-incident-id'))!;
    expect(await row.getByTestId('incident-severity').innerText()).toBe('重大');
    expect(await row.getByTestId('incident-status').innerText()).toBe('発生中');
    expect(await row.getByTestId('incident-scope').innerText()).toBe('acme 株式会社');
    await op.screenshot({ path: path.join(SHOTS, 'operator-incidents.png'), fullPage: true });
  });

  it('shows the incident to an administrator of that contract in the bell and on the status page', async () => {
    await loginThroughSpa(admin, base, {
      tenant: 'acme',
      email: acme.adminEmail,
      password: PASSWORD,
      userId: acme.adminId,
      key: testKeys.get(`acme/${acme.adminEmail}`)!,
    });
    await admin.getByTestId('notices-count').filter({ hasText: '1' }).waitFor();
    await admin.getByTestId('notices-bell').click();
    const item = admin.locator(`[data-testid="notice-item"]`).first();
    expect(await item.locator('.notice-text').innerText()).toBe(`運用からのお知らせ: ${TITLE}`);
    // readable: the header's white link colour must not reach the white panel
    expect(await item.locator('.notice-text').evaluate((el) => el.ownerDocument.defaultView!.getComputedStyle(el).color)).not.toBe(
      'rgb(255, 255, 255)',
    );
    await admin.screenshot({ path: path.join(SHOTS, 'incident-bell.png') });

    await item.getByTestId('notice-link').click();
    await admin.waitForURL((u) => u.pathname === '/status' && u.hash === `#${incidentId}`);
    const card = admin.locator(`[data-testid="status-incident"][data-incident-id="${incidentId}"]`);
    await card.waitFor();
    expect(await admin.locator('h1').innerText()).toBe('運用状況');
    expect(await card.getByTestId('incident-severity').innerText()).toBe('重大');
    expect(await card.getByTestId('incident-status').innerText()).toBe('発生中');
    expect(await card.locator('h3').innerText()).toBe(TITLE);
    expect(await card.innerText()).toContain('復旧の見込みは追ってお知らせします。');
    // the link brought it into focus; it was read on the way
    expect(await card.evaluate((el) => el.ownerDocument.activeElement === el)).toBe(true);
    await admin.getByTestId('notices-count').waitFor({ state: 'detached' });
    // the status page is in the shell's navigation too
    expect(await admin.getByTestId('nav-status').innerText()).toBe('運用状況');
    await admin.screenshot({ path: path.join(SHOTS, 'incident-status-page.png'), fullPage: true });
  });

  it('the SMTP server received the e-mail to that administrator, and nothing for anybody else', async () => {
    const worker = t.app.get(MailWorker);
    while ((await worker.drain()) > 0);
    const msgs = await sink.waitFor(1);
    expect(msgs.flatMap((m) => m.rcptTo)).toEqual([acme.adminEmail]);
    expect(msgs[0]!.subject).toBe(`【障害のお知らせ】${TITLE} / [Incident] ${TITLE}`);
    expect(msgs[0]!.text).toContain('e-Gov への送信に時間がかかっています。');
    expect(msgs[0]!.text).toContain(`/status#${incidentId}`);
    expect(msgs.flatMap((m) => m.rcptTo)).not.toContain(acme.memberEmail);
    expect(msgs.flatMap((m) => m.rcptTo)).not.toContain(other.adminEmail);
  });

  it('lets the operator resolve it on its page; the administrator sees 復旧済み and gets the resolution mail', async () => {
    sink.clear();
    await op.locator(`[data-testid="incident-row"][data-incident-id="${incidentId}"]`).getByTestId('incident-detail').click();
    await op.waitForURL((u) => u.pathname === `/operator/incidents/${incidentId}`);
    expect(await op.getByTestId('incident-scope').innerText()).toBe('acme 株式会社（acme）');
    await op.getByTestId('incident-update-body').fill('送信は正常に戻りました。');
    await op.getByTestId('incident-update-resolve').check();
    expect(await op.getByTestId('incident-update-submit').innerText()).toBe('復旧を登録する');
    await op.getByTestId('incident-update-submit').click();
    await op.getByTestId('incident-posted').filter({ hasText: '復旧を登録しました' }).waitFor();
    expect(await op.getByTestId('incident-status').innerText()).toBe('復旧済み');
    expect(await op.getByTestId('incident-closed').isVisible()).toBe(true);
    await op.screenshot({ path: path.join(SHOTS, 'operator-incident-resolved.png'), fullPage: true });

    await admin.getByTestId('status-reload').click();
    const card = admin.getByTestId('status-resolved').locator(`[data-incident-id="${incidentId}"]`);
    await card.waitFor();
    expect(await card.getByTestId('incident-status').innerText()).toBe('復旧済み');
    expect(await card.innerText()).toContain('送信は正常に戻りました。');
    expect(await admin.getByTestId('status-all-clear').innerText()).toBe('現在、ご契約に影響する障害は発生していません。');

    const worker = t.app.get(MailWorker);
    while ((await worker.drain()) > 0);
    const msgs = await sink.waitFor(1);
    expect(msgs.flatMap((m) => m.rcptTo)).toEqual([acme.adminEmail]);
    expect(msgs[0]!.subject).toBe(`【復旧のお知らせ】${TITLE} / [Resolved] ${TITLE}`);
  });
});
