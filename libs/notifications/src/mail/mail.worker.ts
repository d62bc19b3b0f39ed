import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy, Optional } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditService } from '@charlotte/audit';
import { APP_CONFIG, AppConfig } from '@charlotte/core';
import { MailAttachment, MailAttachmentRegistry } from './mail-attachments';
import { describeSendError, MailSendError, MailTransport } from './mail-transport';
import { bilingual, isMailTemplate, MAIL_TEMPLATES, MailLocale, MailVars } from './templates';

interface OutboxRow {
  id: string;
  tenant_id: string | null;
  recipient: string;
  template: string;
  locale: MailLocale;
  vars: MailVars;
  attempts: number;
  created_at: Date;
}

/** Sent and failed rows (they hold the recipient's address) are removed after this many days. */
export const MAIL_OUTBOX_KEEP_DAYS = 30;

/**
 * Sends the outbox. Due rows are claimed one at a time with FOR UPDATE SKIP LOCKED under a lease
 * (several API instances run this side by side; a crashed worker's row is taken up again when its
 * lease runs out), rendered, sent, and marked sent at once. Delivery is at least once: a crash
 * after the server accepted a mail and before it was marked sends it again, with the same
 * Message-ID (`<outbox id@host of PUBLIC_URL>`) so that the copy is recognisable. A failure waits
 * with exponential backoff (30 s, 1, 2, 4 … min, at most 1 h) and is given up after a day (status
 * failed, a `system` audit event `mail.failed` without the address). When scheduling is on, every
 * instance drains every few seconds; tests (schedule: false) call drain().
 */
