import type { AddressInfo } from 'node:net';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { UsersService } from '@charlotte/auth';
import { giveKey, PASSWORD, seedTenant, Seeded, startTestApp, TestApp, testKeys } from '../support/app';
import { clickNav, launchChromium, loginThroughSpa, WEB_DIST } from '../support/browser';
import { expectNoAxeViolations } from '../support/axe';

/** Where this spec leaves its screenshots (git-ignored). */
const SHOTS = path.resolve(__dirname, '../../test-results/browser');
const OPERATOR_EMAIL = 'ops@charlotte.example';
/** Backups and deletion are jobs on the server: the page shows their state when they end. */
const JOB_TIMEOUT = 90_000;

/**
 * The operator console and the tenant admin's バックアップ page in a real
 * Chromium against the whole app (docs/api.md, "Backups, contract end,
 * deletion"): a platform operator (契約コード `platform`) runs a backup of a
 * tenant, cancels it, deletes it now and downloads the 消去証明書 (PDF and
 * JSON); the cancelled tenant's admin is told at login that the contract has
 * ended; the admin of another tenant sees its generations on the バックアップ
 * page, and the operator restores that tenant from one of them.
 */
describe('SPA: operator console (backups, contract end, deletion)', () => {
  let t: TestApp;
  let acme: Seeded;
  let gone: Seeded;
  let operatorId: string;
  let browser: Browser;
  let base: string;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    t = await startTestApp({ WEB_DIST_DIR: WEB_DIST });
    await t.app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    acme = await seedTenant(t, 'acme');
    gone = await seedTenant(t, 'gone');
    const { user } = await t.app.get(UsersService).createOperator(OPERATOR_EMAIL, PASSWORD);
    operatorId = user.id;
    await giveKey(t, 'platform', null, operatorId, OPERATOR_EMAIL);
    browser = await launchChromium();
    context = await browser.newContext({ locale: 'ja-JP', acceptDownloads: true, viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    fs.mkdirSync(SHOTS, { recursive: true });
  }, 120_000);
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await t?.close();
  });

  /** A JSON request with the operator's browser session (its cookie, and the CSRF token the session hands out). */
  async function operatorApi<T>(method: 'GET' | 'POST', url: string, data?: unknown): Promise<T> {
    const csrf = ((await (await page.request.get(`${base}/api/v1/auth/session`)).json()) as { csrfToken: string }).csrfToken;
    const res =
      method === 'GET'
        ? await page.request.get(`${base}/api/v1${url}`)
        : await page.request.post(`${base}/api/v1${url}`, { headers: { 'X-CSRF-Token': csrf }, data });
    if (!res.ok()) throw new Error(`${method} ${url}: ${res.status()} ${await res.text()}`);
    return (await res.json()) as T;
  }

  it('lets a platform operator log in and see every contract', async () => {
    await loginThroughSpa(page, base, {
      tenant: 'platform',
      email: OPERATOR_EMAIL,
      password: PASSWORD,
      userId: operatorId,
      key: testKeys.get(`platform/${OPERATOR_EMAIL}`)!,
    });
    expect(await page.getByTestId('shell-role').innerText()).toBe('運用担当者');
    // Nothing of a tenant's content is offered to an operator.
    expect(await page.getByTestId('nav-applications').count()).toBe(0);

    await page.getByTestId('nav-operator-tenants').click();
    await page.waitForURL((u) => u.pathname === '/operator/tenants');
    await page.locator('[data-testid="tenant-row"][data-tenant-code="gone"]').waitFor();
    const acmeRow = page.locator('[data-testid="tenant-row"][data-tenant-code="acme"]');
    expect(await acmeRow.getByTestId('contract-status').innerText()).toBe('利用中');
    expect(await acmeRow.innerText()).toContain('acme 株式会社');
    await page.screenshot({ path: path.join(SHOTS, 'operator-tenants.png'), fullPage: true });
  });

  it('runs a backup now and sees the generation complete', async () => {
    await page.locator('[data-testid="tenant-row"][data-tenant-code="gone"]').getByTestId('tenant-detail').click();
    await page.waitForURL((u) => u.pathname === '/operator/tenants/gone');
    await page.getByTestId('tenant-summary').waitFor();
    expect(await page.getByTestId('tenant-title').innerText()).toContain('gone 株式会社');

    await page.getByTestId('backup-now').click();
    await page.getByTestId('tenant-notice').filter({ hasText: 'バックアップが完了しました' }).waitFor({ timeout: JOB_TIMEOUT });
    const row = page.getByTestId('generation-row').first();
    expect(await row.getAttribute('data-state')).toBe('complete');
    expect(await row.getByTestId('generation-state').innerText()).toBe('完了');
    expect(await row.getByTestId('generation-size').innerText()).toMatch(/^[\d,.]+ (B|KB|MB)$/);
    // The 最終バックアップ of the summary follows (the contract is read again once the generation is complete).
    await page
      .getByTestId('tenant-summary')
      .filter({ hasText: /最終バックアップ\s*\d{4}\/\d{2}\/\d{2} \d{2}:\d{2} JST/ })
      .waitFor();
    await page.screenshot({ path: path.join(SHOTS, 'operator-backup-complete.png'), fullPage: true });
  });

  it('names the generation in the restore confirmation (and restores nothing when cancelled)', async () => {
    const row = page.getByTestId('generation-row').first();
    const sha = (await row.locator('code').innerText()).trim();
    await row.getByTestId('generation-restore').click();
    const dialog = page.getByTestId('confirm-dialog');
    await dialog.waitFor();
    const text = await dialog.innerText();
    expect(text).toContain('リストアしますか');
    expect(text).toContain(`SHA-256: ${sha}`);
    expect(text).toContain('現在のデータ');
    await expectNoAxeViolations(page, 'operator tenant page with the restore confirmation open');
    await page.getByTestId('confirm-cancel').click();
    await dialog.waitFor({ state: 'hidden' });
  });

  it('cancels the contract and shows the 消去予定日; the tenant admin is told at login that the contract has ended', async () => {
    await page.getByTestId('tenant-cancel').click();
    await page.getByTestId('tenant-effective-at').waitFor();
    await page.getByTestId('confirm-ok').click();
    await page.getByTestId('tenant-notice').filter({ hasText: '解約しました。消去予定日は' }).waitFor();
    expect(await page.getByTestId('tenant-notice').innerText()).toMatch(/消去予定日は \d{4}\/\d{2}\/\d{2} です/);
    expect(await page.getByTestId('tenant-title').innerText()).toContain('解約済み');
    await page.getByTestId('tenant-deletion-due').waitFor();
    await page.screenshot({ path: path.join(SHOTS, 'operator-cancelled.png'), fullPage: true });

    const rows: Array<{ status: string }> = await t.ds.query(`SELECT status FROM tenants WHERE code = 'gone'`);
    expect(rows[0]?.status).toBe('cancelled');

    const tenantContext = await browser.newContext({ locale: 'ja-JP' });
    try {
      const tenantPage = await tenantContext.newPage();
      await tenantPage.goto(`${base}/login`);
      await tenantPage.getByTestId('login-tenant').fill('gone');
      await tenantPage.getByTestId('login-email').fill(gone.adminEmail);
      await tenantPage.getByTestId('login-password').fill(PASSWORD);
      await tenantPage.getByTestId('login-submit').click();
      await tenantPage.getByTestId('login-error').filter({ hasText: '契約が終了しています' }).waitFor();
      await tenantPage.screenshot({ path: path.join(SHOTS, 'login-contract-cancelled.png'), fullPage: true });
    } finally {
      await tenantContext.close();
    }
  });

  it('deletes the contract now after the 契約コード is typed and downloads the 消去証明書 as PDF and JSON', async () => {
    await page.getByTestId('tenant-delete-now').click();
    const ok = page.getByTestId('confirm-ok');
    await page.getByTestId('tenant-delete-code').fill('acme');
    expect(await ok.isDisabled()).toBe(true);
    await page.getByTestId('tenant-delete-code').fill('gone');
    expect(await ok.isDisabled()).toBe(false);
    await ok.click();

    await page.getByTestId('tenant-notice').filter({ hasText: '消去が完了し' }).waitFor({ timeout: JOB_TIMEOUT });
    expect(await page.getByTestId('tenant-title').innerText()).toContain('消去済み');
    await page.getByTestId('certificate-panel').waitFor();
    await page.screenshot({ path: path.join(SHOTS, 'operator-deleted.png'), fullPage: true });

    const [pdf] = await Promise.all([page.waitForEvent('download'), page.getByTestId('certificate-pdf').click()]);
    expect(pdf.suggestedFilename()).toBe('deletion-certificate-gone.pdf');
    const pdfBytes = fs.readFileSync((await pdf.path())!);
    expect(pdfBytes.subarray(0, 4).toString('latin1')).toBe('%PDF');

    const [json] = await Promise.all([page.waitForEvent('download'), page.getByTestId('certificate-json').click()]);
    expect(json.suggestedFilename()).toBe('deletion-certificate-gone.json');
    const certificate = JSON.parse(fs.readFileSync((await json.path())!, 'utf8')) as {
      type: string;
      tenant: { code: string };
      checks: Record<string, number>;
      signature: string;
    };
    expect(certificate.type).toBe('charlotte-deletion-certificate');
    expect(certificate.tenant.code).toBe('gone');
    expect(certificate.checks).toEqual({ rowsRemaining: 0, blobsRemaining: 0, backupsRemaining: 0, keysRemaining: 0 });
    expect(certificate.signature).toMatch(/^[A-Za-z0-9_-]+$/);

    // The list says so too.
    await page.getByTestId('tenant-back').click();
    const goneRow = page.locator('[data-testid="tenant-row"][data-tenant-code="gone"]');
    await goneRow.getByTestId('contract-status').filter({ hasText: '消去済み' }).waitFor();
  });

  it('shows the tenant admin the バックアップ page with the generations and their verification', async () => {
    // A generation of acme, run by the operator through the API.
    const { id } = await operatorApi<{ id: string }>('POST', '/operator/tenants/acme/backups');
    const deadline = Date.now() + JOB_TIMEOUT;
    for (;;) {
      const { items } = await operatorApi<{ items: Array<{ id: string; state?: string }> }>('GET', '/operator/tenants/acme/backups');
      const generation = items.find((g) => g.id === id);
      if (generation && (generation.state ?? 'complete') !== 'running') {
        expect(generation.state ?? 'complete').toBe('complete');
        break;
      }
      if (Date.now() > deadline) throw new Error('the backup of acme did not finish');
      await new Promise((r) => setTimeout(r, 500));
    }

    const adminContext = await browser.newContext({ locale: 'ja-JP', viewport: { width: 1280, height: 900 } });
    try {
      const adminPage = await adminContext.newPage();
      adminPage.setDefaultTimeout(15_000);
      await loginThroughSpa(adminPage, base, {
        tenant: 'acme',
        email: acme.adminEmail,
        password: PASSWORD,
        userId: acme.adminId,
        key: testKeys.get(`acme/${acme.adminEmail}`)!,
      });
      await clickNav(adminPage, 'nav-backups');
      await adminPage.waitForURL((u) => u.pathname === '/backups');
      await adminPage.locator(`[data-testid="generation-row"][data-generation-id="${id}"]`).waitFor();
      const explanation = await adminPage.getByTestId('backups-explanation').innerText();
      expect(explanation).toContain('毎晩');
      expect(explanation).toContain('30世代');
      expect(explanation).toContain('5年間');
      const row = adminPage.locator(`[data-testid="generation-row"][data-generation-id="${id}"]`);
      expect(await row.getByTestId('generation-state').innerText()).toBe('完了');
      // Not verified yet (the weekly verification has not run): said in words.
      expect(await row.getByTestId('generation-verification').innerText()).toMatch(/未検証|✓/);
      // Read-only: nothing to restore or run.
      expect(await adminPage.getByTestId('generation-restore').count()).toBe(0);
      expect(await adminPage.getByTestId('backup-now').count()).toBe(0);
      // The operator console is not for tenant admins.
      expect(await adminPage.getByTestId('nav-operator-tenants').count()).toBe(0);
      await adminPage.screenshot({ path: path.join(SHOTS, 'tenant-backups.png'), fullPage: true });
    } finally {
      await adminContext.close();
    }
  });

  it('restores a contract from the generation chosen in the console and shows the progress until complete', async () => {
    await page.goto(`${base}/operator/tenants/acme`);
    const row = page.getByTestId('generation-row').first();
    await row.waitFor();
    const sha = (await row.locator('code').innerText()).trim();
    await row.getByTestId('generation-restore').click();
    await page
      .getByTestId('confirm-dialog')
      .filter({ hasText: `SHA-256: ${sha}` })
      .waitFor();
    await page.getByTestId('confirm-ok').click();
    await page.getByTestId('tenant-notice').filter({ hasText: 'リストアが完了しました' }).waitFor({ timeout: JOB_TIMEOUT });
    expect(await page.getByTestId('tenant-title').innerText()).toContain('利用中');
    await page.screenshot({ path: path.join(SHOTS, 'operator-restored.png'), fullPage: true });
  });
});
