import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createPrivateKey, sign } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { createTestDatabase, TestDatabase } from '../support/db';
import { nastyString } from '../support/fuzz/arbitraries';
import { acsForm, hostileSamlResponse } from '../support/fuzz/saml';
import { makeIdpCert, ssoSettings } from '../support/saml-idp';

/**
 * Process survival (issue 13): the BUILT server, as production runs it, gets
 * each request known to have crashed it or stalled it, and must still answer
 * /health/live afterwards without the process having exited.
 * Needs `npm run build:api` first (the test command builds).
 *
 * Cases a–c are issue 13 finding 1 (a SAML refusal whose audit write threw
 * inside an async exception filter: an unhandled rejection ended the process).
 * If the process dies, the next case starts a new one, so that each case is
 * judged on its own.
 */
const root = path.resolve(__dirname, '../..');
const mainJs = path.join(root, 'dist/apps/api/apps/api/src/main.js');
const cliJs = path.join(root, 'dist/apps/api/apps/api/src/cli.js');
const TENANT = 'survive';
const RUNS = Number(process.env.FUZZ_RUNS ?? 3);
const SEED = Number(process.env.FUZZ_SEED ?? 20_261_313);
const EMAIL = 'admin@survive.example';
const PASSWORD = 'correct horse battery staple';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

