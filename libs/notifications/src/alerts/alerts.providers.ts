import { AlertCheckRegistry } from './alert-checks.registry';
import { AlertConsoleService } from './alert-console.service';
import { AlertIncidents } from './alert-incidents';
import { AlertMailer } from './alert-mailer';
import { AlertMonitorJob } from './alert-monitor.job';
import { AlertsController } from './alerts.controller';
import { AlertsRepository } from './alerts.repository';
import { AlertsService } from './alerts.service';
import { AuditVerifyJob } from './audit-verify.job';

/**
 * Operator alerts, as NotificationsModule provides them: the alerts (raise/clear, mail, audit),
 * the monitor (health checks, disk, registered checks), the daily audit verification, the
 * alert → incident rule and the operator routes. Libs that raise alerts (backup, filing) import
 * NotificationsModule and get AlertsService and AlertCheckRegistry.
 */
export const ALERT_PROVIDERS = [
  AlertsRepository,
  AlertsService,
  AlertMailer,
  AlertCheckRegistry,
  AlertIncidents,
  AlertConsoleService,
  AlertMonitorJob,
  AuditVerifyJob,
];
export const ALERT_CONTROLLERS = [AlertsController];
export const ALERT_EXPORTS = [AlertsService, AlertCheckRegistry, AlertMonitorJob, AuditVerifyJob];
