import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * POST JSON on a fresh connection. fetch reuses a kept-alive socket, and the synchronous CLI calls
 * between requests block this process past the server's keep-alive timeout: the server then closes
 * the idle socket and fetch's next request dies with "other side closed" (seen under load in CI).
 */
function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; cookie: string; json: () => unknown }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent: false, headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({
          status: res.statusCode ?? 0,
          cookie: (res.headers['set-cookie']?.[0] ?? '').split(';')[0],
          json: () => JSON.parse(text),
        });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

/**
 * The built server and CLI as a newcomer runs them: no DATABASE_URL, so the
 * embedded PostgreSQL in DATA_DIR; the CLI works while the server runs and
 * after it stopped; SIGTERM lets an in-flight request finish.
 * Needs `npm run build` first (the test command does it).
 */
const root = path.resolve(__dirname, '../..');
const mainJs = path.join(root, 'dist/apps/api/apps/api/src/main.js');
const cliJs = path.join(root, 'dist/apps/api/apps/api/src/cli.js');

/** Distinct free ports (all held open until every one is chosen). */
async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<net.Server>((resolve) => {
          const s = net.createServer().listen(0, '127.0.0.1', () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

describe('Built server and CLI on the embedded default database', () => {
  let dataDir: string;
  let port: number;
  let metricsPort: number;
  let server: ChildProcess;
  let serverOut = '';
  let env: NodeJS.ProcessEnv;

  const cli = (...args: string[]) => {
    const r = spawnSync(process.execPath, [cliJs, ...args, '--json'], { env, encoding: 'utf8', timeout: 60_000 });
    const lines = r.stdout.trim().split('\n');
    return { status: r.status, json: JSON.parse(lines[lines.length - 1]) as Record<string, unknown>, stderr: r.stderr };
  };

  beforeAll(async () => {
    expect(fs.existsSync(mainJs)).toBe(true);
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'charlotte-proc-'));
    const [httpPort, pgPort, promPort] = await freePorts(3);
    port = httpPort;
    metricsPort = promPort;
    env = {
      ...process.env,
      DATA_DIR: dataDir,
      PORT: String(port),
      EMBEDDED_PG_PORT: String(pgPort),
      METRICS_PORT: String(metricsPort),
      LOG_LEVEL: 'info',
      DATABASE_URL: '',
      NODE_ENV: 'production',
    };
    server = spawn(process.execPath, [mainJs], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    server.stdout?.on('data', (d: Buffer) => (serverOut += d.toString()));
    server.stderr?.on('data', (d: Buffer) => (serverOut += d.toString()));
    const deadline = Date.now() + 45_000;
    for (;;) {
      const ok = await fetch(`http://127.0.0.1:${port}/health/ready`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      if (Date.now() > deadline || server.exitCode !== null) throw new Error(`server did not start:\n${serverOut}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  });

  afterAll(async () => {
    if (server.exitCode === null) {
      server.kill('SIGTERM');
      await new Promise((r) => server.once('exit', r));
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('prints the first operator’s one-time setup link on first start', () => {
    expect(serverOut).toMatch(/Charlotte first start/);
    expect(serverOut).toMatch(/\/invite\/[A-Za-z0-9_-]{43}/);
    expect(fs.existsSync(path.join(dataDir, 'pg', 'PG_VERSION'))).toBe(true);
  });

  it('prints the setup banner last, after "Charlotte is listening", without Nest’s route and module lines (issue 18, bug 9)', async () => {
    // The banner follows the listener; readiness may answer a moment before it is written.
    for (const until = Date.now() + 10_000; !/also written to .*setup-secret/.test(serverOut) && Date.now() < until;) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const banner = serverOut.indexOf('Charlotte first start');
    expect(banner).toBeGreaterThan(serverOut.indexOf('Charlotte is listening'));
    expect(serverOut.indexOf('Charlotte is listening')).toBeGreaterThan(-1);
    expect(banner).toBeGreaterThan(serverOut.indexOf('Prometheus metrics'));
    // At LOG_LEVEL=info: no "Mapped {…} route", "XController {…}:" or "XModule dependencies initialized".
    expect(serverOut).not.toMatch(/RouterExplorer|RoutesResolver|InstanceLoader|Mapped \{/);
    expect(serverOut.split('\n').length).toBeLessThan(60);
  });

  it('serves Prometheus metrics on METRICS_PORT (loopback) and not on the public port', async () => {
    const scrape = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(scrape.status).toBe(200);
    const text = await scrape.text();
    expect(text).toMatch(/^charlotte_http_request_duration_seconds_count\{method="GET",route="\/health\/ready",status="200"\} \d+$/m);
    expect(text).toMatch(/^charlotte_db_pool_connections \d+$/m);
    expect(text).toMatch(/^charlotte_process_resident_memory_bytes \d+/m);
    expect(serverOut).toContain(`http://127.0.0.1:${metricsPort}/metrics`);
    expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(404);
  });

  it('creates a tenant with the CLI while the server runs, and the admin logs in over HTTP', async () => {
    const r = cli(
      'tenant:create',
      '--code',
      'acme',
      '--name',
      'ACME 株式会社',
      '--admin-email',
      'admin@acme.example',
      '--admin-password',
      'correct horse battery',
    );
    expect(r.status).toBe(0);
    expect(r.json).toMatchObject({ ok: true, tenant: { code: 'acme' }, admin: { email: 'admin@acme.example' } });
    const res = await postJson(`http://127.0.0.1:${port}/api/v1/auth/login`, {
      tenant: 'acme',
      email: 'admin@acme.example',
      password: 'correct horse battery',
    });
    expect(res.status).toBe(200);
    // created without a key: the first login enrols one
    expect((res.json() as { step: string }).step).toBe('enroll_keyfile');
  });

  it('issues a key file with the CLI that logs the admin in', async () => {
    const out = path.join(dataDir, 'admin.charlotte-key.json');
    const r = cli('keyfile:issue', '--tenant', 'acme', '--email', 'admin@acme.example', '--out', out);
    expect(r.status).toBe(0);
    expect(fs.statSync(out).mode & 0o777).toBe(0o600);
    const file = JSON.parse(fs.readFileSync(out, 'utf8'));
    expect(r.json).toMatchObject({ ok: true, keyId: file.keyId, encrypted: false });
    expect(JSON.stringify(r.json)).not.toContain(file.privateKeyJwk.d);
    expect(cli('keyfile:issue', '--tenant', 'acme', '--email', 'admin@acme.example', '--out', out).status).toBe(2); // never overwrites
    const first = await postJson(`http://127.0.0.1:${port}/api/v1/auth/login`, {
      tenant: 'acme',
      email: 'admin@acme.example',
      password: 'correct horse battery',
    });
    const { step, challenge } = first.json() as { step: string; challenge: string };
    expect(step).toBe('keyfile');
    const { createPrivateKey, sign } = await import('node:crypto');
    const sig = sign('sha256', Buffer.from(`charlotte-login:v1:${challenge}`), {
      key: createPrivateKey({ key: file.privateKeyJwk, format: 'jwk' }),
      dsaEncoding: 'ieee-p1363',
    });
    const second = await postJson(
      `http://127.0.0.1:${port}/api/v1/auth/keyfile`,
      { keyId: file.keyId, signature: sig.toString('base64url') },
      { cookie: first.cookie },
    );
    expect(second.status).toBe(200);
    expect((second.json() as { step: string }).step).toBe('done');
  });

  it('exits non-zero with a JSON error on bad CLI input, creating nothing', () => {
    const dup = cli(
      'tenant:create',
      '--code',
      'acme',
      '--name',
      'x',
      '--admin-email',
      'b@acme.example',
      '--admin-password',
      'correct horse battery',
    );
    expect(dup.status).toBe(1);
    expect(dup.json).toMatchObject({ ok: false, code: 'tenant_code_taken' });
    const weak = cli('user:create', '--tenant', 'acme', '--email', 'weak@acme.example', '--password', 'short', '--role', 'member');
    expect(weak.status).toBe(1);
    expect(weak.json).toMatchObject({ ok: false, code: 'validation_failed' });
    const usage = cli('user:create', '--tenant', 'acme');
    expect(usage.status).toBe(2);
  });

  it('verifies the audit chains with the CLI, and exits 1 naming the first broken event after tampering', async () => {
    const ok = cli('audit:verify', '--tenant', 'acme');
    expect(ok.status).toBe(0);
    const acme = (ok.json.chains as Array<Record<string, unknown>>)[0];
    expect(acme).toMatchObject({ tenant: 'acme', ok: true, firstBrokenSeq: null });
    expect(acme.checked).toBeGreaterThanOrEqual(5); // user.created, logins, keyfile.issued, …; tenant.created is on the platform chain
    expect(cli('audit:checkpoint').json).toMatchObject({ ok: true });

    // an attacker with database access edits event 2 of acme's chain, triggers disabled
    const creds = JSON.parse(fs.readFileSync(path.join(dataDir, 'pg-credentials.json'), 'utf8'));
    const pgPort = Number(fs.readFileSync(path.join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[3]);
    const { Client } = await import('pg');
    const c = new Client({ host: '127.0.0.1', port: pgPort, user: creds.user, password: creds.password, database: creds.database });
    await c.connect();
    await c.query('BEGIN');
    await c.query('SET LOCAL session_replication_role = replica');
    await c.query(
      `UPDATE audit_events SET outcome = 'failure' WHERE seq = 2 AND chain_key = (SELECT id::text FROM tenants WHERE code = 'acme')`,
    );
    await c.query('COMMIT');
    await c.end();

    const broken = cli('audit:verify');
    expect(broken.status).toBe(1);
    const chains = broken.json.chains as Array<Record<string, unknown>>;
    expect(chains.find((x) => x.tenant === 'acme')).toMatchObject({ ok: false, firstBrokenSeq: 2, reason: 'hash' });
    expect(chains.find((x) => x.tenant === 'platform')).toMatchObject({ ok: true });
  });

  it('on SIGTERM finishes the in-flight request, then stops the server and the embedded database', async () => {
    const inFlight = fetch(`http://127.0.0.1:${port}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ tenant: 'acme', email: 'admin@acme.example', password: 'correct horse battery' }),
    });
    await new Promise((r) => setTimeout(r, 15)); // the request is now inside argon2 verification
    server.kill('SIGTERM');
    const res = await inFlight;
    if (res.status !== 200) throw new Error(`${res.status} ${await res.text()}\n${serverOut.slice(-3000)}`);
    const code = await new Promise<number | null>((r) => server.once('exit', (c) => r(c)));
    expect(code).toBe(0);
    expect(serverOut).toContain('"message":"stopped"');
    expect(fs.existsSync(path.join(dataDir, 'pg', 'postmaster.pid'))).toBe(false);
  });

  it('works with the server stopped: the CLI starts the embedded database itself, then stops it', () => {
    const r = cli(
      'user:create',
      '--tenant',
      'acme',
      '--email',
      'member@acme.example',
      '--password',
      'correct horse battery',
      '--role',
      'member',
    );
    expect(r.status).toBe(0);
    expect(r.json).toMatchObject({ ok: true, user: { email: 'member@acme.example', role: 'member', tenant: 'acme' } });
    expect(fs.existsSync(path.join(dataDir, 'pg', 'postmaster.pid'))).toBe(false);
  });

  it('creates a further platform operator with user:create --tenant platform, who can be issued a key file', () => {
    const member = cli(
      'user:create',
      '--tenant',
      'platform',
      '--email',
      'ops2@charlotte.example',
      '--password',
      'correct horse battery',
      '--role',
      'member',
    );
    expect(member.status).toBe(2);
    const r = cli(
      'user:create',
      '--tenant',
      'platform',
      '--email',
      'ops2@charlotte.example',
      '--password',
      'correct horse battery',
      '--role',
      'admin',
    );
    expect(r.status).toBe(0);
    expect(r.json).toMatchObject({ ok: true, user: { email: 'ops2@charlotte.example', role: 'operator', tenant: 'platform' } });
    const out = path.join(dataDir, 'ops2.charlotte-key.json');
    const key = cli('keyfile:issue', '--tenant', 'platform', '--email', 'ops2@charlotte.example', '--out', out);
    expect(key.status).toBe(0);
    expect(JSON.parse(fs.readFileSync(out, 'utf8'))).toMatchObject({ type: 'charlotte-keyfile', tenant: 'platform' });
    const again = cli(
      'user:create',
      '--tenant',
      'platform',
      '--email',
      'ops2@charlotte.example',
      '--password',
      'correct horse battery',
      '--role',
      'admin',
    );
    expect(again.status).toBe(1);
  });

  it('refuses to boot on unusable TLS files with exit code 78', () => {
    const junk = path.join(dataDir, 'junk.pem');
    fs.writeFileSync(junk, 'not a certificate');
    for (const tls of [
      { TLS_CERT_FILE: path.join(dataDir, 'missing.pem'), TLS_KEY_FILE: junk },
      { TLS_CERT_FILE: junk, TLS_KEY_FILE: junk },
      { TLS_CERT_FILE: junk },
    ]) {
      const r = spawnSync(process.execPath, [mainJs], { env: { ...env, ...tls }, encoding: 'utf8', timeout: 20_000 });
      expect(r.status).toBe(78);
      expect(r.stderr).toMatch(/TLS_(CERT|KEY)_FILE/);
    }
  });

  it('refuses to boot on bad configuration, naming the variable', () => {
    const r = spawnSync(process.execPath, [mainJs], {
      env: { ...env, PORT: 'eighty', SESSION_IDLE_MINUTES: '-1' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(r.status).toBe(78);
    expect(r.stderr).toContain('PORT must be an integer');
    expect(r.stderr).toContain('SESSION_IDLE_MINUTES');
  });
});
