import { Module } from '@nestjs/common';
import { ALERT_CONTROLLERS, ALERT_EXPORTS, ALERT_PROVIDERS } from './alerts/alerts.providers';
import { IncidentsController, OperatorIncidentsController } from './incidents/incidents.controller';
import { IncidentsRepository } from './incidents/incidents.repository';
import { IncidentsService } from './incidents/incidents.service';
import { MailAttachmentRegistry } from './mail/mail-attachments';
import { MailOutboxService } from './mail/mail-outbox.service';
import { MailTransport } from './mail/mail-transport';
import { MailWorker } from './mail/mail.worker';
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
    // incidents (運用からのお知らせ)
    OperatorIncidentsController,
    IncidentsController,
    // operator alerts
    ...ALERT_CONTROLLERS,
  ],
  providers: [
    NoticesService,
    // mail
    MailTransport,
    MailAttachmentRegistry,
    MailWorker,
    MailOutboxService,
    // incidents
    IncidentsRepository,
    IncidentsService,
    // operator alerts
    ...ALERT_PROVIDERS,
  ],
  exports: [
    NoticesService,
    MailOutboxService,
    MailWorker,
    MailAttachmentRegistry,
    IncidentsService,
    // operator alerts
    ...ALERT_EXPORTS,
  ],
})
export class NotificationsModule {}
