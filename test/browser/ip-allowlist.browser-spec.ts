import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { PASSWORD, seedTenant, Seeded, startTestApp, TestApp, testKeys } from '../support/app';
import { expectNoAxeViolations } from '../support/axe';
import { clickNav, launchChromium, loginThroughSpa, WEB_DIST } from '../support/browser';

/**
 * IPアドレス制限 in Chromium (issue 19). The browser connects from 127.0.0.1: a list without it
 * asks before locking the administrator out (and saves nothing when they go back to the list); a
 * list with 127.0.0.1/32 and ::1 is saved and the admin keeps working; a malformed entry gets
 * its Japanese message beside that very field, and nothing is saved.
 */
describe('SPA: IP allow-list page', () => {
  let t: TestApp;
  let acme: Seeded;
  let browser: Browser;
  let base: string;
  let page: Page;

  const stored = async () =>
    (await t.ds.query('SELECT enabled, cidrs, applies_to FROM tenant_ip_allowlists WHERE tenant_id = $1', [acme.tenantId])) as Array<{
      enabled: boolean;
      cidrs: string[];
      applies_to: string;
    }>;
  const cidrInputs = () => page.getByTestId('ip-allowlist-cidr');

  /** Types `values` into the rows, adding rows as needed and blanking the rest. */
  async function enterCidrs(values: string[]): Promise<void> {
    while ((await cidrInputs().count()) < values.length) await page.getByTestId('ip-allowlist-add').click();
    const n = await cidrInputs().count();
    for (let i = 0; i < n; i++)
      await cidrInputs()
        .nth(i)
        .fill(values[i] ?? '');
  }

  beforeAll(async () => {
    t = await startTestApp({ WEB_DIST_DIR: WEB_DIST });
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
  });

  it('asks before a list that locks the admin out, saves one with the loopback addresses, and shows a bad CIDR on its field', async () => {
    await loginThroughSpa(page, base, {
      tenant: 'acme',
      email: acme.adminEmail,
      password: PASSWORD,
      userId: acme.adminId,
      key: testKeys.get(`acme/${acme.adminEmail}`)!,
    });
    await clickNav(page, 'nav-ip-allowlist');
    await page.getByTestId('ip-allowlist-form').waitFor();
    expect(await page.getByTestId('ip-allowlist-current').innerText()).toContain('127.0.0.1');
    await expectNoAxeViolations(page, 'ip-allowlist (empty)');

    // A list without the admin's own address: the lock-out dialog, and going back saves nothing.
    await page.getByTestId('ip-allowlist-enabled').check();
    await enterCidrs(['203.0.113.0/24']);
    await page.getByTestId('ip-allowlist-save').click();
    const dialog = page.getByTestId('ip-allowlist-lockout-dialog');
    await dialog.waitFor();
    expect(await dialog.innerText()).toContain('現在のアドレスからアクセスできなくなります');
    expect(await dialog.innerText()).toContain('127.0.0.1');
    await expectNoAxeViolations(page, 'ip-allowlist (lock-out dialog)');
    await page.getByTestId('confirm-cancel').click();
    await dialog.waitFor({ state: 'hidden' });
    expect(await stored()).toEqual([]);

    // With 127.0.0.1/32 and ::1 (the browser's address either way): saved, no question asked.
    await enterCidrs(['203.0.113.0/24', '127.0.0.1/32', '::1']);
    await page.getByTestId('ip-allowlist-save').click();
    await page.getByTestId('ip-allowlist-notice').filter({ hasText: 'IPアドレス制限を保存しました' }).waitFor();
    expect(await page.getByTestId('confirm-dialog').count()).toBe(0);
    const saved = await stored();
    expect(saved).toHaveLength(1);
    expect(saved[0]).toMatchObject({ enabled: true, applies_to: 'all' });
    expect(saved[0]!.cidrs).toEqual(['203.0.113.0/24', '127.0.0.1/32', '::1/128']);
    expect(await page.getByTestId('ip-allowlist-current-state').innerText()).not.toBe('');

    // A malformed entry: the Japanese message on that row only, and the stored list unchanged.
    await enterCidrs(['203.0.113.0/24', '127.0.0.1/32', '::1', '10.0.0.0/33']);
    await page.getByTestId('ip-allowlist-save').click();
    const errors = page.getByTestId('ip-allowlist-cidr-error');
    await errors.nth(3).filter({ hasText: 'CIDR表記' }).waitFor();
    expect(await errors.nth(3).innerText()).toBe('IPアドレス、またはCIDR表記のネットワーク（例: 203.0.113.0/24）を入力してください。');
    for (const i of [0, 1, 2]) expect(await errors.nth(i).innerText()).toBe('');
    expect(await cidrInputs().nth(3).getAttribute('aria-invalid')).toBe('true');
    expect(await cidrInputs().nth(0).getAttribute('aria-invalid')).toBeNull();
    await expectNoAxeViolations(page, 'ip-allowlist (field error)');
    expect(await stored()).toEqual(saved);

    // The admin still works from here: the page reloads through the list.
    await page.reload();
    await page.getByTestId('ip-allowlist-form').waitFor();
    expect(await cidrInputs().count()).toBe(3);
  }, 120_000);
});