@Injectable()
export class MailWorker implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('MailWorker');
  private timer?: NodeJS.Timeout;
  private nudgeTimer?: NodeJS.Timeout;
  private current?: Promise<number>;
  private lastPurge = 0;
  private stopping = false;
  private readonly host: string;
  /** The first retry's wait; doubled at each further attempt (tests shorten it). */
  retryBaseMs = 30_000;
  retryMaxMs = 3_600_000;
  giveUpAfterMs = 24 * 3_600_000;
  /** How long a claimed row stays with its worker before another may take it (a crashed worker). */
  leaseMs = 5 * 60_000;

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly transport: MailTransport,
    private readonly attachments: MailAttachmentRegistry,
    private readonly audit: AuditService,
    @Optional() private readonly scheduler?: SchedulerRegistry,
  ) {
    this.host = new URL(config.publicUrl).hostname || 'localhost';
  }

  onApplicationBootstrap(): void {
    if (!this.scheduler) return; // CLI and tests run without the scheduler
    this.timer = setInterval(() => void this.tick(), 5000);
    this.timer.unref();
  }

  /** Stops the ticks and lets a mail being sent finish, so a shutdown does not leave it to the lease (and a resend). */
  async onModuleDestroy(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.nudgeTimer) clearTimeout(this.nudgeTimer);
    this.timer = this.nudgeTimer = undefined;
    this.stopping = true;
    await this.current?.catch(() => undefined);
  }

  /** Asks for a drain soon (after an enqueue): only when scheduling is on; the regular tick covers the rest. */
  nudge(): void {
    if (!this.timer || this.nudgeTimer) return;
    this.nudgeTimer = setTimeout(() => {
      this.nudgeTimer = undefined;
      void this.tick();
    }, 200);
    this.nudgeTimer.unref();
  }

  private async tick(): Promise<void> {
    try {
      await this.drain();
      if (Date.now() - this.lastPurge > 3_600_000) {
        this.lastPurge = Date.now();
        await this.purge();
      }
    } catch (e) {
      // Database gone for a moment: logged, and tried again on the next tick.
      this.logger.error({ message: 'mail outbox run failed', error: (e as Error).message });
    }
  }

  /** Sends every due mail; resolves with how many rows were handled (sent, rescheduled or failed). */
  async drain(): Promise<number> {
    while (this.current) await this.current.catch(() => undefined);
    const run = this.run();
    this.current = run;
    try {
      return await run;
    } finally {
      this.current = undefined;
    }
  }

  /** Removes sent and failed rows older than MAIL_OUTBOX_KEEP_DAYS (they hold addresses). */
  async purge(): Promise<number> {
    const r: [unknown[], number] = await this.ds.query(
      `DELETE FROM mail_outbox WHERE status IN ('sent', 'failed') AND created_at < now() - make_interval(days => $1)`,
      [MAIL_OUTBOX_KEEP_DAYS],
    );
    return r[1];
  }

  backoffMs(attempt: number): number {
    return Math.min(this.retryMaxMs, this.retryBaseMs * 2 ** Math.max(0, attempt - 1));
  }

  messageId(outboxId: string): string {
    return `<${outboxId}@${this.host}>`;
  }

  private async run(): Promise<number> {
    let n = 0;
    for (;;) {
      if (this.stopping) return n;
      const row = await this.claim();
      if (!row) return n;
      n++;
      await this.deliver(row);
    }
  }

  private async claim(): Promise<OutboxRow | undefined> {
    const r: [OutboxRow[], number] = await this.ds.query(
      `UPDATE mail_outbox SET attempts = attempts + 1, next_attempt_at = now() + make_interval(secs => $1)
        WHERE id = (SELECT id FROM mail_outbox WHERE status = 'pending' AND next_attempt_at <= now()
                     ORDER BY next_attempt_at FOR UPDATE SKIP LOCKED LIMIT 1)
        RETURNING id, tenant_id, recipient, template, locale, vars, attempts, created_at`,
      [this.leaseMs / 1000],
    );
    return r[0][0];
  }

  private async deliver(row: OutboxRow): Promise<void> {
    const messageId = this.messageId(row.id);
    try {
      const mail = await this.render(row);
      await this.transport.send({ to: row.recipient, messageId, ...mail });
    } catch (e) {
      await this.failed(row, e instanceof MailSendError ? e : describeSendError(e));
      return;
    }
    // Accepted by the server: marked at once, never sent again.
    await this.ds.query(
      `UPDATE mail_outbox SET status = 'sent', sent_at = now(), message_id = $2, last_error = NULL WHERE id = $1 AND status = 'pending'`,
      [row.id, messageId],
    );
  }

  private async render(row: OutboxRow): Promise<{ subject: string; text: string; html: string; attachments: MailAttachment[] }> {
    if (!isMailTemplate(row.template)) throw new MailSendError('unknown template', true);
    const t = MAIL_TEMPLATES[row.template];
    let parts: ReturnType<typeof t.render>;
    try {
      parts = t.render(row.vars, { publicUrl: this.config.publicUrl });
    } catch (e) {
      throw new MailSendError(`template ${row.template} could not be rendered: ${(e as Error).message}`, true);
    }
    const attachments: MailAttachment[] = [];
    if ('attachment' in t && typeof t.attachment === 'string') {
      const renderer = this.attachments.get(t.attachment);
      // Not registered (yet, during boot): retried like a transient failure.
      if (!renderer) throw new MailSendError(`no renderer for attachment ${t.attachment}`, false);
      attachments.push(await renderer(row.vars, row.tenant_id));
    }
    return { ...bilingual(parts.ja, parts.en, row.locale), attachments };
  }

  private async failed(row: OutboxRow, e: MailSendError): Promise<void> {
    const age = Date.now() - new Date(row.created_at).getTime();
    if (!e.permanent && age + this.backoffMs(row.attempts) < this.giveUpAfterMs) {
      const wait = this.backoffMs(row.attempts);
      await this.ds.query(
        `UPDATE mail_outbox SET last_error = $2, next_attempt_at = now() + make_interval(secs => $3) WHERE id = $1 AND status = 'pending'`,
        [row.id, e.message, wait / 1000],
      );
      this.logger.warn({ message: 'mail will be retried', outbox: row.id, template: row.template, attempt: row.attempts, waitMs: wait });
      return;
    }
    await this.ds.query(`UPDATE mail_outbox SET status = 'failed', last_error = $2 WHERE id = $1 AND status = 'pending'`, [
      row.id,
      e.message,
    ]);
    this.logger.error({ message: 'mail given up', outbox: row.id, template: row.template, attempts: row.attempts, error: e.message });
    await this.audit.record({
      category: 'system',
      action: 'mail.failed',
      outcome: 'failure',
      actor: { type: 'system' },
      tenantId: row.tenant_id,
      target: { type: 'mail', id: row.id },
      details: { template: row.template, attempts: row.attempts, permanent: e.permanent },
    });
  }
}
