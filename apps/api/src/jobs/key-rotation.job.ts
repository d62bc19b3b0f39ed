import { Injectable } from '@nestjs/common';
import { Cron, CronExpression } from '@nestjs/schedule';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditService } from '@charlotte/audit';
import { withAdvisoryLock } from '@charlotte/core';
import { KeyRotationService } from '@charlotte/crypto';

const ROTATION_LOCK = 774_211_020;

/**
 * Resumes interrupted tenant key rotations every minute, on one instance at a
 * time, and records each finished one as a `system` audit event. Lives in the
 * app because it needs both libs/crypto and libs/audit (audit depends on crypto).
 */
@Injectable()
export class KeyRotationJob {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly rotation: KeyRotationService,
    private readonly audit: AuditService,
  ) {}

  @Cron(CronExpression.EVERY_MINUTE)
  run(): Promise<number | undefined> {
    return withAdvisoryLock(this.ds, ROTATION_LOCK, async () => {
      const jobs = await this.rotation.unfinished();
      for (const j of jobs) {
        const done = await this.rotation.run(j.id);
        await this.audit.record({
          category: 'system',
          action: 'keys.reencryption_finished',
          outcome: 'success',
          tenantId: done.tenantId,
          actor: { type: 'system' },
          details: { version: done.targetVersion, job: done.id, processed: done.processed, reencrypted: done.reencrypted, resumed: true },
        });
      }
      return jobs.length;
    });
  }
}
