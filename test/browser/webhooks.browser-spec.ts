import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { WebhookDestinations } from '@charlotte/webhooks';
import { PASSWORD, seedTenant, Seeded, startTestApp, TestApp, testKeys } from '../support/app';
import { expectNoAxeViolations } from '../support/axe';
import { launchChromium, loginThroughSpa, WEB_DIST } from '../support/browser';
import { startWebhookReceiver, WebhookReceiver } from '../support/webhook-receiver';

/**
 * The Webhook page in Chromium (issue 19), against a real HTTPS receiver as in
 * test/e2e/webhooks.e2e-spec.ts: a CA and a leaf for `receiver.test` made with openssl, the CA
 * trusted through WEBHOOK_CA_FILE, the receiver allowed through WEBHOOK_ALLOW_HOSTS, the name
 * resolved to 127.0.0.1 by the test's resolver. The admin reaches the page through the 「設定」
 * menu with the keyboard, registers a receiver, sees the secret once, sends a test event, reads
 * it in the delivery log with its response code, and disables the webhook.
 */
describe('SPA: Webhook page', () => {
  let receiver: WebhookReceiver;
  let t: TestApp;
  let acme: Seeded;
  let browser: Browser;
  let base: string;
  let page: Page;

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    t = await startTestApp({ WEB_DIST_DIR: WEB_DIST, WEBHOOK_CA_FILE: receiver.caFile, WEBHOOK_ALLOW_HOSTS: receiver.hostPort });
    // `receiver.test` is in no DNS: the guard resolves it to 127.0.0.1 (allowed through WEBHOOK_ALLOW_HOSTS only).
    t.app.get(WebhookDestinations).resolve = async (host) =>
      host === 'receiver.test' ? [{ address: '127.0.0.1', family: 4 }] : Promise.reject(new Error(`unexpected lookup of ${host}`));
    await t.app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    acme = await seedTenant(t, 'acme');
    browser = await launchChromium();
    page = await browser.newPage({ locale: 'ja-JP', viewport: { width: 1280, height: 800 } });
    page.setDefaultTimeout(15_000);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await receiver?.close();
  });

  it('registers a receiver, shows the secret once, pings it, shows the delivery with its code, and disables it', async () => {
    await loginThroughSpa(page, base, {
      tenant: 'acme',
      email: acme.adminEmail,
      password: PASSWORD,
      userId: acme.adminId,
      key: testKeys.get(`acme/${acme.adminEmail}`)!,
    });

    // The 「設定」 menu by keyboard: Enter opens it, Esc closes it and leaves the focus on its button.
    const settings = page.getByTestId('nav-settings');
    await settings.focus();
    await page.keyboard.press('Enter');
    expect(await settings.getAttribute('aria-expanded')).toBe('true');
    await page.getByTestId('nav-webhooks').waitFor({ state: 'visible' });
    await page.keyboard.press('Escape');
    expect(await settings.getAttribute('aria-expanded')).toBe('false');
    expect(await page.getByTestId('nav-webhooks').isVisible()).toBe(false);
    expect(await settings.evaluate((el) => el === el.ownerDocument.activeElement)).toBe(true);
    // Space opens it too; the arrow key moves into it, and following a link closes it.
    await page.keyboard.press(' ');
    await page.getByTestId('nav-users').waitFor({ state: 'visible' });
    await page.keyboard.press('ArrowDown');
    expect(await page.getByTestId('nav-users').evaluate((el) => el === el.ownerDocument.activeElement)).toBe(true);
    await page.getByTestId('nav-webhooks').click();
    await page.waitForURL((u) => u.pathname === '/settings/webhooks');
    expect(await settings.getAttribute('aria-expanded')).toBe('false');
    await page.getByTestId('webhooks-empty').waitFor();
    await expectNoAxeViolations(page, 'webhooks (empty)');

    const url = `${receiver.base}/hooks`;
    await page.getByTestId('webhook-url').fill(url);
    await page.getByTestId('webhook-description').fill('基幹システム連携');
    await page.getByTestId('webhook-create-submit').click();
    await page.getByTestId('webhook-created').waitFor();
    const secret = await page.getByTestId('webhook-created-value').innerText();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(await page.getByTestId('webhook-created').innerText()).toContain('この画面でのみ表示されます');
    // The heading of the new panel takes the focus (screen readers read it first).
    expect(await page.locator('#webhook-created-title').evaluate((el) => el === el.ownerDocument.activeElement)).toBe(true);
    await page.getByTestId('webhook-row').waitFor();
    expect(await page.getByTestId('webhooks-table').innerText()).not.toContain(secret);
    await expectNoAxeViolations(page, 'webhooks (secret shown)');

    // Shown once: closed, it is gone from the page, and a reload does not bring it back.
    await page.getByTestId('webhook-created-close').click();
    expect(await page.getByTestId('webhook-created').count()).toBe(0);
    await page.reload();
    await page.getByTestId('webhook-row').waitFor();
    expect(await page.locator('body').innerText()).not.toContain(secret);

    await page.getByTestId('webhook-ping').click();
    await page.getByTestId('webhooks-notice').filter({ hasText: 'テスト送信に成功しました（応答コード 204）' }).waitFor();
    expect(receiver.received.map((r) => ({ path: r.path, type: r.body.type }))).toEqual([{ path: '/hooks', type: 'ping' }]);

    await page.getByTestId('webhook-deliveries').click();
    await page.getByTestId('webhook-delivery-row').waitFor();
    expect(await page.getByTestId('webhook-delivery-row').count()).toBe(1);
    expect(await page.getByTestId('webhook-delivery-code').innerText()).toBe('204');
    expect(await page.getByTestId('webhook-delivery-status').innerText()).toBe('成功');
    await expectNoAxeViolations(page, 'webhooks (delivery log)');

    await page.getByTestId('webhook-disable').click();
    const confirm = page.getByRole('dialog', { name: 'Webhookを停止しますか？' });
    await confirm.waitFor();
    await confirm.getByTestId('confirm-ok').click();
    await page.getByTestId('webhook-status').filter({ hasText: '停止中' }).waitFor();
    const rows = await t.ds.query(`SELECT status FROM webhooks WHERE tenant_id = $1`, [acme.tenantId]);
    expect(rows).toEqual([{ status: 'disabled' }]);
    await expectNoAxeViolations(page, 'webhooks (disabled)');
  }, 120_000);
});
