import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { loadConfig } from '@charlotte/core';
import { createApp } from '../../apps/api/src/app.factory';
import { startEgovSim, type EgovSim } from '../../apps/egov-sim/src/server';
import type { LoggedIn, TestApp } from './app';

/**
 * Test-only support for the e-Gov resilience tests: a second application
 * instance on the database of a TestApp, and a small HTTP proxy in front of
 * the simulator for what the simulator cannot do by itself (answer a
 * permanent 4xx to a valid filing, a Retry-After other than 1 s, latency).
 */

export interface Instance {
  app: NestExpressApplication;
  ds: DataSource;
  close(): Promise<void>;
}

/**
 * Another instance of the whole application on `first`'s database and data
 * directory (same master key, so it opens what the first one sealed), as a
 * second replica behind a load balancer would be. Its logs go elsewhere.
 * close() leaves the database to `first`.
 */
export async function startAppOn(first: TestApp, env: Record<string, string>, opts: { schedule?: boolean } = {}): Promise<Instance> {
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'charlotte-test-logs-'));
  const config = loadConfig({
    NODE_ENV: 'test',
    DATA_DIR: first.config.dataDir,
    LOG_DIR: logDir,
    LOG_STDOUT: 'false',
    ARGON2_MEMORY_KIB: '8192',
    ARGON2_ITERATIONS: '1',
    RATE_LIMIT_LOGIN_PER_MINUTE: '10000',
    RATE_LIMIT_API_PER_MINUTE: '100000',
    ...env,
  });
  const app = await createApp(config, first.db.url, { nestLogs: false, schedule: opts.schedule ?? false });
  return {
    app,
    ds: app.get(DataSource),
    async close() {
      await app.close();
      fs.rmSync(logDir, { recursive: true, force: true });
    },
  };
}

/** What the proxy does to one request matching `method` and `path` (relative to the API base /shinsei/v2; `{x}` = any one segment). */
export type ProxyRule = { method: string; path: string; times: number } & (
  | { respond: { status: number; headers?: Record<string, string>; body: string } }
  | { rewriteJson: (body: Record<string, unknown>) => Record<string, unknown> }
  | { delayMs: number }
);

export interface ProxyLogEntry {
  method: string;
  path: string;
  status: number | null;
  /** The answer's body as the client got it (JSON answers only, for the tests to compare with). */
  body?: string;
  proxied: 'forwarded' | 'answered';
}

export interface EgovProxy {
  /** API base to configure as EGOV_API_BASE. */
  url: string;
  rules: ProxyRule[];
  log: ProxyLogEntry[];
  count(method: string, path: string): number;
  close(): Promise<void>;
}

/** The path of the API base, as in production (https://api.e-gov.go.jp/shinsei/v2) and on the simulator. */
export const API_PREFIX = '/shinsei/v2';

function pathMatches(rulePath: string, p: string): boolean {
  const a = rulePath.split('/');
  const b = p.split('/');
  return a.length === b.length && a.every((seg, i) => (/^\{[^/]+\}$/.test(seg) ? b[i].length > 0 : seg === b[i]));
}

