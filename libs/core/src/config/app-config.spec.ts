import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError, loadConfig, SECRET_ENV_KEYS } from './app-config';

describe(loadConfig.name, () => {
  it('gives the documented defaults on an empty environment', () => {
    const sut = loadConfig({}, '/srv/charlotte');
    expect(sut).toMatchObject({
      nodeEnv: 'development',
      port: 3000,
      host: '127.0.0.1',
      dataDir: '/srv/charlotte/data',
      databaseUrl: undefined,
      publicUrl: 'http://127.0.0.1:3000',
      sessionIdleMinutes: 30,
      sessionAbsoluteHours: 12,
      loginMaxFailures: 10,
      loginFailureWindowMinutes: 15,
      cookieSecure: false,
      bodyLimit: '1mb',
    });
  });

  it('puts the two backup stores in separate places and refuses a remote store that is the primary one', () => {
    const sut = loadConfig({}, '/srv/charlotte').backup;
    expect(sut).toMatchObject({ cron: '0 2 * * *', weeklyCron: '0 4 * * 0', dailyKeep: 30, weeklyKeepDays: 1827 });
    expect(sut.primary).toMatchObject({ kind: 'fs', dir: '/srv/charlotte/data/backups' });
    expect(sut.remote).toMatchObject({ kind: 'fs', dir: '/srv/charlotte/data/backups-remote' });
    expect(() => loadConfig({ BACKUP_DIR: '/b', BACKUP_REMOTE_DIR: '/b' })).toThrow(/remote backup store must be separate/);
    expect(() => loadConfig({ BACKUP_REMOTE_STORE: 's3' })).toThrow(/BACKUP_REMOTE_STORE=s3 needs BACKUP_REMOTE_S3_BUCKET/);
    expect(() => loadConfig({ BACKUP_CRON: 'nightly' })).toThrow(/BACKUP_CRON must be a cron expression/);
    const s3 = loadConfig({
      BACKUP_REMOTE_STORE: 's3',
      BACKUP_REMOTE_S3_BUCKET: 'far',
      BACKUP_REMOTE_S3_ACCESS_KEY_ID: 'k',
      BACKUP_REMOTE_S3_SECRET_ACCESS_KEY: 's',
    }).backup.remote;
    expect(s3).toMatchObject({ kind: 's3', s3Bucket: 'far', s3Region: 'ap-northeast-1' });
  });

  it('gives the operator alert defaults and refuses out-of-range thresholds and a bad AUDIT_VERIFY_CRON', () => {
    expect(loadConfig({}).alerts).toEqual({
      checkSeconds: 60,
      diskFreeMinPercent: 10,
      egovAfterMinutes: 15,
      auditVerifyCron: '30 3 * * *',
      incidentAfterMinutes: 30,
    });
    expect(() => loadConfig({ DISK_FREE_MIN_PERCENT: '101' })).toThrow(/DISK_FREE_MIN_PERCENT/);
    expect(() => loadConfig({ ALERT_CHECK_SECONDS: '0' })).toThrow(/ALERT_CHECK_SECONDS/);
    expect(() => loadConfig({ AUDIT_VERIFY_CRON: 'daily' })).toThrow(/AUDIT_VERIFY_CRON must be a cron expression/);
  });

  it('takes WEBHOOK_ALLOW_HOSTS as host:port pairs only, and a readable WEBHOOK_CA_FILE', () => {
    expect(loadConfig({}).webhookAllowHosts).toEqual([]);
    expect(loadConfig({}).webhookCaFile).toBeUndefined();
    expect(loadConfig({ WEBHOOK_ALLOW_HOSTS: 'Hooks.Internal.example:8443, 10.0.0.5:443,[fd00::1]:9000' }).webhookAllowHosts).toEqual([
      'hooks.internal.example:8443',
      '10.0.0.5:443',
      '[fd00::1]:9000',
    ]);
    // A whole host (every port) would open every service on it: the port is required.
    for (const bad of ['hooks.internal.example', 'https://hooks.example:443', 'host:99999', 'a b:1'])
      expect(() => loadConfig({ WEBHOOK_ALLOW_HOSTS: bad })).toThrow(/WEBHOOK_ALLOW_HOSTS/);
    expect(() => loadConfig({ WEBHOOK_CA_FILE: '/nonexistent/ca.pem' })).toThrow(/WEBHOOK_CA_FILE cannot be read/);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'charlotte-config-'));
    try {
      fs.writeFileSync(path.join(dir, 'ca.pem'), '-----BEGIN CERTIFICATE-----\n');
      expect(loadConfig({ WEBHOOK_CA_FILE: 'ca.pem' }, dir).webhookCaFile).toBe(path.join(dir, 'ca.pem'));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('takes TRUST_PROXY as a hop count or a list of proxy addresses, never as "trust everyone"', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'false' }).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, loopback,2001:db8::/32,192.0.2.7' }).trustProxy).toEqual([
      '10.0.0.0/8',
      'loopback',
      '2001:db8::/32',
      '192.0.2.7',
    ]);
    // `true` trusted the left-most X-Forwarded-For entry, which the client writes itself.
    for (const bad of ['true', 'yes', '11', 'proxy.example', '10.0.0.0/33', '1.2.3.4/x']) {
      expect(() => loadConfig({ TRUST_PROXY: bad })).toThrow(/TRUST_PROXY/);
    }
  });

  it('turns Secure cookies on when PUBLIC_URL is https', () => {
    expect(loadConfig({ PUBLIC_URL: 'https://charlotte.example.jp/' }).cookieSecure).toBe(true);
    expect(loadConfig({ PUBLIC_URL: 'https://charlotte.example.jp/' }).publicUrl).toBe('https://charlotte.example.jp');
  });

  it('refuses bad values and names every bad variable at once', () => {
    let err: unknown;
    try {
      loadConfig({
        PORT: 'eighty',
        DATABASE_URL: 'mysql://x',
        SESSION_IDLE_MINUTES: '0',
        COOKIE_SECURE: 'maybe',
        LOG_LEVEL: 'loud',
        BODY_LIMIT: 'huge',
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const message = (err as ConfigError).message;
    for (const name of ['PORT', 'DATABASE_URL', 'SESSION_IDLE_MINUTES', 'COOKIE_SECURE', 'LOG_LEVEL', 'BODY_LIMIT']) {
      expect(message).toContain(name);
    }
    expect((err as ConfigError).problems).toHaveLength(6);
  });

  it('takes SMTP_URL, MAIL_FROM and OPERATOR_ALERT_EMAIL, and refuses bad ones without echoing a password', () => {
    expect(loadConfig({})).toMatchObject({
      smtpUrl: undefined,
      mailFrom: 'Charlotte <no-reply@localhost>',
      operatorAlertEmail: undefined,
      mailDigestCron: '0 8 * * *',
    });
    const ok = loadConfig({
      SMTP_URL: 'smtps://u:p@mail.example.jp:465',
      MAIL_FROM: 'no-reply@example.jp',
      OPERATOR_ALERT_EMAIL: 'ops@example.jp',
    });
    expect(ok).toMatchObject({
      smtpUrl: 'smtps://u:p@mail.example.jp:465',
      mailFrom: 'no-reply@example.jp',
      operatorAlertEmail: 'ops@example.jp',
    });
    for (const bad of ['http://mail.example.jp', 'smtp://u:s3cret@', 'not a url'])
      expect(() => loadConfig({ SMTP_URL: bad })).toThrow(/SMTP_URL/);
    try {
      loadConfig({ SMTP_URL: 'smtp://u:s3cret@' });
    } catch (e) {
      expect((e as Error).message).not.toContain('s3cret');
    }
    expect(() => loadConfig({ MAIL_FROM: 'Charlotte <x@y>\r\nBcc: a@b' })).toThrow(/MAIL_FROM/);
    expect(() => loadConfig({ OPERATOR_ALERT_EMAIL: 'a@b, c@d' })).toThrow(/OPERATOR_ALERT_EMAIL/);
    expect(() => loadConfig({ MAIL_DIGEST_CRON: 'daily' })).toThrow(/MAIL_DIGEST_CRON/);
  });

  it('never echoes a database password in its error', () => {
    expect(() => loadConfig({ DATABASE_URL: 'postgres://u:s3cret@' })).toThrow(ConfigError);
    try {
      loadConfig({ DATABASE_URL: 'postgres://u:s3cret@' });
    } catch (e) {
      expect((e as Error).message).not.toContain('s3cret');
    }
  });
  describe('secrets from files (<NAME>_FILE)', () => {
    let dir: string;
    const secretFile = (name: string, content: string) => {
      const file = path.join(dir, name);
      fs.writeFileSync(file, content, { mode: 0o600 });
      return file;
    };
    beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'charlotte-config-'))));
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('reads every secret-bearing variable from its _FILE, trimmed', () => {
      const sut = loadConfig({
        DATABASE_URL_FILE: secretFile('database_url', 'postgres://charlotte:pw@db:5432/charlotte\n'),
        KEY_PROVIDER: 'pkcs11',
        PKCS11_PIN_FILE: secretFile('pin', '  1234\n'),
        BLOB_STORE: 's3',
        S3_BUCKET: 'blobs',
        S3_ACCESS_KEY_ID_FILE: secretFile('s3_id', 'blob-id\n'),
        S3_SECRET_ACCESS_KEY_FILE: secretFile('s3_secret', 'blob-secret\n'),
        BACKUP_STORE: 's3',
        BACKUP_S3_BUCKET: 'backups',
        BACKUP_S3_ACCESS_KEY_ID_FILE: secretFile('b_id', 'backup-id'),
        BACKUP_S3_SECRET_ACCESS_KEY_FILE: secretFile('b_secret', 'backup-secret'),
        BACKUP_REMOTE_STORE: 's3',
        BACKUP_REMOTE_S3_BUCKET: 'remote',
        BACKUP_REMOTE_S3_ENDPOINT: 'https://far.example',
        BACKUP_REMOTE_S3_ACCESS_KEY_ID_FILE: secretFile('r_id', 'remote-id'),
        BACKUP_REMOTE_S3_SECRET_ACCESS_KEY_FILE: secretFile('r_secret', 'remote-secret'),
        EGOV_CLIENT_SECRET_FILE: secretFile('egov', 'egov-secret\n'),
      });
      expect(sut.databaseUrl).toBe('postgres://charlotte:pw@db:5432/charlotte');
      expect(sut.pkcs11Pin).toBe('1234');
      expect([sut.s3AccessKeyId, sut.s3SecretAccessKey]).toEqual(['blob-id', 'blob-secret']);
      expect([sut.backup.primary.s3AccessKeyId, sut.backup.primary.s3SecretAccessKey]).toEqual(['backup-id', 'backup-secret']);
      expect([sut.backup.remote.s3AccessKeyId, sut.backup.remote.s3SecretAccessKey]).toEqual(['remote-id', 'remote-secret']);
      expect(sut.egovClientSecret).toBe('egov-secret');
    });

    it('resolves a relative _FILE against the working directory', () => {
      secretFile('relative_url', 'postgres://u@h/d');
      expect(loadConfig({ DATABASE_URL_FILE: 'relative_url' }, dir).databaseUrl).toBe('postgres://u@h/d');
    });

    it('refuses a secret given both ways, naming both variables', () => {
      const file = secretFile('both', 'postgres://u:file-secret@h/d');
      expect(() => loadConfig({ DATABASE_URL: 'postgres://u:env-secret@h/d', DATABASE_URL_FILE: file })).toThrow(
        /DATABASE_URL and DATABASE_URL_FILE are both set/,
      );
    });

    it('refuses a missing or empty secret file and never echoes a secret', () => {
      let err: unknown;
      try {
        loadConfig({
          DATABASE_URL_FILE: path.join(dir, 'does-not-exist'),
          EGOV_CLIENT_SECRET_FILE: secretFile('empty', ' \n'),
          PKCS11_PIN: '9999',
          PKCS11_PIN_FILE: secretFile('pin2', '8888'),
        });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigError);
      const problems = (err as ConfigError).problems;
      expect(problems).toEqual([
        expect.stringMatching(/^DATABASE_URL_FILE cannot be read: ".*does-not-exist" \(ENOENT\)$/),
        'PKCS11_PIN and PKCS11_PIN_FILE are both set; set only one',
        expect.stringMatching(/^EGOV_CLIENT_SECRET_FILE is empty/),
      ]);
      expect((err as ConfigError).message).not.toMatch(/9999|8888/);
    });

    it('validates a secret read from a file like one from the environment, without echoing it', () => {
      const file = secretFile('bad_url', 'mysql://u:hunter2@h/d');
      expect(() => loadConfig({ DATABASE_URL_FILE: file })).toThrow(/DATABASE_URL must use postgres/);
      try {
        loadConfig({ DATABASE_URL_FILE: file });
      } catch (e) {
        expect((e as Error).message).not.toContain('hunter2');
      }
    });

    it('takes _FILE only for secrets: a non-secret variable is not read from a file', () => {
      expect(SECRET_ENV_KEYS).not.toContain('PORT');
      expect(loadConfig({ PORT_FILE: secretFile('port', '8080') }).port).toBe(3000);
    });
  });
});
