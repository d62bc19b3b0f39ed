import { Injectable, Logger } from '@nestjs/common';
import { Cron, CronExpression } from '@nestjs/schedule';
import { SamlLoginService } from '../saml/saml-login.service';
import { SessionsService } from './sessions.service';

/** Deletes dead sessions and expired SAML request/assertion ids once an hour (idempotent, so safe on every instance). */
@Injectable()
export class SessionCleanupJob {
  private readonly logger = new Logger(SessionCleanupJob.name);

  constructor(
    private readonly sessions: SessionsService,
    private readonly saml: SamlLoginService,
  ) {}

  @Cron(CronExpression.EVERY_HOUR)
  async run(): Promise<void> {
    const n = await this.sessions.purgeExpired();
    if (n) this.logger.log({ message: 'purged sessions', count: n });
    const s = await this.saml.purgeExpired();
    if (s) this.logger.log({ message: 'purged expired SAML request and assertion ids', count: s });
  }
}
