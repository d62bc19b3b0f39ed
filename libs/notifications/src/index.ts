// The public surface of libs/notifications: お知らせ, e-mail (outbox), customer mails and what other libs register with it.
export * from './notifications.module';
export * from './notices/notice-kinds';
export * from './notices/notices.service';
export { UserDirectoryService } from './directory/user-directory.service';
export * from './notices/dto/notice.dto';
export * from './mail';
export * from './preferences/notification-preferences.service';
export * from './preferences/dto/notification-settings.dto';
export * from './customer-mail/sources';
export * from './customer-mail/draft-digest.job';
// incidents (運用からのお知らせ): the alerts side creates automatic incidents through IncidentsService
export * from './incidents/incidents.service';
export * from './incidents/dto/incident.dto';
export { IncidentErrorCode } from './incidents/incident-errors';
// operator alerts
export * from './alerts/alert-kinds';
export * from './alerts/alert-checks.registry';
export * from './alerts/alerts.service';
export * from './alerts/alert-monitor.job';
export * from './alerts/audit-verify.job';
export type { AlertDetails, AlertRow } from './alerts/alerts.repository';
