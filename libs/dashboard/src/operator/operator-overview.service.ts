import { Injectable } from '@nestjs/common';
import { JobFailuresService } from '@charlotte/backup';
import { AlertsService, IncidentsService } from '@charlotte/notifications';
import { OperatorOverviewDto } from './operator-overview.dto';

const FAILURE_DAYS = 7;
const FAILURE_ITEMS = 10;

/** The platform operator's home: counts and job failures only, never a tenant's content. */
@Injectable()
export class OperatorOverviewService {
  constructor(
    private readonly jobs: JobFailuresService,
    private readonly alerts: AlertsService,
    private readonly incidents: IncidentsService,
  ) {}

  async get(now = new Date()): Promise<OperatorOverviewDto> {
    const since = new Date(now.getTime() - FAILURE_DAYS * 86_400_000);
    const [tenants, openAlerts, openIncidents, jobFailures] = await Promise.all([
      this.jobs.tenantCounts(),
      this.alerts.openCount(),
      this.incidents.openCount(),
      this.jobs.recent(since, FAILURE_ITEMS),
    ]);
    return { tenants, openAlerts, openIncidents, failuresSince: since.toISOString(), jobFailures };
  }
}
