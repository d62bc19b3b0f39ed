import * as fs from 'node:fs';
import { isIP } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * Typed configuration, read once from the environment at boot.
 * Feature code receives `AppConfig` through DI and never reads `process.env`.
 */
export interface AppConfig {
  nodeEnv: 'development' | 'production' | 'test';
  port: number;
  host: string;
  /** Prometheus `/metrics` listener (its own port, never the public one); port 0 = off. */
  metricsHost: string;
  metricsPort: number;
  /**
   * PEM certificate chain and private key: with both, the server speaks HTTPS
   * itself (TLS 1.2+, see apps/api/src/tls.ts); with neither, plain HTTP (behind a
   * proxy that terminates TLS, with TRUST_PROXY).
   */
  tlsCertFile: string | undefined;
  tlsKeyFile: string | undefined;
  dataDir: string;
  /** External PostgreSQL; undefined means "start the embedded server in DATA_DIR". */
  databaseUrl: string | undefined;
  databasePoolSize: number;
  embeddedPgPort: number;
  publicUrl: string;
  logLevel: 'error' | 'warn' | 'info' | 'http' | 'verbose' | 'debug';
  logToStdout: boolean;
  bodyLimit: string;
  /**
   * Which proxies' X-Forwarded-For Express believes (its `trust proxy` setting):
   * false (none), a hop count, or a list of addresses/CIDRs/names
   * (loopback, linklocal, uniquelocal). Never `true`: that trusts every
   * client's header (security review, finding 2).
   */
  trustProxy: false | number | string[];
  cookieSecure: boolean;
  sessionIdleMinutes: number;
  sessionAbsoluteHours: number;
  loginMaxFailures: number;
  loginFailureWindowMinutes: number;
  loginLockMinutes: number;
  /** Account-wide backstop over all source addresses (accounts without a key file only). */
  loginAccountMaxFailures: number;
  rateLimitLoginPerMinute: number;
  rateLimitApiPerMinute: number;
  argon2MemoryKib: number;
  argon2Iterations: number;
  /**
   * argon2id hashes computed at once (the rest wait their turn). Default: the CPU count. More
   * than the cores only makes each one slower, and every running hash holds a libuv thread
   * that file writes (logs) and async crypto also need.
   */
  argon2MaxConcurrent: number;
  invitationTtlHours: number;
  shutdownTimeoutMs: number;
  webDistDir: string;
  operatorEmail: string;
  /** Ed25519 PEM for audit checkpoints; default DATA_DIR/keys/signing-ed25519.pem. */
  signingKeyFile: string | undefined;
  /** Where access, application and error logs are written (daily files). */
  logDir: string;
  logFiles: boolean;
  logRetentionDays: number;
  auditRetentionDays: number;
  auditCheckpointCron: string;
  /** Worker threads (and connections) of one verification of a long audit chain. */
  auditVerifyThreads: number;
  clockSyncRequired: boolean;
  keyfilePbkdf2Iterations: number;
  /** 32-byte HMAC key for values we hand out and take back (SAML RelayState); default DATA_DIR/keys/mac.key. */
  macKeyFile: string | undefined;
  /** Clock skew accepted on SAML assertion times (NotBefore, NotOnOrAfter). */
  samlClockSkewSeconds: number;
  /** How long an SP-initiated SAML login may take at the IdP before its request id is refused. */
  samlRequestTtlMinutes: number;
  /** Where the KEK lives: a master key file (embedded default) or an HSM through PKCS#11. */
  keyProvider: 'local' | 'pkcs11';
  /** Master key file of the local provider; default DATA_DIR/keys/master.json. */
  masterKeyFile: string | undefined;
  pkcs11Library: string;
  pkcs11TokenLabel: string;
  pkcs11Pin: string | undefined;
  /** How long an unwrapped tenant key stays in memory, and how many at most. */
  keyCacheTtlSeconds: number;
  keyCacheMax: number;
  /**
   * How long a tenant's key status (current DEK version, destroyed or not) is
   * trusted by seal() without asking PostgreSQL (ms). Rotation and shredding in
   * this process take effect at once; in another API instance within this bound.
   */
  keyStatusCacheTtlMs: number;
  /** Uploads: largest attachment accepted (bytes). */
  attachmentMaxBytes: number;
  /** ClamAV: clamd's Unix socket, or host and port (CLAMD_HOST wins when set). */
  clamdSocket: string;
  clamdHost: string | undefined;
  clamdPort: number;
  clamdTimeoutMs: number;
  /** Where blobs (attachments, documents) go: DATA_DIR/blobs, or an S3-compatible bucket. */
  blobStore: 'fs' | 's3';
  blobDir: string;
  s3Endpoint: string | undefined;
  s3Region: string;
  s3Bucket: string | undefined;
  s3AccessKeyId: string | undefined;
  s3SecretAccessKey: string | undefined;
  s3ForcePathStyle: boolean;
  /**
   * e-Gov API v2 (the simulator by default): API base (production https://api.e-gov.go.jp/shinsei/v2),
   * account server (production https://account.e-gov.go.jp/auth), software id and API key.
   */
  egovApiBase: string;
  egovAuthBase: string;
  egovClientId: string;
  egovClientSecret: string;
  egovTimeoutMs: number;
  /**
   * e-Gov jobs (submissions, 補正, 取下げ) one instance sends at once, in all and for one tenant
   * (EGOV_SEND_CONCURRENCY, EGOV_SEND_CONCURRENCY_PER_TENANT). N instances send up to N times as many.
   */
  egovSendConcurrency: number;
  egovSendConcurrencyPerTenant: number;
  /** How often the status of filed applications is polled. */
  egovPollCron: string;
  /** Whether `npm start` also starts the simulator (apps/egov-sim) on the embedded default. */
  egovSimPort: number;
  /** Backups (api.md, "Backups, contract end, deletion"): the primary and the remote store, schedules and retention. */
  backup: BackupConfig;
  /** A TrueType/OpenType font with Japanese glyphs for the deletion certificate PDF (IPAex Gothic by default). */
  certificateFontFile: string;
  /** Mail: SMTP_URL (smtp:// or smtps://, credentials in the URL); undefined = .eml files under DATA_DIR/outbox. */
  smtpUrl: string | undefined;
  /** The From of every mail (`Name <address>` or an address). */
  mailFrom: string;
  /** Where operator alerts are mailed; undefined = console only. */
  operatorAlertEmail: string | undefined;
  /** The daily digest of drafts not yet submitted, to administrators (Asia/Tokyo). */
  mailDigestCron: string;
  /** Operator alerts (libs/notifications/src/alerts): monitor period, thresholds, the daily audit verification. */
  alerts: AlertsConfig;
  /**
   * Webhooks: `host:port` pairs (lower case) whose receivers may sit on private addresses (WEBHOOK_ALLOW_HOSTS,
   * on-premise receivers and tests), and a PEM file of extra CAs trusted for receivers (WEBHOOK_CA_FILE).
   */
  webhookAllowHosts: string[];
  webhookCaFile: string | undefined;
}

