import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy, Optional } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditService } from '@charlotte/audit';
import { SealingService } from '@charlotte/crypto';
import { NoticesService } from '@charlotte/notifications';
import { DestinationRefused, WebhookDestinations } from '../destination/destinations.service';
import { WEBHOOK_SECRET_PURPOSE } from '../sealing-purposes';
import { ClaimedDelivery, WebhooksRepository } from '../webhooks.repository';
import { webhookSignature } from './signature';
import { SendResult, WebhookSender } from './webhook-sender';

/** Delivered and failed deliveries are kept this long in the log, then removed. */
export const WEBHOOK_LOG_KEEP_DAYS = 30;

/**
 * Sends the webhook outbox (webhook_deliveries), like MailWorker sends mail: due rows of active
 * webhooks are claimed one at a time with FOR UPDATE SKIP LOCKED under a lease, checked against the
 * SSRF guard again (the name may resolve elsewhere today), signed with a fresh timestamp and POSTed.
 * Delivery is at least once (a crash after the receiver answered sends it again, with the same
 * Charlotte-Webhook-Id). A failure (non-2xx, no answer in 10 s, refused address) waits with
 * exponential backoff (30 s, 1, 2, 4 … min, at most 1 h); a delivery still failing after 24 h is given
 * up and its webhook is switched off, with an お知らせ to the tenant's administrators and a
 * `webhook.disabled` audit event.
 */
@Injectable()
export class WebhookWorker implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('WebhookWorker');
  private timer?: NodeJS.Timeout;
  private nudgeTimer?: NodeJS.Timeout;
  private current?: Promise<number>;
  private lastPurge = 0;
  private stopping = false;
  /** The first retry's wait (api.md: within 60 s); doubled at each further attempt (tests shorten it). */
  retryBaseMs = 30_000;
  retryMaxMs = 3_600_000;
  giveUpAfterMs = 24 * 3_600_000;
  /** Longer than the 10 s timeout: a claimed row stays with its worker until it has answered. */
  leaseMs = 2 * 60_000;

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly repo: WebhooksRepository,
    private readonly destinations: WebhookDestinations,
    private readonly sender: WebhookSender,
    private readonly sealing: SealingService,
    private readonly notices: NoticesService,
    private readonly audit: AuditService,
    @Optional() private readonly scheduler?: SchedulerRegistry,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.scheduler) return; // CLI and tests run without the scheduler
    this.timer = setInterval(() => void this.tick(), 5000);
    this.timer.unref();
  }

  /** Stops the ticks and lets a delivery in flight finish, so a shutdown does not leave it to the lease. */
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
    }, 500);
    this.nudgeTimer.unref();
  }

  private async tick(): Promise<void> {
    try {
      await this.drain();
      if (Date.now() - this.lastPurge > 3_600_000) {
        this.lastPurge = Date.now();
        await this.repo.purge(WEBHOOK_LOG_KEEP_DAYS);
      }
    } catch (e) {
      this.logger.error({ message: 'webhook outbox run failed', error: (e as Error).message });
    }
  }

  /** Sends every due delivery; resolves with how many attempts were made. */
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

  backoffMs(attempt: number): number {
    return Math.min(this.retryMaxMs, this.retryBaseMs * 2 ** Math.max(0, attempt - 1));
  }

  private async run(): Promise<number> {
    let n = 0;
    for (;;) {
      if (this.stopping) return n;
      const row = await this.repo.claim(this.leaseMs / 1000);
      if (!row) return n;
      n++;
      const r = await this.attempt(row);
      await this.settle(row, r);
    }
  }

  /** One signed POST of a delivery to its webhook's URL, after the SSRF guard; never throws. */
  async attempt(row: ClaimedDelivery): Promise<SendResult> {
    let secret: string;
    try {
      secret = await this.sealing.openString(row.tenant_id, WEBHOOK_SECRET_PURPOSE, row.webhook_id, row.secret_sealed);
    } catch (e) {
      this.logger.error({ message: 'webhook secret could not be opened', webhook: row.webhook_id, error: (e as Error).message });
      return { ok: false, statusCode: null, error: 'internal', responseMs: 0 };
    }
    let dest;
    try {
      dest = await this.destinations.check(row.url);
    } catch (e) {
      if (!(e instanceof DestinationRefused)) throw e;
      const dns = e instanceof DestinationRefused && e.reason === 'unresolvable';
      return { ok: false, statusCode: null, error: dns ? 'dns' : 'address_not_allowed', responseMs: 0 };
    }
    const timestamp = Math.floor(Date.now() / 1000);
    return this.sender.send(dest, row.body, {
      'Content-Type': 'application/json; charset=utf-8',
      'User-Agent': 'Charlotte-Webhooks/1',
      'Charlotte-Webhook-Id': row.event_id,
      'Charlotte-Webhook-Timestamp': String(timestamp),
      'Charlotte-Signature': webhookSignature(secret, timestamp, row.body),
    });
  }

  private async settle(row: ClaimedDelivery, r: SendResult): Promise<void> {
    if (r.ok) {
      await this.repo.markDelivered(row.id, r);
      return;
    }
    const error = r.error ?? 'internal';
    const age = Date.now() - new Date(row.created_at).getTime();
    const wait = this.backoffMs(row.attempts);
    if (age + wait < this.giveUpAfterMs) {
      await this.repo.reschedule(row.id, wait / 1000, { statusCode: r.statusCode, error, responseMs: r.responseMs });
      this.logger.warn({ message: 'webhook delivery will be retried', delivery: row.id, attempt: row.attempts, error, waitMs: wait });
      return;
    }
    // A day of failures: the receiver is gone or broken. Switched off (once, whoever gets here first), with
    // what it still had to send, and the administrators are told.
    const disabled = await this.ds.transaction(async (m) => {
      await this.repo.markFailed(m, row.id, { statusCode: r.statusCode, error, responseMs: r.responseMs });
      if (!(await this.repo.disableForFailures(m, row.tenant_id, row.webhook_id))) return false;
      await this.repo.failPending(m, row.tenant_id, row.webhook_id);
      await this.notices.addForAdmins(m, row.tenant_id, 'webhook_disabled');
      return true;
    });
    this.logger.error({ message: 'webhook delivery given up', delivery: row.id, webhook: row.webhook_id, attempts: row.attempts, error });
    if (disabled)
      await this.audit.record({
        category: 'operation',
        action: 'webhook.disabled',
        outcome: 'success',
        actor: { type: 'system' },
        tenantId: row.tenant_id,
        target: { type: 'webhook', id: row.webhook_id },
        details: { reason: 'failures', delivery: row.id, attempts: row.attempts, error, statusCode: r.statusCode },
      });
  }
}
