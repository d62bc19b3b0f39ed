// The public surface of libs/filing (the e-Gov gateway). Depends on applications, procedures, storage
// and below; nothing of ours depends on it except apps/api.
export * from './filing.module';
export * from './dto/filing.dto';
export * from './egov-client';
export * from './egov-reachability';
export * from './egov-accounts.service';
export * from './submissions.service';
export * from './egov-actions.service';
export * from './case-notices.service';
export * from './status-tracker.service';
export * from './documents.service';
export * from './egov.jobs';
export * from './filing-events';
export { buildPackage, EGOV_PROCEDURES } from './package';
export * from './errors';
export * from './signing';
export * from './signing-hook';
export * as egovApi from './egov-api';
export { ApprovalsService } from './approvals/approvals.service';
export * from './approvals/dto/approvals.dto';
