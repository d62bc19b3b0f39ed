export * from './notifications.module';
// operator alerts
export * from './alerts/alert-kinds';
export * from './alerts/alert-checks.registry';
export * from './alerts/alerts.service';
export * from './alerts/alert-monitor.job';
export * from './alerts/audit-verify.job';
export type { AlertDetails, AlertRow } from './alerts/alerts.repository';
