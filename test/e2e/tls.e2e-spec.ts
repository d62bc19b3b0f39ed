import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { ConfigError, loadConfig } from '@charlotte/core';
import { MOZILLA_INTERMEDIATE_CIPHERS, tlsServerOptions } from '../../apps/api/src/tls';
import { PASSWORD, seedTenant, Seeded, startTestApp, TestApp } from '../support/app';

/**
 * TLS served by Charlotte itself (TLS_CERT_FILE/TLS_KEY_FILE), with the same
 * wiring as main.ts (createApp with tlsServerOptions): TLS 1.0/1.1 refused by
 * the server, 1.2 and 1.3 accepted, HSTS and Secure cookies under https.
 */
describe('HTTPS served by the API itself', () => {
  let dir: string;
  let certFile: string;
  let keyFile: string;
  let cert: Buffer;
  let t: TestApp;
  let acme: Seeded;
  let port: number;

  /** A TLS handshake with the given client options: the negotiated protocol, or the error. */
  const handshake = (p: number, opts: tls.ConnectionOptions) =>
    new Promise<{ protocol?: string | null; cipher?: string; error?: Error }>((resolve) => {
      const s = tls.connect({ host: '127.0.0.1', port: p, servername: 'localhost', ca: cert, ...opts });
      s.once('secureConnect', () => {
        const r = { protocol: s.getProtocol(), cipher: s.getCipher().standardName ? s.getCipher().name : undefined };
        s.end();
        resolve(r);
      });
      s.once('error', (error) => resolve({ error }));
    });

  /** A client that would speak TLS 1.0/1.1 if the server let it (OpenSSL 3 forbids them at its default security level). */
  const oldClient: tls.ConnectionOptions = { minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT:@SECLEVEL=0' };

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'charlotte-tls-'));
    certFile = path.join(dir, 'cert.pem');
    keyFile = path.join(dir, 'key.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        keyFile,
        '-out',
        certFile,
        '-days',
        '2',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost,IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    cert = fs.readFileSync(certFile);
    t = await startTestApp({ TLS_CERT_FILE: certFile, TLS_KEY_FILE: keyFile });
    acme = await seedTenant(t, 'tlsco');
    await t.app.listen(0, '127.0.0.1');
    port = (t.app.getHttpServer().address() as AddressInfo).port;
  });
  afterAll(async () => {
    await t?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('defaults to an https PUBLIC_URL and Secure cookies, and refuses half or unreadable TLS settings', () => {
    expect(t.config.publicUrl).toMatch(/^https:\/\//);
    expect(t.config.cookieSecure).toBe(true);
    expect(() => loadConfig({ TLS_CERT_FILE: certFile })).toThrow(/TLS_CERT_FILE and TLS_KEY_FILE must be set together/);
    expect(() => loadConfig({ TLS_CERT_FILE: certFile, TLS_KEY_FILE: path.join(dir, 'missing.pem') })).toThrow(ConfigError);
    expect(() => loadConfig({ TLS_CERT_FILE: certFile, TLS_KEY_FILE: keyFile, PUBLIC_URL: 'http://x.example' })).toThrow(
      /PUBLIC_URL must be an https/,
    );
    expect(() => loadConfig({ TLS_CERT_FILE: certFile, TLS_KEY_FILE: keyFile, COOKIE_SECURE: 'false' })).toThrow(
      /COOKIE_SECURE=false is refused/,
    );
    // A key that is not the certificate's: a ConfigError at boot (exit 78 in main.ts), not a failing handshake later.
    const otherKey = path.join(dir, 'other.pem');
    execFileSync('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', otherKey], { stdio: 'ignore' });
    expect(() => tlsServerOptions({ tlsCertFile: certFile, tlsKeyFile: otherKey })).toThrow(/not the private key of the certificate/);
    fs.writeFileSync(path.join(dir, 'junk.pem'), 'not a certificate');
    expect(() => tlsServerOptions({ tlsCertFile: path.join(dir, 'junk.pem'), tlsKeyFile: keyFile })).toThrow(ConfigError);
  });

  it('refuses TLS 1.1 and 1.0 in the handshake: the server, not the client, says no', async () => {
    // Control: the same client completes TLS 1.1 with a server that allows it, so its OpenSSL policy is not what refuses.
    const lax = tls.createServer({ cert, key: fs.readFileSync(keyFile), minVersion: 'TLSv1', ciphers: 'DEFAULT:@SECLEVEL=0' }, (s) =>
      s.end(),
    );
    await new Promise<void>((r) => lax.listen(0, '127.0.0.1', r));
    try {
      const control = await handshake((lax.address() as AddressInfo).port, oldClient);
      expect(control.error).toBeUndefined();
      expect(control.protocol).toBe('TLSv1.1');
    } finally {
      await new Promise((r) => lax.close(r));
    }
    const refused = await handshake(port, oldClient);
    expect(refused.protocol).toBeUndefined();
    // The server's protocol_version alert (70): refused for the version, not for want of a common cipher (40).
    expect(String(refused.error?.message)).toMatch(/alert protocol version/i);
    const tls10 = await handshake(port, { ...oldClient, maxVersion: 'TLSv1' });
    expect(tls10.protocol).toBeUndefined();
  });

  it('accepts TLS 1.2 with an intermediate cipher, and TLS 1.3', async () => {
    const v12 = await handshake(port, { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' });
    expect(v12.error).toBeUndefined();
    expect(v12.protocol).toBe('TLSv1.2');
    expect(MOZILLA_INTERMEDIATE_CIPHERS.split(':')).toContain(v12.cipher);
    const v13 = await handshake(port, { minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' });
    expect(v13.error).toBeUndefined();
    expect(v13.protocol).toBe('TLSv1.3');
    // A TLS 1.2 client offering only a weak suite (CBC, no forward secrecy) finds no common cipher.
    const weak = await handshake(port, { maxVersion: 'TLSv1.2', ciphers: 'AES128-SHA' });
    expect(weak.protocol).toBeUndefined();
  });

  it('answers over HTTPS with Strict-Transport-Security of at least a year, and sets Secure cookies', async () => {
    const get = (p: string, method = 'GET', body?: unknown) =>
      new Promise<{ status: number; headers: Record<string, string | string[] | undefined> }>((resolve, reject) => {
        const req = https.request(
          {
            host: '127.0.0.1',
            port,
            path: p,
            method,
            ca: cert,
            servername: 'localhost',
            agent: false,
            headers: { 'content-type': 'application/json' },
          },
          (res) => {
            res.resume();
            res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
          },
        );
        req.on('error', reject);
        req.end(body ? JSON.stringify(body) : undefined);
      });
    const live = await get('/health/live');
    expect(live.status).toBe(200);
    const hsts = String(live.headers['strict-transport-security']);
    const maxAge = Number(/max-age=(\d+)/.exec(hsts)?.[1]);
    expect(maxAge).toBeGreaterThanOrEqual(365 * 24 * 3600);
    const step = await get('/api/v1/auth/login', 'POST', { tenant: acme.code, email: acme.adminEmail, password: PASSWORD });
    expect(step.status).toBe(200);
    const cookies = ([] as string[]).concat(step.headers['set-cookie'] ?? []);
    expect(cookies.length).toBeGreaterThan(0);
    for (const c of cookies) expect(c).toMatch(/;\s*Secure/i);
  });
});