export interface AlertsConfig {
  /** How often the monitor runs the health checks and the registered alert checks (ALERT_CHECK_SECONDS). */
  checkSeconds: number;
  /** `disk.low` when the file system holding DATA_DIR has less free space than this (DISK_FREE_MIN_PERCENT). */
  diskFreeMinPercent: number;
  /** `egov.unreachable` when e-Gov has answered no call for this long (EGOV_ALERT_AFTER_MINUTES). */
  egovAfterMinutes: number;
  /** Daily verification of every audit chain (AUDIT_VERIFY_CRON, Asia/Tokyo). */
  auditVerifyCron: string;
  /** An open alert with customer impact becomes a `minor` incident after this long (ALERT_INCIDENT_AFTER_MINUTES). */
  incidentAfterMinutes: number;
}

/** Where one backup store is: a directory, or an S3-compatible bucket. */
export interface BackupStoreConfig {
  kind: 'fs' | 's3';
  dir: string;
  s3Endpoint: string | undefined;
  s3Region: string;
  s3Bucket: string | undefined;
  s3AccessKeyId: string | undefined;
  s3SecretAccessKey: string | undefined;
  s3ForcePathStyle: boolean;
}

export interface BackupConfig {
  primary: BackupStoreConfig;
  remote: BackupStoreConfig;
  /** Nightly generation of every active tenant (Asia/Tokyo). */
  cron: string;
  /** Weekly copy to the remote store (Asia/Tokyo). */
  weeklyCron: string;
  /** Weekly verification of the newest generation of every tenant (Asia/Tokyo). */
  verifyCron: string;
  /** Daily sweep that runs the deletions that are due (Asia/Tokyo). */
  deletionCron: string;
  dailyKeep: number;
  weeklyKeepDays: number;
  /** Attempts of one scheduled generation before it is given up and an operator alert is left. */
  retries: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/**
 * Variables that carry a secret. Each may instead be given as `<NAME>_FILE`: the
 * path of a file holding the value (trimmed), as compose and Kubernetes mount
 * secrets. A secret in a file stays out of the compose file, `docker inspect`
 * and the environment of every process the container starts. Setting both is
 * refused: which one wins would be a guess.
 */
export const SECRET_ENV_KEYS: readonly string[] = [
  'DATABASE_URL',
  'PKCS11_PIN',
  'S3_ACCESS_KEY_ID',
  'S3_SECRET_ACCESS_KEY',
  'BACKUP_S3_ACCESS_KEY_ID',
  'BACKUP_S3_SECRET_ACCESS_KEY',
  'BACKUP_REMOTE_S3_ACCESS_KEY_ID',
  'BACKUP_REMOTE_S3_SECRET_ACCESS_KEY',
  'EGOV_CLIENT_SECRET',
  'SMTP_URL',
];
const SECRETS = new Set(SECRET_ENV_KEYS);

/** Collects every problem first so that one boot names all bad variables at once. */
class EnvReader {
  readonly problems: string[] = [];
  private readonly secrets = new Map<string, string | undefined>();
  constructor(
    private readonly env: Env,
    private readonly cwd: string,
  ) {}

