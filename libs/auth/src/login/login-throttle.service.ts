import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '@charlotte/core';

/** The row of the account-wide backstop counter in `login_failures`. */
const ALL_SOURCES = '*';

export interface LoginSubject {
  /** The user id, or a hash standing for an account that does not exist. */
  subject: string;
  tenantId: string | null;
  userId?: string;
}

/**
 * Failed-login counting and lockout per account *and source address*
 * (security review, findings 3 and 5).
 *
 * Why per source: a lock per account alone let any stranger lock any account
 * out (the break-glass administrators of an SSO tenant and the platform
 * operator included), and only known accounts ever locked, which told them
 * apart from unknown ones. Now:
 * - 10 failures (LOGIN_MAX_FAILURES) in the window from one address lock that
 *   address out of that account; the owner, elsewhere, is not affected.
 * - Unknown accounts are counted and locked exactly like known ones, under a
 *   hash of tenant code and e-mail, so the answers (401, then 423) match.
 * - A backstop counts failures of an account over all addresses
 *   (LOGIN_ACCOUNT_MAX_FAILURES, 100) and then locks it everywhere, but only
 *   while the account holds no active key file: there the password is the
 *   only factor between an attacker rotating addresses and a new key
 *   enrolment. An account with a key file is never locked everywhere by
 *   strangers, since a guessed password alone still cannot log in.
 * The per-IP request limit (RATE_LIMIT_LOGIN_PER_MINUTE, with TRUST_PROXY set
 * right) bounds how fast any one address can guess at all.
 */
@Injectable()
export class LoginThrottleService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** The counter key of an account: its id, or for an unknown one a hash of tenant code and e-mail (the e-mail is never stored). */
  subjectFor(tenantCode: string, email: string, user?: { id: string; tenantId: string | null }): LoginSubject {
    if (user) return { subject: user.id, tenantId: user.tenantId, userId: user.id };
    const h = createHash('sha256').update(`unknown\0${tenantCode}\0${email}`).digest('base64url');
    return { subject: `u:${h}`, tenantId: null };
  }

  private static source(ip: string | undefined): string {
    return (ip ?? 'unknown').slice(0, 64);
  }

  /** The `source` of this address's counter in login_failures. */
  sourceOf(ip: string | undefined): string {
    return LoginThrottleService.source(ip);
  }

  /**
   * When the subject is locked for this address (or everywhere, by the
   * backstop, when `keyless`), the end of the lock; otherwise undefined.
   */
  async lockedUntil(s: LoginSubject, ip: string | undefined, keyless: boolean): Promise<Date | undefined> {
    const rows: Array<{ until: Date | null }> = await this.ds.query(
      `SELECT max(locked_until) AS until FROM login_failures
        WHERE subject = $1 AND locked_until > now() AND (source = $2 OR (source = '${ALL_SOURCES}' AND $3))`,
      [s.subject, LoginThrottleService.source(ip), keyless],
    );
    return rows[0]?.until ? new Date(rows[0].until) : undefined;
  }

  /**
   * Counts one failure for the address and for the backstop (one statement
   * each, so parallel guesses cannot race past the limit). Returns the end of
   * a lock that now applies (this address, or everywhere when `keyless`).
   */
  async registerFailure(s: LoginSubject, ip: string | undefined, keyless: boolean): Promise<Date | undefined> {
    const perSource = await this.bump(s, LoginThrottleService.source(ip), this.config.loginMaxFailures);
    const everywhere = await this.bump(s, ALL_SOURCES, this.config.loginAccountMaxFailures);
    const until = perSource ?? (keyless ? everywhere : undefined);
    // The administrators' users list shows that the account is under attack.
    if (until && s.userId) {
      await this.ds.query('UPDATE users SET locked_until = GREATEST(locked_until, $2) WHERE id = $1', [s.userId, until]);
    }
    return until;
  }

  private async bump(s: LoginSubject, source: string, max: number): Promise<Date | undefined> {
    // A window that is over, or a lock that has ended, starts the count again.
    await this.ds.query(
      `INSERT INTO login_failures AS f (subject, source, tenant_id, user_id, failures, window_start)
         VALUES ($1, $2, $3, $4, 1, now())
       ON CONFLICT (subject, source) DO UPDATE SET
         failures = CASE WHEN f.window_start < now() - make_interval(mins => $5) OR f.locked_until <= now() THEN 1 ELSE f.failures + 1 END,
         window_start = CASE WHEN f.window_start < now() - make_interval(mins => $5) OR f.locked_until <= now() THEN now() ELSE f.window_start END,
         locked_until = CASE WHEN f.locked_until <= now() THEN NULL ELSE f.locked_until END`,
      [s.subject, source, s.tenantId, s.userId ?? null, this.config.loginFailureWindowMinutes],
    );
    // TypeORM answers an UPDATE … RETURNING with [rows, affected].
    const locked: [Array<{ locked_until: Date }>, number] = await this.ds.query(
      `UPDATE login_failures SET locked_until = now() + make_interval(mins => $4), failures = 0, window_start = now()
        WHERE subject = $1 AND source = $2 AND failures >= $3 RETURNING locked_until`,
      [s.subject, source, max, this.config.loginLockMinutes],
    );
    const until = locked[0][0]?.locked_until;
    return until ? new Date(until) : undefined;
  }

  /**
   * After a complete login from this address: its counter and the backstop start again, and the
   * user's last_login_at is now. One statement (it is on the path of every login): the lock
   * still shown to the administrators is one that holds for another address.
   */
  async succeeded(userId: string, ip: string | undefined): Promise<void> {
    await this.ds.query(
      `WITH cleared AS (
         DELETE FROM login_failures WHERE subject = $1::text AND source IN ($2, '${ALL_SOURCES}')
       )
       UPDATE users SET last_login_at = now(),
              locked_until = (SELECT max(locked_until) FROM login_failures
                               WHERE subject = $1::text AND source NOT IN ($2, '${ALL_SOURCES}') AND locked_until > now()),
              failed_login_count = 0, failed_window_start = NULL
        WHERE id = $1::uuid`,
      [userId, LoginThrottleService.source(ip)],
    );
  }

  /** An administrator unlocks the account: every address and the backstop. */
  async unlock(userId: string): Promise<void> {
    await this.ds.query('DELETE FROM login_failures WHERE subject = $1', [userId]);
  }

  /** Forgets counters whose window and lock are over (hourly cleanup). */
  async purgeExpired(): Promise<number> {
    const r: [unknown[], number] = await this.ds.query(
      `DELETE FROM login_failures
        WHERE window_start < now() - make_interval(mins => $1) AND (locked_until IS NULL OR locked_until < now())`,
      [this.config.loginFailureWindowMinutes],
    );
    return r[1];
  }
}
