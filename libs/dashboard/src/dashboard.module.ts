import { Module } from '@nestjs/common';
import { ApplicationsModule } from '@charlotte/applications';
import { AuthModule } from '@charlotte/auth';
import { BackupModule } from '@charlotte/backup';
import { FilingModule } from '@charlotte/filing';
import { NotificationsModule } from '@charlotte/notifications';
import { ProceduresModule } from '@charlotte/procedures';
import { OperatorOverviewController } from './operator/operator-overview.controller';
import { OperatorOverviewService } from './operator/operator-overview.service';
import { DashboardController } from './tenant/dashboard.controller';
import { DashboardService } from './tenant/dashboard.service';

/**
 * The homes: the tenant's dashboard (GET /dashboard) and the platform operator's overview
 * (GET /operator/overview). Read-only; it composes what the libs below it count on their own
 * tables, which is why it sits on top of the graph: the checklist alone needs auth (key files),
 * applications (offices, applications) and filing (the e-Gov link, 公文書), which no lower lib sees together.
 */
@Module({
  imports: [AuthModule, ProceduresModule, ApplicationsModule, FilingModule, NotificationsModule, BackupModule],
  controllers: [DashboardController, OperatorOverviewController],
  providers: [DashboardService, OperatorOverviewService],
})
export class DashboardModule {}
