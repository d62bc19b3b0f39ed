import { Injectable, Logger } from '@nestjs/common';
import { Cron, CronExpression } from '@nestjs/schedule';
import { DataSource } from 'typeorm';
import { observeJob } from '@charlotte/core';
import { purgeExpiredRateLimits } from './pg-throttler-storage';

/**
 * Deletes rate-limit windows that are over, every five minutes (idempotent, so
 * it may run on every instance at once; a row still in use is never expired).
 */
@Injectable()
export class RateLimitCleanupJob {
  private readonly logger = new Logger(RateLimitCleanupJob.name);

  constructor(private readonly ds: DataSource) {}

  @Cron(CronExpression.EVERY_5_MINUTES)
  async run(): Promise<number> {
    const n = await observeJob('rate_limit_cleanup', () => purgeExpiredRateLimits(this.ds));
    if (n) this.logger.debug({ message: 'purged expired rate-limit windows', count: n });
    return n;
  }
}
