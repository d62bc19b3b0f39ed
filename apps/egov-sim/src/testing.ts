import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import * as yauzl from 'yauzl';
import * as yazl from 'yazl';
import type { EgovSim } from './server';

/**
 * Helpers for tests that talk to the simulator over real HTTP (its own specs,
 * and the API's e2e tests): PKCE login, package building, unzipping.
 */

export const TEST_REDIRECT_URI = 'http://127.0.0.1:5999/egov/callback';

export function basicAuth(clientId: string, clientSecret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`;
}

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export interface AuthorizeResult {
  code: string;
  state: string;
  verifier: string;
  redirectUri: string;
}

/**
 * Plays the browser: GET the login page, read its request_id, POST the login
 * form, and return the code from the redirect.
 */
export async function authorize(
  sim: EgovSim,
  opts: { clientId: string; accountId: string; redirectUri?: string; scope?: string },
): Promise<AuthorizeResult> {
  const redirectUri = opts.redirectUri ?? TEST_REDIRECT_URI;
  const { verifier, challenge } = pkcePair();
  const state = randomBytes(8).toString('hex');
  const q = new URLSearchParams({
    response_type: 'code',
    client_id: opts.clientId,
    redirect_uri: redirectUri,
    scope: opts.scope ?? 'openid offline_access',
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });
  const page = await fetch(`${sim.authUrl}/authorize?${q}`, { redirect: 'manual' });
  const html = await page.text();
  if (page.status !== 200) throw new Error(`authorize page answered ${page.status}: ${html}`);
  const requestId = /name="request_id" value="([^"]+)"/.exec(html)?.[1];
  if (!requestId) throw new Error('no request_id in the login page');
  const login = await fetch(`${sim.authUrl}/authorize`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ request_id: requestId, account_id: opts.accountId, action: 'login' }),
    redirect: 'manual',
  });
  const location = login.headers.get('location');
  if (login.status !== 302 || !location) throw new Error(`login answered ${login.status}`);
  const back = new URL(location);
  const code = back.searchParams.get('code');
  if (!code) throw new Error(`no code in redirect: ${location}`);
  if (back.searchParams.get('state') !== state) throw new Error('state not echoed');
  return { code, state, verifier, redirectUri };
}

export interface TokenSet {
  access_token: string;
  token_type: string;
  expires_in: number;
  refresh_token?: string;
  scope: string;
  id_token?: string;
}

export async function tokenRequest(sim: EgovSim, auth: string, form: Record<string, string>): Promise<Response> {
  return fetch(`${sim.authUrl}/token`, {
    method: 'POST',
    headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form),
  });
}

/** Full login: authorize + code exchange. Returns the token set. */
export async function login(sim: EgovSim, opts: { clientId: string; clientSecret: string; accountId: string }): Promise<TokenSet> {
  const a = await authorize(sim, opts);
  const res = await tokenRequest(sim, basicAuth(opts.clientId, opts.clientSecret), {
    grant_type: 'authorization_code',
    code: a.code,
    redirect_uri: a.redirectUri,
    code_verifier: a.verifier,
  });
  if (res.status !== 200) throw new Error(`token endpoint answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as TokenSet;
}

export async function zipOf(entries: Record<string, string | Buffer>): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const [name, content] of Object.entries(entries))
    zip.addBuffer(Buffer.isBuffer(content) ? content : Buffer.from(content, 'utf8'), name);
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of Readable.from(zip.outputStream as AsyncIterable<Buffer>)) chunks.push(chunk);
  return Buffer.concat(chunks);
}

export function kouseiXml(procId: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<構成情報><手続情報><手続番号>${procId}</手続番号></手続情報><申請書属性情報><申請書ファイル名>form.xml</申請書ファイル名></申請書属性情報></構成情報>
`;
}

/** A package the simulator accepts: kousei.xml + one form XML, in a folder like e-Gov's. */
export async function validPackage(procId: string): Promise<{ file_name: string; file_data: string }> {
  const zip = await zipOf({
    'apply/kousei.xml': kouseiXml(procId),
    'apply/form.xml': '<?xml version="1.0" encoding="UTF-8"?><申請書><氏名>山田 太郎</氏名></申請書>\n',
  });
  return { file_name: 'apply.zip', file_data: zip.toString('base64') };
}

export async function unzip(zip: Buffer): Promise<Map<string, Buffer>> {
  const file = await yauzl.fromBufferPromise(zip, { lazyEntries: true });
  const out = new Map<string, Buffer>();
  for await (const entry of file.eachEntry()) {
    const chunks: Buffer[] = [];
    for await (const chunk of await file.openReadStreamPromise(entry)) chunks.push(chunk as Buffer);
    out.set(entry.fileName, Buffer.concat(chunks));
  }
  return out;
}

export interface ApiResult<T = Record<string, unknown>> {
  status: number;
  contentType: string;
  headers: Headers;
  body: T;
}

/** Calls the API with a Bearer token and parses the JSON answer. */
export async function callApi<T = Record<string, unknown>>(
  sim: EgovSim,
  accessToken: string | undefined,
  method: string,
  path: string,
  body?: unknown,
): Promise<ApiResult<T>> {
  const headers: Record<string, string> = {};
  if (accessToken) headers.authorization = `Bearer ${accessToken}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${sim.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return {
    status: res.status,
    contentType: res.headers.get('content-type') ?? '',
    headers: res.headers,
    body: (text ? JSON.parse(text) : {}) as T,
  };
}

/** A clock tests move by hand (pass `now: clock.now` to startEgovSim). */
export function manualClock(start = Date.parse('2026-11-26T01:00:00Z')): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}
