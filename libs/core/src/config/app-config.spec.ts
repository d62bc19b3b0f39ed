import { ConfigError, loadConfig } from './app-config';

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

  it('never echoes a database password in its error', () => {
    expect(() => loadConfig({ DATABASE_URL: 'postgres://u:s3cret@' })).toThrow(ConfigError);
    try {
      loadConfig({ DATABASE_URL: 'postgres://u:s3cret@' });
    } catch (e) {
      expect((e as Error).message).not.toContain('s3cret');
    }
  });
});
