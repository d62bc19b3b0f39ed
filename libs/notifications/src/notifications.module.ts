import { Module } from '@nestjs/common';
import { ALERT_CONTROLLERS, ALERT_EXPORTS, ALERT_PROVIDERS } from './alerts/alerts.providers';

/**
 * お知らせ (in-app notices), e-mail (outbox), incidents (運用からのお知らせ) and operator alerts
 * (architecture.md P7). Used by applications, filing, backup and the operations side; it uses only
 * core, crypto, audit and auth (the lint rule enforces it).
 */
@Module({
  controllers: [
    // operator alerts
    ...ALERT_CONTROLLERS,
  ],
  providers: [
    // operator alerts
    ...ALERT_PROVIDERS,
  ],
  exports: [
    // operator alerts
    ...ALERT_EXPORTS,
  ],
})
export class NotificationsModule {}
