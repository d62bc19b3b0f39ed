import { createHash, randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditService } from '@charlotte/audit';
import { ApiScope, isCalendarDate, jstEndOfDay, NotFoundError, TokenPrincipal, ValidationFailedError } from '@charlotte/core';
import { AuthErrors } from '../errors';
import { CONTRACT_CLOSED_SQL } from '../tenants/tenant.entity';

export interface ApiTokenView {
  id: string;
  name: string;
  scopes: ApiScope[];
  createdAt: string;
  expiresAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

interface Row {
  id: string;
  name: string;
  scopes: ApiScope[];
  created_at: Date;
  expires_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

const view = (r: Row): ApiTokenView => ({
  id: r.id,
  name: r.name,
  scopes: r.scopes,
  createdAt: r.created_at.toISOString(),
  expiresAt: r.expires_at.toISOString(),
  lastUsedAt: r.last_used_at?.toISOString() ?? null,
  revokedAt: r.revoked_at?.toISOString() ?? null,
});

const sha256 = (t: string) => createHash('sha256').update(t).digest();
export const TOKEN_PREFIX = 'chr_';
const MAX_LIFETIME_MS = 366 * 86_400_000;
const DEFAULT_LIFETIME_MS = 90 * 86_400_000;

/**
 * When a new token stops working. A bare date (what the SPA's date picker and most people send)
 * means "valid through that day in Japan": the token works until 23:59:59.999 JST of that day,
 * and the list shows that same day. Without this, 2027-03-03 was read as 00:00 UTC (09:00 JST)
 * by `new Date`, and the SPA sent the start of the next day, listed as 「2027/03/04 00:00」.
 * An instant with a time is taken as it is.
 */
export function tokenExpiry(expiresAt: string | undefined, now = Date.now()): Date {
  if (!expiresAt) return new Date(now + DEFAULT_LIFETIME_MS);
  return isCalendarDate(expiresAt) ? jstEndOfDay(expiresAt) : new Date(expiresAt);
}

/**
 * API tokens for integrators: random 256-bit secrets shown once, stored as
 * SHA-256, scoped, expiring within a year, revocable. Use is audited at most
 * once an hour per token (an integration polling every second would otherwise
 * bury the trail); last_used_at is kept to the minute.
 */
@Injectable()
export class TokensService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly audit: AuditService,
  ) {}

  async create(
    tenantId: string,
    createdBy: string,
    input: { name: string; scopes: ApiScope[]; expiresAt?: string },
  ): Promise<ApiTokenView & { token: string }> {
    const expiresAt = tokenExpiry(input.expiresAt);
    if (expiresAt.getTime() <= Date.now() || expiresAt.getTime() > Date.now() + MAX_LIFETIME_MS) {
      throw new ValidationFailedError([
        { field: 'expiresAt', code: 'expiry_out_of_range', message: 'expiresAt must be in the future and at most one year away' },
      ]);
    }
    const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
    const rows: Row[] = await this.ds.query(
      `INSERT INTO api_tokens (tenant_id, name, token_hash, scopes, created_by, expires_at) VALUES ($1, $2, $3, $4, $5, $6)
       RETURNING id, name, scopes, created_at, expires_at, last_used_at, revoked_at`,
      [tenantId, input.name, sha256(token), [...new Set(input.scopes)].sort(), createdBy, expiresAt],
    );
    await this.audit.record({
      category: 'operation',
      action: 'api_token.created',
      outcome: 'success',
      tenantId,
      target: { type: 'api_token', id: rows[0].id },
      details: { scopes: rows[0].scopes },
    });
    return { ...view(rows[0]), token };
  }

  async list(tenantId: string): Promise<ApiTokenView[]> {
    const rows: Row[] = await this.ds.query(
      'SELECT id, name, scopes, created_at, expires_at, last_used_at, revoked_at FROM api_tokens WHERE tenant_id = $1 ORDER BY created_at DESC',
      [tenantId],
    );
    return rows.map(view);
  }

  async revoke(tenantId: string, id: string): Promise<void> {
    const r: [unknown[], number] = await this.ds.query(
      'UPDATE api_tokens SET revoked_at = now() WHERE id = $1 AND tenant_id = $2 AND revoked_at IS NULL',
      [id, tenantId],
    );
    if (r[1] === 0) {
      const exists = await this.ds.query('SELECT 1 FROM api_tokens WHERE id = $1 AND tenant_id = $2', [id, tenantId]);
      if (!exists.length) throw new NotFoundError('API token');
      return;
    }
    await this.audit.record({
      category: 'operation',
      action: 'api_token.revoked',
      outcome: 'success',
      tenantId,
      target: { type: 'api_token', id },
    });
  }

  /** The live token for a bearer secret (not revoked, not expired, tenant active), or undefined. */
  async resolve(raw: string): Promise<TokenPrincipal | undefined> {
    if (!raw.startsWith(TOKEN_PREFIX) || raw.length > 100) return undefined;
    const rows: Array<{ id: string; tenant_id: string; scopes: ApiScope[]; touch: boolean; audit: boolean; closed: boolean }> =
      await this.ds.query(
        `SELECT k.id, k.tenant_id, k.scopes, ${CONTRACT_CLOSED_SQL} AS closed,
              (k.last_used_at IS NULL OR k.last_used_at < now() - interval '1 minute') AS touch,
              (k.last_audited_at IS NULL OR k.last_audited_at < now() - interval '1 hour') AS audit
         FROM api_tokens k JOIN tenants t ON t.id = k.tenant_id
        WHERE k.token_hash = $1 AND k.revoked_at IS NULL AND k.expires_at > now()`,
        [sha256(raw)],
      );
    const r = rows[0];
    if (!r) return undefined;
    // Cancelled (effective) or deleted contract: 403 contract_cancelled; the token lives on for a reinstatement.
    if (r.closed) throw AuthErrors.contractCancelled();
    if (r.touch || r.audit) {
      await this.ds.query(
        `UPDATE api_tokens SET last_used_at = now(), last_audited_at = CASE WHEN $2 THEN now() ELSE last_audited_at END WHERE id = $1`,
        [r.id, r.audit],
      );
    }
    if (r.audit) {
      await this.audit.record({
        category: 'access',
        action: 'api_token.used',
        outcome: 'success',
        tenantId: r.tenant_id,
        actor: { type: 'api_token', id: r.id },
        details: { sampled: 'hourly' },
      });
    }
    return { kind: 'token', tokenId: r.id, tenantId: r.tenant_id, scopes: r.scopes };
  }
}
