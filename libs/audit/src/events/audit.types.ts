import type { AuditAction } from './audit-actions';
import type { JsonValue } from './canonical';

export type AuditCategory = 'operation' | 'access' | 'security' | 'system';
export type AuditOutcome = 'success' | 'failure' | 'denied';

export interface AuditActor {
  type: 'user' | 'api_token' | 'anonymous' | 'system';
  id?: string | null;
}

export interface AuditTarget {
  type: string;
  id?: string | null;
}

/** What a module says happened. Context (tenant, actor, IP, request id) is filled in from the request. */
export interface AuditRecord {
  category: AuditCategory;
  /** dotted verb from the catalogue (audit-actions.ts), e.g. `auth.login`, `user.role_changed` */
  action: AuditAction;
  outcome: AuditOutcome;
  actor?: AuditActor;
  target?: AuditTarget;
  /** ids and reason codes only: never personal data (enforced). */
  details?: { [k: string]: JsonValue };
  /** Overrides the tenant of the request context (e.g. a failed login names its tenant). null = platform chain. */
  tenantId?: string | null;
}

export interface AuditEventView {
  id: string;
  chain: string;
  seq: number;
  occurredAt: string;
  category: AuditCategory;
  action: string;
  outcome: AuditOutcome;
  tenantId: string | null;
  actor: { type: string; id: string | null };
  target: { type: string; id: string | null } | null;
  requestId: string | null;
  ip: string | null;
  userAgent: string | null;
  details: { [k: string]: JsonValue };
  prevHash: string;
  hash: string;
}

export interface VerifyResult {
  ok: boolean;
  checked: number;
  firstBrokenSeq: number | null;
  head: { seq: number; hash: string } | null;
  checkpoints: { checked: number; invalid: number };
  reason?: string;
}

export const PLATFORM_CHAIN = 'platform';
