import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy, Optional } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { InjectDataSource } from '@nestjs/typeorm';
import { CronJob } from 'cron';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig, withAdvisoryLock } from '@charlotte/core';
import { isMailAddress, MailOutboxService } from '../mail/mail-outbox.service';
import { NotificationPreferencesService } from '../preferences/notification-preferences.service';
import { DigestRegistry } from './sources';

const DIGEST_LOCK = 774_217_001;
const DAY_MS = 86_400_000;

export interface DigestReport {
  /** Tenants whose administrators were mailed. */
  mailed: string[];
  /** Mails enqueued. */
  mails: number;
}

/** The date in Japan (the day a digest is for). */
function jstDay(now: Date): string {
  return new Date(now.getTime() + 9 * 3_600_000).toISOString().slice(0, 10);
}

/**
 * The daily mail to each administrator (unless opted out) of an active tenant that has drafts not yet
 * submitted: how many, the oldest one's age in days, and a link to the list filtered to drafts.
 * Nothing when there is none. MAIL_DIGEST_CRON (Asia/Tokyo) on every instance, under an advisory
 * lock, and at most once per tenant and JST day (notification_digest_runs, in the enqueueing
 * transaction). The drafts come from libs/applications through DigestRegistry.
 */
@Injectable()
export class DraftDigestJob implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('DraftDigestJob');
  private job?: CronJob;

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly registry: DigestRegistry,
    private readonly prefs: NotificationPreferencesService,
    private readonly outbox: MailOutboxService,
    @Optional() private readonly scheduler?: SchedulerRegistry,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.scheduler) return; // CLI and tests run without the scheduler
    this.job = CronJob.from({
      cronTime: this.config.mailDigestCron,
      timeZone: 'Asia/Tokyo',
      start: true,
      onTick: () =>
        void this.run().catch((e: unknown) =>
          this.logger.error({ message: 'draft digest failed', err: e instanceof Error ? e.stack : String(e) }),
        ),
    });
    this.scheduler.addCronJob('mail-draft-digest', this.job);
  }

  onModuleDestroy(): void {
    void this.job?.stop();
  }

  /** One run (public for tests); undefined when another instance holds the lock. */
  run(now: Date = new Date()): Promise<DigestReport | undefined> {
    return withAdvisoryLock(this.ds, DIGEST_LOCK, async () => {
      const report: DigestReport = { mailed: [], mails: 0 };
      const day = jstDay(now);
      const tenants: Array<{ id: string }> = await this.ds.query(`SELECT id FROM tenants WHERE status = 'active' ORDER BY code`);
      for (const t of tenants) {
        const s = await this.registry.drafts(t.id);
        if (s.drafts <= 0) continue;
        const oldestDays = s.oldestDraftAt ? Math.max(0, Math.floor((now.getTime() - new Date(s.oldestDraftAt).getTime()) / DAY_MS)) : 0;
        const n = await this.ds.transaction(async (m) => {
          const first: Array<unknown> = await m.query(
            `INSERT INTO notification_digest_runs (tenant_id, digest_day) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING tenant_id`,
            [t.id, day],
          );
          if (!first.length) return 0; // sent today already (another instance, a second tick)
          let sent = 0;
          for (const admin of (await this.prefs.digestRecipients(m, t.id)).filter((a) => isMailAddress(a.email))) {
            await this.outbox.enqueue(m, {
              to: admin.email,
              template: 'draft_digest',
              vars: { drafts: s.drafts, oldestDays },
              tenantId: t.id,
            });
            sent++;
          }
          return sent;
        });
        if (n > 0) {
          report.mailed.push(t.id);
          report.mails += n;
        }
      }
      this.logger.log({ message: 'draft digest', tenants: report.mailed.length, mails: report.mails });
      return report;
    });
  }
}
