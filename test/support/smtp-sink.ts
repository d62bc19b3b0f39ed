import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface SunkMail {
  /** Addresses of the To header, lower-cased. */
  to: string[];
  /** The envelope recipients (RCPT TO). */
  rcptTo: string[];
  subject: string;
  text: string;
  html: string;
  messageId: string;
  attachments: Array<{ filename?: string; contentType: string; content: Buffer }>;
  raw: Buffer;
}

export interface SmtpSink {
  /** `smtp://127.0.0.1:<port>`: give it as SMTP_URL. */
  url: string;
  port: number;
  /** Every message accepted, in order. */
  messages: SunkMail[];
  /** How many DATA transfers were answered (accepted or refused). */
  attempts: number;
  /** The next `n` messages are refused with `451 4.3.0` after their data was received. */
  failNext(n: number): void;
  /** Resolves once `n` messages have been accepted (or rejects after `timeoutMs`). */
  waitFor(n: number, timeoutMs?: number): Promise<SunkMail[]>;
  /** Messages to `address`. */
  to(address: string): SunkMail[];
  clear(): void;
  close(): Promise<void>;
}

/**
 * A real SMTP server for tests (smtp-server on 127.0.0.1, a random port, no auth, no TLS) that
 * keeps the messages it accepts, parsed with mailparser.
 */
export async function startSmtpSink(): Promise<SmtpSink> {
  const messages: SunkMail[] = [];
  let failures = 0;
  let attempts = 0;
  const waiters: Array<() => void> = [];
  const server = new SMTPServer({
    secure: false,
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('error', callback);
      stream.on('end', () => {
        attempts++;
        if (failures > 0) {
          failures--;
          const err = Object.assign(new Error('Try again later'), { responseCode: 451 });
          callback(err);
          return;
        }
        const raw = Buffer.concat(chunks);
        simpleParser(raw)
          .then((p) => {
            const toField = Array.isArray(p.to) ? p.to : p.to ? [p.to] : [];
            messages.push({
              to: toField.flatMap((a) => a.value.map((x) => (x.address ?? '').toLowerCase())),
              rcptTo: session.envelope.rcptTo.map((r) => r.address.toLowerCase()),
              subject: p.subject ?? '',
              text: p.text ?? '',
              html: typeof p.html === 'string' ? p.html : '',
              messageId: p.messageId ?? '',
              attachments: p.attachments.map((a) => ({ filename: a.filename, contentType: a.contentType, content: a.content })),
              raw,
            });
            for (const w of waiters.splice(0)) w();
            callback();
          })
          .catch(callback);
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.server.address() as AddressInfo).port;
  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    messages,
    get attempts() {
      return attempts;
    },
    failNext(n: number) {
      failures = n;
    },
    async waitFor(n: number, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (messages.length < n) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`smtp sink: ${messages.length} of ${n} messages after ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, Math.min(left, 100));
          waiters.push(() => {
            clearTimeout(t);
            resolve();
          });
        });
      }
      return messages.slice(0, n);
    },
    to(address: string) {
      return messages.filter((m) => m.to.includes(address.toLowerCase()));
    },
    clear() {
      messages.length = 0;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
