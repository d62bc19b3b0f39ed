import * as fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { TenantsService, UsersService } from '@charlotte/auth';
import { VALID_FORMS } from '@charlotte/procedures';
import { giveKey, login, PASSWORD, startTestApp, TestApp, testKeys } from '../support/app';
import { axeViolations, failing, formatViolations } from '../support/axe';
import ja from '../../apps/web/src/i18n/ja';
import { launchChromium, loginThroughSpa, WEB_DIST } from '../support/browser';

/**
 * The walk (issue 18, "Tests"): every page of the SPA's router, as a guest, a
 * tenant admin, a tenant member and a platform operator, at 1280×800 and on a
 * phone (390×844), in Japanese. Each page gets a full-page screenshot (under
 * test-results/walk, git-ignored) and fails on
 *   - console errors and uncaught page errors,
 *   - English words in the Japanese UI outside ALLOWED_WORDS, and i18n keys shown raw,
 *   - axe-core violations (WCAG 2.1 A/AA) of impact serious or critical, colour contrast included,
 *   - a page wider than the phone (horizontal scrolling).
 * The routes come from the live router, so a new route is walked without
 * touching this file (a route with a parameter needs a value in `paramsFor`).
 * Everything found on all pages is reported at once, page by page.
 */

const OUT = path.resolve(__dirname, '../../test-results/walk');
const VIEWPORTS = [
  { name: 'desktop', width: 1280, height: 800 },
  { name: 'phone', width: 390, height: 844 },
] as const;
const OPERATOR_EMAIL = 'ops@charlotte.example';

/**
 * Latin words a Japanese page may show, and why. Everything else in ASCII
 * letters is taken as an untranslated string. (Text inside <code> is not
 * checked: codes, hashes and identifiers are shown as they are.)
 */
const ALLOWED_WORDS: ReadonlyMap<string, string> = new Map([
  ['-----BEGIN CERTIFICATE-----', 'the PEM header, as the placeholder of a certificate field'],
  ['e-Gov', 'the name of the government service'],
  ['Charlotte', 'the product name'],
  ['Microsoft Entra ID', 'an IdP named as an example (product name)'],
  ['Okta', 'an IdP named as an example (product name)'],
  ['API', 'APIトークン, REST API: the term Japanese integrators use'],
  ['SSO', 'SSO設定: the term Japanese IT admins use'],
  ['SAML', 'the protocol name'],
  ['IdP', 'SAML term (IdP メタデータ)'],
  ['SP', 'SAML term (SP エンティティID)'],
  ['ACS', 'SAML term (ACS URL), glossed as 応答URL beside it'],
  ['NameID', 'SAML attribute name, as the IdP admin screens write it'],
  ['JIT', 'glossed (ユーザーの自動作成（JIT）), the term IdP admins know'],
  ['PEM', 'certificate file format'],
  ['PKCS', 'PKCS#12: the certificate file format'],
  ['PIN', 'as written in Japanese (PINコード)'],
  ['URL', 'as written in Japanese'],
  ['https', 'https:// as the required beginning of a URL'],
  ['CSV', 'file format'],
  ['PDF', 'file format'],
  ['JPEG', 'file format'],
  ['PNG', 'file format'],
  ['JSON', 'file format (消去証明書 JSON, key file)'],
  ['JSONL', 'file format (監査ログの改ざん検証用エクスポート)'],
  ['XML', 'file format (IdP メタデータ XML)'],
  ['ID', 'as written in Japanese (アカウントID, 到達番号 ID)'],
  ['IP', 'IPアドレス, as written in Japanese'],
  ['CIDR', 'CIDR表記: the network notation as Japanese network admins write it (IPアドレス制限)'],
  ['CSRF', 'glossed (不正なリクエストを拒否（CSRF）): the attack name security staff search for in the audit log'],
  ['Webhook', 'as Japanese SaaS write it (freee, kintone, Slack): the integrators’ term, glossed on its page'],
  ['Enter', 'the key name as printed on a Japanese keyboard (Enter キー)'],
  ['JST', 'the time zone written after times, as the app does everywhere'],
  ['SHA', 'SHA-256: the name of the hash shown beside digests'],
  ['KB', 'file size unit'],
  ['MB', 'file size unit'],
  ['GB', 'file size unit'],
  ['English', 'the language switcher offers English in English, as every Japanese site does'],
  ['acme', 'test data: the seeded tenant code'],
]);

