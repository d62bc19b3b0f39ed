import * as fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { login, PASSWORD, seedTenant, Seeded, startTestApp, TestApp, testKeys } from '../support/app';
import { clickNav, launchChromium, loginThroughSpa, WEB_DIST } from '../support/browser';

/**
 * Issue 18 「監査ログ in words」 in a real Chromium: the audit log reads in Japanese (labels, never
 * raw codes such as `application.created`), and 対象 is the application's title, a link to it.
 */
describe('SPA: audit log in words', () => {
  let t: TestApp;
  let acme: Seeded;
  let browser: Browser;
  let base: string;
  let page: Page;
  let applicationId: string;

  beforeAll(async () => {
    t = await startTestApp({ WEB_DIST_DIR: WEB_DIST });
    await t.app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    acme = await seedTenant(t, 'words');
    const api = await login(t, 'words', acme.adminEmail);
    const officeId = (await api.agent.post('/api/v1/offices').set('X-CSRF-Token', api.csrf).send({ name: '本社' }).expect(201)).body.id;
    applicationId = (
      await api.agent
        .post('/api/v1/applications')
        .set('X-CSRF-Token', api.csrf)
        .send({ procedureCode: 'shaho-shutoku', officeId, title: '山田太郎 資格取得届', form: {} })
        .expect(201)
    ).body.id;
    browser = await launchChromium();
    page = await browser.newPage({ locale: 'ja-JP' });
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('shows Japanese labels and the application’s title as 対象, linked to the application', async () => {
    await loginThroughSpa(page, base, {
      tenant: 'words',
      email: acme.adminEmail,
      password: PASSWORD,
      userId: acme.adminId,
      key: testKeys.get(`words/${acme.adminEmail}`)!,
    });
    await clickNav(page, 'nav-audit');
    await page.getByTestId('audit-row').first().waitFor();

    const table = await page.getByTestId('audit-table').innerText();
    expect(table).toContain('ログイン');
    expect(table).toContain('事業所を登録');
    expect(table).toContain('申請を作成');
    expect(table).toContain('申請「山田太郎 資格取得届」');
    expect(table).toContain('事業所「本社」');
    // No raw action code anywhere in the list.
    expect(table).not.toMatch(/\b(auth|application|office|user)\.[a-z_]+\b/);

    // WCAG 2 A/AA checks of the page with axe-core (conventions.md 15); evaluated, as the CSP refuses inline scripts.
    await page.evaluate(fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8'));
    // A string, as the test's TypeScript has no DOM types.
    const violations: Array<{ id: string; targets: unknown[] }> = await page.evaluate(
      `axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa'] } })
         .then((r) => r.violations.map((v) => ({ id: v.id, targets: v.nodes.map((n) => n.target) })))`,
    );
    expect(violations).toEqual([]);

    // The action filter offers words too, and filters by the code behind them.
    await page.getByTestId('audit-filter-action').selectOption({ label: '申請を作成' });
    await page.getByTestId('audit-search').click();
    await page.waitForURL((u) => u.searchParams.get('action') === 'application.created');
    // The URL changes before the filtered answer arrives: wait for the list to be replaced (the
    // unfiltered rows stay on screen meanwhile), failing on a timeout when it never narrows to one.
    await page.getByTestId('audit-row').nth(1).waitFor({ state: 'detached' });
    await page.getByTestId('audit-row').first().waitFor();
    expect(await page.getByTestId('audit-row').count()).toBe(1);

    // The drawer keeps the code as secondary text for support.
    await page.getByTestId('audit-row').first().click();
    await page.getByTestId('audit-detail').waitFor();
    expect(await page.getByTestId('audit-detail-action').innerText()).toBe('申請を作成');
    expect(await page.getByTestId('audit-detail-action-code').innerText()).toBe('application.created');
    await page.keyboard.press('Escape');

    await page.getByTestId('audit-target-link').first().click();
    await page.waitForURL((u) => u.pathname === `/applications/${applicationId}`);
  });
});