/** A transparent HTTP proxy to the simulator's API, with rules consumed one request at a time. */
export async function startEgovProxy(sim: EgovSim): Promise<EgovProxy> {
  const target = new URL(sim.url);
  const rules: ProxyRule[] = [];
  const log: ProxyLogEntry[] = [];

  const take = (method: string, p: string): ProxyRule | undefined => {
    const i = rules.findIndex((r) => r.method === method && pathMatches(r.path, p));
    if (i < 0) return undefined;
    const rule = rules[i];
    rule.times -= 1;
    if (rule.times <= 0) rules.splice(i, 1);
    return rule;
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const method = (req.method ?? 'GET').toUpperCase();
        const fullPath = (req.url ?? '/').split('?')[0];
        const apiPath = fullPath.startsWith(`${API_PREFIX}/`) ? fullPath.slice(API_PREFIX.length) : fullPath;
        const entry: ProxyLogEntry = { method, path: apiPath, status: null, proxied: 'forwarded' };
        log.push(entry);
        let body = Buffer.concat(chunks);
        const rule = take(method, apiPath);
        if (rule && 'respond' in rule) {
          entry.proxied = 'answered';
          entry.status = rule.respond.status;
          entry.body = rule.respond.body;
          res.writeHead(rule.respond.status, { 'content-type': 'application/problem+json; charset=utf-8', ...rule.respond.headers });
          res.end(rule.respond.body);
          return;
        }
        if (rule && 'delayMs' in rule) await new Promise((r) => setTimeout(r, rule.delayMs));
        if (rule && 'rewriteJson' in rule) body = Buffer.from(JSON.stringify(rule.rewriteJson(JSON.parse(body.toString('utf8')))));
        const headers = { ...req.headers, host: target.host, 'content-length': String(body.length) };
        const up = http.request(
          { host: target.hostname, port: target.port, method, path: req.url, headers },
          (upRes: http.IncomingMessage) => {
            const out: Buffer[] = [];
            upRes.on('data', (c: Buffer) => out.push(c));
            upRes.on('end', () => {
              const text = Buffer.concat(out);
              entry.status = upRes.statusCode ?? null;
              if (/json/.test(String(upRes.headers['content-type']))) entry.body = text.toString('utf8');
              res.writeHead(upRes.statusCode ?? 502, upRes.headers);
              res.end(text);
            });
            upRes.on('error', () => res.destroy());
          },
        );
        // The client gave up (its timeout): so does the proxy, and the simulator sees the connection close.
        res.on('close', () => {
          if (!res.writableFinished) up.destroy();
        });
        up.on('error', () => res.destroy());
        up.end(body);
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}${API_PREFIX}`,
    rules,
    log,
    count: (method, p) => log.filter((e) => e.method === method && e.path === p).length,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A complete 資格取得届 (shaho-shutoku) form: valid, and packageable with an office that has 事業所整理記号 and 事業所番号. */
export const VALID_FORM: Record<string, unknown> = {
  familyName: '山田',
  givenName: '太郎',
  familyNameKana: 'ヤマダ',
  givenNameKana: 'タロウ',
  birthDate: '1990-04-01',
  insuredType: '1',
  acquisitionType: '1',
  basicPensionNumber: '1234-567890',
  acquisitionDate: '2026-04-01',
  hasDependents: '0',
  remunerationCash: 250000,
  remunerationTotal: 250000,
  postalCode: '100-0013',
  address: '東京都千代田区霞が関1-2-2',
};

/**
 * Links the tenant's e-Gov account as an administrator does: POST /egov/link,
 * the simulator's login page (read for its request id, then posted), and the
 * callback without the session cookie (it comes from e-Gov's site).
 */
export async function linkEgovAccount(t: TestApp, admin: LoggedIn, sim: EgovSim, accountId = 'sharoushi-001'): Promise<void> {
  const start = await admin.agent.post('/api/v1/egov/link').set('X-CSRF-Token', admin.csrf).expect(200);
  // The authorize request is GET {auth}/auth (API v2); the simulator's login page posts its form back.
  if (new URL(start.body.authorizeUrl as string).pathname !== `${new URL(sim.authUrl).pathname}/auth`)
    throw new Error(`the authorize URL is not {auth}/auth: ${String(start.body.authorizeUrl)}`);
  const html = await (await fetch(start.body.authorizeUrl)).text();
  const requestId = /name="request_id" value="([^"]+)"/.exec(html)?.[1];
  if (!requestId) throw new Error('no request_id on the simulator login page');
  const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
  const loggedIn = await fetch(action ? new URL(action.replace(/&amp;/g, '&'), sim.authUrl).toString() : `${sim.authUrl}/auth`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ request_id: requestId, account_id: accountId, action: 'login' }).toString(),
    redirect: 'manual',
  });
  const back = new URL(loggedIn.headers.get('location') as string);
  // e-Gov's redirect back brings the SameSite=Lax link cookie of the starting browser, not the Strict session cookie.
  await request(t.http)
    .get(`${back.pathname}${back.search}`)
    .set('Cookie', egovLinkCookie(start))
    .expect(302)
    .expect('Location', '/settings/egov?linked=1');
}

/** The browser-binding cookie POST /egov/link sets (name=value), as the browser sends it back to the callback. */
export function egovLinkCookie(start: { headers: Record<string, unknown> }): string {
  const all = ([] as string[]).concat((start.headers['set-cookie'] as string[] | string | undefined) ?? []);
  const c = all.find((x) => x.startsWith('charlotte_egov_link='));
  if (!c) throw new Error('POST /egov/link set no link cookie');
  return c.split(';')[0];
}

/** The software id and API key the tests register with the simulator. */
export const SIM_CLIENT = { clientId: 'charlotte-test', clientSecret: 'test-secret' };

/** The simulator on a test clock: review takes 1 s of `now()` each step, so tests move time by hand. */
export function startTestSim(now: () => number): Promise<EgovSim> {
  return startEgovSim({ ...SIM_CLIENT, now, clock: { arriveToReviewMs: 1000, reviewToFinishMs: 1000 } });
}

/** The app's e-Gov configuration for `sim` (its API through `apiBase` when a proxy stands in front), and clamd. */
export const egovEnv = (sim: EgovSim, apiBase = sim.url): Record<string, string> => ({
  EGOV_API_BASE: apiBase,
  EGOV_AUTH_BASE: sim.authUrl,
  EGOV_CLIENT_ID: SIM_CLIENT.clientId,
  EGOV_CLIENT_SECRET: SIM_CLIENT.clientSecret,
  CLAMD_SOCKET: process.env.CLAMD_SOCKET ?? '/tmp/charlotte-clamd/clamd.sock',
});