describe('Process survival: the built server outlives every known crash request', () => {
  let db: TestDatabase;
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  let base: string;
  let publicUrl: string;
  let server: ChildProcess | undefined;
  let serverOut = '';
  let session: { cookie: string; csrf: string };
  const exits: string[] = [];

  jest.setTimeout(120_000);

  async function startServer(): Promise<void> {
    serverOut = '';
    const proc = spawn(process.execPath, [mainJs], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stdout?.on('data', (d: Buffer) => (serverOut += d.toString()));
    proc.stderr?.on('data', (d: Buffer) => (serverOut += d.toString()));
    proc.once('exit', (code, signal) => exits.push(`exit ${code ?? signal}`));
    server = proc;
    const deadline = Date.now() + 45_000;
    for (;;) {
      const ok = await fetch(`${base}/health/ready`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) return;
      if (Date.now() > deadline || proc.exitCode !== null) throw new Error(`server did not start:\n${serverOut.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  const cli = (...args: string[]) => {
    const r = spawnSync(process.execPath, [cliJs, ...args, '--json'], { env, encoding: 'utf8', timeout: 60_000 });
    if (r.status !== 0) throw new Error(`cli ${args[0]}: ${r.status} ${r.stdout} ${r.stderr}`);
    return r;
  };

  /** The answer, or the way it failed ("reset", "timeout"): a crash must show as a failure, not throw past the assertion. */
  async function send(p: string, init: RequestInit = {}): Promise<{ status: number | string; type: string | null; text: string }> {
    try {
      const res = await fetch(base + p, { redirect: 'manual', signal: AbortSignal.timeout(10_000), ...init });
      return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
    } catch (e) {
      const err = e as Error & { cause?: { code?: string } };
      return { status: `${err.name}: ${err.cause?.code ?? err.message}`, type: null, text: '' };
    }
  }

  /** After each case: the process has not exited and /health/live answers 200. */
  async function expectAlive(): Promise<void> {
    await new Promise((r) => setTimeout(r, 300)); // an unhandled rejection ends the process on the next ticks
    const live = await send('/health/live');
    expect({ exited: server?.exitCode !== null ? `exited (${exits.join(', ')})` : false, live: live.status }).toEqual({
      exited: false,
      live: 200,
    });
  }

  beforeAll(async () => {
    expect(fs.existsSync(mainJs)).toBe(true);
    db = await createTestDatabase('charlotte_survival');
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'charlotte-survival-'));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    publicUrl = base;
    env = {
      ...process.env,
      NODE_ENV: 'production',
      DATABASE_URL: db.url,
      DATA_DIR: dataDir,
      PORT: String(port),
      PUBLIC_URL: publicUrl,
      COOKIE_SECURE: 'false',
      LOG_LEVEL: 'info',
      ARGON2_MEMORY_KIB: '8192',
      ARGON2_ITERATIONS: '1',
      RATE_LIMIT_LOGIN_PER_MINUTE: '10000',
      RATE_LIMIT_API_PER_MINUTE: '100000',
    };
    await startServer();

    // A tenant and its admin through the built CLI, a key file, then a login over HTTP as the SPA does it.
    cli('tenant:create', '--code', TENANT, '--name', 'Survive 株式会社', '--admin-email', EMAIL, '--admin-password', PASSWORD);
    const keyPath = path.join(dataDir, 'admin.charlotte-key.json');
    cli('keyfile:issue', '--tenant', TENANT, '--email', EMAIL, '--out', keyPath);
    const keyFile = JSON.parse(fs.readFileSync(keyPath, 'utf8')) as { keyId: string; privateKeyJwk: Record<string, string> };
    const first = await fetch(`${base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ tenant: TENANT, email: EMAIL, password: PASSWORD }),
    });
    const { challenge } = (await first.json()) as { challenge: string };
    const signature = sign('sha256', Buffer.from(`charlotte-login:v1:${challenge}`), {
      key: createPrivateKey({ key: keyFile.privateKeyJwk, format: 'jwk' }),
      dsaEncoding: 'ieee-p1363',
    }).toString('base64url');
    const second = await fetch(`${base}/api/v1/auth/keyfile`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: (first.headers.get('set-cookie') ?? '').split(';')[0] },
      body: JSON.stringify({ keyId: keyFile.keyId, signature }),
    });
    const done = (await second.json()) as { step: string; csrfToken: string };
    expect(done.step).toBe('done');
    session = {
      cookie: second.headers
        .getSetCookie()
        .map((c) => c.split(';')[0])
        .join('; '),
      csrf: done.csrfToken,
    };

    // SSO settings, so that the ACS parses what it gets
    const idp = makeIdpCert('survival-idp');
    const sso = await fetch(`${base}/api/v1/tenant/sso`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', cookie: session.cookie, 'x-csrf-token': session.csrf },
      body: JSON.stringify(ssoSettings(`https://idp.example.jp/${TENANT}`, idp.certPem, { jitEnabled: false, allowIdpInitiated: true })),
    });
    expect(sso.status).toBe(200);
  }, 180_000);

  beforeEach(async () => {
    // A previous case may have killed the process (or left it dying): start a new one so that
    // this case is judged on its own.
    if ((await send('/health/live')).status === 200 && server?.exitCode === null) return;
    const dying = server;
    if (dying && dying.exitCode === null) {
      await new Promise((r) => {
        dying.once('exit', r);
        setTimeout(() => {
          dying.kill('SIGKILL');
          r(undefined);
        }, 10_000);
      });
    }
    await startServer();
  });

  afterAll(async () => {
    if (server && server.exitCode === null) {
      const proc = server;
      proc.kill('SIGTERM');
      await new Promise((r) => proc.once('exit', r));
    }
    await db?.drop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const acs = (xml: string) =>
    send(`/api/v1/auth/saml/${TENANT}/acs`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: acsForm(xml),
    });

  it.each([
    ['a) a StatusCode Value that looks like a 個人番号', { status: 'urn:x:123412341234' }],
    ['b) a StatusCode Value that looks like an e-mail', { status: 'x@y.zz' }],
    ['c) a SignatureMethod Algorithm ending in an e-mail', { signatureAlgorithm: 'http://www.w3.org/2000/09/xmldsig#a@b.cd' }],
  ])('%s: the ACS refuses (4xx page) and the process lives', async (_name, over) => {
    const res = await acs(hostileSamlResponse({ publicUrl, tenant: TENANT, ...over }));
    const answer = typeof res.status === 'number' && res.status >= 400 && res.status < 500 ? 'refused' : res.status;
    await new Promise((r) => setTimeout(r, 300));
    const live = (await send('/health/live')).status;
    // one assertion for both, so that the report shows the answer and whether the process survived
    expect({ answer, live, exited: server?.exitCode !== null ? exits[exits.length - 1] : false }).toEqual({
      answer: 'refused',
      live: 200,
      exited: false,
    });
  });

  it('f) generated strings (fast-check, FUZZ_SEED) in StatusCode, SignatureMethod Algorithm and NameID: refused, the process lives', async () => {
    // hostile strings, and the class finding 1 named: values that look like personal data (e-mail, 12 digits)
    const arb = fc.oneof(nastyString(), fc.emailAddress(), fc.stringMatching(/^urn:x:[0-9]{12}$/));
    const values = fc.sample(arb, { seed: SEED, numRuns: RUNS * 4 });
    const failures: string[] = [];
    for (const v of values) {
      for (const over of [{ status: v }, { signatureAlgorithm: `http://www.w3.org/2000/09/xmldsig#${v}` }, { nameId: v }]) {
        const res = await acs(hostileSamlResponse({ publicUrl, tenant: TENANT, ...over }));
        if (!(typeof res.status === 'number' && res.status >= 400 && res.status < 500))
          failures.push(`${JSON.stringify(over)} → ${res.status}`);
        if ((await send('/health/live')).status !== 200 || server?.exitCode !== null) {
          failures.push(`${JSON.stringify(over)} → the process died (replay: FUZZ_SEED=${SEED})`);
          return expect(failures).toEqual([]);
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it.each([
    ['a 404 path', '/api/v1/nothing-here'],
    ['/api/v1/auth/login', '/api/v1/auth/login'],
  ])('d) JSON nested 100 000 deep (within 1 MB) on %s: 4xx and the process lives', async (_name, p) => {
    const res = await send(p, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '['.repeat(100_000) + ']'.repeat(100_000),
    });
    expect(typeof res.status === 'number' && res.status >= 400 && res.status < 500 ? res.type : res.status).toMatch(
      /^application\/problem\+json/,
    );
    await expectAlive();
  });

  it.each([
    ['from=99999-01-01', 'from=99999-01-01'],
    ['to=0000-00-00', 'to=0000-00-00'],
    ['from=2026-02-30', 'from=2026-02-30'],
    ['from=2026-W01', 'from=2026-W01'],
    ['a cursor of garbage', `cursor=${Buffer.from('garbage').toString('base64url')}`],
    ['a cursor with a non-numeric seq', `cursor=${Buffer.from(JSON.stringify({ s: 'NaN' })).toString('base64url')}`],
    ['a cursor with an out-of-range seq', `cursor=${Buffer.from(JSON.stringify({ s: '9'.repeat(30) })).toString('base64url')}`],
  ])('e) the audit list with %s: 400 and the process lives', async (_name, query) => {
    const res = await send(`/api/v1/audit-events?${query}`, { headers: { cookie: session.cookie } });
    expect(res.status).toBe(400);
    await expectAlive();
  });
});
