import { Module } from '@nestjs/common';
import { NotificationsModule } from '@charlotte/notifications';
import { ProceduresModule } from '@charlotte/procedures';
import { StorageModule } from '@charlotte/storage';
import { ApplicationStore } from './applications/application.store';
import { ApplicationsController } from './applications/applications.controller';
import { ApplicationsService } from './applications/applications.service';
import { DetailPartRegistry, EditGuardRegistry } from './applications/extensions';
import { ApplicationsNotifications } from './applications/notifications';
import { AttachmentsController } from './attachments/attachments.controller';
import { AttachmentsService } from './attachments/attachments.service';
import { OfficesModule } from './offices/offices.module';
import { ApplicationsAuditTargets } from './audit-targets';
import { ClientsModule } from './clients/clients.module';

/**
 * Offices, applications and attachments. Knows nothing of e-Gov: libs/filing plugs in
 * through EditGuardRegistry and DetailPartRegistry (extensions.ts). Registers with libs/notifications
 * what its mails need (notifications.ts).
 */
@Module({
  imports: [OfficesModule, ClientsModule, ProceduresModule, StorageModule, NotificationsModule],
  controllers: [ApplicationsController, AttachmentsController],
  providers: [
    EditGuardRegistry,
    DetailPartRegistry,
    ApplicationStore,
    ApplicationsService,
    AttachmentsService,
    ApplicationsNotifications,
    ApplicationsAuditTargets,
  ],
  exports: [OfficesModule, ClientsModule, EditGuardRegistry, DetailPartRegistry, ApplicationStore, ApplicationsService, AttachmentsService],
})
export class ApplicationsModule {}
