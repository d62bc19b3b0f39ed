import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy, Optional } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { InjectDataSource } from '@nestjs/typeorm';
import { CronJob } from 'cron';
import { DataSource } from 'typeorm';
import { AuditService } from '@charlotte/audit';
import { APP_CONFIG, AppConfig, countJobFailures, observeJob, runOncePerSlot, withAdvisoryLock } from '@charlotte/core';
import { AlertsService } from '@charlotte/notifications';
import { BackupErrorCode } from '../errors';
import { withTenantLock } from '../tenant-lock';
import { GenerationsService, safeReason } from './generations.service';
import { GenerationRow } from './manifest';

// Fixed advisory-lock keys: one run of each job at a time across all instances.
const NIGHTLY_LOCK = 774_215_101;
const WEEKLY_LOCK = 774_215_102;
const VERIFY_LOCK = 774_215_103;

export interface NightlyReport {
  completed: string[];
  skipped: string[];
  failed: string[];
  removed: number;
}

/**
 * Scheduled backups (Asia/Tokyo): the nightly generation of every tenant not
 * deleted (BACKUP_CRON, retried BACKUP_RETRIES times with backoff, then a
 * `system` audit event `backup.failed` as the operator alert) followed by the
 * retention of BACKUP_DAILY_KEEP generations; the weekly copy to the remote
 * store (BACKUP_WEEKLY_CRON) and the removal of weekly copies older than
 * BACKUP_WEEKLY_KEEP_DAYS; the weekly verification of every tenant's newest
 * generation (BACKUP_VERIFY_CRON). The job bodies are public so tests call them.
 *
 * Operator alerts (one open alert per tenant and cause): `backup.failed:<tenantId>` when the
 * nightly generation failed after its retries, cleared by the next successful generation of that
 * tenant; `backup.remote_failed:<tenantId>` when the weekly remote copy failed, cleared by the
 * next successful copy; `backup.verify_failed:<tenantId>` when the weekly verification failed,
 * cleared by the next passing one.
 */
