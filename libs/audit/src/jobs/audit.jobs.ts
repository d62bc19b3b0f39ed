import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy, Optional } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { InjectDataSource } from '@nestjs/typeorm';
import { CronJob } from 'cron';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig, runOncePerSlot, withAdvisoryLock } from '@charlotte/core';
import { AuditService } from '../events/audit.service';

// Fixed advisory-lock keys: one run at a time across all instances.
const CHECKPOINT_LOCK = 774_211_010;
const RETENTION_LOCK = 774_211_011;

/**
 * Scheduled audit jobs: signed checkpoints of the chain heads (hourly by
 * default, AUDIT_CHECKPOINT_CRON) and the retention purge (daily, 03:30 JST).
 */
@Injectable()
export class AuditJobs implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('AuditJobs');
  private readonly jobs: CronJob[] = [];

  constructor(
    private readonly audit: AuditService,
    @InjectDataSource() private readonly ds: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Optional() private readonly registry?: SchedulerRegistry,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.registry) return; // CLI and tests run without the scheduler
    this.add('audit-checkpoint', this.config.auditCheckpointCron, 'UTC', () => this.checkpoint());
    this.add('audit-retention', '30 3 * * *', 'Asia/Tokyo', () => this.retention());
  }

  onModuleDestroy(): void {
    for (const j of this.jobs) void j.stop();
  }

  private add(name: string, cron: string, timeZone: string, run: () => Promise<unknown>): void {
    const job = CronJob.from({
      cronTime: cron,
      timeZone,
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

  checkpoint(): Promise<number | undefined> {
    return withAdvisoryLock(this.ds, CHECKPOINT_LOCK, async () => {
      const n = await this.audit.checkpointAll();
      if (n) this.logger.log({ message: 'audit checkpoints signed', chains: n });
      return n;
    });
  }

  retention(): Promise<unknown> {
    return withAdvisoryLock(this.ds, RETENTION_LOCK, () => this.audit.purgeExpired());
  }
}
