import { createHash, randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditService } from '@charlotte/audit';
import { APP_CONFIG, AppConfig } from '@charlotte/core';
import { AuthErrors } from '../errors';
import type { IpAllowlistAppliesTo } from '../ip-allowlist/dto/ip-allowlist.dto';
import type { IpAllowlistSnapshot } from '../ip-allowlist/ip-allowlist.service';
import { CONTRACT_CLOSED_SQL } from '../tenants/tenant.entity';
import type { UserRole } from '../users/user.entity';
import { SessionGates } from './session-gates';

export const SESSION_COOKIE = 'charlotte_session';

/** The session cookie: HttpOnly, SameSite=Strict, Secure behind HTTPS. */
export function sessionCookieOptions(config: AppConfig, expires?: Date) {
  return { httpOnly: true, sameSite: 'strict' as const, secure: config.cookieSecure, path: '/', ...(expires ? { expires } : {}) };
}

export interface ResolvedSession {
  sessionId: string;
  userId: string;
  tenantId: string | null;
  role: UserRole;
  csrfToken: string;
  /**
   * The session tenant's IP allow-list, read by the same statement (no second round trip per
   * request, and never stale: it is the row as it is now). Absent for operators (no tenant).
   */
  ipAllowlist?: IpAllowlistSnapshot;
}

