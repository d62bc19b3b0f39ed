import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { login, PASSWORD, seedTenant, Seeded, startTestApp, TestApp, testKeys } from '../support/app';
import { clickNav, launchChromium, loginThroughSpa, WEB_DIST } from '../support/browser';

const run = promisify(execFile);

/** A day `days` from today in Japan (YYYY-MM-DD). */
function jstDay(days: number): string {
  return new Date(Date.now() + 9 * 3600_000 + days * 86400_000).toISOString().slice(0, 10);
}

/** Half-width digits to full-width (２０２６), as an IME types them. */
const fullWidth = (s: string): string => s.replace(/[0-9]/g, (d) => String.fromCharCode(d.charCodeAt(0) + 0xfee0));

/**
 * The date and file inputs in an English (en-US) Chromium while the app speaks
 * Japanese: the native <input type="date"> would show mm/dd/yyyy and
 * <input type="file"> "Choose file / No file chosen" in the browser's
 * language. The API token's expiry and an attachment upload must read
 * Japanese all the same, and still work (typed 全角 date, setInputFiles).
 */
describe('SPA: Japanese date and file inputs in an en-US browser', () => {
  let t: TestApp;
  let acme: Seeded;
  let browser: Browser;
  let base: string;
  let page: Page;
  let dir: string;
  let applicationId: string;

  beforeAll(async () => {
    let socket = process.env.CLAMD_SOCKET ?? '';
    if (!socket)
      socket = /CLAMD_SOCKET=(\S+)/.exec((await run('bash', [path.resolve(__dirname, '../../scripts/clamd-start.sh')])).stdout)?.[1] ?? '';
    t = await startTestApp({ WEB_DIST_DIR: WEB_DIST, CLAMD_SOCKET: socket });
    await t.app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(t.app.getHttpServer().address() as net.AddressInfo).port}`;
    acme = await seedTenant(t, 'acme');

    // A draft to attach a file to, made through the API (the editor is not what is tested here).
    const admin = await login(t, 'acme', acme.adminEmail);
    const office = await admin.agent
      .post('/api/v1/offices')
      .set('X-CSRF-Token', admin.csrf)
      .send({ name: '本社', address: '東京都千代田区霞が関1-2-2', pensionOfficeCode: '01-イロハ', pensionOfficeNumber: '12345' })
      .expect(201);
    const app = await admin.agent
      .post('/api/v1/applications')
      .set('X-CSRF-Token', admin.csrf)
      .send({ procedureCode: 'shaho-shutoku', officeId: office.body.id, title: '添付のテスト', form: {} })
      .expect(201);
    applicationId = app.body.id as string;

    browser = await launchChromium();
    page = await browser.newPage({ locale: 'en-US' });
    page.setDefaultTimeout(15_000);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'charlotte-inputs-'));
    await loginThroughSpa(page, base, {
      tenant: 'acme',
      email: acme.adminEmail,
      password: PASSWORD,
      userId: acme.adminId,
      key: testKeys.get(`acme/${acme.adminEmail}`)!,
    });
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('runs in an English browser with the app in Japanese', async () => {
    expect(await page.evaluate('navigator.language')).toBe('en-US');
    expect(await page.locator('html').getAttribute('lang')).toBe('ja');
  });

  it('takes the API token expiry as a Japanese date (全角 and slashes), not the browser-locale date picker', async () => {
    await clickNav(page, 'nav-api-tokens');
    const expires = page.getByTestId('token-create-expires');
    await expires.waitFor();
    expect(await page.locator('input[type="date"]').count()).toBe(0);
    expect(await expires.getAttribute('type')).toBe('text');
    expect(await expires.getAttribute('placeholder')).toBe('例: 2026-04-01');
    // Named by its Japanese label.
    expect(await page.getByLabel('有効期限').getAttribute('data-testid')).toBe('token-create-expires');

    // A wrong date is announced in Japanese when the field is left.
    await expires.fill('03/03/2027');
    await expires.blur();
    await page.getByTestId('token-create-expires-date-error').filter({ hasText: '「2026-04-01」または「2026/4/1」' }).waitFor();
    expect(await expires.getAttribute('aria-invalid')).toBe('true');

    const day = jstDay(30);
    await expires.fill(fullWidth(day.replace(/-/g, '/')));
    await expires.blur();
    expect(await expires.inputValue()).toBe(day);
    expect(await expires.getAttribute('aria-invalid')).toBeNull();

    await page.getByTestId('token-create-name').fill('勤怠システム連携');
    await page.getByTestId('token-scope-applications:read').check();
    await page.getByTestId('token-create-submit').click();
    await page.getByTestId('token-created').waitFor();
    await page.getByTestId('token-row').filter({ hasText: '勤怠システム連携' }).waitFor();
  });

  it('shows the attachment file input in Japanese and still uploads through it', async () => {
    await page.goto(`${base}/applications/${applicationId}`);
    const input = page.getByTestId('attachment-input');
    await input.waitFor({ state: 'attached' });
    expect(await page.locator('input[type="file"]').count()).toBe(1);
    // The native control (which would say "Choose file") is not what the user sees.
    const box = await input.boundingBox();
    expect(box === null || (box.width <= 1 && box.height <= 1)).toBe(true);
    const button = page.locator('label.file-input-button[for="attachment-input"]');
    expect(await button.innerText()).toBe('ファイルを選択');
    expect(await button.isVisible()).toBe(true);
    expect(await page.getByTestId('attachment-input-chosen').innerText()).toBe('選択されていません');
    const text = await page.getByTestId('attachment-drop').innerText();
    expect(text).not.toMatch(/Choose file|No file chosen/);

    // Keyboard: the native input takes the focus (Enter/Space open the picker).
    await input.focus();
    expect(await page.evaluate('document.activeElement && document.activeElement.id')).toBe('attachment-input');

    const file = path.join(dir, '雇用契約書.pdf');
    fs.writeFileSync(file, '%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');
    await input.setInputFiles(file);
    await page.getByTestId('attachment-row').filter({ hasText: '雇用契約書.pdf' }).waitFor();
    // After the upload the input is ready for the next file.
    await page.getByTestId('attachment-input-chosen').filter({ hasText: '選択されていません' }).waitFor();
  });
});
