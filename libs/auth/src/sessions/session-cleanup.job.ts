import { Injectable, Logger } from '@nestjs/common';
import { Cron, CronExpression } from '@nestjs/schedule';
import { SessionsService } from './sessions.service';

/** Deletes dead sessions once an hour (idempotent, so safe on every instance). */
@Injectable()
export class SessionCleanupJob {
  private readonly logger = new Logger(SessionCleanupJob.name);

  constructor(private readonly sessions: SessionsService) {}

  @Cron(CronExpression.EVERY_HOUR)
  async run(): Promise<void> {
    const n = await this.sessions.purgeExpired();
    if (n) this.logger.log({ message: 'purged sessions', count: n });
  }
}
