import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy, Optional } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { InjectDataSource } from '@nestjs/typeorm';
import { CronJob } from 'cron';
import { DataSource } from 'typeorm';
import { AuditService } from '@charlotte/audit';
import { APP_CONFIG, AppConfig, runOncePerSlot, withAdvisoryLock } from '@charlotte/core';
import { AlertsService } from './alerts.service';

// Fixed advisory-lock key: one verification at a time across all instances.
const AUDIT_VERIFY_LOCK = 774_217_002;

export const AUDIT_CHAIN_CAUSE = 'audit.chain_invalid';

export interface AuditVerifyReport {
  chains: number;
  broken: number;
}

/**
 * The daily verification of every audit chain (AUDIT_VERIFY_CRON, default 03:30 Asia/Tokyo,
 * advisory-locked): the same check as the `audit:verify` CLI (AuditService.verify of every chain:
 * hashes, sequence, signed checkpoints). A chain that does not verify raises
 * `audit.chain_invalid`; only a later passing verification clears it.
 */
@Injectable()
export class AuditVerifyJob implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('AuditVerify');
  private job: CronJob | undefined;

  constructor(
    private readonly audit: AuditService,
    private readonly alerts: AlertsService,
    @InjectDataSource() private readonly ds: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Optional() private readonly scheduler?: SchedulerRegistry,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.scheduler) return; // CLI and tests run without the scheduler; tests call run()
    this.job = CronJob.from({
      cronTime: this.config.alerts.auditVerifyCron,
      timeZone: 'Asia/Tokyo',
      // Once per cron slot across all instances (the advisory lock inside only stops overlapping runs).
      onTick: () =>
        void runOncePerSlot(this.ds, 'audit-verify', new Date(), () => this.run()).catch((e: unknown) =>
          this.logger.error({ message: 'audit verification failed to run', err: e instanceof Error ? e.stack : String(e) }),
        ),
    });
    this.scheduler.addCronJob('audit-verify', this.job);
    this.job.start();
  }

  onModuleDestroy(): void {
    void this.job?.stop();
  }

  run(): Promise<AuditVerifyReport | undefined> {
    return withAdvisoryLock(this.ds, AUDIT_VERIFY_LOCK, async () => {
      const chains = await this.audit.chains();
      const broken: Array<{ chain: string; seq: number | null }> = [];
      for (const chain of chains) {
        const r = await this.audit.verify(chain);
        if (!r.ok) broken.push({ chain, seq: r.firstBrokenSeq });
      }
      if (broken.length) {
        this.logger.error({ message: 'audit chain verification failed', broken: broken.length });
        await this.alerts.raise(AUDIT_CHAIN_CAUSE, {
          kind: 'audit_chain_invalid',
          // Chain keys are tenant ids or "platform": ids, no content.
          details: { chainsChecked: chains.length, chainsBroken: broken.length, brokenChains: broken.map((b) => b.chain) },
        });
      } else await this.alerts.clear(AUDIT_CHAIN_CAUSE);
      return { chains: chains.length, broken: broken.length };
    });
  }
}
