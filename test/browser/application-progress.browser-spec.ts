import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { StatusTrackerService, SubmissionsService } from '@charlotte/filing';
import type { EgovSim } from '../../apps/egov-sim/src/server';
import { login, LoggedIn, PASSWORD, seedTenant, Seeded, startTestApp, TestApp, testKeys } from '../support/app';
import { launchChromium, loginThroughSpa, WEB_DIST } from '../support/browser';
import { egovEnv, linkEgovAccount, startTestSim, VALID_FORM } from '../support/egov';

/** Where this spec leaves its screenshots (git-ignored). */
const SHOTS = path.resolve(__dirname, '../../test-results/browser');
const AXE = require.resolve('axe-core/axe.min.js');

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/**
 * The application page after submission (issue 18): a filing driven through
 * the simulator to 手続終了 shows a stepper at the top (送信中 → 到達 → 審査中 →
 * 審査終了 → 手続終了, the current step aria-current="step"), the 到達番号, when
 * it was submitted and the 公文書 to download, and the form as a read-only
 * summary with its 個人番号 masked until 表示.
 */
describe('SPA: the application page after submission', () => {
  let now = Date.now();
  let sim: EgovSim;
  let t: TestApp;
  let acme: Seeded;
  let admin: LoggedIn;
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
    admin = await login(t, 'acme', acme.adminEmail);
    await linkEgovAccount(t, admin, sim);
    browser = await launchChromium();
    context = await browser.newContext({ locale: 'ja-JP', acceptDownloads: true, viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    await loginThroughSpa(page, base, {
      tenant: 'acme',
      email: acme.adminEmail,
      password: PASSWORD,
      userId: acme.adminId,
      key: testKeys.get(`acme/${acme.adminEmail}`)!,
    });
  });
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await t?.close();
    await sim?.close();
  });

  /** A ready 資格取得届 with a 個人番号 (instead of the 基礎年金番号), in an office the package can be made for. */
  async function readyApplication(title: string): Promise<string> {
    const office = await admin.agent
      .post('/api/v1/offices')
      .set('X-CSRF-Token', admin.csrf)
      .send({
        name: '株式会社アクメ 本社',
        address: '東京都千代田区霞が関1-2-3',
        pensionOfficeCode: '01-イロハ',
        pensionOfficeNumber: '12345',
      })
      .expect(201);
    const form: Record<string, unknown> = { ...VALID_FORM, myNumber: '123456789018' };
    delete form.basicPensionNumber;
    const created = await admin.agent
      .post('/api/v1/applications')
      .set('X-CSRF-Token', admin.csrf)
      .send({ procedureCode: 'shaho-shutoku', officeId: office.body.id, title, form })
      .expect(201);
    const checked = await admin.agent.post(`/api/v1/applications/${created.body.id}/validate`).set('X-CSRF-Token', admin.csrf).expect(200);
    expect(checked.body).toMatchObject({ valid: true, status: 'ready' });
    return created.body.id as string;
  }

  const current = () => page.locator('[data-testid="application-progress"] [aria-current="step"]');

  async function reloadAt(status: string): Promise<void> {
    await page.reload();
    await page.locator(`[data-testid="app-status"][data-status="${status}"]`).waitFor();
  }

  /** axe-core on one region of the page: no violation of WCAG A/AA. */
  async function axeViolations(selector: string): Promise<string[]> {
    // Evaluated through the DevTools protocol: the page's CSP (script-src 'self') refuses an injected script tag, rightly.
    if (!(await page.evaluate(() => 'axe' in globalThis))) await page.evaluate(fs.readFileSync(AXE, 'utf8'));
    return page.evaluate(async (sel) => {
      const axe = (
        globalThis as unknown as {
          axe: { run: (ctx: unknown, opts: unknown) => Promise<{ violations: Array<{ id: string; nodes: unknown[] }> }> };
        }
      ).axe;
      const result = await axe.run({ include: [sel] }, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21aa'] } });
      return result.violations.map((v) => `${v.id} (${v.nodes.length})`);
    }, selector);
  }

  it('follows a filing to 手続終了: stepper, 到達番号, 公文書 and a read-only summary', async () => {
    const title = '新入社員 資格取得（進捗）';
    const id = await readyApplication(title);

    // Before submission: the editor with the compact 下書き → 入力チェック → 提出, at 提出.
    await page.goto(`${base}/applications/${id}`);
    await page.locator('[data-testid="app-status"][data-status="ready"]').waitFor();
    await page.locator('[data-testid="application-progress"][data-track="draft"]').waitFor();
    expect(await current().getAttribute('data-key')).toBe('submit');
    expect(await page.getByTestId('procedure-form').count()).toBe(1);
    expect(await page.getByTestId('application-summary').count()).toBe(0);

    // Submitted: 送信中 is the current step, the form is a summary.
    await page.getByTestId('submit-egov').click();
    await page.getByTestId('submit-dialog').getByTestId('confirm-ok').click();
    await page.locator('[data-testid="app-status"][data-status="submitting"]').waitFor();
    await page.locator('[data-testid="application-progress"][data-track="filing"]').waitFor();
    expect(await current().getAttribute('data-key')).toBe('submitting');
    await page.getByTestId('application-summary').waitFor();
    expect(await page.getByTestId('progress-arrive-id').innerText()).toBe('まだありません');

    // Sent, arrived: the 到達番号 and the time it was submitted, in JST.
    expect(await t.app.get(SubmissionsService).runDue()).toBeGreaterThanOrEqual(1);
    await reloadAt('arrived');
    const arriveId = (await t.ds.query(`SELECT arrive_id FROM applications WHERE id = $1`, [id]))[0].arrive_id as string;
    expect(arriveId).toMatch(/^\d{16,18}$/);
    expect(await page.getByTestId('progress-arrive-id').innerText()).toBe(arriveId);
    expect(await page.getByTestId('progress-submitted-at').innerText()).toMatch(/^\d{4}\/\d{2}\/\d{2} \d{2}:\d{2} JST$/);
    expect(await current().getAttribute('data-key')).toBe('arrived');

    // Through review to 手続終了 on the simulator's clock.
    const tracker = t.app.get(StatusTrackerService);
    now += 1500;
    await tracker.pollAll();
    await reloadAt('under_review');
    expect(await current().getAttribute('data-key')).toBe('under_review');
    now += 1500;
    await tracker.pollAll(); // 審査終了: the 公文書 are fetched
    now += 10;
    await tracker.pollAll(); // 手続終了
    await reloadAt('completed');

    // The stepper: every step before done, 手続終了 the current one, in words.
    const steps = page.locator('[data-testid="application-progress"] ol > li');
    expect(await steps.evaluateAll((els) => els.map((e) => `${e.getAttribute('data-key')}:${e.getAttribute('data-state')}`))).toEqual([
      'submitting:done',
      'arrived:done',
      'under_review:done',
      'review_finished:done',
      'completed:current',
    ]);
    expect(await current().innerText()).toContain('手続終了');
    expect(await current().innerText()).toContain('現在');
    expect(await page.getByTestId('progress-next').innerText()).toContain('手続が終了しました。');

    // The 公文書 beside it: a button per document, the PDF downloads.
    const buttons = page.getByTestId('progress-document');
    await buttons.first().waitFor();
    expect(await buttons.count()).toBeGreaterThanOrEqual(1);
    for (const text of await buttons.allInnerTexts()) expect(text).not.toMatch(/999X|\d{16}/);
    const pdf = buttons.filter({ has: page.locator('xpath=self::a[contains(@download, ".pdf")]') });
    const link = (await pdf.count()) > 0 ? pdf.first() : buttons.first();
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    expect(download.suggestedFilename()).toBe(await link.getAttribute('download'));
    expect(fs.statSync((await download.path())!).size).toBeGreaterThan(0);

    // The form: a read-only summary (label: value), no inputs; the 個人番号 masked until 表示.
    const summary = page.getByTestId('application-summary');
    expect(await page.getByTestId('procedure-form').count()).toBe(0);
    expect(await summary.locator('input, select, textarea').count()).toBe(0);
    expect(await page.getByTestId('summary-value-familyNameKana').innerText()).toBe('ヤマダ');
    expect(await page.getByTestId('summary-value-birthDate').innerText()).toBe('平成2年4月1日（1990年4月1日）');
    expect(await page.getByTestId('summary-value-myNumber').innerText()).toMatch(/^\*+9018$/);
    expect(await page.getByTestId('app-title-text').innerText()).toBe(title);
    expect(await page.getByTestId('validate').count()).toBe(0);
    expect(await page.getByTestId('app-delete').count()).toBe(0);
    const viewed = async () =>
      Number(
        (
          await t.ds.query(`SELECT count(*)::int AS n FROM audit_events WHERE action = 'application.sensitive_viewed' AND target_id = $1`, [
            id,
          ])
        )[0].n,
      );
    expect(await viewed()).toBe(0);
    await page.getByTestId('summary-reveal-myNumber').click();
    await page.getByTestId('summary-value-myNumber').filter({ hasText: '123456789018' }).waitFor();
    expect(await viewed()).toBe(1);

    // Expanded: the whole form, every control disabled.
    await page.getByTestId('summary-toggle').click();
    expect(await page.getByTestId('summary-toggle').getAttribute('aria-expanded')).toBe('true');
    await page.getByTestId('procedure-form').waitFor();
    expect(await page.getByTestId('field-familyNameKana').isDisabled()).toBe(true);
    await page.getByTestId('summary-toggle').click();
    await page.getByTestId('procedure-form').waitFor({ state: 'detached' });

    // Accessible: the stepper and the summary pass axe-core (WCAG 2.1 AA).
    expect(await axeViolations('[data-testid="application-progress"]')).toEqual([]);
    expect(await axeViolations('[data-testid="application-summary"]')).toEqual([]);

    fs.mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SHOTS, 'application-progress-completed.png'), fullPage: true });
  });
});
