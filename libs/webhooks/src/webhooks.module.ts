import { Injectable, Module, OnModuleInit } from '@nestjs/common';
import { AuthModule } from '@charlotte/auth';
import { KeyRotationService } from '@charlotte/crypto';
import { FilingEventsRegistry, FilingModule } from '@charlotte/filing';
import { NotificationsModule } from '@charlotte/notifications';
import { WebhookDestinations } from './destination/destinations.service';
import { WebhookSender } from './delivery/webhook-sender';
import { WebhookWorker } from './delivery/webhook.worker';
import { WEBHOOK_SECRET_PURPOSE } from './sealing-purposes';
import { WebhooksController } from './webhooks.controller';
import { WebhooksRepository } from './webhooks.repository';
import { WebhooksService } from './webhooks.service';

/** What this lib plugs into lower ones: filing's events, and the tenant key rotation of the secrets. */
@Injectable()
class WebhookRegistrations implements OnModuleInit {
  constructor(
    private readonly events: FilingEventsRegistry,
    private readonly rotation: KeyRotationService,
    private readonly webhooks: WebhooksService,
  ) {}

  onModuleInit(): void {
    this.events.register((m, e) => this.webhooks.onFilingEvent(m, e));
    this.rotation.register({ table: 'webhooks', column: 'secret_sealed', purpose: WEBHOOK_SECRET_PURPOSE });
  }
}

/**
 * Webhooks for integrators (api.md "Webhooks"): endpoints per tenant, a durable outbox filled in the
 * transaction of each filing status change, signed deliveries behind an SSRF guard, the delivery log.
 * Above filing: filing raises its events through FilingEventsRegistry and never knows this lib.
 */
@Module({
  imports: [AuthModule, NotificationsModule, FilingModule],
  controllers: [WebhooksController],
  providers: [WebhooksRepository, WebhookDestinations, WebhookSender, WebhookWorker, WebhooksService, WebhookRegistrations],
  exports: [WebhooksService, WebhookWorker, WebhookDestinations],
})
export class WebhooksModule {}
