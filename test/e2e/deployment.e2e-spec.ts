import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import type * as http from 'node:http';
import { createRequire } from 'node:module';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { CORE_SCHEMA, load, mergeTag } from 'js-yaml';
import { SMTPServer } from 'smtp-server';
import { loadConfig, SECRET_ENV_KEYS } from '@charlotte/core';
import { LocalKeyProvider } from '@charlotte/crypto';
import { createTestDatabase, TestDatabase } from '../support/db';

/**
 * docker/ without Docker: this machine has the docker client but no daemon and
 * no registry, so neither `docker build` nor `docker compose up` can run here.
 * Instead this file
 * - parses docker/compose.yaml, docker/Dockerfile and the nginx configuration
 *   and checks the deployment's invariants (only 443 published, TLS 1.2+,
 *   health checks, non-root image without dev dependencies, secrets as files,
 *   no variable the API does not read), and
 * - rebuilds the runtime stage's file layout from the Dockerfile's COPY lines
 *   (production dependencies only, from package-lock.json) in a temporary
 *   directory outside the repository, and starts the API there twice at once,
 *   as the two replicas, with the environment compose gives it, the secrets
 *   made by docker/init-secrets.sh, a real PostgreSQL, an S3 store (s3rver)
 *   and clamd reached over TCP; then runs the image's HEALTHCHECK command.
 * Needs `npm run build` first (dist/apps/api and apps/web/dist), like process.e2e-spec.ts.
 */
const root = path.resolve(__dirname, '../..');

// s3rver ships no types; the little used here is declared locally (as in s3-blob-store.int-spec.ts).
interface S3rverInstance {
  run(): Promise<net.AddressInfo>;
  close(): Promise<void>;
  httpServer: http.Server;
}
const S3rver = createRequire(__filename)('s3rver') as new (options: {
  address: string;
  port: number;
  silent: boolean;
  directory: string;
  configureBuckets: { name: string }[];
}) => S3rverInstance;
const dockerDir = path.join(root, 'docker');

// ---------------------------------------------------------------------------
// compose.yaml

interface ComposeService {
  image?: string;
  build?: unknown;
  ports?: Array<string | { target: number; published?: string | number }>;
  expose?: Array<string | number>;
  network_mode?: string;
  networks?: string[] | Record<string, unknown>;
  environment?: Record<string, string | number | boolean | null> | string[];
  secrets?: Array<string | { source: string; target?: string }>;
  healthcheck?: { test?: string | string[]; disable?: boolean };
  restart?: string;
  deploy?: { replicas?: number };
  read_only?: boolean;
  cap_drop?: string[];
  privileged?: boolean;
}
interface Compose {
  services: Record<string, ComposeService>;
  networks?: Record<string, { internal?: boolean } | null>;
  secrets?: Record<string, { file?: string; environment?: string }>;
}

const compose = load(fs.readFileSync(path.join(dockerDir, 'compose.yaml'), 'utf8'), {
  schema: CORE_SCHEMA.withTags(mergeTag),
}) as Compose;
const services = Object.entries(compose.services);
const api = compose.services.api;

/** docker/.env.example as compose's --env-file would read it (KEY=VALUE, # comments). */
function readEnvFile(file: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (m) out[m[1]] = m[2].trim();
  }
  return out;
}

/** Compose's interpolation: ${X}, ${X:-default}, ${X-default}, ${X:?error}, ${X?error}, $$. */
function interpolate(value: string, vars: Record<string, string>): string {
  return value.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}/g, (all, name: string, op: string, arg: string) => {
    if (all === '$$') return '$';
    const v = vars[name];
    const unset = op?.startsWith(':') ? v === undefined || v === '' : v === undefined;
    if (op?.endsWith('?') && unset) throw new Error(`compose would stop: ${name}: ${arg}`);
    if (op?.endsWith('-') && unset) return arg;
    return v ?? '';
  });
}

function environmentOf(s: ComposeService): Record<string, string> {
  if (Array.isArray(s.environment)) {
    return Object.fromEntries(s.environment.map((e) => [e.split('=')[0], e.slice(e.indexOf('=') + 1)]));
  }
  return Object.fromEntries(Object.entries(s.environment ?? {}).map(([k, v]) => [k, v === null ? '' : String(v)]));
}

