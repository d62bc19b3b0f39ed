import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy, Optional } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { InjectDataSource } from '@nestjs/typeorm';
import { CronJob } from 'cron';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig, observeJob, withAdvisoryLock } from '@charlotte/core';
import { EgovActionsService } from './egov-actions.service';
import { StatusTrackerService } from './status-tracker.service';
import { SubmissionsService } from './submissions.service';

const POLL_LOCK = 774_211_030;

/**
 * The e-Gov jobs when scheduling is on: the submission worker (and the 補正/取下げ
 * worker) every few seconds (rows are claimed with SKIP LOCKED, so every instance may run it) and
 * the status poll on EGOV_POLL_CRON under an advisory lock (one instance).
 */
@Injectable()
export class EgovJobs implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(EgovJobs.name);
  private timer?: NodeJS.Timeout;
  private running = false;

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly submissions: SubmissionsService,
    private readonly actions: EgovActionsService,
    private readonly tracker: StatusTrackerService,
    @Optional() private readonly scheduler?: SchedulerRegistry,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.scheduler) return;
    // A failing run (database gone for a moment) is logged and tried again on the next tick, never an unhandled rejection.
    const logged = (what: string) => (e: unknown) =>
      this.logger.error({ message: `e-Gov ${what} run failed`, error: (e as Error).message });
    this.timer = setInterval(() => void this.work().catch(logged('worker')), 5000);
    this.timer.unref();
    const job = CronJob.from({
      cronTime: this.config.egovPollCron,
      onTick: () => void this.poll().catch(logged('status poll')),
      start: true,
      timeZone: 'Asia/Tokyo',
    });
    this.scheduler.addCronJob('egov-poll', job);
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }

  async work(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      await observeJob('egov_submit', () => this.submissions.runDue());
      await observeJob('egov_actions', () => this.actions.runDue());
    } finally {
      this.running = false;
    }
  }

  poll(): Promise<number | undefined> {
    return withAdvisoryLock(this.ds, POLL_LOCK, () => observeJob('egov_poll', () => this.tracker.pollAll()));
  }
}
