import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy, Optional } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { InjectDataSource } from '@nestjs/typeorm';
import { CronJob } from 'cron';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig, countJobFailures, observeJob, withAdvisoryLock } from '@charlotte/core';
import { DeletionService } from './deletion.service';

// Fixed advisory-lock key: one sweep at a time across all instances (each job also holds its tenant lock).
const DELETION_SWEEP_LOCK = 774_215_010;

/**
 * The daily deletion sweep (DELETION_CRON, Asia/Tokyo): every tenant whose deletion is due today
 * or earlier is deleted, and unfinished or failed jobs are resumed. Also once at boot, so a
 * deletion interrupted by a crash finishes without waiting for the next day.
 */
@Injectable()
export class DeletionJobs implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('DeletionJobs');
  private readonly jobs: CronJob[] = [];

  constructor(
    private readonly deletion: DeletionService,
    @InjectDataSource() private readonly ds: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Optional() private readonly registry?: SchedulerRegistry,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.registry) return; // CLI and tests run without the scheduler
    const job = CronJob.from({ cronTime: this.config.backup.deletionCron, timeZone: 'Asia/Tokyo', onTick: () => void this.safeSweep() });
    this.registry.addCronJob('tenant-deletion', job);
    job.start();
    this.jobs.push(job);
    void this.safeSweep(); // resume interrupted deletions at boot
  }

  onModuleDestroy(): void {
    for (const j of this.jobs) void j.stop();
  }

  private async safeSweep(): Promise<void> {
    try {
      await this.sweep();
    } catch (e) {
      this.logger.error({ message: 'deletion sweep failed', err: e instanceof Error ? e.stack : String(e) });
    }
  }

  sweep(): Promise<{ done: number; failed: number } | undefined> {
    return withAdvisoryLock(this.ds, DELETION_SWEEP_LOCK, async () => {
      const r = await observeJob('tenant_deletion', () => this.deletion.sweep());
      countJobFailures('tenant_deletion', r.failed);
      if (r.done || r.failed) this.logger.log({ message: 'deletion sweep', ...r });
      return r;
    });
  }
}
