import { Module } from '@nestjs/common';
import { ClientsModule, OfficesModule } from '@charlotte/applications';
import { AuthModule } from '@charlotte/auth';
import { NotificationsModule } from '@charlotte/notifications';
import { ClientUsersController } from './client-users/client-users.controller';
import { ClientUsersService } from './client-users/client-users.service';
import { PortalRegistrations } from './portal-gate';
import { RequestsController } from './requests/requests.controller';
import { RequestsService } from './requests/requests.service';

/**
 * 顧問先ポータル (client portal, issue 19): the users of a client company (role client), invited by
 * the office, and their 依頼 (requests) to it. Above auth and applications: it registers its login
 * check with auth's SessionGates; the routes a portal user may reach are marked @ClientPortal()
 * where they live, and the roles guard answers 404 on every other route.
 */
@Module({
  imports: [AuthModule, NotificationsModule, OfficesModule, ClientsModule],
  controllers: [ClientUsersController, RequestsController],
  providers: [ClientUsersService, RequestsService, PortalRegistrations],
  exports: [RequestsService],
})
export class PortalModule {}
