import type { AddressInfo } from 'node:net';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { addDays, todayInJapan } from '@charlotte/procedures';
import { login, LoggedIn, PASSWORD, seedTenant, Seeded, startTestApp, TestApp, testKeys } from '../support/app';
import { launchChromium, loginThroughSpa, WEB_DIST } from '../support/browser';

const AXE = path.resolve(__dirname, '../../node_modules/axe-core/axe.min.js');

interface AxeResult {
  violations: Array<{ id: string; impact: string | null; nodes: Array<{ target: unknown[] }> }>;
}

/**
 * Issue 18, "Home as a dashboard", in Chromium: a new tenant's administrator
 * lands on a home that says what to do next (the onboarding checklist, with a
 * link per step), and a draft they create appears in the counts and, past its
 * 提出期限, as overdue in words, on the home page and in the list.
 */
describe('SPA: dashboard home (issue 18)', () => {
  let t: TestApp;
  let fresh: Seeded;
  let admin: LoggedIn;
  let browser: Browser;
  let base: string;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    t = await startTestApp({ WEB_DIST_DIR: WEB_DIST });
    await t.app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    fresh = await seedTenant(t, 'fresh');
    admin = await login(t, 'fresh', fresh.adminEmail);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });
  beforeEach(async () => {
    page = await browser.newPage({ locale: 'ja-JP' });
    page.setDefaultTimeout(15_000);
    errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
  });
  afterEach(() => page.close());

  async function loginAdmin(): Promise<void> {
    await loginThroughSpa(page, base, {
      tenant: 'fresh',
      email: fresh.adminEmail,
      password: PASSWORD,
      userId: fresh.adminId,
      key: testKeys.get(`fresh/${fresh.adminEmail}`)!,
    });
    // The login page's session probe answers 401 before the login, as it should: count errors from here on.
    errors.length = 0;
  }

  /** axe-core on the page as it stands: no serious or critical violation (contrast included). */
  async function axe(): Promise<AxeResult['violations']> {
    // Evaluated through the DevTools protocol: the app's CSP (script-src 'self') refuses an injected <script>, rightly.
    await page.evaluate(fs.readFileSync(AXE, 'utf8'));
    // A string: this file is compiled without the DOM types; it runs in the page.
    const result = (await page.evaluate(`axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa'] } })`)) as AxeResult;
    return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  }

  it('shows a new tenant admin the checklist with a link per step, and nothing counted yet', async () => {
    await loginAdmin();
    await page.waitForURL(`${base}/`);
    const checklist = page.getByTestId('onboarding');
    await checklist.waitFor();
    expect(await checklist.getByRole('heading').innerText()).toBe('はじめにやること');
    const steps = page.getByTestId('onboarding-step');
    expect(await steps.count()).toBe(4);
    expect(await steps.evaluateAll((els) => els.map((e) => [e.getAttribute('data-step'), e.getAttribute('data-done')]))).toEqual([
      ['office', 'false'],
      ['egov', 'false'],
      ['application', 'false'],
      ['keyfile', 'false'],
    ]);
    expect(await steps.nth(3).innerText()).toContain('キーファイルを安全に保管');
    expect(await page.getByTestId('count-draft').getByTestId('count-value').innerText()).toBe('0件');
    expect(await page.getByTestId('deadlines-empty').innerText()).toBe('期限が近い未提出の申請はありません。');
    expect(await axe()).toEqual([]);

    await page.getByTestId('onboarding-link-office').click();
    await page.waitForURL(`${base}/offices`);
    expect(errors).toEqual([]);
  });

  it('counts a draft the admin created, shows it overdue in words, and opens the filtered list from its card', async () => {
    const office = await admin.agent
      .post('/api/v1/offices')
      .set('X-CSRF-Token', admin.csrf)
      .send({ name: '本社', address: '東京都千代田区霞が関1-2-2' })
      .expect(201);
    // 資格取得日 30 days ago: its 5-day deadline has passed whatever today is.
    await admin.agent
      .post('/api/v1/applications')
      .set('X-CSRF-Token', admin.csrf)
      .send({
        procedureCode: 'shaho-shutoku',
        officeId: office.body.id,
        title: '山田太郎 資格取得届',
        form: { acquisitionDate: addDays(todayInJapan(), -30) },
      })
      .expect(201);

    await loginAdmin();
    await page.waitForURL(`${base}/`);
    const draftCard = page.getByTestId('count-draft');
    await draftCard.waitFor();
    expect(await draftCard.getByTestId('count-value').innerText()).toBe('1件');
    const done = await page
      .getByTestId('onboarding-step')
      .evaluateAll((els) => Object.fromEntries(els.map((e) => [e.getAttribute('data-step'), e.getAttribute('data-done')])));
    expect(done).toEqual({ office: 'true', egov: 'false', application: 'true', keyfile: 'false' });

    const row = page.getByTestId('deadline-row');
    expect(await row.count()).toBe(1);
    expect(await row.innerText()).toContain('山田太郎 資格取得届');
    const due = row.getByTestId('due-date');
    expect(await due.getAttribute('data-overdue')).toBe('true');
    expect(await due.innerText()).toContain('期限超過');
    // Not colour alone: the word and an icon are there, and the red text still reads (axe checks the contrast).
    expect(await page.getByTestId('deadlines-overdue-count').innerText()).toContain('期限超過 1件');
    expect(await axe()).toEqual([]);

    await draftCard.click();
    await page.waitForURL(`${base}/applications?status=draft`);
    const listed = page.getByTestId('app-row');
    await listed.first().waitFor();
    expect(await listed.count()).toBe(1);
    expect(await listed.getByTestId('due-date').innerText()).toContain('期限超過');
    expect(errors).toEqual([]);
  });
});
