import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { EgovActionsService, StatusTrackerService, SubmissionsService } from '@charlotte/filing';
import { problem } from '../../apps/egov-sim/src/http';
import type { EgovSim } from '../../apps/egov-sim/src/server';
import { PASSWORD, seedTenant, Seeded, startTestApp, TestApp, testKeys } from '../support/app';
import { clickNav, launchChromium, loginThroughSpa, WEB_DIST } from '../support/browser';
import { egovEnv, EgovProxy, startAppOn, startEgovProxy, startTestSim, VALID_FORM } from '../support/egov';

/** Where this spec leaves its screenshots (git-ignored). */
const SHOTS = path.resolve(__dirname, '../../test-results/browser');

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/**
 * Filing with e-Gov from the SPA, against apps/egov-sim on a fast clock: the
 * admin links the e-Gov account through the simulator's login page, submits a
 * ready 資格取得届 with the confirmation dialog, sees it arrive and finish
 * (status, history, notices bell) and downloads the official PDF; a filing
 * e-Gov refuses shows as failed with e-Gov's reason.
 */
describe('SPA: filing with e-Gov (simulator)', () => {
  let now = Date.now();
  let sim: EgovSim;
  let front: EgovProxy;
  let t: TestApp;
  let acme: Seeded;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let base: string;
  let officeId: string;

  beforeAll(async () => {
    sim = await startTestSim(() => now);
    front = await startEgovProxy(sim);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    t = await startTestApp({
      WEB_DIST_DIR: WEB_DIST,
      PUBLIC_URL: base,
      ...egovEnv(sim, front.url),
      // The login page on another site (localhost vs 127.0.0.1), as the real e-Gov login is: its redirect back
      // to /api/v1/egov/link/callback carries no SameSite=Strict session cookie, and the link must still finish.
      EGOV_AUTH_BASE: sim.authUrl.replace('127.0.0.1', 'localhost'),
    });
    await t.app.listen(port, '127.0.0.1');
    acme = await seedTenant(t, 'acme');
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
    await front?.close();
    await sim?.close();
  });

  /** A JSON POST with the browser's own session (its cookie, and the CSRF token the session hands out). */
  async function apiPost<T>(url: string, data?: unknown): Promise<T> {
    const csrf = ((await (await page.request.get(`${base}/api/v1/auth/session`)).json()) as { csrfToken: string }).csrfToken;
    const res = await page.request.post(`${base}/api/v1${url}`, { headers: { 'X-CSRF-Token': csrf }, data });
    if (!res.ok()) throw new Error(`POST ${url}: ${res.status()} ${await res.text()}`);
    return (await res.json()) as T;
  }

  /** An office with what the 資格取得届 package needs, and a ready application in it. */
  async function readyApplication(title: string): Promise<string> {
    officeId ??= (
      await apiPost<{ id: string }>('/offices', {
        name: '株式会社アクメ 本社',
        // The 都道府県 of the address is the 都道府県コード of the real 申請書.
        address: '東京都千代田区霞が関1-2-3',
        pensionOfficeCode: '01-イロハ',
        pensionOfficeNumber: '12345',
      })
    ).id;
    const { id } = await apiPost<{ id: string }>('/applications', {
      procedureCode: 'shaho-shutoku',
      officeId,
      title,
      form: VALID_FORM,
    });
    expect(await apiPost(`/applications/${id}/validate`)).toMatchObject({ valid: true, status: 'ready' });
    return id;
  }

  /** In the editor: 「e-Govへ提出」, the dialog says what goes, 「提出する」. */
  async function submitInEditor(id: string, title: string): Promise<void> {
    await page.goto(`${base}/applications/${id}`);
    await page.locator('[data-testid="app-status"][data-status="ready"]').waitFor();
    await page.getByTestId('submit-egov').click();
    const dialog = page.getByTestId('submit-dialog');
    await dialog.waitFor();
    expect(await dialog.getByTestId('submit-title').innerText()).toBe(title);
    expect(await dialog.getByTestId('submit-office').innerText()).toBe('株式会社アクメ 本社');
    await dialog.getByTestId('confirm-ok').click();
    await page.getByTestId('submit-accepted').waitFor();
    await page.locator('[data-testid="app-status"][data-status="submitting"]').filter({ hasText: '送信中' }).waitFor();
    await dialog.waitFor({ state: 'hidden' });
  }

  async function reloadEditorAt(status: string): Promise<void> {
    await page.reload();
    await page.locator(`[data-testid="app-status"][data-status="${status}"]`).waitFor();
  }

  const timelineChanges = async () => (await page.getByTestId('timeline-change').allInnerTexts()).map((s) => s.trim());

  it('links e-Gov, submits a ready application, follows it to 手続終了 and downloads the official PDF', async () => {
    // 1. e-Gov settings: link, log in at the simulator, back with ?linked=1.
    await clickNav(page, 'nav-egov');
    await page.locator('[data-testid="egov-status"][data-linked="false"]').filter({ hasText: '未連携' }).waitFor();
    await page.getByTestId('egov-link').click();
    const simOrigin = new URL(sim.authUrl.replace('127.0.0.1', 'localhost')).origin;
    await page.waitForURL((u) => u.origin === simOrigin && u.pathname === '/auth/auth');
    await page.getByLabel('e-Gov アカウント ID').fill('sharoushi-001');
    await page.getByRole('button', { name: 'ログイン', exact: true }).click();
    await page.waitForURL((u) => u.origin === base && u.pathname === '/settings/egov' && u.searchParams.get('linked') === '1');
    await page.getByTestId('egov-linked-notice').filter({ hasText: 'e-Govアカウントを連携しました。' }).waitFor();
    await page.locator('[data-testid="egov-status"][data-linked="true"]').filter({ hasText: '連携済み' }).waitFor();
    await page.getByTestId('egov-linked-at').waitFor();
    expect(await page.getByTestId('egov-link-error').count()).toBe(0);

    // 2. A ready application, submitted from the editor.
    const title = '新入社員 資格取得（山田 太郎）';
    const id = await readyApplication(title);
    await submitInEditor(id, title);
    expect(await timelineChanges()).toContain('提出準備完了 → 送信中');

    // 3. The job sends it; the simulator's clock moves it through review.
    expect(await t.app.get(SubmissionsService).runDue()).toBeGreaterThanOrEqual(1);
    await reloadEditorAt('arrived');
    expect(await page.getByTestId('app-status').innerText()).toBe('到達');
    expect(await timelineChanges()).toContain('送信中 → 到達');

    const tracker = t.app.get(StatusTrackerService);
    now += 1500;
    await tracker.pollAll();
    await reloadEditorAt('under_review');
    now += 1500;
    await tracker.pollAll(); // 審査終了: the official documents are fetched and acknowledged
    now += 10;
    await tracker.pollAll(); // 手続終了
    await reloadEditorAt('completed');
    expect(await page.getByTestId('app-status').innerText()).toBe('手続終了');
    expect(await page.getByTestId('editor-read-only').innerText()).toContain('手続終了');
    const changes = await timelineChanges();
    expect(changes).toEqual(expect.arrayContaining(['提出準備完了 → 送信中', '送信中 → 到達', '到達 → 審査中']));
    expect(changes[changes.length - 1]).toMatch(/→ 手続終了$/);
    expect(await page.getByTestId('timeline-egov-status').allInnerTexts()).toEqual(expect.arrayContaining(['e-Gov: 手続終了']));
    expect(await page.getByTestId('submit-egov').count()).toBe(0);

    // The notices bell: an unread badge, and the panel lists arrival, documents and completion.
    const badge = page.getByTestId('notices-count');
    await badge.waitFor();
    const unread = Number(await badge.innerText());
    expect(unread).toBeGreaterThanOrEqual(3);
    expect(await page.getByRole('button', { name: `お知らせ（未読 ${unread} 件）` }).count()).toBe(1);
    await page.getByTestId('notices-bell').click();
    await page.getByTestId('notices-panel').waitFor();
    const items = page.getByTestId('notice-item');
    const texts = await page.locator('[data-testid="notice-item"] .notice-text').allInnerTexts();
    expect(texts).toEqual(expect.arrayContaining(['申請が到達しました', '手続が終了しました', '公文書が届きました']));
    const completedNotice = items.filter({ hasText: '手続が終了しました' });
    expect(await completedNotice.getAttribute('data-read')).toBe('false');
    await completedNotice.getByTestId('notice-link').click();
    await page.locator('[data-testid="notice-item"][data-read="true"]').filter({ hasText: '手続が終了しました' }).waitFor();
    await page
      .getByTestId('notices-count')
      .filter({ hasText: String(unread - 1) })
      .waitFor();
    await page.keyboard.press('Escape');
    await page.getByTestId('notices-panel').waitFor({ state: 'hidden' });

    // 4. The official documents: listed, the PDF downloads and previews as a PDF.
    const panel = page.getByTestId('documents-panel');
    await panel.getByTestId('documents-table').waitFor();
    expect(await panel.getByTestId('document-row').count()).toBeGreaterThanOrEqual(2);
    const pdfRow = panel.getByTestId('document-row').filter({ has: page.getByTestId('document-preview') });
    expect(await pdfRow.count()).toBe(1);
    const fileName = (await pdfRow.locator('td').first().innerText()).trim();
    expect(fileName).toMatch(/\.pdf$/i);

    const [download] = await Promise.all([page.waitForEvent('download'), pdfRow.getByTestId('document-download').click()]);
    expect(download.suggestedFilename()).toBe(fileName);
    const bytes = fs.readFileSync((await download.path())!);
    expect(bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');

    const [preview] = await Promise.all([
      context.waitForEvent('response', (r) => r.url().includes(`/api/v1/applications/${id}/documents/`) && r.url().endsWith('?inline=1')),
      pdfRow.getByTestId('document-preview').click(),
    ]);
    expect(preview.status()).toBe(200);
    expect(preview.headers()['content-type']).toMatch(/^application\/pdf/);
    expect(preview.headers()['content-disposition']).toMatch(/^inline;/);
    for (const p of context.pages()) if (p !== page) await p.close();

    // 5. What a person sees at the end.
    fs.mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SHOTS, 'filing-completed.png'), fullPage: true });
  });

  it('with the jobs on their schedule, the open page follows a filing by itself to 手続終了', async () => {
    // A second instance on the same database runs the scheduled jobs (the 5 s worker, the poll every second),
    // as a replica would; the page is served by the first and refreshes on its own.
    const worker = await startAppOn(t, { ...egovEnv(sim, front.url), EGOV_POLL_CRON: '* * * * * *' }, { schedule: true });
    try {
      const title = '資格取得（自動で追跡）';
      const id = await readyApplication(title);
      await submitInEditor(id, title);
      const statusIs = (status: string) => page.locator(`[data-testid="app-status"][data-status="${status}"]`).waitFor({ timeout: 30_000 });
      await statusIs('arrived'); // sent by the scheduled worker, seen by the page's own refresh
      now += 1500;
      await statusIs('under_review');
      now += 1500;
      await statusIs('completed'); // documents fetched and acknowledged on the way
      await page.getByTestId('documents-panel').getByTestId('document-row').first().waitFor({ timeout: 30_000 });
    } finally {
      await worker.close();
    }
  });

  it('e-Gov asks for a correction: the user reads the notice, corrects the form, sends the 補正, then withdraws', async () => {
    sim.state.setFailurePlan([{ correctionFor: 'next' }]);
    const title = '資格取得（補正あり）';
    const id = await readyApplication(title);
    await submitInEditor(id, title);
    await t.app.get(SubmissionsService).runDue();
    const tracker = t.app.get(StatusTrackerService);
    now += 1500;
    await tracker.pollAll();
    now += 1500;
    await tracker.pollAll();
    await reloadEditorAt('correction_requested');
    const banner = page.getByTestId('correction-banner');
    expect(await banner.getByTestId('correction-body').innerText()).toContain('部分補正');
    expect(await page.getByTestId('app-status').innerText()).toBe('補正待ち');

    // The form is editable again: correct the address, autosaved.
    const address = page.getByTestId('field-address');
    expect(await address.isDisabled()).toBe(false);
    await address.fill('東京都千代田区霞が関1-2-3');
    await page.getByTestId('autosave-status').filter({ hasText: '保存済み' }).waitFor();
    await page.getByTestId('amend-open').click();
    const amendDialog = page.getByTestId('amend-dialog');
    await amendDialog.getByTestId('confirm-ok').click();
    await page.locator('[data-testid="action-sending"][data-kind="amend"]').waitFor();
    // Nothing changes while the 補正 is on its way: the form is a read-only summary of what is sent.
    await page.getByTestId('application-summary').waitFor();
    expect(await address.count()).toBe(0);
    expect(await page.getByTestId('summary-value-address').innerText()).toBe('東京都千代田区霞が関1-2-3');

    expect(await t.app.get(EgovActionsService).runDue()).toBe(1);
    await reloadEditorAt('under_review');
    const arriveId = (await t.ds.query(`SELECT arrive_id FROM applications WHERE id = $1`, [id]))[0].arrive_id;
    expect(sim.state.cases.get(arriveId)!.packages).toHaveLength(2);
    expect(await page.getByTestId('correction-banner').count()).toBe(0);

    // Withdraw it: a reason is required.
    await page.getByTestId('withdraw-open').click();
    const withdrawDialog = page.getByTestId('withdraw-dialog');
    await withdrawDialog.getByTestId('confirm-ok').click();
    await withdrawDialog.getByTestId('withdraw-reason-error').filter({ hasText: /.+/ }).waitFor();
    await withdrawDialog.getByTestId('withdraw-reason').fill('二重に提出したため取り下げます。');
    await withdrawDialog.getByTestId('confirm-ok').click();
    await page.locator('[data-testid="action-sending"][data-kind="withdraw"]').waitFor();
    expect(await t.app.get(EgovActionsService).runDue()).toBe(1);
    await reloadEditorAt('withdrawn');
    expect(await page.getByTestId('app-status').innerText()).toBe('取下げ');
    expect(sim.state.cases.get(arriveId)!.withdrawn?.reason).toBe('二重に提出したため取り下げます。');
    expect(await page.getByTestId('egov-notice-type').allInnerTexts()).toEqual(expect.arrayContaining(['補正', '取下げ']));
    expect(await page.getByTestId('withdraw-open').count()).toBe(0);
    // The history words every step for people.
    expect(await page.locator('.timeline-kind').allInnerTexts()).toEqual(expect.arrayContaining(['補正の送信を依頼', '取下げを依頼']));
    expect((await page.locator('.timeline-kind').allInnerTexts()).filter((k) => /^[a-z_]+$/.test(k))).toEqual([]);
    fs.mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SHOTS, 'filing-withdrawn.png'), fullPage: true });
  });

  it('shows a filing e-Gov refuses as failed, with e-Gov’s reason', async () => {
    const title = '資格取得（差戻し）';
    const id = await readyApplication(title);
    await submitInEditor(id, title);

    const reason = '申請データの形式が正しくありません（kousei.xml）。';
    // The simulator's failure kinds are all transient: the proxy answers the permanent refusal, in e-Gov's problem format.
    front.rules.push({
      method: 'POST',
      path: '/apply',
      times: 1,
      respond: { status: 400, body: String(problem(400, 'invalid-package', 'Invalid package', reason).body ?? '') },
    });
    await t.app.get(SubmissionsService).runDue();
    await reloadEditorAt('failed');
    expect(await page.getByTestId('app-status').innerText()).toBe('失敗');
    expect(await page.getByTestId('failed-reason').innerText()).toBe(`e-Govへ送信できませんでした。理由: ${reason}`);
    expect(await timelineChanges()).toContain('送信中 → 失敗');
    expect(await page.getByTestId('timeline-reason').last().innerText()).toBe(`理由: ${reason}`);
    expect(await page.getByTestId('submit-egov').count()).toBe(0);

    await page.getByTestId('notices-bell').click();
    await page.getByTestId('notice-item').filter({ hasText: '申請を送信できませんでした' }).first().waitFor();
    await page.keyboard.press('Escape');
    fs.mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SHOTS, 'filing-failed.png') });

    // Refused once and for all: a later run sends nothing again.
    const cases = sim.state.cases.size;
    await t.ds.query(`UPDATE submissions SET next_attempt_at = now() WHERE application_id = $1`, [id]);
    expect(await t.app.get(SubmissionsService).runDue()).toBe(0);
    expect(sim.state.cases.size).toBe(cases);

    // Fix and submit again: back to draft (e-Gov answered, so no doubt it did not arrive), checked, submitted.
    await page.getByTestId('reopen').click();
    await page.locator('[data-testid="app-status"][data-status="draft"]').waitFor();
    expect(await page.getByTestId('field-address').isDisabled()).toBe(false);
    await page.getByTestId('validate').click();
    await page.locator('[data-testid="app-status"][data-status="ready"]').waitFor();
    await submitInEditor(id, title);
    await t.app.get(SubmissionsService).runDue();
    await reloadEditorAt('arrived');
    expect(sim.state.cases.size).toBe(cases + 1);
  });
});
