import { execFileSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

/** One request the receiver got: headers and the raw body, as a signature check needs them. */
export interface ReceivedHook {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  raw: string;
  body: { id: string; type: string; createdAt: string; tenant: string; data: Record<string, unknown> };
}

export interface WebhookReceiver {
  /** `https://receiver.test:<port>` (resolve `receiver.test` to 127.0.0.1 in the app under test). */
  base: string;
  /** For WEBHOOK_ALLOW_HOSTS. */
  hostPort: string;
  /** The test CA, for WEBHOOK_CA_FILE. */
  caFile: string;
  received: ReceivedHook[];
  close(): Promise<void>;
}

/**
 * A real HTTPS receiver for webhook tests: a CA and a leaf for `receiver.test` made with openssl
 * (the CA is trusted by the app through WEBHOOK_CA_FILE), answering 204 and keeping every request.
 */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'charlotte-hook-receiver-'));
  const f = (n: string) => path.join(dir, n);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
  ssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', f('ca.key'));
  ssl('req', '-x509', '-new', '-key', f('ca.key'), '-out', f('ca.pem'), '-days', '2', '-subj', '/CN=Charlotte Test Webhook CA');
  ssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', f('leaf.key'));
  ssl('req', '-new', '-key', f('leaf.key'), '-out', f('leaf.csr'), '-subj', '/CN=receiver.test');
  fs.writeFileSync(f('leaf.ext'), 'subjectAltName=DNS:receiver.test\nbasicConstraints=CA:FALSE\n');
  ssl(
    'x509',
    '-req',
    '-in',
    f('leaf.csr'),
    '-CA',
    f('ca.pem'),
    '-CAkey',
    f('ca.key'),
    '-CAcreateserial',
    '-out',
    f('leaf.pem'),
    '-days',
    '2',
    '-extfile',
    f('leaf.ext'),
  );
  const received: ReceivedHook[] = [];
  const server = https.createServer({ key: fs.readFileSync(f('leaf.key')), cert: fs.readFileSync(f('leaf.pem')) }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      received.push({ path: req.url ?? '/', headers: req.headers, raw, body: JSON.parse(raw || '{}') as ReceivedHook['body'] });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    base: `https://receiver.test:${port}`,
    hostPort: `receiver.test:${port}`,
    caFile: f('ca.pem'),
    received,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Checks a delivery's signature as a receiver must (api.md): `Charlotte-Signature: v1=<hex
 * HMAC-SHA256(secret, timestamp + "." + body)>`, compared in constant time. Written here from the
 * contract, not with the app's code, so that the two cannot agree on a mistake.
 */
export function signatureValid(hook: ReceivedHook, secret: string): boolean {
  const ts = String(hook.headers['charlotte-webhook-timestamp'] ?? '');
  const sig = String(hook.headers['charlotte-signature'] ?? '');
  if (!/^\d+$/.test(ts) || !sig.startsWith('v1=')) return false;
  const expected = crypto.createHmac('sha256', secret).update(`${ts}.${hook.raw}`).digest();
  const given = Buffer.from(sig.slice(3), 'hex');
  return given.length === expected.length && crypto.timingSafeEqual(given, expected);
}
