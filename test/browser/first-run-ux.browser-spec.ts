import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { UsersService } from '@charlotte/auth';
import { MY_NUMBER, VALID_FORMS } from '@charlotte/procedures';
import { login, PASSWORD, seedTenant, Seeded, startTestApp, TestApp, testKeys } from '../support/app';
import { launchChromium, loginThroughSpa, WEB_DIST } from '../support/browser';
import { expectNoAxeViolations } from '../support/axe';

/** WCAG relative luminance of an `rgb(…)`/`rgba(…)` colour as getComputedStyle answers it. */
function luminance(css: string): number {
  const [r, g, b] = (css.match(/[\d.]+/g) ?? []).slice(0, 3).map((v) => {
    const c = Number(v) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}
function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

/**
 * Issue 18, bugs 1, 2 and 8 as a new user meets them in Chromium: the operator's
 * setup link, お知らせ (bell and page), and the 個人番号 shown only on request.
 */
describe('SPA: first-run journey (issue 18)', () => {
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
    acme = await seedTenant(t, 'acme');
    const member = await login(t, 'acme', acme.memberEmail);
    const office = await member.agent.post('/api/v1/offices').set('X-CSRF-Token', member.csrf).send({ name: '本社' }).expect(201);
    const created = await member.agent
      .post('/api/v1/applications')
      .set('X-CSRF-Token', member.csrf)
      .send({ procedureCode: 'shaho-shutoku', officeId: office.body.id, title: '山田 資格取得', form: VALID_FORMS['shaho-shutoku'] })
      .expect(201);
    applicationId = created.body.id;
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });
  beforeEach(async () => {
    page = await browser.newPage({ locale: 'ja-JP' });
    page.setDefaultTimeout(15_000);
  });
  afterEach(() => page.close());

  async function loginMember(): Promise<void> {
    await loginThroughSpa(page, base, {
      tenant: 'acme',
      email: acme.memberEmail,
      password: PASSWORD,
      userId: acme.memberId,
      key: testKeys.get(`acme/${acme.memberEmail}`)!,
    });
  }

  async function sensitiveViews(): Promise<number> {
    const rows = await t.ds.query(
      `SELECT count(*)::int AS n FROM audit_events WHERE action = 'application.sensitive_viewed' AND target_id = $1`,
      [applicationId],
    );
    return rows[0].n;
  }

  it('bug 1: the operator setup link ends on a page that says how to log in (契約コード platform)', async () => {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const { invitation } = await t.app.get(UsersService).createOperator('op@platform.example', undefined);
    await page.goto(`${base}/invite/${invitation!.token}`);
    await page.getByTestId('invite-password').fill(PASSWORD);
    await page.getByTestId('invite-confirm').fill(PASSWORD);
    await page.getByTestId('invite-submit').click();
    const success = page.getByTestId('invite-success');
    await success.waitFor();
    const text = await success.innerText();
    expect(text).toContain('パスワードを設定しました。');
    expect(text).toContain('platform');
    expect(text).toContain('キーファイル');
    expect(errors).toEqual([]);

    await page.getByTestId('invite-login-link').click();
    await page.waitForURL(/\/login/);
    expect(await page.getByTestId('login-tenant').inputValue()).toBe('platform');
    expect(await page.getByTestId('login-email').inputValue()).toBe('op@platform.example');
  });

  it('bug 8: opening an application shows the 個人番号 masked and audits nothing; 表示 audits once and shows it', async () => {
    await loginMember();
    const before = await sensitiveViews();
    for (let i = 0; i < 3; i++) {
      await page.goto(`${base}/applications/${applicationId}`);
      await page.getByTestId('field-myNumber').waitFor();
      await page.waitForLoadState('networkidle');
      expect(await page.getByTestId('field-myNumber').inputValue()).toBe('********9018');
    }
    expect(await sensitiveViews()).toBe(before);

    await page.getByTestId('field-toggle-myNumber').click();
    await page.locator('[data-testid="field-myNumber"][type="text"]').waitFor();
    await page.locator(`[data-testid="field-myNumber"][type="text"]`).and(page.locator(':not([data-masked="true"])')).waitFor();
    expect(await page.getByTestId('field-myNumber').inputValue()).toBe(MY_NUMBER);
    expect(await sensitiveViews()).toBe(before + 1);

    // Editing another field saves the draft; the stored 個人番号 is kept (not the mask).
    await page.goto(`${base}/applications/${applicationId}`);
    await page.getByTestId('field-givenName').fill('次郎');
    await page.getByTestId('autosave-status').and(page.locator('[data-state="saved"]')).waitFor();
    const member = await login(t, 'acme', acme.memberEmail);
    const clear = await member.agent.get(`/api/v1/applications/${applicationId}?unmask=sensitive`).expect(200);
    expect(clear.body.form).toMatchObject({ givenName: '次郎', myNumber: MY_NUMBER });
  });

  it('bug 2: the bell panel is readable, links to the お知らせ page, which lists, opens and marks read', async () => {
    await t.ds.query(
      `INSERT INTO notices (tenant_id, user_id, application_id, kind, created_at, read_at) VALUES
         ($1, $2, $3, 'arrived', now() - interval '2 hours', now() - interval '1 hour'),
         ($1, $2, $3, 'completed', now() - interval '30 minutes', NULL),
         ($1, $2, $3, 'document_received', now() - interval '40 minutes', NULL)`,
      [acme.tenantId, acme.memberId, applicationId],
    );
    await loginMember();
    await page.getByTestId('notices-bell').click();
    await page.getByTestId('notices-panel').waitFor();
    await expectNoAxeViolations(page, 'home with the お知らせ panel open');
    // The title's colour against the panel's background (the header's white links must not reach it).
    const colours = {
      fg: await page
        .locator('[data-testid="notices-panel"] .notice-text')
        .first()
        .evaluate((el) => el.ownerDocument.defaultView!.getComputedStyle(el).color),
      bg: await page.getByTestId('notices-panel').evaluate((el) => el.ownerDocument.defaultView!.getComputedStyle(el).backgroundColor),
    };
    expect(contrast(colours.fg, colours.bg)).toBeGreaterThanOrEqual(4.5);

    await page.getByTestId('notices-all').click();
    await page.waitForURL(/\/notices$/);
    expect(await page.locator('h1').innerText()).toBe('お知らせ');
    const rows = page.getByTestId('notices-page-item');
    await rows.nth(2).waitFor();
    expect(await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-read')))).toEqual(['false', 'false', 'true']);
    expect(await rows.first().innerText()).toContain('手続が終了しました');

    await rows.nth(1).getByTestId('notices-page-read').click();
    await page.locator('[data-testid="notices-page-item"][data-read="false"]').nth(1).waitFor({ state: 'detached' });
    await page.getByTestId('notices-page-read-all').click();
    await page.locator('[data-testid="notices-page-item"][data-read="false"]').first().waitFor({ state: 'detached' });
    const unread = await t.ds.query(`SELECT count(*)::int AS n FROM notices WHERE tenant_id = $1 AND read_at IS NULL`, [acme.tenantId]);
    expect(unread[0].n).toBe(0);

    await rows.first().getByTestId('notices-page-link').click();
    await page.waitForURL(new RegExp(`/applications/${applicationId}$`));
  });
});
