import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Browser, chromium } from 'playwright-core';

export const WEB_DIST = path.resolve(__dirname, '../../apps/web/dist');

/** Debian's Chromium, headless, with the flags this sandboxed machine needs. */
export async function launchChromium(): Promise<Browser> {
  const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!fs.existsSync(executablePath)) throw new Error(`${executablePath} missing: run scripts/setup-system.sh (npm test does)`);
  if (!fs.existsSync(path.join(WEB_DIST, 'index.html'))) throw new Error('apps/web/dist missing: run npm run build first (npm test does)');
  return chromium.launch({
    executablePath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Writes a user's test key as a Charlotte key file (what the user keeps on disk). */
export function writeKeyFile(
  dir: string,
  tenant: string,
  email: string,
  userId: string,
  key: { privateKey: import('node:crypto').KeyObject; keyId: string },
): string {
  const file = path.join(dir, `${tenant}-${email}.charlotte-key.json`);
  const json = {
    type: 'charlotte-keyfile',
    version: 1,
    tenant,
    userId,
    email,
    keyId: key.keyId,
    createdAt: new Date().toISOString(),
    privateKeyJwk: key.privateKey.export({ format: 'jwk' }),
  };
  fs.writeFileSync(file, JSON.stringify(json));
  return file;
}

/** Logs in through the SPA as a person would: password, then the user's key file in the file input. */
export async function loginThroughSpa(
  page: import('playwright-core').Page,
  base: string,
  user: {
    tenant: string;
    email: string;
    password: string;
    userId: string;
    key: { privateKey: import('node:crypto').KeyObject; keyId: string };
  },
): Promise<void> {
  await page.goto(`${base}/login`);
  await page.getByTestId('login-tenant').fill(user.tenant);
  await page.getByTestId('login-email').fill(user.email);
  await page.getByTestId('login-password').fill(user.password);
  await page.getByTestId('login-submit').click();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'charlotte-keys-'));
  await page.getByTestId('keyfile-input').setInputFiles(writeKeyFile(dir, user.tenant, user.email, user.userId, user.key));
  await page.waitForURL((u) => !u.pathname.startsWith('/login'));
}

/**
 * Follows a link of the main navigation as a person would: on a phone it first unfolds
 * 「メニュー」, and a link of the 「設定」 menu is reached by opening that menu first.
 */
export async function clickNav(page: import('playwright-core').Page, testid: string): Promise<void> {
  const link = page.getByTestId(testid);
  await link.waitFor({ state: 'attached' });
  const toggle = page.getByTestId('nav-toggle');
  if ((await toggle.isVisible()) && (await toggle.getAttribute('aria-expanded')) !== 'true') await toggle.click();
  if (await link.evaluate((el) => el.closest('#shell-settings-list') !== null)) {
    const settings = page.getByTestId('nav-settings');
    if ((await settings.getAttribute('aria-expanded')) !== 'true') await settings.click();
  }
  await link.click();
}
