import { Injectable, Logger } from '@nestjs/common';
import { Cron, CronExpression } from '@nestjs/schedule';
import { LoginThrottleService } from '../login/login-throttle.service';
import { SamlLoginService } from '../saml/saml-login.service';
import { SessionsService } from './sessions.service';

/** Deletes dead sessions, expired SAML request/assertion ids and old failed-login counters once an hour (idempotent, so safe on every instance). */
@Injectable()
export class SessionCleanupJob {
  private readonly logger = new Logger(SessionCleanupJob.name);

  constructor(
    private readonly sessions: SessionsService,
    private readonly saml: SamlLoginService,
    private readonly loginThrottle: LoginThrottleService,
  ) {}

  @Cron(CronExpression.EVERY_HOUR)
  async run(): Promise<void> {
    const n = await this.sessions.purgeExpired();
    if (n) this.logger.log({ message: 'purged sessions', count: n });
    const s = await this.saml.purgeExpired();
    if (s) this.logger.log({ message: 'purged expired SAML request and assertion ids', count: s });
    const f = await this.loginThrottle.purgeExpired();
    if (f) this.logger.log({ message: 'purged expired failed-login counters', count: f });
  }
}
