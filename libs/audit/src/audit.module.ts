import { Global, Module } from '@nestjs/common';
import { AuditService } from './events/audit.service';
import { AuditController, WellKnownController } from './http/audit.controller';
import { AuditJobs } from './jobs/audit.jobs';
import { ClockSyncService } from './time/clock-sync';
import { AuditTargetRegistry } from './targets/audit-targets';
import { AuditViewsService } from './targets/audit-views.service';

@Global()
@Module({
  controllers: [AuditController, WellKnownController],
  providers: [AuditService, AuditJobs, ClockSyncService, AuditTargetRegistry, AuditViewsService],
  exports: [AuditService, AuditJobs, AuditTargetRegistry],
})
export class AuditModule {}