/** The allowed words as whole words (`SP` is allowed, the `SP` of `SPAM` is not), longest first. */
const ALLOWED_RES = [...ALLOWED_WORDS.keys()]
  .sort((a, b) => b.length - a.length)
  .map((w) => new RegExp(`(?<![A-Za-z])${w.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&')}(?![A-Za-z])`, 'g'));

/**
 * Not words: identifiers and digests shown as they are (a key's thumbprint
 * `f_h-Rh0LWTQD…`, a short id `e4b05ecd`), i.e. runs of letters, digits, `_`
 * and `-` that hold a digit; and file extensions (`.p12 / .pfx`).
 */
const NOT_WORDS = [/(?<![A-Za-z])[A-Za-z0-9_-]*[0-9][A-Za-z0-9_-]*…?/g, /(?<![A-Za-z0-9])\.[a-z0-9]{2,4}\b/g];

/** Top-level keys of the SPA's messages (to recognise a raw key). */
const MESSAGE_ROOTS = new Set(Object.keys(ja));
/** A raw i18n key on screen (`editor.status.title`): a dotted identifier whose first segment is a top-level key of the messages. */
const KEY_LIKE = /\b[a-z][A-Za-z0-9]*(?:\.[A-Za-z0-9_]+)+\b/g;

type Role = 'guest' | 'admin' | 'member' | 'operator' | 'client';

interface RouteInfo {
  name: string;
  path: string;
  meta: {
    public?: boolean;
    guestOnly?: boolean;
    requiresAdmin?: boolean;
    requiresOperator?: boolean;
    tenantOnly?: boolean;
    clientPortal?: boolean;
    clientOnly?: boolean;
  };
}

interface Target {
  /** Page label in messages and screenshot names: the route name, with a variant (`application[filed]`). */
  label: string;
  url: string;
  route: string;
}

/*
 * In-page code runs through `page.locator('html').evaluate((html) => …)`: the
 * backend's TypeScript has no DOM library, so the page's `document` and
 * `window` are reached through the element Playwright hands over.
 */

/** What the walk uses of the SPA in the page: its router, which Vue keeps on the mount element (`#app`). */
interface MountedSpa {
  __vue_app__: {
    config: {
      globalProperties: {
        $router: { getRoutes(): Array<{ name?: unknown; path: string; meta: object }>; push(to: string): Promise<unknown> };
      };
    };
  };
}

interface TextFinding {
  text: string;
  where: string;
}

