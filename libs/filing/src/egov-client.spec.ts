import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import type { AppConfig } from '@charlotte/core';
import { validateAgainstSpec, type SpecSchemaName } from '../../../apps/egov-sim/src/spec';
import { accountIdOf, EgovClient, EgovError } from './egov-client';

/**
 * The client against a real HTTP server that answers in the recorded real shapes. Every JSON request the
 * client sends and every answer the server gives it are checked with the simulator's JSON Schemas
 * (apps/egov-sim/src/spec: an independent reading of the e-Gov API v2 specification, closed objects),
 * so a field the spec does not allow, a missing one, or a wrong type fails the test that caused it.
 */
const recorded = (name: string): unknown =>
  JSON.parse(fs.readFileSync(path.join(__dirname, 'egov-api', 'recorded', `${name}.json`), 'utf8'));

/** The spec schema of each JSON request body the client sends (key: method and path below the API base). */
const REQUEST_SCHEMA: Record<string, SpecSchemaName> = {
  'POST /apply': 'apply_request',
  'POST /apply/check': 'apply_check_request',
  'POST /apply/amend': 'apply_amend_request',
  'POST /apply/withdraw': 'apply_withdraw_request',
  'POST /official_document': 'official_document_complete_request',
};

/** The spec schema of the answer to a request (2xx, then the 4xx with a body), or undefined when unknown. */
function answerSchema(method: string, p: string, status: number): SpecSchemaName | undefined {
  if (p.startsWith('/auth/')) {
    if (status >= 400) return 'token_error';
    return p === '/auth/token' ? 'token_response' : p === '/auth/token/introspect' ? 'introspect_response' : undefined;
  }
  const api = p.replace(/^\/shinsei\/v2/, '');
  if (status >= 400)
    return api === '/apply/withdraw' ? 'error_report_withdraw' : /^\/apply(\/amend)?$/.test(api) ? 'error_report' : 'error';
  if (method === 'POST') {
    const m: Record<string, SpecSchemaName> = {
      '/apply': 'apply_response',
      '/apply/check': 'apply_check_response',
      '/apply/amend': 'apply_amend_response',
      '/apply/withdraw': 'apply_withdraw_response',
      '/official_document': 'official_document_complete_response',
    };
    return m[api];
  }
  if (api.startsWith('/apply/lists')) return 'apply_lists_response';
  if (/^\/apply\/\d+$/.test(api)) return 'apply_detail_response';
  if (api.startsWith('/notice/')) return 'notice_response';
  if (api.startsWith('/official_document/')) return 'official_document_response';
  if (api.startsWith('/procedure/')) return 'procedure_response';
  return undefined;
}

interface Seen {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  body: string;
}
/** `offSpec`: a deliberately broken answer (the test is about how the client copes), not checked against the spec. */
type Answer = { status: number; body?: unknown; headers?: Record<string, string>; offSpec?: boolean };