@Injectable()
export class BackupJobs implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('BackupJobs');
  private readonly jobs: CronJob[] = [];
  /** Backoff between attempts (ms); tests shorten it. */
  backoffMs = 30_000;

  constructor(
    private readonly generations: GenerationsService,
    private readonly audit: AuditService,
    private readonly alerts: AlertsService,
    @InjectDataSource() private readonly ds: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Optional() private readonly registry?: SchedulerRegistry,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.registry) return; // CLI and tests run without the scheduler
    this.add('backup-nightly', this.config.backup.cron, () => this.runNightly(new Date()));
    this.add('backup-weekly', this.config.backup.weeklyCron, () => this.runWeekly(new Date()));
    this.add('backup-verify', this.config.backup.verifyCron, () => this.verifyNewest());
  }

  onModuleDestroy(): void {
    for (const j of this.jobs) void j.stop();
  }

  private add(name: string, cron: string, run: () => Promise<unknown>): void {
    const job = CronJob.from({
      cronTime: cron,
      timeZone: 'Asia/Tokyo',
      // Once per cron slot across all instances (the advisory lock inside only stops overlapping runs).
      onTick: () =>
        void runOncePerSlot(this.ds, name, new Date(), run).catch((e: unknown) =>
          this.logger.error({ message: `${name} failed`, err: e instanceof Error ? e.stack : String(e) }),
        ),
    });
    this.registry?.addCronJob(name, job);
    job.start();
    this.jobs.push(job);
  }

  private async tenants(): Promise<Array<{ id: string }>> {
    return this.ds.query(`SELECT id FROM tenants WHERE status <> 'deleted' ORDER BY code`);
  }

  /** Nightly: a daily generation of every tenant not deleted, then retention. */
  async runNightly(_now: Date = new Date()): Promise<NightlyReport | undefined> {
    // Timed and counted (charlotte_job_*{job="backup_generation"}).
    return withAdvisoryLock(this.ds, NIGHTLY_LOCK, () =>
      observeJob('backup_generation', async () => {
        const report: NightlyReport = { completed: [], skipped: [], failed: [], removed: 0 };
        for (const t of await this.tenants()) {
          let last: unknown;
          let done = false;
          for (let attempt = 1; attempt <= this.config.backup.retries && !done; attempt++) {
            try {
              await this.generations.run(t.id, 'daily');
              done = true;
            } catch (e) {
              last = e;
              // A restore or deletion holds the tenant: skip it tonight, it is not a failure.
              if (
                (e as { code?: string }).code === BackupErrorCode.TenantBusy ||
                (e as { code?: string }).code === BackupErrorCode.TenantDeleted
              )
                break;
              this.generations.warn('backup attempt failed', t.id, e);
              if (attempt < this.config.backup.retries) await sleep(this.backoffMs * attempt);
            }
          }
          if (done) {
            report.completed.push(t.id);
            await this.alerts.clear(backupFailedCause(t.id));
            report.removed += await this.generations.applyDailyRetention(t.id);
          } else if (
            (last as { code?: string }).code === BackupErrorCode.TenantBusy ||
            (last as { code?: string }).code === BackupErrorCode.TenantDeleted
          ) {
            report.skipped.push(t.id);
          } else {
            report.failed.push(t.id);
            countJobFailures('backup_generation');
            await this.audit.record({
              category: 'system',
              action: 'backup.failed',
              outcome: 'failure',
              actor: { type: 'system' },
              tenantId: null,
              target: { type: 'tenant', id: t.id },
              details: { kind: 'daily', attempts: this.config.backup.retries, reason: safeReason(last) },
            });
            await this.alerts.raise(backupFailedCause(t.id), {
              kind: 'backup_failed',
              details: { tenantId: t.id, attempts: this.config.backup.retries, error: errorClass(last) },
            });
          }
        }
        return report;
      }),
    );
  }

  /** Weekly: the newest complete daily generation of every tenant copied to the remote store; old weekly copies removed. */
  async runWeekly(now: Date = new Date()): Promise<{ copied: string[]; removed: number } | undefined> {
    // Timed and counted (charlotte_job_*{job="backup_weekly_copy"}).
    return withAdvisoryLock(this.ds, WEEKLY_LOCK, () =>
      observeJob('backup_weekly_copy', async () => {
        const copied: string[] = [];
        for (const t of await this.tenants()) {
          const newest: GenerationRow[] = await this.ds.query(
            `SELECT * FROM backup_generations WHERE tenant_id = $1 AND kind = 'daily' AND state = 'complete' ORDER BY created_at DESC LIMIT 1`,
            [t.id],
          );
          if (!newest[0]) continue;
          try {
            // Under the tenant lock: a deletion running now must not find a remote copy appear after it cleared the stores.
            copied.push((await withTenantLock(this.ds, t.id, () => this.generations.copyToRemote(t.id, newest[0].id))).id);
            await this.alerts.clear(`backup.remote_failed:${t.id}`);
          } catch (e) {
            if ((e as { code?: string }).code === BackupErrorCode.TenantBusy) continue;
            countJobFailures('backup_weekly_copy');
            await this.audit.record({
              category: 'system',
              action: 'backup.failed',
              outcome: 'failure',
              actor: { type: 'system' },
              tenantId: null,
              target: { type: 'tenant', id: t.id },
              details: { kind: 'weekly', reason: safeReason(e) },
            });
            await this.alerts.raise(`backup.remote_failed:${t.id}`, {
              kind: 'backup_remote_failed',
              details: { tenantId: t.id, error: errorClass(e) },
            });
          }
        }
        const removed = await this.generations.applyWeeklyRetention(now);
        return { copied, removed };
      }),
    );
  }

  /** Weekly: the newest complete generation of every tenant verified end to end; a failure is an operator alert. */
  async verifyNewest(): Promise<{ verified: string[]; failed: string[] } | undefined> {
    // Timed and counted (charlotte_job_*{job="backup_verification"}).
    return withAdvisoryLock(this.ds, VERIFY_LOCK, () =>
      observeJob('backup_verification', async () => {
        const verified: string[] = [];
        const failed: string[] = [];
        for (const t of await this.tenants()) {
          const newest: GenerationRow[] = await this.ds.query(
            `SELECT * FROM backup_generations WHERE tenant_id = $1 AND state = 'complete' ORDER BY created_at DESC LIMIT 1`,
            [t.id],
          );
          if (!newest[0]) continue;
          let out;
          try {
            out = await withTenantLock(this.ds, t.id, () => this.generations.verifyRow(newest[0]));
          } catch (e) {
            if ((e as { code?: string }).code === BackupErrorCode.TenantBusy) continue; // a restore or deletion runs: next week
            throw e;
          }
          if (out.ok) {
            verified.push(newest[0].id);
            await this.alerts.clear(`backup.verify_failed:${t.id}`);
          } else {
            failed.push(newest[0].id);
            countJobFailures('backup_verification');
            await this.audit.record({
              category: 'system',
              action: 'backup.verify_failed',
              outcome: 'failure',
              actor: { type: 'system' },
              tenantId: null,
              target: { type: 'backup', id: newest[0].id },
              details: { tenantId: t.id, reason: out.reason ?? 'unknown' },
            });
            await this.alerts.raise(`backup.verify_failed:${t.id}`, {
              kind: 'backup_verify_failed',
              details: { tenantId: t.id, backupId: newest[0].id },
            });
          }
        }
        return { verified, failed };
      }),
    );
  }
}

/** The alert of a tenant whose scheduled generation failed; any later successful generation clears it. */
export const backupFailedCause = (tenantId: string): string => `backup.failed:${tenantId}`;

/** The class of an error for an alert (its code or name), never its message. */
function errorClass(e: unknown): string {
  const code = (e as { code?: unknown })?.code;
  if (typeof code === 'string' && /^[A-Za-z_.]{1,40}$/.test(code)) return code;
  return e instanceof Error ? e.name : 'error';
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