  private raw(name: string): string | undefined {
    const v = this.env[name];
    const direct = v === undefined || v.trim() === '' ? undefined : v.trim();
    if (!SECRETS.has(name)) return direct;
    if (!this.secrets.has(name)) this.secrets.set(name, this.secret(name, direct));
    return this.secrets.get(name);
  }

  /** `<NAME>` or the content of `<NAME>_FILE`; a problem names the variable and the path, never the secret. */
  private secret(name: string, direct: string | undefined): string | undefined {
    const file = this.env[`${name}_FILE`]?.trim();
    if (!file) return direct;
    if (direct !== undefined) {
      this.problems.push(`${name} and ${name}_FILE are both set; set only one`);
      return direct;
    }
    let content: string;
    try {
      content = fs.readFileSync(path.resolve(this.cwd, file), 'utf8').trim();
    } catch (e) {
      this.problems.push(`${name}_FILE cannot be read: "${file}" (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
      return undefined;
    }
    if (content === '') this.problems.push(`${name}_FILE is empty: "${file}"`);
    return content === '' ? undefined : content;
  }

  string(name: string, def: string): string {
    return this.raw(name) ?? def;
  }

  optionalString(name: string): string | undefined {
    return this.raw(name);
  }

  int(name: string, def: number, min: number, max: number): number {
    const v = this.raw(name);
    if (v === undefined) return def;
    if (!/^-?\d+$/.test(v)) {
      this.problems.push(`${name} must be an integer, got "${v}"`);
      return def;
    }
    const n = Number(v);
    if (n < min || n > max) this.problems.push(`${name} must be between ${min} and ${max}, got ${n}`);
    return n;
  }

  bool(name: string, def: boolean): boolean {
    const v = this.raw(name);
    if (v === undefined) return def;
    if (/^(1|true|yes|on)$/i.test(v)) return true;
    if (/^(0|false|no|off)$/i.test(v)) return false;
    this.problems.push(`${name} must be true or false, got "${v}"`);
    return def;
  }

  oneOf<T extends string>(name: string, def: T, allowed: readonly T[]): T {
    const v = this.raw(name);
    if (v === undefined) return def;
    if (!(allowed as readonly string[]).includes(v)) {
      this.problems.push(`${name} must be one of ${allowed.join('|')}, got "${v}"`);
      return def;
    }
    return v as T;
  }

  url(name: string, protocols: string[]): string | undefined {
    const v = this.raw(name);
    if (v === undefined) return undefined;
    try {
      const u = new URL(v);
      if (!protocols.includes(u.protocol)) {
        this.problems.push(`${name} must use ${protocols.join(' or ')}, got "${u.protocol}"`);
      }
    } catch {
      // The value may carry a password: never echo it.
      this.problems.push(`${name} is not a valid URL`);
    }
    return v;
  }
}

function readable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.R_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** An IPv4/IPv6 address, optionally with a prefix length (CIDR). */
function isAddressOrCidr(v: string): boolean {
  const [addr, bits, ...rest] = v.split('/');
  const family = isIP(addr);
  if (!family || rest.length) return false;
  if (bits === undefined) return true;
  if (!/^\d{1,3}$/.test(bits)) return false;
  return Number(bits) <= (family === 4 ? 32 : 128);
}

/**
 * TRUST_PROXY: unset/false/0 = no proxy; a whole number = that many proxies in
 * front (Express takes the address the outermost trusted proxy saw); otherwise
 * a comma-separated list of the proxies' addresses or CIDRs. `true` is refused:
 * it made Express take the left-most X-Forwarded-For entry, which the client
 * writes itself, so a rotating header gave unlimited login attempts and
 * spoofed addresses in the audit trail.
 */
function trustProxySetting(r: EnvReader): false | number | string[] {
  const v = r.optionalString('TRUST_PROXY');
  if (v === undefined || /^(0|false|no|off)$/i.test(v)) return false;
  if (/^(true|yes|on)$/i.test(v)) {
    r.problems.push(
      "TRUST_PROXY=true would trust every client's X-Forwarded-For; give the number of proxies in front (e.g. 1) or their addresses/CIDRs (e.g. 10.0.0.0/8,loopback)",
    );
    return false;
  }
  if (/^\d+$/.test(v)) {
    const n = Number(v);
    if (n < 1 || n > 10) r.problems.push(`TRUST_PROXY as a hop count must be between 1 and 10, got ${n}`);
    return n;
  }
  const list = v
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
  const bad = list.filter((x) => !PROXY_NAMES.has(x) && !isAddressOrCidr(x));
  if (bad.length || !list.length) {
    r.problems.push(
      `TRUST_PROXY must be false, a hop count, or addresses/CIDRs (loopback, linklocal, uniquelocal allowed); bad: "${bad.join(', ')}"`,
    );
    return false;
  }
  return list;
}

/**
 * WEBHOOK_ALLOW_HOSTS: a comma list of `host:port` (a name, an IPv4 address or a bracketed IPv6 one) whose
 * webhook receivers may resolve to private or loopback addresses. The port is required: allowing a whole host
 * would open every service on it to requests the tenant shapes (SSRF).
 */
function webhookAllowHostsSetting(r: EnvReader): string[] {
  const v = r.optionalString('WEBHOOK_ALLOW_HOSTS');
  if (v === undefined) return [];
  const list = v
    .split(',')
    .map((x) => x.trim().toLowerCase())
    .filter(Boolean);
  const bad = list.filter(
    (x) =>
      !/^([a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*|\[[0-9a-f:.]+\]):\d{1,5}$/.test(x) ||
      Number(x.slice(x.lastIndexOf(':') + 1)) > 65535,
  );
  if (bad.length) r.problems.push(`WEBHOOK_ALLOW_HOSTS must be a comma list of host:port; bad: "${bad.join(', ')}"`);
  return list;
}

/** Reads and validates the environment; throws ConfigError naming every bad variable. */
export function loadConfig(env: Env = process.env, cwd = process.cwd()): AppConfig {
  const r = new EnvReader(env, cwd);
  const nodeEnv = r.oneOf('NODE_ENV', 'development', ['development', 'production', 'test'] as const);
  const port = r.int('PORT', 3000, 0, 65535);
  const host = r.string('HOST', '127.0.0.1');
  const dataDir = path.resolve(cwd, r.string('DATA_DIR', './data'));
  const tlsCertFile = r.optionalString('TLS_CERT_FILE');
  const tlsKeyFile = r.optionalString('TLS_KEY_FILE');
  const tls = !!tlsCertFile && !!tlsKeyFile;
  if (!!tlsCertFile !== !!tlsKeyFile) r.problems.push('TLS_CERT_FILE and TLS_KEY_FILE must be set together (or neither)');
  for (const [name, file] of [
    ['TLS_CERT_FILE', tlsCertFile],
    ['TLS_KEY_FILE', tlsKeyFile],
  ] as const)
    if (file && !readable(path.resolve(cwd, file))) r.problems.push(`${name} cannot be read: "${file}"`);
  // An empty METRICS_PORT switches the listener off like 0 does (the default is on, on loopback).
  const metricsPort = env.METRICS_PORT !== undefined && env.METRICS_PORT.trim() === '' ? 0 : r.int('METRICS_PORT', 9464, 0, 65535);
  const metricsHost = r.string('METRICS_HOST', '127.0.0.1');
  if (metricsPort && metricsPort === port && (metricsHost === host || metricsHost === '0.0.0.0' || host === '0.0.0.0'))
    r.problems.push(`METRICS_PORT must differ from PORT (${port}): /metrics is never served on the public port`);
  const databaseUrl = r.url('DATABASE_URL', ['postgres:', 'postgresql:']);
  const publicUrl = r.url('PUBLIC_URL', ['http:', 'https:']) ?? `${tls ? 'https' : 'http'}://${host}:${port}`;
  // When we speak TLS ourselves the public address is https, and so are HSTS and the Secure cookie flag.
  if (tls && !publicUrl.startsWith('https:'))
    r.problems.push('PUBLIC_URL must be an https:// URL when TLS_CERT_FILE and TLS_KEY_FILE are set');
  const cookieSecure = r.bool('COOKIE_SECURE', publicUrl.startsWith('https:'));
  if (tls && !cookieSecure) r.problems.push('COOKIE_SECURE=false is refused when the server speaks HTTPS itself (TLS_CERT_FILE)');
  const bodyLimit = r.string('BODY_LIMIT', '1mb');
  if (!/^\d+(b|kb|mb)$/i.test(bodyLimit)) r.problems.push(`BODY_LIMIT must look like 100kb or 1mb, got "${bodyLimit}"`);
  const operatorEmail = r.string('OPERATOR_EMAIL', 'operator@charlotte.local');
  if (!/^[^\s@]+@[^\s@]+$/.test(operatorEmail)) r.problems.push('OPERATOR_EMAIL must be an e-mail address');

  const smtpUrl = r.url('SMTP_URL', ['smtp:', 'smtps:']);
  if (smtpUrl !== undefined && URL.canParse(smtpUrl) && !new URL(smtpUrl).hostname) r.problems.push('SMTP_URL must name a host');
  const mailFrom = r.string('MAIL_FROM', 'Charlotte <no-reply@localhost>');
  // Either a bare address or `Display Name <address>`; no line breaks (header injection).
  if (!/^([^\r\n<>]*<[^\s@<>]+@[^\s@<>]+>|[^\s@<>]+@[^\s@<>]+)$/.test(mailFrom))
    r.problems.push('MAIL_FROM must be an address or "Name <address>"');
  const operatorAlertEmail = r.optionalString('OPERATOR_ALERT_EMAIL');
  if (operatorAlertEmail !== undefined && !/^[^\s@,;<>]+@[^\s@,;<>]+$/.test(operatorAlertEmail))
    r.problems.push('OPERATOR_ALERT_EMAIL must be an e-mail address');

  const webhookAllowHosts = webhookAllowHostsSetting(r);
  const webhookCaFile = r.optionalString('WEBHOOK_CA_FILE');
  if (webhookCaFile && !readable(path.resolve(cwd, webhookCaFile))) r.problems.push(`WEBHOOK_CA_FILE cannot be read: "${webhookCaFile}"`);

  const config: AppConfig = {
    nodeEnv,
    port,
    host,
    metricsHost,
    metricsPort,
    tlsCertFile: tlsCertFile ? path.resolve(cwd, tlsCertFile) : undefined,
    tlsKeyFile: tlsKeyFile ? path.resolve(cwd, tlsKeyFile) : undefined,
    dataDir,
    databaseUrl,
    databasePoolSize: r.int('DATABASE_POOL_SIZE', 10, 1, 200),
    embeddedPgPort: r.int('EMBEDDED_PG_PORT', 0, 0, 65535),
    publicUrl: publicUrl.replace(/\/+$/, ''),
    logLevel: r.oneOf('LOG_LEVEL', 'info', ['error', 'warn', 'info', 'http', 'verbose', 'debug'] as const),
    logToStdout: r.bool('LOG_STDOUT', true),
    bodyLimit,
    trustProxy: trustProxySetting(r),
    cookieSecure,
    sessionIdleMinutes: r.int('SESSION_IDLE_MINUTES', 30, 1, 24 * 60),
    sessionAbsoluteHours: r.int('SESSION_ABSOLUTE_HOURS', 12, 1, 24 * 7),
    loginMaxFailures: r.int('LOGIN_MAX_FAILURES', 10, 1, 1000),
    loginFailureWindowMinutes: r.int('LOGIN_FAILURE_WINDOW_MINUTES', 15, 1, 24 * 60),
    loginLockMinutes: r.int('LOGIN_LOCK_MINUTES', 15, 1, 24 * 60),
    loginAccountMaxFailures: r.int('LOGIN_ACCOUNT_MAX_FAILURES', 100, 1, 100000),
    rateLimitLoginPerMinute: r.int('RATE_LIMIT_LOGIN_PER_MINUTE', 30, 1, 1_000_000),
    rateLimitApiPerMinute: r.int('RATE_LIMIT_API_PER_MINUTE', 600, 1, 10_000_000),
    // OWASP Password Storage Cheat Sheet minimum for argon2id: m=19 MiB, t=2, p=1.
    argon2MemoryKib: r.int('ARGON2_MEMORY_KIB', 19456, 8192, 1048576),
    argon2Iterations: r.int('ARGON2_ITERATIONS', 2, 1, 10),
    argon2MaxConcurrent: r.int('ARGON2_MAX_CONCURRENT', Math.max(1, os.availableParallelism()), 1, 256),
    invitationTtlHours: r.int('INVITATION_TTL_HOURS', 72, 1, 24 * 30),
    shutdownTimeoutMs: r.int('SHUTDOWN_TIMEOUT_MS', 10000, 0, 600000),
    webDistDir: path.resolve(cwd, r.string('WEB_DIST_DIR', './apps/web/dist')),
    operatorEmail: operatorEmail.toLowerCase(),
    signingKeyFile: r.optionalString('SIGNING_KEY_FILE') ? path.resolve(cwd, r.optionalString('SIGNING_KEY_FILE') as string) : undefined,
    logDir: path.resolve(cwd, r.string('LOG_DIR', path.join(dataDir, 'logs'))),
    logFiles: r.bool('LOG_FILES', true),
    // 5 years (+1 day for a leap day) unless the contract says otherwise.
    logRetentionDays: r.int('LOG_RETENTION_DAYS', 1827, 1, 36500),
    auditRetentionDays: r.int('AUDIT_RETENTION_DAYS', 1827, 1, 36500),
    auditCheckpointCron: r.string('AUDIT_CHECKPOINT_CRON', '0 * * * *'),
    // one per core (at least 2: the database works while the threads hash)
    auditVerifyThreads: r.int('AUDIT_VERIFY_THREADS', Math.max(2, os.availableParallelism()), 1, 64),
    clockSyncRequired: r.bool('CLOCK_SYNC_REQUIRED', false),
    // OWASP 2023: PBKDF2-HMAC-SHA256 needs at least 600,000 iterations.
    keyfilePbkdf2Iterations: r.int('KEYFILE_PBKDF2_ITERATIONS', 600000, 600000, 10000000),
    macKeyFile: r.optionalString('MAC_KEY_FILE') ? path.resolve(cwd, r.optionalString('MAC_KEY_FILE') as string) : undefined,
    samlClockSkewSeconds: r.int('SAML_CLOCK_SKEW_SECONDS', 60, 0, 300),
    samlRequestTtlMinutes: r.int('SAML_REQUEST_TTL_MINUTES', 10, 1, 60),
    keyProvider: r.oneOf('KEY_PROVIDER', 'local', ['local', 'pkcs11'] as const),
    masterKeyFile: r.optionalString('MASTER_KEY_FILE') ? path.resolve(cwd, r.optionalString('MASTER_KEY_FILE') as string) : undefined,
    pkcs11Library: r.string('PKCS11_LIBRARY', '/usr/lib/softhsm/libsofthsm2.so'),
    pkcs11TokenLabel: r.string('PKCS11_TOKEN_LABEL', 'charlotte'),
    pkcs11Pin: r.optionalString('PKCS11_PIN'),
    keyCacheTtlSeconds: r.int('KEY_CACHE_TTL_SECONDS', 300, 0, 86400),
    keyCacheMax: r.int('KEY_CACHE_MAX', 1000, 1, 1_000_000),
    keyStatusCacheTtlMs: r.int('KEY_STATUS_CACHE_TTL_MS', 2000, 0, 60000),
    // At most clamd's StreamMaxLength (64M in scripts/clamd-start.sh): above it clamd answers an error, not a verdict.
    attachmentMaxBytes: r.int('ATTACHMENT_MAX_BYTES', 20 * 1024 * 1024, 1024, 64 * 1024 * 1024),
    clamdSocket: r.string('CLAMD_SOCKET', '/tmp/charlotte-clamd/clamd.sock'),
    clamdHost: r.optionalString('CLAMD_HOST'),
    clamdPort: r.int('CLAMD_PORT', 3310, 1, 65535),
    clamdTimeoutMs: r.int('CLAMD_TIMEOUT_MS', 60000, 100, 600000),
    blobStore: r.oneOf('BLOB_STORE', 'fs', ['fs', 's3'] as const),
    blobDir: path.resolve(cwd, r.string('BLOB_DIR', path.join(dataDir, 'blobs'))),
    s3Endpoint: r.optionalString('S3_ENDPOINT'),
    s3Region: r.string('S3_REGION', 'ap-northeast-1'),
    s3Bucket: r.optionalString('S3_BUCKET'),
    s3AccessKeyId: r.optionalString('S3_ACCESS_KEY_ID'),
    s3SecretAccessKey: r.optionalString('S3_SECRET_ACCESS_KEY'),
    s3ForcePathStyle: r.bool('S3_FORCE_PATH_STYLE', false),
    egovApiBase: r.string('EGOV_API_BASE', 'http://127.0.0.1:3100/shinsei/v2').replace(/\/+$/, ''),
    egovAuthBase: r.string('EGOV_AUTH_BASE', 'http://127.0.0.1:3100/auth').replace(/\/+$/, ''),
    egovClientId: r.string('EGOV_CLIENT_ID', 'charlotte-dev'),
    egovClientSecret: r.string('EGOV_CLIENT_SECRET', 'charlotte-dev-secret'),
    egovTimeoutMs: r.int('EGOV_TIMEOUT_MS', 30000, 100, 600000),
    egovSendConcurrency: r.int('EGOV_SEND_CONCURRENCY', 8, 1, 64),
    egovSendConcurrencyPerTenant: r.int('EGOV_SEND_CONCURRENCY_PER_TENANT', 2, 1, 64),
    egovPollCron: r.string('EGOV_POLL_CRON', '*/10 * * * *'),
    egovSimPort: r.int('EGOV_SIM_PORT', 3100, 1, 65535),
    backup: {
      primary: backupStore(r, cwd, 'BACKUP', path.join(dataDir, 'backups')),
      remote: backupStore(r, cwd, 'BACKUP_REMOTE', path.join(dataDir, 'backups-remote')),
      cron: r.string('BACKUP_CRON', '0 2 * * *'),
      weeklyCron: r.string('BACKUP_WEEKLY_CRON', '0 4 * * 0'),
      verifyCron: r.string('BACKUP_VERIFY_CRON', '0 5 * * 0'),
      deletionCron: r.string('DELETION_CRON', '0 1 * * *'),
      dailyKeep: r.int('BACKUP_DAILY_KEEP', 30, 1, 3650),
      weeklyKeepDays: r.int('BACKUP_WEEKLY_KEEP_DAYS', 1827, 1, 36500),
      retries: r.int('BACKUP_RETRIES', 3, 1, 20),
    },
    certificateFontFile: path.resolve(cwd, r.string('CERTIFICATE_FONT_FILE', '/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf')),
    smtpUrl,
    mailFrom,
    operatorAlertEmail,
    mailDigestCron: r.string('MAIL_DIGEST_CRON', '0 8 * * *'),
    alerts: {
      checkSeconds: r.int('ALERT_CHECK_SECONDS', 60, 1, 3600),
      // 100 makes any real file system "low" (tests force the alert that way).
      diskFreeMinPercent: r.int('DISK_FREE_MIN_PERCENT', 10, 0, 100),
      egovAfterMinutes: r.int('EGOV_ALERT_AFTER_MINUTES', 15, 0, 24 * 60),
      auditVerifyCron: r.string('AUDIT_VERIFY_CRON', '30 3 * * *'),
      incidentAfterMinutes: r.int('ALERT_INCIDENT_AFTER_MINUTES', 30, 0, 7 * 24 * 60),
    },
    webhookAllowHosts,
    webhookCaFile: webhookCaFile ? path.resolve(cwd, webhookCaFile) : undefined,
  };
  for (const [name, cron] of [
    ['BACKUP_CRON', config.backup.cron],
    ['BACKUP_WEEKLY_CRON', config.backup.weeklyCron],
    ['BACKUP_VERIFY_CRON', config.backup.verifyCron],
    ['DELETION_CRON', config.backup.deletionCron],
    ['MAIL_DIGEST_CRON', config.mailDigestCron],
    ['AUDIT_VERIFY_CRON', config.alerts.auditVerifyCron],
  ])
    if (!/^(\S+\s+){4,5}\S+$/.test(cron)) r.problems.push(`${name} must be a cron expression, got "${cron}"`);
  for (const [prefix, store] of [
    ['BACKUP', config.backup.primary],
    ['BACKUP_REMOTE', config.backup.remote],
  ] as const)
    if (store.kind === 's3' && (!store.s3Bucket || !store.s3AccessKeyId || !store.s3SecretAccessKey))
      r.problems.push(`${prefix}_STORE=s3 needs ${prefix}_S3_BUCKET, ${prefix}_S3_ACCESS_KEY_ID and ${prefix}_S3_SECRET_ACCESS_KEY`);
  if (
    config.backup.primary.kind === config.backup.remote.kind &&
    (config.backup.primary.kind === 'fs'
      ? config.backup.primary.dir === config.backup.remote.dir
      : config.backup.primary.s3Bucket === config.backup.remote.s3Bucket &&
        config.backup.primary.s3Endpoint === config.backup.remote.s3Endpoint)
  )
    r.problems.push('the remote backup store must be separate from the primary one (BACKUP_REMOTE_DIR / BACKUP_REMOTE_S3_BUCKET)');
  if (!/^(\S+\s+){4,5}\S+$/.test(config.auditCheckpointCron))
    r.problems.push(`AUDIT_CHECKPOINT_CRON must be a cron expression, got "${config.auditCheckpointCron}"`);
  if (config.blobStore === 's3' && (!config.s3Bucket || !config.s3AccessKeyId || !config.s3SecretAccessKey))
    r.problems.push('BLOB_STORE=s3 needs S3_BUCKET, S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY');
  if (config.keyProvider === 'pkcs11' && !config.pkcs11Pin) r.problems.push('PKCS11_PIN is required with KEY_PROVIDER=pkcs11');
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return config;
}

/** `BACKUP_STORE`/`BACKUP_DIR`/`BACKUP_S3_*`, or the same with `BACKUP_REMOTE`. */
function backupStore(r: EnvReader, cwd: string, prefix: string, defaultDir: string): BackupStoreConfig {
  return {
    kind: r.oneOf(`${prefix}_STORE`, 'fs', ['fs', 's3'] as const),
    dir: path.resolve(cwd, r.string(`${prefix}_DIR`, defaultDir)),
    s3Endpoint: r.optionalString(`${prefix}_S3_ENDPOINT`),
    s3Region: r.string(`${prefix}_S3_REGION`, 'ap-northeast-1'),
    s3Bucket: r.optionalString(`${prefix}_S3_BUCKET`),
    s3AccessKeyId: r.optionalString(`${prefix}_S3_ACCESS_KEY_ID`),
    s3SecretAccessKey: r.optionalString(`${prefix}_S3_SECRET_ACCESS_KEY`),
    s3ForcePathStyle: r.bool(`${prefix}_S3_FORCE_PATH_STYLE`, false),
  };
}

/** Injection token for the typed configuration. */
export const APP_CONFIG = Symbol('APP_CONFIG');