describe(EgovClient.name, () => {
  let server: http.Server;
  let base: string;
  let seen: Seen[];
  let problems: string[];
  let answer: (s: Seen) => Answer;
  let sut: EgovClient;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const u = new URL(req.url ?? '/', 'http://x');
        const s: Seen = {
          method: req.method ?? '',
          path: u.pathname,
          query: u.searchParams,
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        };
        seen.push(s);
        const a = answer(s);
        if (a.body !== undefined && !a.offSpec) {
          const name = answerSchema(s.method, s.path, a.status);
          const check = name ? validateAgainstSpec(name, a.body) : { valid: false, errors: ['no spec schema for this answer'] };
          if (!check.valid) problems.push(`answer to ${s.method} ${s.path} (${a.status}): ${check.errors.join('; ')}`);
        }
        res.writeHead(a.status, { ...(a.body !== undefined ? { 'content-type': 'application/json' } : {}), ...a.headers });
        res.end(a.body === undefined ? undefined : typeof a.body === 'string' ? a.body : JSON.stringify(a.body));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    sut = new EgovClient({
      egovApiBase: `${base}/shinsei/v2`,
      egovAuthBase: `${base}/auth`,
      egovClientId: 'X99XKwoHFQsFrmxR',
      egovClientSecret: 'api-key-1',
      egovTimeoutMs: 5000,
    } as AppConfig);
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));
  beforeEach(() => {
    seen = [];
    problems = [];
  });

  /**
   * Every JSON body the client sent to the API fits the spec's request schema (an API request with a body
   * but no known schema is itself a failure), and every answer the test server gave fits the spec.
   */
  afterEach(() => {
    for (const s of seen) {
      if (!s.path.startsWith('/shinsei/v2/') || s.body === '') continue;
      const key = `${s.method} ${s.path.replace('/shinsei/v2', '')}`;
      const name = REQUEST_SCHEMA[key];
      if (!name) {
        problems.push(`${key}: a request body the spec has no schema for`);
        continue;
      }
      let body: unknown;
      try {
        body = JSON.parse(s.body);
      } catch {
        problems.push(`${key}: the request body is not JSON`);
        continue;
      }
      const check = validateAgainstSpec(name, body);
      if (!check.valid) problems.push(`${key} does not fit the spec (${name}): ${check.errors.join('; ')}`);
    }
    if (problems.length > 0) throw new Error(problems.join('\n'));
  });

  it('sends the browser to {auth}/auth with PKCE', () => {
    const u = new URL(sut.authorizeUrl('st', 'ch', 'https://app.example/cb'));
    expect(u.pathname).toBe('/auth/auth');
    expect(Object.fromEntries(u.searchParams)).toEqual({
      client_id: 'X99XKwoHFQsFrmxR',
      response_type: 'code',
      scope: 'openid offline_access',
      redirect_uri: 'https://app.example/cb',
      state: 'st',
      code_challenge: 'ch',
      code_challenge_method: 'S256',
    });
  });

  it('exchanges the code at {auth}/token as a form with HTTP Basic, introspects and logs out', async () => {
    answer = (s) =>
      s.path === '/auth/logout'
        ? { status: 204 }
        : s.path === '/auth/token/introspect'
          ? { status: 200, body: recorded('introspect') }
          : { status: 200, body: recorded('token') };
    const before = Date.now();
    const { tokens, accountId } = await sut.exchangeCode('code-1', 'v'.repeat(43), 'https://app.example/cb');
    expect(tokens.refreshToken).toBe('eyJhbGciOiJIUzI1NiJ9.sample-refresh');
    // refresh_expires_in 86400: the refresh token's end is kept for the settings page
    expect(tokens.refreshExpiresAt! - before).toBeGreaterThanOrEqual(86_400_000);
    expect(tokens.refreshExpiresAt! - Date.now()).toBeLessThanOrEqual(86_400_000);
    // the recorded id token is a placeholder, not a readable JWT: no account name, and no failure
    expect(accountId).toBeNull();
    expect(await sut.introspect(tokens.accessToken)).toMatchObject({ active: true });
    await sut.logout(tokens.refreshToken);
    expect(seen.map((s) => `${s.method} ${s.path}`)).toEqual(['POST /auth/token', 'POST /auth/token/introspect', 'POST /auth/logout']);
    for (const s of seen) {
      expect(s.headers.authorization).toBe(`Basic ${Buffer.from('X99XKwoHFQsFrmxR:api-key-1').toString('base64')}`);
      expect(s.headers['content-type']).toBe('application/x-www-form-urlencoded');
    }
    expect(Object.fromEntries(new URLSearchParams(seen[0].body))).toEqual({
      grant_type: 'authorization_code',
      code: 'code-1',
      redirect_uri: 'https://app.example/cb',
      code_verifier: 'v'.repeat(43),
    });
    expect(Object.fromEntries(new URLSearchParams(seen[2].body))).toEqual({ refresh_token: tokens.refreshToken });
  });

  it('applies with the real body, the trial header only when asked, and reads the JST arrival date', async () => {
    answer = () => ({ status: 200, body: recorded('apply') });
    const zip = Buffer.from('PK\u0005\u0006' + '\u0000'.repeat(18), 'latin1');
    const r = await sut.apply('tok', '4950013521019000', zip, '4950013521019000.zip', { trial: true });
    expect(r.arriveId).toBe('202604010930000123');
    expect(r.arriveDate.toISOString()).toBe('2026-04-01T00:30:00.000Z');
    await sut.apply('tok', '4950013521019000', zip, '4950013521019000.zip');
    expect(seen[0].headers['x-egovapi-trial']).toBe('true');
    expect(seen[1].headers['x-egovapi-trial']).toBeUndefined();
    expect(seen[0].headers.authorization).toBe('Bearer tok');
    expect(JSON.parse(seen[0].body)).toEqual({
      proc_id: '4950013521019000',
      send_file: { file_name: '4950013521019000.zip', file_data: zip.toString('base64') },
    });
  });

  it('amends and withdraws with {arrive_id, send_file} (no proc_id, no reason field)', async () => {
    answer = (s) => ({ status: 200, body: recorded(s.path.endsWith('/amend') ? 'amend' : 'withdraw') });
    const zip = Buffer.from('zip');
    expect((await sut.amend('tok', '202604010930000123', zip, 'amend.zip')).amendDate.toISOString()).toBe('2026-04-04T02:20:00.000Z');
    expect((await sut.withdraw('tok', '202604010930000123', zip, 'torisage.zip')).withdrawDate.toISOString()).toBe(
      '2026-04-04T07:05:00.000Z',
    );
    expect(seen.map((s) => s.path)).toEqual(['/shinsei/v2/apply/amend', '/shinsei/v2/apply/withdraw']);
  });

  it('checks a package, reads a case and a procedure, and refreshes a token with the bodies the spec allows', async () => {
    answer = (s) => {
      const p = s.path.replace('/shinsei/v2', '');
      if (s.path === '/auth/token') return { status: 200, body: recorded('token') };
      if (p === '/apply/check') return { status: 200, body: recorded('apply-check') };
      if (p.startsWith('/procedure/')) return { status: 200, body: recorded('procedure') };
      return { status: 200, body: recorded('apply-detail') };
    };
    const zip = Buffer.from('PK\u0005\u0006' + '\u0000'.repeat(18), 'latin1');
    const check = await sut.check('tok', '4950013521019000', zip);
    expect(check).toMatchObject({ errorCount: 1, report: [{ item: '被保険者氏名（カナ）', content: '全角カタカナで入力してください。' }] });
    expect((await sut.getCase('tok', '202604010930000123')).status).toBe('審査中（補正待ち）');
    expect((await sut.procedure('tok', '4950013521019000')).configuration_file_name).toEqual(['kousei.xml']);
    expect((await sut.refresh('eyJhbGciOiJIUzI1NiJ9.sample-refresh')).accessToken).toEqual(expect.any(String));
    expect(seen.map((s) => `${s.method} ${s.path}`)).toEqual([
      'POST /shinsei/v2/apply/check',
      'GET /shinsei/v2/apply/202604010930000123',
      'GET /shinsei/v2/procedure/4950013521019000',
      'POST /auth/token',
    ]);
    expect(JSON.parse(seen[0].body)).toEqual({
      proc_id: '4950013521019000',
      send_file: { file_name: '4950013521019000.zip', file_data: zip.toString('base64') },
    });
    expect(Object.fromEntries(new URLSearchParams(seen[3].body))).toEqual({
      grant_type: 'refresh_token',
      refresh_token: 'eyJhbGciOiJIUzI1NiJ9.sample-refresh',
    });
  });

  it("keeps e-Gov's error report as the permanent error's detail", async () => {
    answer = () => ({ status: 400, body: recorded('error-400-report') });
    const e = await sut.apply('tok', '4950013521019000', Buffer.from('z'), 'a.zip').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(EgovError);
    expect(e).toMatchObject({ kind: 'permanent', status: 400, maybeProcessed: false });
    expect((e as EgovError).report).toEqual([
      {
        formName: '健康保険・厚生年金保険被保険者資格取得届／厚生年金保険７０歳以上被用者該当届',
        item: '被保険者生年月日',
        content: '日付が正しくありません。',
      },
    ]);
    expect((e as EgovError).message).toContain('被保険者生年月日 / 日付が正しくありません。');
  });

  it('reads a 401 without a body as a refused token and a 404 without a body as not found', async () => {
    answer = (s) =>
      s.path.includes('999') ? { status: 404 } : { status: 401, headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' } };
    await expect(sut.getCase('tok', '202604010930000123')).rejects.toMatchObject({ kind: 'auth', status: 401 });
    await expect(sut.getCase('tok', '999999999999999999')).rejects.toMatchObject({ kind: 'permanent', status: 404 });
  });

  it('marks an unreadable 2xx to apply as maybe processed', async () => {
    answer = () => ({ status: 200, body: { arrive_id: '202604010930000123' }, offSpec: true });
    await expect(sut.apply('tok', '4950013521019000', Buffer.from('z'), 'a.zip')).rejects.toMatchObject({
      kind: 'transient',
      maybeProcessed: true,
    });
    answer = () => ({ status: 200, body: '{not json', offSpec: true });
    await expect(sut.apply('tok', '4950013521019000', Buffer.from('z'), 'a.zip')).rejects.toMatchObject({
      kind: 'transient',
      maybeProcessed: true,
    });
  });

  it('pages through GET /apply/lists with limit ≤ 50 and the JST days of the window', async () => {
    const all = Array.from({ length: 120 }, (_, i) => ({
      arrive_id: `2026040109${String(i).padStart(8, '0')}`,
      arrive_date: '2026-04-01 09:30:00',
      proc_name: '手続',
    }));
    answer = (s) => {
      const limit = Number(s.query.get('limit'));
      const offset = Number(s.query.get('offset'));
      const page = all.slice(offset, offset + limit);
      const env = recorded('apply-lists') as Record<string, unknown>;
      return {
        status: 200,
        body: { ...env, resultset: { all_count: all.length, limit, offset, count: page.length }, results: { apply_list: page } },
      };
    };
    const got = await sut.listCases('tok', { from: new Date('2026-03-31T15:30:00Z'), to: new Date('2026-04-01T03:00:00Z'), limit: 100 });
    expect(got.map((c) => c.arrive_id)).toEqual(all.map((c) => c.arrive_id));
    expect(seen.map((s) => [s.query.get('limit'), s.query.get('offset')])).toEqual([
      ['50', '0'],
      ['50', '50'],
      ['50', '100'],
    ]);
    expect([seen[0].query.get('date_from'), seen[0].query.get('date_to')]).toEqual(['2026-04-01', '2026-04-01']);
  });

  it('reads a notice with its 補正種別 and acknowledges a document with an integer notice_sub_id', async () => {
    answer = (s) => ({ status: 200, body: recorded(s.path.startsWith('/shinsei/v2/notice/') ? 'notice' : 'official-document-complete') });
    const n = await sut.notice('tok', '202604010930000123', 1);
    expect(n).toMatchObject({ noticeSubId: 1, noticeType: '補正', correctType: '部分補正', correctExpiresOn: '2026-04-17' });
    expect(n.issuedAt.toISOString()).toBe('2026-04-03T05:00:00.000Z');
    await sut.acknowledgeOfficialDocument('tok', '202604010930000123', 2);
    expect(seen.map((s) => s.path)).toEqual(['/shinsei/v2/notice/202604010930000123/1', '/shinsei/v2/official_document']);
    expect(JSON.parse(seen[1].body)).toEqual({ arrive_id: '202604010930000123', notice_sub_id: 2 });
    await expect(sut.notice('tok', '202604010930000123', 0)).rejects.toMatchObject({ kind: 'permanent' });
  });

  it('fetches an official document with its file names', async () => {
    answer = () => ({ status: 200, body: recorded('official-document') });
    const d = await sut.officialDocument('tok', '202604010930000123', 2);
    expect(d.fileNames).toEqual(['kagami.xml', 'tsuchisho.pdf']);
    expect(d.data.subarray(0, 2).toString('latin1')).toBe('PK');
  });
});

describe('accountIdOf', () => {
  const jwt = (claims: object) => `eyJhbGciOiJSUzI1NiJ9.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`;

  it('names the e-Gov account by preferred_username, else sub', () => {
    expect(accountIdOf(jwt({ sub: 'f81d4fae', preferred_username: 'taro@example.jp' }))).toBe('taro@example.jp');
    expect(accountIdOf(jwt({ sub: 'sharoushi-001' }))).toBe('sharoushi-001');
  });

  it('answers null for a missing or unreadable id token, and strips control characters', () => {
    expect(accountIdOf(undefined)).toBeNull();
    expect(accountIdOf('not-a-jwt')).toBeNull();
    expect(accountIdOf('a.%%%.c')).toBeNull();
    expect(accountIdOf(jwt({ sub: 42 }))).toBeNull();
    expect(accountIdOf(jwt({ sub: 'taro\u0000\n@example.jp' }))).toBe('taro@example.jp');
    expect(accountIdOf(jwt({ sub: 'x'.repeat(1000) }))).toHaveLength(256);
  });
});
