import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import * as nodemailer from 'nodemailer';
import type { Transporter } from 'nodemailer';
import { APP_CONFIG, AppConfig } from '@charlotte/core';
import type { MailAttachment } from './mail-attachments';

export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** `<id@host>`: the same for every attempt of one outbox row, so a resend is recognisable. */
  messageId: string;
  attachments: MailAttachment[];
}

/** A sending failure: whether it may pass, and a description without any address in it. */
export class MailSendError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
  ) {
    super(message);
    this.name = 'MailSendError';
  }
}

const EMAIL = /[^\s<>"'@,;:]+@[^\s<>"'@,;:]+/g;

/** The server's answer without addresses (they are personal data and go neither to the log nor to last_error). */
export function describeSendError(e: unknown): MailSendError {
  const err = e as { code?: string; responseCode?: number; message?: string };
  const permanent = err.code === 'EENVELOPE' && typeof err.responseCode === 'number' && err.responseCode >= 500;
  const text = `${err.code ?? 'error'}${err.responseCode ? ` ${err.responseCode}` : ''}: ${(err.message ?? String(e)).replace(EMAIL, '<address>')}`;
  return new MailSendError(text.slice(0, 500), permanent);
}

/** smtp:// (not smtps://) with a user or password in the URL: the credentials must go over STARTTLS. */
export function requiresTls(smtpUrl: string): boolean {
  const u = new URL(smtpUrl);
  return u.protocol === 'smtp:' && (u.username !== '' || u.password !== '');
}

/**
 * Where mails go: the SMTP server of SMTP_URL (nodemailer), or, without one, an `.eml` file per mail
 * under DATA_DIR/outbox, named `<UTC time>-<message id>.eml` so that `ls` lists them in order (a real
 * RFC 5322 message: any mail client opens it).
 */
@Injectable()
export class MailTransport implements OnModuleDestroy {
  private readonly transporter: Transporter;
  readonly outboxDir: string;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    this.outboxDir = path.join(config.dataDir, 'outbox');
    this.transporter = config.smtpUrl
      ? nodemailer.createTransport({
          url: config.smtpUrl,
          // smtp:// with credentials: STARTTLS is required, never optional, so the password never crosses in clear.
          requireTLS: requiresTls(config.smtpUrl),
          connectionTimeout: 30_000,
          greetingTimeout: 30_000,
          socketTimeout: 60_000,
        } as nodemailer.TransportOptions)
      : nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
  }

  get kind(): 'smtp' | 'file' {
    return this.config.smtpUrl ? 'smtp' : 'file';
  }

  /** Sends one mail; resolves once the server accepted it (or the file is in place). */
  async send(m: OutgoingMail): Promise<void> {
    let info: { message?: Buffer };
    try {
      info = (await this.transporter.sendMail({
        from: this.config.mailFrom,
        to: m.to,
        subject: m.subject,
        text: m.text,
        html: m.html,
        messageId: m.messageId,
        attachments: m.attachments.map((a) => ({ filename: a.filename, contentType: a.contentType, content: a.content })),
      })) as { message?: Buffer };
    } catch (e) {
      throw describeSendError(e);
    }
    if (this.kind === 'file') await this.writeEml(m.messageId, info.message as Buffer);
  }

  private async writeEml(messageId: string, message: Buffer): Promise<void> {
    await fs.promises.mkdir(this.outboxDir, { recursive: true, mode: 0o700 });
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('.', '');
    const id = messageId.replace(/^<|@.*$/g, '').replace(/[^A-Za-z0-9-]/g, '');
    const file = path.join(this.outboxDir, `${stamp}-${id}.eml`);
    // Written aside then renamed: a reader never sees half a message.
    const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
    await fs.promises.writeFile(tmp, message, { mode: 0o600 });
    await fs.promises.rename(tmp, file);
  }

  onModuleDestroy(): void {
    this.transporter.close();
  }
}