function sha256(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

// How often last_seen_at is written: often enough for a 30-minute idle timeout,
// rarely enough that reads do not turn into writes on every request.
const TOUCH_INTERVAL_MS = 60_000;
const CHALLENGE_TTL_MS = 2 * 60_000;

@Injectable()
export class SessionsService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly audit: AuditService,
    private readonly gates: SessionGates,
  ) {}

  /** Starts a new session (always a new id and token: no fixation). */
  async create(
    user: { id: string; tenantId: string | null },
    ip?: string,
    userAgent?: string,
    keyId?: string,
  ): Promise<{ token: string; csrfToken: string; sessionId: string; expiresAt: Date }> {
    const token = randomBytes(32).toString('base64url');
    const csrfToken = randomBytes(32).toString('base64url');
    const expiresAt = new Date(Date.now() + this.config.sessionAbsoluteHours * 3600_000);
    const rows: Array<{ id: string }> = await this.ds.query(
      `INSERT INTO sessions (token_hash, user_id, tenant_id, csrf_token, last_seen_at, expires_at, ip, user_agent, key_id)
       VALUES ($1, $2, $3, $4, now(), $5, $6, $7, $8) RETURNING id`,
      [sha256(token), user.id, user.tenantId, csrfToken, expiresAt, ip ?? null, userAgent?.slice(0, 256) ?? null, keyId ?? null],
    );
    return { token, csrfToken, sessionId: rows[0].id, expiresAt };
  }

  /**
   * Finds the live session for a cookie token: not revoked, within the idle and
   * absolute limits, its user active and its tenant active.
   */
  async resolve(token: string | undefined, options: { allowClosedContract?: boolean } = {}): Promise<ResolvedSession | undefined> {
    if (!token || token.length > 100) return undefined;
    const rows: Array<{
      id: string;
      user_id: string;
      tenant_id: string | null;
      role: UserRole;
      csrf_token: string;
      last_seen_at: Date;
      closed: boolean;
      al_enabled: boolean | null;
      al_cidrs: string[] | null;
      al_applies_to: IpAllowlistAppliesTo | null;
      al_updated_at: Date | null;
    }> = await this.ds.query(
      `SELECT s.id, s.user_id, s.tenant_id, u.role, s.csrf_token, s.last_seen_at, (u.tenant_id IS NOT NULL AND ${CONTRACT_CLOSED_SQL}) AS closed,
              al.enabled AS al_enabled, al.cidrs AS al_cidrs, al.applies_to AS al_applies_to, al.updated_at AS al_updated_at
         FROM sessions s
         JOIN users u ON u.id = s.user_id
         LEFT JOIN tenants t ON t.id = u.tenant_id
         LEFT JOIN tenant_ip_allowlists al ON al.tenant_id = s.tenant_id
        WHERE s.token_hash = $1
          AND s.stage = 'full'
          AND s.revoked_at IS NULL
          AND s.expires_at > now()
          AND s.last_seen_at > now() - make_interval(mins => $2)
          AND u.status = 'active'`,
      [sha256(token), this.config.sessionIdleMinutes],
    );
    const s = rows[0];
    if (!s) {
      await this.endExpired(token);
      return undefined;
    }
    // The contract was cancelled (effective) or deleted: the session is kept (a reinstatement
    // restores it) but answers 403 contract_cancelled instead of 401.
    // (Logout alone may still end such a session: options.allowClosedContract.)
    if (s.closed && !options.allowClosedContract) throw AuthErrors.contractCancelled();
    // What higher libs add (the client portal turned off: 403 portal_disabled). Logout stays possible.
    if (!options.allowClosedContract) await this.gates.check({ userId: s.user_id, tenantId: s.tenant_id, role: s.role });
    if (Date.now() - new Date(s.last_seen_at).getTime() > TOUCH_INTERVAL_MS) {
      await this.ds.query('UPDATE sessions SET last_seen_at = now() WHERE id = $1', [s.id]);
    }
    const ipAllowlist: IpAllowlistSnapshot | undefined = s.tenant_id
      ? {
          tenantId: s.tenant_id,
          row:
            s.al_enabled === null
              ? undefined
              : {
                  enabled: s.al_enabled,
                  cidrs: s.al_cidrs ?? [],
                  applies_to: s.al_applies_to ?? 'all',
                  updated_at: s.al_updated_at as Date,
                },
        }
      : undefined;
    return { sessionId: s.id, userId: s.user_id, tenantId: s.tenant_id, role: s.role, csrfToken: s.csrf_token, ipAllowlist };
  }

  /**
   * A cookie whose session ran out: end it once and record the expiry (the
   * first request after the timeout), so the trail shows why the user was sent
   * back to the login page.
   */
  private async endExpired(token: string): Promise<void> {
    const r: [Array<{ id: string; user_id: string; tenant_id: string | null; absolute: boolean }>, number] = await this.ds.query(
      `UPDATE sessions SET revoked_at = now()
        WHERE token_hash = $1 AND stage = 'full' AND revoked_at IS NULL
          AND (expires_at <= now() OR last_seen_at <= now() - make_interval(mins => $2))
        RETURNING id, user_id, tenant_id, (expires_at <= now()) AS absolute`,
      [sha256(token), this.config.sessionIdleMinutes],
    );
    const row = r[0][0];
    if (!row) return;
    await this.audit.record({
      category: 'access',
      action: 'auth.session_expired',
      outcome: 'success',
      tenantId: row.tenant_id,
      actor: { type: 'system' },
      target: { type: 'session', id: row.id },
      details: { userId: row.user_id, reason: row.absolute ? 'absolute_timeout' : 'idle_timeout' },
    });
  }

  /**
   * After the password step: a pending session that grants nothing but the
   * key-file step, with a single-use 32-byte challenge valid for 2 minutes.
   */
  async createPending(
    user: { id: string; tenantId: string | null },
    kind: 'keyfile' | 'enroll',
    ip?: string,
    userAgent?: string,
  ): Promise<{ token: string; challenge: string; expiresAt: Date }> {
    const token = randomBytes(32).toString('base64url');
    const challenge = randomBytes(32).toString('base64url');
    const expiresAt = new Date(Date.now() + CHALLENGE_TTL_MS);
    await this.ds.query(
      `INSERT INTO sessions (token_hash, user_id, tenant_id, csrf_token, last_seen_at, expires_at, ip, user_agent, stage, pending_kind, challenge, challenge_expires_at)
       VALUES ($1, $2, $3, $4, now(), $5, $6, $7, 'pending', $8, $9, $5)`,
      [
        sha256(token),
        user.id,
        user.tenantId,
        randomBytes(16).toString('base64url'),
        expiresAt,
        ip ?? null,
        userAgent?.slice(0, 256) ?? null,
        kind,
        challenge,
      ],
    );
    return { token, challenge, expiresAt };
  }

  /**
   * The open step of a pending login without consuming it (after an SSO
   * redirect the SPA asks which step comes next and signs this challenge).
   */
  async pendingStep(
    token: string | undefined,
  ): Promise<{ kind: 'keyfile' | 'enroll'; challenge: string; expiresAt: Date; tenantCode: string | null; email: string } | undefined> {
    if (!token || token.length > 100) return undefined;
    const r: Array<{
      pending_kind: 'keyfile' | 'enroll';
      challenge: string;
      challenge_expires_at: Date;
      code: string | null;
      email: string;
    }> = await this.ds.query(
      `SELECT s.pending_kind, s.challenge, s.challenge_expires_at, t.code, u.email
           FROM sessions s JOIN users u ON u.id = s.user_id LEFT JOIN tenants t ON t.id = s.tenant_id
          WHERE s.token_hash = $1 AND s.stage = 'pending' AND s.revoked_at IS NULL AND s.challenge IS NOT NULL AND s.challenge_expires_at > now()`,
      [sha256(token)],
    );
    const row = r[0];
    return row
      ? {
          kind: row.pending_kind,
          challenge: row.challenge,
          expiresAt: new Date(row.challenge_expires_at),
          tenantCode: row.code,
          email: row.email,
        }
      : undefined;
  }

  /**
   * Takes the challenge of a pending session, once: it is cleared (and the
   * pending session ended) in the same statement, so a captured signature can
   * never be replayed and a failed attempt needs a new password step.
   * 'expired' when the challenge was used or is older than 2 minutes.
   */
  async consumeChallenge(
    token: string | undefined,
  ): Promise<{ sessionId: string; userId: string; tenantId: string | null; kind: 'keyfile' | 'enroll'; challenge: string } | 'expired'> {
    if (!token || token.length > 100) return 'expired';
    const r: [
      Array<{
        id: string;
        user_id: string;
        tenant_id: string | null;
        pending_kind: 'keyfile' | 'enroll';
        challenge: string;
        fresh: boolean;
      }>,
      number,
    ] = await this.ds.query(
      `UPDATE sessions s SET challenge = NULL, revoked_at = now()
           FROM (SELECT id, challenge AS old_challenge FROM sessions
                  WHERE token_hash = $1 AND stage = 'pending' AND revoked_at IS NULL AND challenge IS NOT NULL FOR UPDATE) o
          WHERE s.id = o.id
          RETURNING s.id, s.user_id, s.tenant_id, s.pending_kind, o.old_challenge AS challenge, s.challenge_expires_at > now() AS fresh`,
      [sha256(token)],
    );
    const row = r[0][0];
    if (!row || !row.fresh) return 'expired';
    return { sessionId: row.id, userId: row.user_id, tenantId: row.tenant_id, kind: row.pending_kind, challenge: row.challenge };
  }

  /** Ends the sessions a key opened (the key was revoked). */
  async revokeForKey(userId: string, keyId: string): Promise<number> {
    const r: [unknown[], number] = await this.ds.query(
      'UPDATE sessions SET revoked_at = now() WHERE user_id = $1 AND key_id = $2 AND revoked_at IS NULL',
      [userId, keyId],
    );
    return r[1];
  }

  async revoke(sessionId: string): Promise<void> {
    await this.ds.query('UPDATE sessions SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL', [sessionId]);
  }

  /** Ends every session of a user (disabled, role changed, password reset). */
  async revokeAllForUser(tenantId: string | null, userId: string): Promise<number> {
    const r: [unknown[], number] = await this.ds.query(
      'UPDATE sessions SET revoked_at = now() WHERE user_id = $1 AND tenant_id IS NOT DISTINCT FROM $2 AND revoked_at IS NULL',
      [userId, tenantId],
    );
    return r[1];
  }

  /** Removes sessions that can no longer be used (called by a scheduled job). */
  async purgeExpired(): Promise<number> {
    const r: [unknown[], number] = await this.ds.query(
      `DELETE FROM sessions WHERE expires_at < now() - interval '1 day' OR revoked_at < now() - interval '1 day'
          OR last_seen_at < now() - interval '2 days'`,
    );
    return r[1];
  }
}