const networksOf = (s: ComposeService): string[] => (Array.isArray(s.networks) ? s.networks : Object.keys(s.networks ?? {}));
const secretsOf = (s: ComposeService): string[] => (s.secrets ?? []).map((x) => (typeof x === 'string' ? x : x.source));
const isOneShot = (s: ComposeService) => s.restart === 'no';

// ---------------------------------------------------------------------------
// Dockerfile

interface Instruction {
  op: string;
  args: string;
}
interface Stage {
  from: string;
  name?: string;
  instructions: Instruction[];
}

/** Instructions by stage, continuation lines joined, comments dropped, ARG defaults substituted in FROM. */
function parseDockerfile(text: string): Stage[] {
  const logical: string[] = [];
  let cur = '';
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    if (!cur && (/^\s*#/.test(line) || !line.trim())) continue;
    if (cur && /^\s*#/.test(line)) continue;
    if (line.endsWith('\\')) cur += line.slice(0, -1) + ' ';
    else {
      logical.push((cur + line).trim());
      cur = '';
    }
  }
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const l of logical) {
    const [, op, rest] = /^(\S+)\s*(.*)$/.exec(l) as RegExpExecArray;
    const OP = op.toUpperCase();
    if (OP === 'ARG' && !stages.length) {
      const [k, v] = rest.split('=');
      args[k] = v ?? '';
    } else if (OP === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(rest) as RegExpExecArray;
      stages.push({ from: m[1].replace(/\$\{(\w+)\}/g, (_, k: string) => args[k] ?? ''), name: m[2], instructions: [] });
    } else if (stages.length) stages[stages.length - 1].instructions.push({ op: OP, args: rest });
  }
  return stages;
}

const dockerfile = parseDockerfile(fs.readFileSync(path.join(dockerDir, 'Dockerfile'), 'utf8'));
const runtime = dockerfile[dockerfile.length - 1];
const ofRuntime = (op: string) => runtime.instructions.filter((i) => i.op === op);
const jsonArgs = (i: Instruction, prefix = ''): string[] =>
  JSON.parse(i.args.slice(i.args.indexOf(prefix) + prefix.length).trim()) as string[];

/** ENV lines of the runtime stage (KEY=VALUE pairs). */
function imageEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const i of ofRuntime('ENV')) for (const m of i.args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=(\S+)/g)) env[m[1]] = m[2];
  return env;
}

/** Every variable loadConfig() looks at, recorded through a Proxy over an empty environment. */
function namesLoadConfigReads(): Set<string> {
  const seen = new Set<string>();
  const env = new Proxy({} as Record<string, string | undefined>, {
    get: (_t, k) => {
      if (typeof k === 'string') seen.add(k);
      return undefined;
    },
  });
  loadConfig(env, '/srv/charlotte');
  // NAME_FILE of a secret is looked at wherever NAME is read (EnvReader), so it is in the set too.
  return seen;
}

