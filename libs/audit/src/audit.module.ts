import { Global, Module } from '@nestjs/common';
import { AuditService } from './events/audit.service';
import { AuditController, WellKnownController } from './http/audit.controller';
import { AuditJobs } from './jobs/audit.jobs';
import { ClockSyncService } from './time/clock-sync';

@Global()
@Module({
  controllers: [AuditController, WellKnownController],
  providers: [AuditService, AuditJobs, ClockSyncService],
  exports: [AuditService, AuditJobs],
})
export class AuditModule {}
