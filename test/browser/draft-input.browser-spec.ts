import * as net from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { PASSWORD, seedTenant, Seeded, startTestApp, TestApp, testKeys } from '../support/app';
import { launchChromium, loginThroughSpa, WEB_DIST } from '../support/browser';

/**
 * Issue 18 bug 4 in Chromium: 「２５０，０００」 in 報酬月額 used to stop the
 * whole draft from saving (「保存できませんでした」, the old summary staying).
 * Now the field takes the form's spelling when left, the draft saves, a value
 * that still does not fit is saved with its error at the field, and the
 * check's summary drops what the save made stale.
 */
describe('SPA: a draft saves what a Japanese office worker types', () => {
  let t: TestApp;
  let acme: Seeded;
  let browser: Browser;
  let base: string;
  let page: Page;

  beforeAll(async () => {
    t = await startTestApp({ WEB_DIST_DIR: WEB_DIST });
    await t.app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(t.app.getHttpServer().address() as net.AddressInfo).port}`;
    acme = await seedTenant(t, 'acme');
    browser = await launchChromium();
    page = await browser.newPage({ locale: 'ja-JP' });
    page.setDefaultTimeout(15_000);
    await loginThroughSpa(page, base, {
      tenant: 'acme',
      email: acme.memberEmail,
      password: PASSWORD,
      userId: acme.memberId,
      key: testKeys.get(`acme/${acme.memberEmail}`)!,
    });
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  const saved = () => page.getByTestId('autosave-status').and(page.locator('[data-state="saved"]')).waitFor();

  it('normalises 全角 numbers, saves a field that does not fit with its error, and clears the stale summary', async () => {
    await page.getByTestId('nav-offices').click();
    await page.getByTestId('office-new').click();
    await page.getByTestId('office-name').fill('株式会社アクメ 本社');
    await page.getByTestId('office-save').click();
    await page.getByTestId('office-row').filter({ hasText: '株式会社アクメ 本社' }).waitFor();
    await page.getByTestId('nav-applications').click();
    await page.getByTestId('app-new').click();
    await page.getByTestId('app-new-procedure').selectOption('shaho-shutoku');
    await page.getByTestId('app-new-office').selectOption({ label: '株式会社アクメ 本社' });
    await page.getByTestId('app-new-title').fill('全角入力');
    await page.getByTestId('app-new-submit').click();
    await page.waitForURL(/\/applications\/[0-9a-f-]{36}$/);

    await page.getByTestId('validate').click();
    await page.getByTestId('validation-summary').waitFor();
    const summaryHas = (label: string) => page.getByTestId('validation-link').filter({ hasText: label }).count();
    expect(await summaryHas('報酬月額（通貨）')).toBe(1);

    await page.getByTestId('field-remunerationCash').fill('２５０，０００');
    await page.getByTestId('field-remunerationCash').press('Tab');
    expect(await page.getByTestId('field-remunerationCash').inputValue()).toBe('250000');
    await page.getByTestId('field-familyNameKana').fill('ﾔﾏﾀﾞ');
    await page.getByTestId('field-familyNameKana').press('Tab');
    expect(await page.getByTestId('field-familyNameKana').inputValue()).toBe('ヤマダ');
    await saved();
    expect(await summaryHas('報酬月額（通貨）')).toBe(0);

    await page.getByTestId('field-remunerationTotal').fill('25万');
    await page.getByTestId('field-remunerationTotal').press('Tab');
    await saved();
    await page.getByTestId('field-error-remunerationTotal').filter({ hasText: '整数' }).waitFor();
    expect(await page.getByTestId('autosave-status').innerText()).not.toContain('保存できませんでした');

    await page.reload();
    await page.getByTestId('procedure-form').waitFor();
    expect(await page.getByTestId('field-remunerationCash').inputValue()).toBe('250000');
    expect(await page.getByTestId('field-familyNameKana').inputValue()).toBe('ヤマダ');
    expect(await page.getByTestId('field-remunerationTotal').inputValue()).toBe('25万');
    await page.getByTestId('field-error-remunerationTotal').filter({ hasText: '整数' }).waitFor();
  });
});
