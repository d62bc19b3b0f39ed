import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import * as forge from 'node-forge';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as yauzl from 'yauzl';
import { APPLY_TYPE, findProcedure, KOUSEI_FILE_NAME, WITHDRAWAL_FILE_NAME, WITHDRAWAL_PROC_ID, type ApplyType } from './procedures';
import type { EgovSim } from './server';
import { formXml, kouseiXml, torisageiraiXml, type PersonInfo } from './xml';
import { signKousei, type SigningKey } from './xmldsig';
import { zipEntries } from './zip';

export type { SigningKey } from './xmldsig';

/**
 * Helpers for tests that talk to the simulator over real HTTP (its own specs,
 * the client's contract tests, the API's e2e tests): PKCE login, REAL-structure
 * packages (optionally signed), a test certificate, unzipping.
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

/** Plays the browser: GET {auth}/auth, read the request_id, POST the login form, return the code from the redirect. */
export async function authorize(
  sim: EgovSim,
  opts: { clientId: string; accountId: string; redirectUri?: string; scope?: string },
): Promise<AuthorizeResult> {
  const redirectUri = opts.redirectUri ?? TEST_REDIRECT_URI;
  const { verifier, challenge } = pkcePair();
  const state = randomBytes(8).toString('hex');
  const q = new URLSearchParams({
    client_id: opts.clientId,
    response_type: 'code',
    scope: opts.scope ?? 'openid offline_access',
    redirect_uri: redirectUri,
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });
  const page = await fetch(`${sim.authUrl}/auth?${q}`, { redirect: 'manual' });
  const html = await page.text();
  if (page.status !== 200) throw new Error(`authorize page answered ${page.status}: ${html}`);
  const requestId = /name="request_id" value="([^"]+)"/.exec(html)?.[1];
  if (!requestId) throw new Error('no request_id in the login page');
  const login = await fetch(`${sim.authUrl}/auth`, {
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

/** results_token of the spec. */
export interface TokenSet {
  access_token: string;
  expires_in: number;
  refresh_expires_in: number;
  refresh_token: string;
  token_type: string;
  id_token: string;
  'not-before-policy': number;
  session_state: string;
  scope: string;
}

/** POST {auth}/token or another form endpoint of the account server (path relative to authUrl). */
export async function tokenRequest(sim: EgovSim, auth: string, form: Record<string, string>, path = '/token'): Promise<Response> {
  return fetch(`${sim.authUrl}${path}`, {
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

export const zipOf = zipEntries;

export async function unzip(zip: Buffer): Promise<Map<string, Buffer>> {
  const file = await yauzl.fromBufferPromise(zip, { lazyEntries: true });
  const out = new Map<string, Buffer>();
  for await (const entry of file.eachEntry()) {
    if (entry.fileName.endsWith('/')) continue;
    const chunks: Buffer[] = [];
    for await (const chunk of await file.openReadStreamPromise(entry)) chunks.push(chunk as Buffer);
    out.set(entry.fileName, Buffer.concat(chunks));
  }
  return out;
}

// --- certificates -------------------------------------------------------------------

/**
 * A self-signed test certificate and its key (PEM), cached in os.tmpdir()
 * (directory egov-sim-test-certs-v2). 'rsa' (RSA 2048, valid 2020-2099, so that
 * manual clocks in the past still see it valid) and 'expired' (RSA, valid
 * 2020-2021 only) are made with node-forge, because OpenSSL 3.0's `req` cannot
 * set a start date in the past; 'ec' (a P-256 key: not RSA) with `openssl req -x509`.
 */
export function testCertificate(kind: 'rsa' | 'expired' | 'ec' = 'rsa'): SigningKey {
  const dir = join(tmpdir(), 'egov-sim-test-certs-v2');
  mkdirSync(dir, { recursive: true });
  const key = join(dir, `${kind}.key.pem`);
  const cert = join(dir, `${kind}.cert.pem`);
  if (!existsSync(key) || !existsSync(cert)) {
    const tmpKey = `${key}.${process.pid}.tmp`;
    const tmpCert = `${cert}.${process.pid}.tmp`;
    if (kind !== 'ec') {
      const keys = forge.pki.rsa.generateKeyPair(2048);
      const c = forge.pki.createCertificate();
      c.publicKey = keys.publicKey;
      c.serialNumber = kind === 'rsa' ? '01' : '02';
      c.validity.notBefore = new Date('2020-01-01T00:00:00Z');
      c.validity.notAfter = new Date(kind === 'rsa' ? '2099-12-31T00:00:00Z' : '2021-01-01T00:00:00Z');
      const attrs = [{ name: 'commonName', value: `egov-sim ${kind} signer` }];
      c.setSubject(attrs);
      c.setIssuer(attrs);
      c.sign(keys.privateKey, forge.md.sha256.create());
      writeFileSync(tmpKey, forge.pki.privateKeyToPem(keys.privateKey));
      writeFileSync(tmpCert, forge.pki.certificateToPem(c));
    } else {
      const keyArgs = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'];
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          ...keyArgs,
          '-nodes',
          '-keyout',
          tmpKey,
          '-out',
          tmpCert,
          '-subj',
          '/C=JP/O=egov-sim test/CN=egov-sim signer',
          '-days',
          '3650',
          '-sha256',
        ],
        { stdio: 'pipe' },
      );
    }
    renameSync(tmpKey, key);
    renameSync(tmpCert, cert);
  }
  return { privateKeyPem: readFileSync(key, 'utf8'), certificatePem: readFileSync(cert, 'utf8') };
}

// --- packages -----------------------------------------------------------------------

export const TEST_APPLICANT: PersonInfo = {
  氏名: '山田　太郎',
  氏名フリガナ: 'ヤマダ　タロウ',
  役職: '代表取締役',
  法人団体名: '株式会社サンプル',
  郵便番号: '1000001',
  住所: '東京都千代田区千代田１－１',
  電話番号: '03-0000-0000',
  電子メールアドレス: 'test@example.invalid',
};

export interface PackageOptions {
  applyType?: ApplyType;
  /** 初回受付番号 (部分補正, 再提出). */
  firstArriveId?: string;
  /** Sign with this key and certificate (XML-DSig in 署名情報). */
  sign?: SigningKey;
  applicant?: PersonInfo;
  /** Folder inside the ZIP (default: the 手続ID, as the real skeleton). '' = ZIP root. */
  folder?: string;
  /** 申請書 items (default: a few made-up values). */
  items?: Record<string, string>;
  /** Test hooks: change kousei.xml / the 申請書 before signing, or the files after signing. */
  kousei?: (xml: string) => string;
  form?: (xml: string) => string;
  afterSign?: (files: Record<string, string | Buffer>) => Record<string, string | Buffer>;
  /** Extra files (attachments) put beside the others. */
  extraFiles?: Record<string, Buffer | string>;
  fileName?: string;
  now?: number;
}

export interface SendFile {
  file_name: string;
  file_data: string;
}

async function buildPackage(procId: string, kousei: string, form: { name: string; xml: string }, o: PackageOptions): Promise<SendFile> {
  const folder = o.folder ?? procId;
  const prefix = folder ? `${folder}/` : '';
  const formText = o.form ? o.form(form.xml) : form.xml;
  let kouseiText = o.kousei ? o.kousei(kousei) : kousei;
  const extra = o.extraFiles ?? {};
  if (o.sign) {
    const signed = [
      { name: form.name, data: Buffer.from(formText, 'utf8') },
      ...Object.entries(extra).map(([name, data]) => ({ name, data: Buffer.isBuffer(data) ? data : Buffer.from(data) })),
    ];
    kouseiText = signKousei(kouseiText, signed, o.sign, o.now);
  }
  let files: Record<string, string | Buffer> = { [KOUSEI_FILE_NAME]: kouseiText, [form.name]: formText, ...extra };
  if (o.afterSign) files = o.afterSign(files);
  const entries = Object.fromEntries(Object.entries(files).map(([name, data]) => [prefix + name, data]));
  const zip = await zipEntries(entries);
  return { file_name: o.fileName ?? `${procId}.zip`, file_data: zip.toString('base64') };
}

/**
 * A package in the REAL structure for one of the procedures of src/procedures.ts:
 * kousei.xml (申請種別 新規申請 by default) + the 申請書 `{様式ID}_01.xml`, in a
 * folder named after the 手続ID; signed when `opts.sign` is given.
 */
export async function validPackage(procId: string, opts: PackageOptions = {}): Promise<SendFile> {
  const proc = findProcedure(procId);
  if (!proc) throw new Error(`validPackage: unknown procedure ${procId}`);
  const kousei = kouseiXml({
    proc,
    applyType: opts.applyType ?? APPLY_TYPE.new,
    firstArriveId: opts.firstArriveId,
    applicant: opts.applicant ?? TEST_APPLICANT,
  });
  const items = opts.items ?? { 被保険者氏名: '年金　花子', 生年月日_元号: '令和', 生年月日_年: '2', 生年月日_月: '4', 生年月日_日: '1' };
  return buildPackage(procId, kousei, { name: proc.formFileName, xml: formXml(proc, items) }, opts);
}

/**
 * A withdrawal package: kousei for 9990000000000003 (申請種別 取下げ依頼,
 * 初回受付番号 = arriveId) + torisageirai.xml holding the reason.
 */
export async function withdrawalPackage(
  arriveId: string,
  opts: PackageOptions & { reason?: string; procName?: string; applicantName?: string } = {},
): Promise<SendFile> {
  const proc = findProcedure(WITHDRAWAL_PROC_ID);
  if (!proc) throw new Error('withdrawal procedure missing');
  const now = new Date((opts.now ?? Date.now()) + 9 * 3600_000);
  const kousei = kouseiXml({
    proc,
    applyType: opts.applyType ?? APPLY_TYPE.withdrawal,
    firstArriveId: opts.firstArriveId ?? arriveId,
    procName: opts.procName ?? proc.procName,
    applicant: opts.applicant ?? TEST_APPLICANT,
  });
  const xml = torisageiraiXml({
    arriveId,
    procName: opts.procName ?? '取下げ対象の手続',
    applicantName: opts.applicantName ?? (opts.applicant ?? TEST_APPLICANT).氏名,
    date: { year: now.getUTCFullYear(), month: now.getUTCMonth() + 1, day: now.getUTCDate() },
    reason: opts.reason ?? '誤って提出したため',
  });
  return buildPackage(
    WITHDRAWAL_PROC_ID,
    kousei,
    { name: WITHDRAWAL_FILE_NAME, xml },
    { ...opts, fileName: opts.fileName ?? 'torisage.zip' },
  );
}

// --- API calls ----------------------------------------------------------------------

export interface ApiResult<T = Record<string, unknown>> {
  status: number;
  contentType: string;
  headers: Headers;
  /** The raw text of the answer ('' when there is none, as for 401 and 404). */
  text: string;
  /** The parsed JSON (undefined when the answer has no body). Nothing is unwrapped. */
  body: T;
}

/** Calls the API (path relative to sim.url) with a Bearer token; `headers` adds e.g. X-eGovAPI-Trial. */
export async function callApi<T = Record<string, unknown>>(
  sim: EgovSim,
  accessToken: string | undefined,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<ApiResult<T>> {
  const h: Record<string, string> = { ...headers };
  if (accessToken) h.authorization = `Bearer ${accessToken}`;
  if (body !== undefined) h['content-type'] ??= 'application/json';
  const res = await fetch(`${sim.url}${path}`, {
    method,
    headers: h,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return {
    status: res.status,
    contentType: res.headers.get('content-type') ?? '',
    headers: res.headers,
    text,
    body: (text ? JSON.parse(text) : undefined) as T,
  };
}

/** A clock tests move by hand (pass `now: clock.now` to startEgovSim). */
export function manualClock(start = Date.parse('2026-11-26T01:00:00Z')): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}
