import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { PASSWORD, seedTenant, Seeded, startTestApp, TestApp, testKeys } from '../support/app';
import { launchChromium, loginThroughSpa, WEB_DIST } from '../support/browser';
import { expectNoAxeViolations } from '../support/axe';

const run = promisify(execFile);
const EICAR = 'X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*';

/**
 * The applications flow in Chromium: an office, a 資格取得届 draft filled in the
 * schema-driven editor (era date shown, autosave), the input check with its
 * errors, then valid; a clean PDF attached, the EICAR file refused with the
 * malware message.
 */
describe('SPA: offices and applications', () => {
  let t: TestApp;
  let acme: Seeded;
  let browser: Browser;
  let base: string;
  let page: Page;
  let dir: string;

  beforeAll(async () => {
    let socket = process.env.CLAMD_SOCKET ?? '';
    if (!socket)
      socket = /CLAMD_SOCKET=(\S+)/.exec((await run('bash', [path.resolve(__dirname, '../../scripts/clamd-start.sh')])).stdout)?.[1] ?? '';
    t = await startTestApp({ WEB_DIST_DIR: WEB_DIST, CLAMD_SOCKET: socket });
    await t.app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(t.app.getHttpServer().address() as net.AddressInfo).port}`;
    acme = await seedTenant(t, 'acme');
    browser = await launchChromium();
    page = await browser.newPage({ locale: 'ja-JP' });
    page.setDefaultTimeout(15_000);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'charlotte-upload-'));
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
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('creates an office, then a draft, fills it from the schema, checks it, and attaches files', async () => {
    await page.getByTestId('nav-offices').click();
    await page.getByTestId('office-new').click();
    await page.getByTestId('office-name').fill('株式会社アクメ 本社');
    await page.getByTestId('office-laborInsuranceNumber').fill('123');
    await page.getByTestId('office-save').click();
    await page.getByTestId('office-error-laborInsuranceNumber').filter({ hasText: '14桁' }).waitFor();
    await page.getByTestId('office-laborInsuranceNumber').fill('13-1-01-123456-000');
    await page.getByTestId('office-save').click();
    await page.getByTestId('office-row').filter({ hasText: '株式会社アクメ 本社' }).waitFor();

    await page.getByTestId('nav-applications').click();
    await page.getByTestId('app-new').click();
    await page.getByTestId('app-new-procedure').selectOption('shaho-shutoku');
    await page.getByTestId('app-new-office').selectOption({ label: '株式会社アクメ 本社' });
    await page.getByTestId('app-new-title').fill('新入社員 資格取得');
    await page.getByTestId('app-new-submit').click();
    await page.waitForURL(/\/applications\/[0-9a-f-]{36}$/);

    await page.getByTestId('field-familyName').fill('山田');
    await page.getByTestId('field-givenName').fill('太郎');
    await page.getByTestId('field-familyNameKana').fill('Yamada'); // latin letters: refused by the check (hiragana would become katakana)
    await page.getByTestId('field-birthDate').fill('1990-04-01');
    await page.getByTestId('field-era-birthDate').filter({ hasText: '平成2年4月1日' }).waitFor();
    await page.getByTestId('autosave-status').and(page.locator('[data-state="saved"]')).waitFor();

    await page.getByTestId('validate').click();
    await page.getByTestId('validation-summary').waitFor();
    await page
      .getByTestId('field-error-familyNameKana')
      .filter({ hasText: /カナ|カタカナ/ })
      .waitFor();
    await expectNoAxeViolations(page, 'editor with the check errors shown');
    expect(await page.getByTestId('validation-link').count()).toBeGreaterThan(3);

    await page.getByTestId('field-familyNameKana').fill('ヤマダ');
    await page.getByTestId('field-givenNameKana').fill('タロウ');
    await page.getByTestId('field-insuredType').selectOption('1');
    await page.getByTestId('field-acquisitionType').selectOption('1');
    await page.getByTestId('field-basicPensionNumber').fill('1234-567890');
    await page.getByTestId('field-acquisitionDate').fill('2026-04-01');
    await page.getByTestId('field-hasDependents').selectOption('0');
    await page.getByTestId('field-remunerationCash').fill('250000');
    await page.getByTestId('field-remunerationTotal').fill('250000');
    await page.getByTestId('field-postalCode').fill('100-0013');
    await page.getByTestId('field-address').fill('東京都千代田区霞が関1-2-2');
    await page.getByTestId('validate').click();
    await page.getByTestId('validation-ok').waitFor();

    const clean = path.join(dir, '雇用契約書.pdf');
    fs.writeFileSync(clean, '%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');
    await page.getByTestId('attachment-input').setInputFiles(clean);
    await page.getByTestId('attachment-row').filter({ hasText: '雇用契約書.pdf' }).waitFor();

    const infected = path.join(dir, 'infected.pdf');
    fs.writeFileSync(infected, `%PDF-1.4\n${EICAR}\n%%EOF\n`);
    await page.getByTestId('attachment-input').setInputFiles(infected);
    await page.locator('[data-testid="attachment-error"][data-code="malware_detected"]').waitFor();
    expect(await page.getByTestId('attachment-error').innerText()).toContain('マルウェア');
    expect(await page.getByTestId('attachment-row').count()).toBe(1);

    const rows = await t.ds.query(`SELECT status FROM applications WHERE tenant_id = $1`, [acme.tenantId]);
    expect(rows).toEqual([{ status: 'ready' }]);
  });
});
