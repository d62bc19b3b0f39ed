import { Module } from '@nestjs/common';
import { ALERT_CONTROLLERS, ALERT_EXPORTS, ALERT_PROVIDERS } from './alerts/alerts.providers';
import { AuthModule } from '@charlotte/auth';
import { UserDirectoryService } from './directory/user-directory.service';
import { IpAllowlistResetService } from './break-glass/ip-allowlist-reset.service';
import { OperatorIpAllowlistController } from './break-glass/operator-ip-allowlist.controller';
import { DraftDigestJob } from './customer-mail/draft-digest.job';
import { FilingMailService } from './customer-mail/filing-mail.service';
import { ApplicationInfoRegistry, DigestRegistry } from './customer-mail/sources';
import { IncidentsController, OperatorIncidentsController } from './incidents/incidents.controller';
import { IncidentsRepository } from './incidents/incidents.repository';
import { IncidentsService } from './incidents/incidents.service';
import { MailAttachmentRegistry } from './mail/mail-attachments';
import { MailOutboxService } from './mail/mail-outbox.service';
import { MailTransport } from './mail/mail-transport';
import { MailWorker } from './mail/mail.worker';
import { NoticesController } from './notices/notices.controller';
import { NoticesService } from './notices/notices.service';
import { NotificationPreferencesController } from './preferences/notification-preferences.controller';
import { NotificationPreferencesService } from './preferences/notification-preferences.service';

/**
 * お知らせ (in-app notices), e-mail (outbox), incidents (運用からのお知らせ) and operator alerts
 * (architecture.md P7). Used by applications, filing, backup and the operations side; it uses only
 * core, crypto, audit and auth (the lint rule enforces it). Libs above plug in through
 * ApplicationInfoRegistry, DigestRegistry, MailAttachmentRegistry and AlertCheckRegistry.
 */
@Module({
  imports: [AuthModule],
  controllers: [
    NoticesController,
    NotificationPreferencesController,
    // incidents (運用からのお知らせ)
    OperatorIncidentsController,
    IncidentsController,
    // operator alerts
    ...ALERT_CONTROLLERS,
    // break-glass: an operator switches a tenant's IP allow-list off
    OperatorIpAllowlistController,
  ],
  providers: [
    NoticesService,
    UserDirectoryService,
    MailTransport,
    MailAttachmentRegistry,
    MailWorker,
    MailOutboxService,
    NotificationPreferencesService,
    ApplicationInfoRegistry,
    DigestRegistry,
    FilingMailService,
    DraftDigestJob,
    // incidents
    IncidentsRepository,
    IncidentsService,
    // operator alerts
    ...ALERT_PROVIDERS,
    IpAllowlistResetService,
  ],
  exports: [
    NoticesService,
    UserDirectoryService,
    MailOutboxService,
    MailWorker,
    MailAttachmentRegistry,
    NotificationPreferencesService,
    ApplicationInfoRegistry,
    DigestRegistry,
    DraftDigestJob,
    IncidentsService,
    // operator alerts
    ...ALERT_EXPORTS,
  ],
})
export class NotificationsModule {}