/** Runs docker/init-secrets.sh into `dir`, with the secrets an operator provides written first. */
function makeSecrets(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.writeFileSync(path.join(dir, 'egov_client_secret'), 'egov-api-key\n', { mode: 0o600 });
  fs.writeFileSync(path.join(dir, 'smtp_relay_password'), 'relay-password\n', { mode: 0o600 });
  const r = spawnSync('bash', [path.join(dockerDir, 'init-secrets.sh'), '--self-signed', 'charlotte.test', dir], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`init-secrets.sh failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
}

/** The API's environment as compose gives it, with /run/secrets/<name> mapped to the files of `secretsDir`. */
function apiEnvironment(secretsDir: string): Record<string, string> {
  const vars = readEnvFile(path.join(dockerDir, '.env.example'));
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(environmentOf(api))) env[k] = interpolate(v, vars);
  for (const [k, v] of Object.entries(env)) {
    const m = /^\/run\/secrets\/(.+)$/.exec(v);
    if (!m) continue;
    const file = compose.secrets?.[m[1]]?.file;
    if (!file) throw new Error(`${k} names /run/secrets/${m[1]}, which is no file secret`);
    env[k] = path.join(secretsDir, path.basename(file));
  }
  return env;
}

describe('docker/ (production deployment), checked without Docker', () => {
  describe('compose.yaml', () => {
    it('publishes one port, 443, on the proxy only; no service shares the host network', () => {
      const published = services.filter(([, s]) => s.ports?.length).map(([name, s]) => [name, s.ports]);
      expect(published).toEqual([['proxy', ['443:443']]]);
      for (const [name, s] of services) {
        expect([name, s.network_mode]).toEqual([name, undefined]);
        expect([name, s.privileged]).toEqual([name, undefined]);
      }
    });

    it('keeps the metrics port off every published port and off the proxy, on an internal network', () => {
      const env = environmentOf(api);
      expect(env.METRICS_PORT).toBe('9464');
      const conf = fs.readFileSync(path.join(dockerDir, 'nginx/charlotte.conf'), 'utf8');
      expect(conf).not.toContain('9464');
      expect(conf).toMatch(/location = \/metrics \{\s*return 404;/);
      expect(compose.networks?.metrics?.internal).toBe(true);
      expect(networksOf(api)).toContain('metrics');
      expect(networksOf(compose.services.proxy)).not.toContain('metrics');
    });

    it('puts the database and the object stores on internal networks only; the proxy reaches the API, not the data', () => {
      const internal = (n: string) => compose.networks?.[n]?.internal === true;
      for (const name of ['postgres', 'blob-store', 'backup-store', 'remote-backup-store']) {
        expect([name, networksOf(compose.services[name]).every(internal)]).toEqual([name, true]);
      }
      // The proxy reaches the API, not the data.
      expect(networksOf(compose.services.proxy).filter((n) => networksOf(compose.services.postgres).includes(n))).toEqual([]);
      expect(networksOf(compose.services.proxy).filter(internal)).toEqual(['app']);
      expect(networksOf(api)).toContain('app');
    });

    it('gives every long-running service a health check, and the API two replicas', () => {
      for (const [name, s] of services.filter(([, s]) => !isOneShot(s))) {
        expect([name, s.healthcheck?.disable ?? false]).toEqual([name, false]);
        expect([name, (s.healthcheck?.test ?? []).length > 0]).toEqual([name, true]);
      }
      // A one-shot job is waited for by its completion instead.
      for (const [name] of services.filter(([, s]) => isOneShot(s))) {
        const waiters = services.filter(([, s]) => JSON.stringify(s).includes(`"${name}":{"condition":"service_completed_successfully"}`));
        expect([name, waiters.length > 0]).toEqual([name, true]);
      }
      expect(api.deploy?.replicas).toBe(2);
      expect(api.healthcheck?.test).toEqual(expect.arrayContaining([expect.stringContaining('/health/live')]));
      expect(api.read_only).toBe(true);
      expect(api.cap_drop).toEqual(['ALL']);
    });

    it('hands every secret over as a file: no secret value in an environment, every *_FILE a mounted secret', () => {
      const secretish = /PASSWORD|SECRET|TOKEN|_PIN$|ACCESS_KEY|^DATABASE_URL$|^SMTP_URL$/;
      for (const [name, s] of services) {
        const env = environmentOf(s);
        for (const [k, v] of Object.entries(env)) {
          if (secretish.test(k)) expect([name, k, k.endsWith('_FILE')]).toEqual([name, k, true]);
          if (k.endsWith('_FILE') && v.startsWith('/run/secrets/')) {
            expect([name, k, secretsOf(s)]).toEqual([name, k, expect.arrayContaining([v.slice('/run/secrets/'.length)])]);
          }
        }
      }
      for (const k of SECRET_ENV_KEYS) expect([k, environmentOf(api)[k]]).toEqual([k, undefined]);
      // Every secret is a file under docker/secrets, which git ignores and the image build never sees.
      for (const [name, def] of Object.entries(compose.secrets ?? {}))
        expect([name, def.file]).toEqual([name, expect.stringMatching(/^\.\/secrets\/[^/]+$/)]);
      expect(fs.readFileSync(path.join(root, '.gitignore'), 'utf8')).toMatch(/^\/docker\/secrets\/$/m);
      expect(fs.readFileSync(path.join(root, '.dockerignore'), 'utf8')).toMatch(/^docker\/secrets$/m);
      // The proxy's certificate and key are secrets too.
      expect(secretsOf(compose.services.proxy).sort()).toEqual(['tls_cert', 'tls_key']);
    });

    it('gives the API only variables that loadConfig() reads (the file cannot drift from the code)', () => {
      const known = namesLoadConfigReads();
      const imageNames = Object.keys(imageEnv());
      const unknown = [...Object.keys(environmentOf(api)), ...imageNames].filter((k) => !known.has(k));
      expect(unknown).toEqual([]);
      // The Proxy does see what loadConfig reads (a name it does not read is reported).
      expect(known.has('DATABASE_URL_FILE')).toBe(true);
      expect(known.has('NOT_A_CHARLOTTE_VARIABLE')).toBe(false);
    });

    it('is an environment loadConfig() accepts: S3 stores kept apart, clamd over TCP, behind one proxy, https', () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'charlotte-deploy-cfg-'));
      try {
        makeSecrets(path.join(dir, 'secrets'));
        const sut = loadConfig({ ...imageEnv(), ...apiEnvironment(path.join(dir, 'secrets')) }, '/app');
        expect(sut).toMatchObject({
          nodeEnv: 'production',
          host: '0.0.0.0',
          port: 3000,
          trustProxy: 1,
          cookieSecure: true,
          keyProvider: 'local',
          clamdHost: 'clamav',
          clamdPort: 3310,
          blobStore: 's3',
          s3Bucket: 'charlotte-blobs',
          logFiles: false,
          webDistDir: '/app/apps/web/dist',
        });
        expect(sut.publicUrl).toMatch(/^https:\/\//);
        expect(sut.databaseUrl).toMatch(/^postgres:\/\/charlotte:[0-9a-f]{48}@postgres:5432\/charlotte$/);
        expect(sut.backup.primary).toMatchObject({ kind: 's3', s3Endpoint: 'http://backup-store:9000', s3Bucket: 'charlotte-backups' });
        expect(sut.backup.remote).toMatchObject({ kind: 's3', s3Endpoint: 'http://remote-backup-store:9000' });
        // Three stores, three endpoints and three key pairs.
        expect(new Set([sut.s3Endpoint, sut.backup.primary.s3Endpoint, sut.backup.remote.s3Endpoint]).size).toBe(3);
        expect(new Set([sut.s3AccessKeyId, sut.backup.primary.s3AccessKeyId, sut.backup.remote.s3AccessKeyId]).size).toBe(3);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe('init-secrets.sh', () => {
    let dir: string;
    beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'charlotte-deploy-secrets-'))));
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('stops and names the secrets an operator must provide', () => {
      const r = spawnSync('bash', [path.join(dockerDir, 'init-secrets.sh'), path.join(dir, 'partial')], { encoding: 'utf8' });
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/still to provide .*: egov_client_secret smtp_relay_password tls_cert\.pem tls_key\.pem/);
    });

    it('makes every file compose mounts, 0600 in a 0700 directory, usable by the API, and never overwrites one', async () => {
      const secrets = path.join(dir, 'full');
      makeSecrets(secrets);
      for (const def of Object.values(compose.secrets ?? {})) {
        const file = path.join(secrets, path.basename(def.file ?? ''));
        expect([file, fs.statSync(file).mode & 0o777]).toEqual([file, 0o600]);
      }
      expect(fs.statSync(secrets).mode & 0o777).toBe(0o700);
      const read = (f: string) => fs.readFileSync(path.join(secrets, f), 'utf8').trim();
      expect(read('database_url')).toBe(`postgres://charlotte:${read('postgres_password')}@postgres:5432/charlotte`);
      expect(fs.readFileSync(path.join(secrets, 'mac_key'))).toHaveLength(32);
      // The master key file and the signing key open in the API's key provider.
      const provider = new LocalKeyProvider({
        file: path.join(secrets, 'master_key.json'),
        signingKeyFile: path.join(secrets, 'signing_key.pem'),
      });
      await provider.init();
      expect(provider.currentKekVersion()).toBe(1);
      expect(provider.ed25519PublicKeyRaw()).toHaveLength(32);
      await provider.close();
      expect(() => tls.createSecureContext({ cert: read('tls_cert.pem'), key: read('tls_key.pem') })).not.toThrow();
      // A second run keeps every byte: a new master or signing key would lock every tenant out.
      const before = fs.readdirSync(secrets).map((f) => [f, fs.readFileSync(path.join(secrets, f)).toString('hex')]);
      makeSecrets(secrets);
      expect(fs.readdirSync(secrets).map((f) => [f, fs.readFileSync(path.join(secrets, f)).toString('hex')])).toEqual(before);
    });
  });

  describe('the reverse proxy (nginx)', () => {
    const conf = fs.readFileSync(path.join(dockerDir, 'nginx/charlotte.conf'), 'utf8').replace(/#.*$/gm, '');
    const directives = (name: string) => [...conf.matchAll(new RegExp(`^\\s*${name}\\s+([^;]+);`, 'gm'))].map((m) => m[1].trim());

    it('speaks TLS 1.2 and 1.3 only, with forward-secret AEAD suites (Mozilla intermediate), and HSTS', () => {
      expect(directives('ssl_protocols')).toEqual(['TLSv1.2 TLSv1.3']);
      const ciphers = directives('ssl_ciphers')[0].split(':');
      expect(ciphers.length).toBeGreaterThan(0);
      for (const c of ciphers) expect(c).toMatch(/^(ECDHE|DHE)-(ECDSA|RSA)-(AES(128|256)-GCM-SHA(256|384)|CHACHA20-POLY1305)$/);
      expect(ciphers.slice(0, 2)).toEqual(['ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES128-GCM-SHA256']);
      expect(directives('ssl_session_tickets')).toEqual(['off']);
      const hsts = directives('add_header').find((h) => h.startsWith('Strict-Transport-Security'));
      expect(hsts).toMatch(/^Strict-Transport-Security "max-age=(\d+)" always$/);
      expect(Number(/max-age=(\d+)/.exec(hsts ?? '')?.[1])).toBeGreaterThanOrEqual(31_536_000);
      expect(directives('ssl_certificate')).toEqual(['/run/secrets/tls_cert']);
      expect(directives('ssl_certificate_key')).toEqual(['/run/secrets/tls_key']);
    });

    it('names only suites OpenSSL knows for TLS 1.2 (nginx drops unknown names silently), none usable with TLS 1.1, and RFC 7919 DH parameters', () => {
      const list = directives('ssl_ciphers')[0];
      const tls12 = spawnSync('openssl', ['ciphers', '-s', '-tls1_2', list], { encoding: 'utf8' });
      expect(tls12.status).toBe(0);
      expect(tls12.stdout.trim().split(':')).toEqual(list.split(':'));
      const tls11 = spawnSync('openssl', ['ciphers', '-s', '-tls1_1', list], { encoding: 'utf8' });
      expect(tls11.stdout.trim()).toBe('');
      expect(directives('ssl_dhparam')).toEqual(['/etc/nginx/ffdhe2048.pem']);
      const dh = spawnSync('openssl', ['pkeyparam', '-in', path.join(dockerDir, 'nginx/ffdhe2048.pem'), '-noout', '-text'], {
        encoding: 'utf8',
      });
      expect(dh.stdout).toMatch(/\(2048 bit\)[\s\S]*GROUP: ffdhe2048/);
    });

    it('listens on 443 with TLS, and otherwise on loopback only (its health check); no plain-HTTP port', () => {
      for (const l of directives('listen')) expect(l).toMatch(/^(443 ssl|127\.0\.0\.1:\d+)$/);
      expect(directives('listen')).toContain('443 ssl');
      expect(compose.services.proxy.healthcheck?.test).toEqual(
        expect.arrayContaining([expect.stringMatching(/^http:\/\/127\.0\.0\.1:8080\//)]),
      );
    });

    it('overwrites X-Forwarded-For (TRUST_PROXY=1 then sees the client) and spools no plaintext upload or document to disk', () => {
      expect(directives('proxy_set_header')).toContain('X-Forwarded-For $remote_addr');
      expect(environmentOf(api).TRUST_PROXY).toBe('1');
      expect(directives('proxy_request_buffering')).toEqual(['off']);
      expect(directives('proxy_max_temp_file_size')).toEqual(['0']);
    });
  });

  describe('Dockerfile', () => {
    it('is multi-stage: the build stage runs npm ci and npm run build; the runtime is node:20 slim', () => {
      expect(dockerfile.length).toBeGreaterThanOrEqual(2);
      const build = dockerfile.find((s) => s.instructions.some((i) => i.op === 'RUN' && /\bnpm run build\b/.test(i.args)));
      expect(build?.instructions.some((i) => i.op === 'RUN' && /\bnpm ci\b/.test(i.args))).toBe(true);
      expect(runtime.from).toMatch(/^node:20(\.\d+)*-[a-z]+-slim$/);
      expect(build).not.toBe(runtime);
    });

    it('installs no dev dependency in the runtime: its node_modules come from a stage that ran npm ci --omit=dev only', () => {
      expect(ofRuntime('RUN').filter((i) => /\bnpm (ci|install|i)\b/.test(i.args))).toEqual([]);
      const copies = ofRuntime('COPY').filter((i) => /node_modules/.test(i.args));
      expect(copies).toHaveLength(1);
      const from = /--from=(\S+)/.exec(copies[0].args)?.[1];
      const deps = dockerfile.find((s) => s.name === from);
      const installs = deps?.instructions.filter((i) => i.op === 'RUN' && /\bnpm (ci|install|i)\b(?! -g)/.test(i.args)) ?? [];
      expect(installs.length).toBe(1);
      expect(installs[0].args).toMatch(/\bnpm ci --omit=dev\b/);
    });

    it('runs as a non-root user and checks /health/live with node, without curl or wget', () => {
      const users = ofRuntime('USER');
      expect(users.length).toBeGreaterThan(0);
      const user = users[users.length - 1].args.split(':')[0];
      expect(user).not.toMatch(/^(0|root)$/);
      const hc = ofRuntime('HEALTHCHECK');
      expect(hc).toHaveLength(1);
      const cmd = jsonArgs(hc[0], 'CMD');
      expect(cmd[0]).toBe('node');
      expect(cmd.join(' ')).toContain('/health/live');
      expect(JSON.stringify(runtime)).not.toMatch(/\b(curl|wget)\b/);
    });

    it('bakes in no secret: no secret variable, no key or secret file copied', () => {
      for (const k of [
        ...SECRET_ENV_KEYS,
        ...SECRET_ENV_KEYS.map((s) => `${s}_FILE`),
        'MASTER_KEY_FILE',
        'SIGNING_KEY_FILE',
        'MAC_KEY_FILE',
        'PKCS11_PIN',
      ])
        expect([k, imageEnv()[k]]).toEqual([k, undefined]);
      for (const s of dockerfile)
        for (const i of s.instructions.filter((x) => x.op === 'COPY' || x.op === 'ADD' || x.op === 'ARG')) {
          expect(i.args).not.toMatch(/secrets|\.pem\b|\.key\b|master|PASSWORD|SECRET/i);
        }
    });
  });

  describe('the runtime stage, rebuilt from its COPY lines and started as two replicas', () => {
    let work: string;
    let db: TestDatabase;
    let s3: S3rverInstance;
    let clamdRelay: net.Server;
    let smtp: SMTPServer;
    const replicas: Array<{ proc: ChildProcess; port: number; out: string[] }> = [];
    let env: Record<string, string>;

    /** The runtime's /app: every COPY of the last stage, resolved against this repository. */
    function stageRuntime(app: string): void {
      const realModules = fs.realpathSync(path.join(root, 'node_modules'));
      const lock = JSON.parse(fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as {
        packages: Record<string, { dev?: boolean; link?: boolean }>;
      };
      for (const i of ofRuntime('COPY')) {
        const parts = i.args.split(/\s+/).filter((p) => !p.startsWith('--'));
        const from = /--from=(\S+)/.exec(i.args)?.[1];
        const [src, dest] = [parts[0], parts[parts.length - 1]];
        const target = path.resolve(app, dest);
        if (from && src === '/app/node_modules') {
          // `npm ci --omit=dev`: the packages of the lockfile not flagged dev (as npm omits them), top-level ones (nested ones come inside).
          for (const [key, p] of Object.entries(lock.packages)) {
            if (!key.startsWith('node_modules/') || key.slice('node_modules/'.length).includes('/node_modules/') || p.dev || p.link)
              continue;
            const srcDir = path.join(realModules, key.slice('node_modules/'.length));
            if (!fs.existsSync(srcDir)) continue; // an optional package for another platform
            fs.mkdirSync(path.dirname(path.join(target, key.slice('node_modules/'.length))), { recursive: true });
            const r = spawnSync('cp', ['-al', srcDir, path.join(target, key.slice('node_modules/'.length))]);
            if (r.status !== 0) fs.cpSync(srcDir, path.join(target, key.slice('node_modules/'.length)), { recursive: true });
          }
          continue;
        }
        // The build stage works in /app on a copy of the repository; a COPY without --from takes it from the context (the repository).
        const local = from ? path.join(root, path.relative('/app', src)) : path.join(root, src);
        if (!fs.existsSync(local)) throw new Error(`${local} is missing: run \`npm run build\` first (COPY ${i.args})`);
        fs.mkdirSync(path.dirname(target), { recursive: true });
        fs.cpSync(local, dest.endsWith('/') ? path.join(target, path.basename(local)) : target, { recursive: true });
      }
    }

    const freePort = () =>
      new Promise<number>((resolve) => {
        const s = net.createServer().listen(0, '127.0.0.1', () => {
          const { port } = s.address() as net.AddressInfo;
          s.close(() => resolve(port));
        });
      });

    beforeAll(async () => {
      work = fs.mkdtempSync(path.join(os.tmpdir(), 'charlotte-deploy-'));
      const app = path.join(work, 'app');
      fs.mkdirSync(app);
      stageRuntime(app);
      makeSecrets(path.join(work, 'secrets'));

      db = await createTestDatabase('charlotte_deploy');
      fs.writeFileSync(path.join(work, 'secrets', 'database_url'), db.url, { mode: 0o600 });
      // s3rver knows one key pair only (it checks the key id, not the signature): the same files, its keys.
      for (const store of ['blob', 'backup', 'remote']) {
        fs.writeFileSync(path.join(work, 'secrets', `${store}_s3_access_key_id`), 'S3RVER\n', { mode: 0o600 });
        fs.writeFileSync(path.join(work, 'secrets', `${store}_s3_secret_access_key`), 'S3RVER\n', { mode: 0o600 });
      }

      // The relay: an SMTP sink (mail is not what this test is about, but a mail path that answers is).
      smtp = new SMTPServer({
        authOptional: true,
        disabledCommands: ['AUTH', 'STARTTLS'],
        logger: false,
        onData: (stream, _s, cb) => stream.on('end', () => cb()).resume(),
      });
      await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r));
      fs.writeFileSync(path.join(work, 'secrets', 'smtp_url'), `smtp://127.0.0.1:${(smtp.server.address() as net.AddressInfo).port}\n`, {
        mode: 0o600,
      });

      // One S3 (s3rver) with the three buckets stands in for the three MinIO services.
      const base = apiEnvironment(path.join(work, 'secrets'));
      s3 = new S3rver({
        address: '127.0.0.1',
        port: 0,
        silent: true,
        directory: path.join(work, 's3'),
        configureBuckets: [base.S3_BUCKET, base.BACKUP_S3_BUCKET, base.BACKUP_REMOTE_S3_BUCKET].map((name) => ({ name })),
      });
      const s3Url = `http://127.0.0.1:${(await s3.run()).port}`;

      // clamd over TCP, as the API reaches the clamav service: a TCP front for the test clamd's socket.
      const socket = process.env.CLAMD_SOCKET ?? '/tmp/charlotte-clamd/clamd.sock';
      clamdRelay = net.createServer((c) => {
        const u = net.connect(socket);
        c.pipe(u).pipe(c);
        u.on('error', () => c.destroy());
        c.on('error', () => u.destroy());
      });
      await new Promise<void>((r) => clamdRelay.listen(0, '127.0.0.1', r));

      env = {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        // The image's paths under its WORKDIR (/app) point into the staged copy.
        ...Object.fromEntries(Object.entries(imageEnv()).map(([k, v]) => [k, v.startsWith('/app/') ? path.join(app, v.slice(5)) : v])),
        ...base,
        // What differs from the containers: loopback addresses instead of service names, temp dirs, free ports.
        HOST: '127.0.0.1',
        DATA_DIR: path.join(work, 'data'),
        S3_ENDPOINT: s3Url,
        BACKUP_S3_ENDPOINT: s3Url,
        BACKUP_REMOTE_S3_ENDPOINT: s3Url,
        CLAMD_HOST: '127.0.0.1',
        CLAMD_PORT: String((clamdRelay.address() as net.AddressInfo).port),
        METRICS_PORT: String(await freePort()),
        LOG_LEVEL: 'warn',
      };
      const cmd = jsonArgs(ofRuntime('CMD')[0]);
      const replicaCount = api.deploy?.replicas ?? 1;
      for (let n = 0; n < replicaCount; n++) {
        const port = await freePort();
        const out: string[] = [];
        const proc = spawn(cmd[0] === 'node' ? process.execPath : cmd[0], cmd.slice(1), {
          cwd: app,
          env: { ...env, PORT: String(port), ...(n > 0 ? { METRICS_PORT: String(await freePort()) } : {}) },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        proc.stdout?.on('data', (d: Buffer) => out.push(d.toString()));
        proc.stderr?.on('data', (d: Buffer) => out.push(d.toString()));
        replicas.push({ proc, port, out });
      }
      const deadline = Date.now() + 90_000;
      for (const r of replicas) {
        for (let last = ''; ;) {
          const ok = await fetch(`http://127.0.0.1:${r.port}/health/ready`).then(
            async (x) => ((last = await x.text()), x.ok),
            () => false,
          );
          if (ok) break;
          if (Date.now() > deadline || r.proc.exitCode !== null)
            throw new Error(`replica did not become ready: ${last}\n${r.out.filter((l) => !l.includes('"type":"access"')).join('')}`);
          await new Promise((res) => setTimeout(res, 300));
        }
      }
    }, 180_000);

    afterAll(async () => {
      for (const r of replicas) {
        if (r.proc.exitCode === null) {
          r.proc.kill('SIGTERM');
          await new Promise((res) => r.proc.once('exit', res));
        }
      }
      clamdRelay?.close();
      await new Promise<void>((r) => (smtp ? smtp.close(() => r()) : r()));
      s3?.httpServer.closeAllConnections();
      await s3?.close();
      await db?.drop();
      if (work) fs.rmSync(work, { recursive: true, force: true });
    });

    it('has production dependencies only, and nothing outside /app to fall back on', () => {
      const app = path.join(work, 'app');
      for (const dev of ['jest', '@nestjs/cli', 's3rver', 'ts-jest', 'eslint'])
        expect([dev, fs.existsSync(path.join(app, 'node_modules', dev))]).toEqual([dev, false]);
      expect(fs.existsSync(path.join(app, 'node_modules', '@nestjs/core'))).toBe(true);
      for (let d = work; d !== path.dirname(d); d = path.dirname(d))
        expect(fs.existsSync(path.join(path.dirname(d), 'node_modules'))).toBe(false);
    });

    it('starts both replicas on one database with the secrets as files: ready with database, scanner (TCP) and S3 blobs', async () => {
      for (const r of replicas) {
        const res = await fetch(`http://127.0.0.1:${r.port}/health/ready`);
        expect(res.status).toBe(200);
        const body = (await res.json()) as { details: Record<string, { status: string }> };
        expect(body.details).toMatchObject({ database: { status: 'up' }, scanner: { status: 'up' }, blobs: { status: 'up' } });
      }
      // The SPA is served from the copied apps/web/dist, the API from the compiled dist with its aliases resolved.
      const spa = await fetch(`http://127.0.0.1:${replicas[0].port}/login`);
      expect(spa.status).toBe(200);
      expect(spa.headers.get('content-type')).toMatch(/text\/html/);
      const procs = await fetch(`http://127.0.0.1:${replicas[1].port}/api/docs/openapi.json`);
      expect(procs.status).toBe(200);
      // The first operator was created once, whichever replica won.
      expect(replicas.map((r) => r.out.join('')).filter((o) => /\/invite\/[A-Za-z0-9_-]{43}/.test(o))).toHaveLength(1);
    });

    it("answers the image's HEALTHCHECK command, which fails when nothing listens", async () => {
      const cmd = jsonArgs(ofRuntime('HEALTHCHECK')[0], 'CMD');
      const run = (port: number) =>
        spawnSync(process.execPath, cmd.slice(1), { env: { ...env, PORT: String(port) }, encoding: 'utf8', timeout: 10_000 }).status;
      expect(run(replicas[0].port)).toBe(0);
      expect(run(await freePort())).toBe(1);
    });
  });
});
