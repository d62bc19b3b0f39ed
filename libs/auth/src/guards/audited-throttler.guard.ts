import { ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { ThrottlerGuard, ThrottlerLimitDetail } from '@nestjs/throttler';
import { AuditService } from '@charlotte/audit';
import { routeOf } from './session-auth.guard';

/** The throttler guard, recording every rejection as a `security` audit event. */
@Injectable()
export class AuditedThrottlerGuard extends ThrottlerGuard {
  @Inject(AuditService) private readonly audit: AuditService;

  protected override async throwThrottlingException(context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    await this.audit.recordQuietly({
      category: 'security',
      action: 'http.rate_limited',
      outcome: 'denied',
      tenantId: null,
      actor: { type: 'anonymous' },
      details: { route: routeOf(context), limit: detail.limit, ttlSeconds: Math.round(detail.ttl / 1000) },
    });
    return super.throwThrottlingException(context, detail);
  }
}