describe('SPA: the walk of every page (issue 18)', () => {
  let t: TestApp;
  let browser: Browser;
  let base: string;
  let seed: {
    tenantId: string;
    adminId: string;
    memberId: string;
    operatorId: string;
    clientUserId: string;
    draftId: string;
    filedId: string;
    incidentId: string;
    inviteToken: string;
    clientId: string;
  };
  const report: string[] = [];

  const users = {
    admin: { tenant: 'acme', email: 'admin@acme.example' },
    member: { tenant: 'acme', email: 'member@acme.example' },
    operator: { tenant: 'platform', email: OPERATOR_EMAIL },
    client: { tenant: 'acme', email: 'keiri@alpha.example' },
  } as const;

  beforeAll(async () => {
    t = await startTestApp({ WEB_DIST_DIR: WEB_DIST });
    await t.app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;

    // A tenant as a customer has it after a few days: an office, a draft, a filed application, a pending invitation.
    const tenant = await t.app.get(TenantsService).create('acme', '株式会社アクメ');
    const us = t.app.get(UsersService);
    const admin = await us.create(tenant.id, { email: users.admin.email, displayName: '佐藤 花子', role: 'admin', password: PASSWORD });
    const member = await us.create(tenant.id, { email: users.member.email, displayName: '鈴木 一郎', role: 'member', password: PASSWORD });
    await giveKey(t, 'acme', tenant.id, admin.user.id, admin.user.email);
    await giveKey(t, 'acme', tenant.id, member.user.id, member.user.email);
    const invited = await us.create(tenant.id, { email: 'new@acme.example', displayName: '高橋 健', role: 'member' });
    const { user: operator } = await us.createOperator(OPERATOR_EMAIL, PASSWORD);
    await giveKey(t, 'platform', null, operator.id, OPERATOR_EMAIL);
    // Key files as a user names them (giveKey's label is English test data).
    await t.ds.query(`UPDATE user_keys SET label = 'ノートパソコン'`);

    const m = await login(t, 'acme', users.member.email);
    const post = (url: string, body: unknown) =>
      m.agent
        .post(`/api/v1${url}`)
        .set('X-CSRF-Token', m.csrf)
        .send(body as object);
    const office = await post('/offices', {
      name: '株式会社アクメ 本社',
      address: '東京都千代田区霞が関1-2-3',
      pensionOfficeCode: '01-イロハ',
      pensionOfficeNumber: '12345',
    }).expect(201);
    const form = VALID_FORMS['shaho-shutoku'];
    const draft = await post('/applications', {
      procedureCode: 'shaho-shutoku',
      officeId: office.body.id,
      title: '山田 太郎 資格取得',
      form,
    }).expect(201);
    const filed = await post('/applications', {
      procedureCode: 'shaho-shutoku',
      officeId: office.body.id,
      title: '田中 次郎 資格取得',
      form,
    }).expect(201);
    await post(`/applications/${filed.body.id}/validate`, {}).expect(200);
    // Filed and finished at e-Gov, as the submission worker and the status poll leave it (their own tests drive them).
    const chain = ['ready', 'submitting', 'arrived', 'under_review', 'review_finished', 'completed'];
    for (let i = 1; i < chain.length; i++) {
      await t.ds.query(
        `INSERT INTO application_events (tenant_id, application_id, kind, from_status, to_status, actor, at)
         VALUES ($1, $2, 'status', $3, $4, 'system', now() - make_interval(hours => $5))`,
        [tenant.id, filed.body.id, chain[i - 1], chain[i], 10 - i],
      );
    }
    await t.ds.query(
      `UPDATE applications SET status = 'completed', arrive_id = '2026040112345678', egov_status = '手続終了' WHERE id = $1`,
      [filed.body.id],
    );
    await t.ds.query(
      `INSERT INTO notices (tenant_id, user_id, application_id, kind, created_at) VALUES
         ($1, $2, $3, 'arrived', now() - interval '3 hours'), ($1, $2, $3, 'completed', now() - interval '1 hour'),
         ($1, $4, $3, 'completed', now() - interval '1 hour')`,
      [tenant.id, member.user.id, filed.body.id, admin.user.id],
    );

    // A 社労士 office as it works with 顧問先 (a company tenant sees a subset of these pages): the tenant
    // holds a client, the office belongs to it, and the member is assigned to it with every right.
    await t.ds.query(`UPDATE tenants SET kind = 'sharoushi' WHERE id = $1`, [tenant.id]);
    const a = await login(t, 'acme', users.admin.email);
    const client = await a.agent
      .post('/api/v1/clients')
      .set('X-CSRF-Token', a.csrf)
      .send({ name: '株式会社アルファ', code: 'C001' })
      .expect(201);
    await t.ds.query(`UPDATE offices SET client_id = $2 WHERE id = $1`, [office.body.id, client.body.id]);
    await a.agent
      .put(`/api/v1/users/${member.user.id}/assignments`)
      .set('X-CSRF-Token', a.csrf)
      .send({ all: false, clients: [{ clientId: client.body.id, rights: ['draft', 'submit', 'documents', 'offices'] }] })
      .expect(200);
    // Its 顧問先ポータル: a user of the client (role client) who has sent the office a 依頼.
    await a.agent.patch(`/api/v1/clients/${client.body.id}`).set('X-CSRF-Token', a.csrf).send({ portalEnabled: true }).expect(200);
    const clientUser = await us.create(
      tenant.id,
      { email: users.client.email, displayName: '経理 花子', role: 'client', password: PASSWORD },
      client.body.id,
    );
    await giveKey(t, 'acme', tenant.id, clientUser.user.id, clientUser.user.email);
    await t.ds.query(`UPDATE user_keys SET label = 'ノートパソコン' WHERE user_id = $1`, [clientUser.user.id]);
    const c = await login(t, 'acme', users.client.email);
    await c.agent
      .post('/api/v1/requests')
      .set('X-CSRF-Token', c.csrf)
      .send({ title: '4月入社の資格取得届のお願い', body: '新入社員3名の資格取得届をお願いします。' })
      .expect(201);

    const op = await login(t, 'platform', OPERATOR_EMAIL);
    const incident = await op.agent
      .post('/api/v1/operator/incidents')
      .set('X-CSRF-Token', op.csrf)
      .send({ severity: 'minor', title: '申請一覧の表示が遅くなっています', body: '原因を調査しています。', tenants: 'all' })
      .expect(201);

    seed = {
      tenantId: tenant.id,
      adminId: admin.user.id,
      memberId: member.user.id,
      operatorId: operator.id,
      clientUserId: clientUser.user.id,
      draftId: draft.body.id,
      filedId: filed.body.id,
      incidentId: incident.body.id,
      inviteToken: invited.invitation!.token,
      clientId: client.body.id,
    };
    browser = await launchChromium();
    fs.rmSync(OUT, { recursive: true, force: true });
    fs.mkdirSync(OUT, { recursive: true });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    if (report.length > 0) fs.writeFileSync(path.join(OUT, 'report.txt'), report.join('\n\n') + '\n');
    console.log(`walk: screenshots in ${OUT}`);
  });

  /** The concrete URLs of a route for the seeded data; a parameter without a value fails the walk (add it here). */
  function paramsFor(r: RouteInfo): Target[] | string {
    const one = (url: string, variant?: string): Target => ({ label: variant ? `${r.name}[${variant}]` : r.name, url, route: r.name });
    if (!r.path.includes(':')) return [one(r.path)];
    switch (r.name) {
      case 'application':
        return [one(`/applications/${seed.draftId}`, 'draft'), one(`/applications/${seed.filedId}`, 'filed')];
      case 'invite':
        return [one(`/invite/${seed.inviteToken}`)];
      case 'client':
        return [one(`/clients/${seed.clientId}`)];
      case 'portal-application':
        return [one(`/portal/applications/${seed.draftId}`, 'draft'), one(`/portal/applications/${seed.filedId}`, 'filed')];
      case 'operator-incident':
        return [one(`/operator/incidents/${seed.incidentId}`)];
      case 'operator-tenant':
        return [one('/operator/tenants/acme')];
      case 'not-found':
        return [one('/no-such-page')];
      default:
        return `route ${r.name} (${r.path}) has a parameter the walk has no value for: add it to paramsFor in walk.browser-spec.ts`;
    }
  }

  /** Whether a role is meant to reach a route (the router's meta decides; the walk fails if the SPA then redirects). */
  function reaches(role: Role, r: RouteInfo): boolean {
    // Public pages (login, an invitation, not found) are walked once, as a guest: a logged-in user meets them only by accident.
    if (role === 'guest') return r.meta.public === true;
    if (r.meta.public) return false;
    // A 顧問先's portal user reaches the pages opened to the portal only; the office never its portal pages.
    if (role === 'client') return r.meta.clientPortal === true;
    if (r.meta.clientOnly) return false;
    if (r.meta.requiresAdmin) return role === 'admin';
    if (r.meta.requiresOperator) return role === 'operator';
    if (r.meta.tenantOnly) return role !== 'operator';
    return true;
  }

  async function routesOf(page: Page): Promise<RouteInfo[]> {
    return page.locator('html').evaluate((html) => {
      const router = (html.ownerDocument.querySelector('#app') as unknown as MountedSpa).__vue_app__.config.globalProperties.$router;
      return router
        .getRoutes()
        .filter((r) => typeof r.name === 'string')
        .map((r) => ({ name: r.name as string, path: r.path, meta: JSON.parse(JSON.stringify(r.meta)) as RouteInfo['meta'] }));
    });
  }

  /** Waits until no request has been in flight for a while, then for two frames (the page has rendered what it fetched). */
  function settler(page: Page): () => Promise<void> {
    let inflight = 0;
    page.on('request', () => inflight++);
    page.on('requestfinished', () => inflight--);
    page.on('requestfailed', () => inflight--);
    return async () => {
      const start = Date.now();
      let quietSince = Date.now();
      while (Date.now() - start < 10_000) {
        if (inflight > 0) quietSince = Date.now();
        else if (Date.now() - quietSince >= 250) break;
        await new Promise((r) => setTimeout(r, 25));
      }
      await page.locator('html').evaluate(async (html) => {
        const window = html.ownerDocument.defaultView!;
        await html.ownerDocument.fonts.ready;
        await new Promise<void>((r) => window.requestAnimationFrame(() => window.requestAnimationFrame(() => r())));
      });
    };
  }

  /** Visible text, with the attributes people and screen readers meet (placeholder, aria-label, title, alt), and where it is. */
  async function visibleTexts(page: Page): Promise<TextFinding[]> {
    return page.locator('html').evaluate((html) => {
      const document = html.ownerDocument;
      const window = document.defaultView!;
      function where(el: typeof html): string {
        const parts: string[] = [];
        for (let e: typeof html | null = el; e && e !== document.body && parts.length < 4; e = e.parentElement) {
          const testid = e.getAttribute('data-testid');
          if (testid) {
            parts.unshift(`[data-testid="${testid}"]`);
            break;
          }
          const cls = [...e.classList]
            .slice(0, 2)
            .map((c) => `.${c}`)
            .join('');
          parts.unshift(e.id ? `#${e.id}` : `${e.tagName.toLowerCase()}${cls}`);
        }
        return parts.join(' > ');
      }
      // Shown (visually hidden text counts: screen readers read it); an <option> counts when its <select> is shown.
      const shown = (el: typeof html): boolean =>
        Boolean((el.closest('select') ?? el).checkVisibility({ visibilityProperty: true, opacityProperty: false }));
      const out: Array<{ text: string; where: string }> = [{ text: document.title, where: 'document.title' }];
      const walker = document.createTreeWalker(document.body, window.NodeFilter.SHOW_TEXT);
      for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        const text = (n.nodeValue ?? '').trim();
        const el = n.parentElement;
        if (!text || !el || el.closest('code, script, style, noscript')) continue;
        if (shown(el)) out.push({ text, where: where(el) });
      }
      for (const el of document.body.querySelectorAll(
        '[placeholder], [aria-label], [title], img[alt], input[type="button"], input[type="submit"]',
      )) {
        if (!shown(el) || el.closest('code')) continue;
        for (const attr of ['placeholder', 'aria-label', 'title', 'alt', 'value']) {
          if (attr === 'value' && !(el instanceof window.HTMLInputElement && (el.type === 'button' || el.type === 'submit'))) continue;
          const v = el.getAttribute(attr)?.trim();
          if (v) out.push({ text: v, where: `${where(el)}@${attr}` });
        }
      }
      return out;
    });
  }

  /** English words outside the allow-list, and raw i18n keys. */
  function untranslated(texts: TextFinding[]): string[] {
    const found: string[] = [];
    for (const { text, where } of texts) {
      let rest = text
        .replace(/[\w.+-]+@[\w-]+(?:\.[\w-]+)+/g, ' ') // e-mail addresses (test data)
        .replace(/https?:\/\/\S+/g, ' '); // URLs
      for (const key of rest.match(KEY_LIKE) ?? []) {
        if (MESSAGE_ROOTS.has(key.split('.')[0])) found.push(`raw i18n key "${key}" in ${where}: "${text}"`);
      }
      for (const re of ALLOWED_RES) rest = rest.replace(re, ' ');
      for (const re of NOT_WORDS) rest = rest.replace(re, ' ');
      const words = rest.match(/[A-Za-z]{2,}/g);
      if (words)
        found.push(
          `English ${JSON.stringify([...new Set(words)])} in ${where}: "${text.length > 120 ? `${text.slice(0, 117)}...` : text}"`,
        );
    }
    return found;
  }

  /** On the phone: is the page wider than the screen, and which elements stick out (outermost first). */
  async function overflow(page: Page): Promise<string | null> {
    return page.locator('html').evaluate((html) => {
      const document = html.ownerDocument;
      const window = document.defaultView!;
      const width = window.innerWidth;
      if (document.documentElement.scrollWidth <= width) return null;
      const culprits: string[] = [];
      for (const el of document.body.querySelectorAll('*')) {
        const r = el.getBoundingClientRect();
        if (r.width === 0 || r.right <= width + 1) continue;
        const parent = el.parentElement;
        if (parent && parent !== document.body && parent.getBoundingClientRect().right > width + 1) continue;
        // Inside a scrolling container, it does not widen the page.
        let clipped = false;
        for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
          if (window.getComputedStyle(a).overflowX !== 'visible') clipped = true;
        }
        if (clipped) continue;
        const testid = el.getAttribute('data-testid');
        const cls = [...el.classList]
          .slice(0, 2)
          .map((c) => `.${c}`)
          .join('');
        culprits.push(`${el.tagName.toLowerCase()}${testid ? `[data-testid="${testid}"]` : cls} (right edge ${Math.round(r.right)}px)`);
        if (culprits.length >= 5) break;
      }
      return `page is ${document.documentElement.scrollWidth}px wide on a ${width}px screen; sticking out: ${culprits.join(', ') || '(none found)'}`;
    });
  }

  /**
   * Console errors the walk accepts, and why. Each is matched on the message
   * text; anything else fails the page.
   */
  const ALLOWED_CONSOLE: Array<{ text: RegExp; url: RegExp; why: string }> = [
    {
      // The SPA asks whether a session exists before the first route; before logging in the answer is 401, and
      // Chromium logs every non-2xx response as "Failed to load resource". This is the probe, not a fault.
      text: /^Failed to load resource: the server responded with a status of 401/,
      url: /\/api\/v1\/auth\/session$/,
      why: 'the session probe before login',
    },
  ];

  async function walk(role: Role): Promise<void> {
    const context: BrowserContext = await browser.newContext({ locale: 'ja-JP', viewport: VIEWPORTS[0], acceptDownloads: false });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    const settle = settler(page);
    const problems: string[] = [];
    const notes: string[] = [];
    let current = `${role} login`;
    const consoleErrors: string[] = [];
    page.on('console', (msg) => {
      if (msg.type() !== 'error') return;
      const text = msg.text();
      if (ALLOWED_CONSOLE.some((a) => a.text.test(text) && a.url.test(msg.location().url ?? ''))) return;
      consoleErrors.push(`console error on ${current}: ${text}${msg.location().url ? ` (${msg.location().url})` : ''}`);
    });
    page.on('pageerror', (e) => consoleErrors.push(`page error on ${current}: ${e.message}`));
    const started = Date.now();
    try {
      if (role === 'guest') {
        await page.goto(`${base}/login`);
      } else {
        const u = users[role];
        const userId =
          role === 'admin' ? seed.adminId : role === 'member' ? seed.memberId : role === 'client' ? seed.clientUserId : seed.operatorId;
        await loginThroughSpa(page, base, { ...u, password: PASSWORD, userId, key: testKeys.get(`${u.tenant}/${u.email}`)! });
      }
      await settle();
      const routes = await routesOf(page);
      const targets: Target[] = [];
      for (const r of routes.filter((r) => reaches(role, r))) {
        const p = paramsFor(r);
        if (typeof p === 'string') problems.push(p);
        else targets.push(...p);
      }
      expect(targets.length).toBeGreaterThan(0);

      for (const target of targets) {
        current = `${target.label} (${role})`;
        if (role === 'guest') {
          // Guest pages are public entry points: a full load, as a link in a mail opens them.
          await page.goto(`${base}${target.url}`);
        } else {
          // As a click on a link does: the SPA's router, no page load.
          await page.locator('html').evaluate(async (html, url) => {
            await (html.ownerDocument.querySelector('#app') as unknown as MountedSpa).__vue_app__.config.globalProperties.$router.push(url);
          }, target.url);
        }
        await settle();
        const landed = new URL(page.url()).pathname;
        if (landed !== target.url) {
          problems.push(`${current}: opened ${target.url}, landed on ${landed} (the router meta says the role reaches it)`);
          continue;
        }
        for (const vp of VIEWPORTS) {
          const at = `${target.label} (${role}, ${vp.name} ${vp.width}×${vp.height})`;
          await page.setViewportSize({ width: vp.width, height: vp.height });
          await page.locator('html').evaluate((html) => {
            const window = html.ownerDocument.defaultView!;
            return new Promise<void>((r) => window.requestAnimationFrame(() => window.requestAnimationFrame(() => r())));
          });
          const file = path.join(OUT, role, `${target.label.replace(/[^\w-]+/g, '_')}-${vp.name}.png`);
          await page.screenshot({ path: file, fullPage: true });

          for (const u of untranslated(await visibleTexts(page))) problems.push(`${at}: ${u}`);
          const violations = await axeViolations(page);
          const bad = failing(violations);
          if (bad.length > 0) problems.push(formatViolations(bad, at));
          const minor = violations.filter((v) => !bad.includes(v));
          if (minor.length > 0) notes.push(formatViolations(minor, at));
          if (vp.name === 'phone') {
            const o = await overflow(page);
            if (o) problems.push(`${at}: ${o}`);
          }
        }
        await page.setViewportSize({ width: VIEWPORTS[0].width, height: VIEWPORTS[0].height });
      }
      // Each error names the page it happened on (`current` when it was logged).
      problems.push(...consoleErrors);
    } finally {
      await context.close();
    }
    report.push(
      `== ${role}: ${((Date.now() - started) / 1000).toFixed(1)} s\n` +
        (problems.length ? problems.join('\n') : '(no problems)') +
        (notes.length ? `\n-- moderate/minor axe findings (not failures):\n${notes.join('\n')}` : ''),
    );
    if (problems.length > 0) throw new Error(`the walk as ${role} found ${problems.length} problem(s):\n${problems.join('\n')}`);
  }

  it('walks the public pages as a guest', () => walk('guest'), 120_000);
  it('walks every page a tenant admin reaches', () => walk('admin'), 180_000);
  it('walks every page a tenant member reaches', () => walk('member'), 180_000);
  it('walks every page a platform operator reaches', () => walk('operator'), 180_000);
  it('walks every page a client portal user reaches', () => walk('client'), 180_000);
});
