import { Foundation1764000000000 } from './1764000000000-Foundation';
import { AuditTrail1764100000000 } from './1764100000000-AuditTrail';
import { KeyFilesAndTokens1764200000000 } from './1764200000000-KeyFilesAndTokens';
import { TenantSso1764300000000 } from './1764300000000-TenantSso';
import { SamlLogin1764400000000 } from './1764400000000-SamlLogin';
import { TenantKeys1764500000000 } from './1764500000000-TenantKeys';
import { SealedDisplayNames1764600000000 } from './1764600000000-SealedDisplayNames';
import { Applications1764700000000 } from './1764700000000-Applications';
import { Egov1764800000000 } from './1764800000000-Egov';
import { EgovActions1764900000000 } from './1764900000000-EgovActions';
import { LoginThrottleBySource1765000000000 } from './1765000000000-LoginThrottleBySource';
import { EgovLinkBrowserBinding1765000000010 } from './1765000000010-EgovLinkBrowserBinding';
import { SamlBindingAndLinking1765000000100 } from './1765000000100-SamlBindingAndLinking';
import { ContractEnd1765000000300 } from './1765000000300-ContractEnd';
import { BackupGenerations1765000000400 } from './1765000000400-BackupGenerations';
import { EgovTrialMode1765000000500 } from './1765000000500-EgovTrialMode';
import { SigningCertificates1765000000510 } from './1765000000510-SigningCertificates';
import { MailOutbox1765000000600 } from './1765000000600-MailOutbox';
import { NotificationPreferences1765000000601 } from './1765000000601-NotificationPreferences';
import { Incidents1765000000610 } from './1765000000610-Incidents';
import { OperatorAlerts1765000000620 } from './1765000000620-OperatorAlerts';
import { RateLimitHits1765000000630 } from './1765000000630-RateLimitHits';
import { ScheduledJobRuns1765000000640 } from './1765000000640-ScheduledJobRuns';
import { EgovAccountIdentity1765000000670 } from './1765000000670-EgovAccountIdentity';
import { ApplicationDueDate1765000000700 } from './1765000000700-ApplicationDueDate';
import { IpAllowlist1765000000720 } from './1765000000720-IpAllowlist';
import { ApprovalRoutes1765000000730 } from './1765000000730-ApprovalRoutes';
import { Webhooks1765000000930 } from './1765000000930-Webhooks';
import { Clients1765000001910 } from './1765000001910-Clients';
import { ClientPortal1765000002000 } from './1765000002000-ClientPortal';
import { CompletedEventsIndex1765000002100 } from './1765000002100-CompletedEventsIndex';

/** Every migration, in order. `npm run migration:generate` appends new files here. */
export const MIGRATIONS = [
  Foundation1764000000000,
  AuditTrail1764100000000,
  KeyFilesAndTokens1764200000000,
  TenantSso1764300000000,
  SamlLogin1764400000000,
  TenantKeys1764500000000,
  SealedDisplayNames1764600000000,
  Applications1764700000000,
  Egov1764800000000,
  EgovActions1764900000000,
  LoginThrottleBySource1765000000000,
  EgovLinkBrowserBinding1765000000010,
  SamlBindingAndLinking1765000000100,
  ContractEnd1765000000300,
  BackupGenerations1765000000400,
  EgovTrialMode1765000000500,
  SigningCertificates1765000000510,
  MailOutbox1765000000600,
  NotificationPreferences1765000000601,
  Incidents1765000000610,
  OperatorAlerts1765000000620,
  RateLimitHits1765000000630,
  ScheduledJobRuns1765000000640,
  EgovAccountIdentity1765000000670,
  ApplicationDueDate1765000000700,
  IpAllowlist1765000000720,
  ApprovalRoutes1765000000730,
  Webhooks1765000000930,
  Clients1765000001910,
  ClientPortal1765000002000,
  CompletedEventsIndex1765000002100,
];
