import { Module } from '@nestjs/common';
import { ALERT_CONTROLLERS, ALERT_EXPORTS, ALERT_PROVIDERS } from './alerts/alerts.providers';
import { NoticesController } from './notices/notices.controller';
import { NoticesService } from './notices/notices.service';

/**
 * お知らせ (in-app notices), e-mail (outbox), incidents (運用からのお知らせ) and operator alerts
 * (architecture.md P7). Used by applications, filing, backup and the operations side; it uses only
 * core, crypto, audit and auth (the lint rule enforces it).
 */
@Module({
  controllers: [
    NoticesController,
    // operator alerts
    ...ALERT_CONTROLLERS,
  ],
  providers: [
    NoticesService,
    // operator alerts
    ...ALERT_PROVIDERS,
  ],
  exports: [
    NoticesService,
    // operator alerts
    ...ALERT_EXPORTS,
  ],
})
export class NotificationsModule {}
