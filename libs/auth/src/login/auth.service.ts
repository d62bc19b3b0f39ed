import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditService } from '@charlotte/audit';
import { APP_CONFIG, AppConfig, DomainError } from '@charlotte/core';
import { PasswordService } from '../password/password.service';
import { SessionsService } from '../sessions/sessions.service';
import { PLATFORM_TENANT_CODE } from '../tenants/tenants.service';
import { Tenant } from '../tenants/tenant.entity';
import { User } from '../users/user.entity';
import { UserView } from '../users/dto/user.dto';
import { LoginDto, SessionView, TenantView } from './dto/login.dto';

interface LoginRow {
  id: string;
  tenant_id: string | null;
  status: string;
  password_hash: string | null;
  locked_until: Date | null;
}

export const invalidCredentials = () =>
  // One answer for unknown tenant, unknown user, wrong password, invited and
  // disabled accounts: the caller learns nothing about which accounts exist.
  new DomainError(401, 'invalid_credentials', 'Invalid credentials', 'The tenant, e-mail address or password is wrong.');

const accountLocked = (until: Date) =>
  new DomainError(423, 'account_locked', 'Account locked', 'Too many failed logins; the account is locked for a while.', undefined, {
    'Retry-After': String(Math.max(1, Math.ceil((until.getTime() - Date.now()) / 1000))),
  });

export interface LoginOutcome {
  view: SessionView & { step: 'done' };
  token: string;
  expiresAt: Date;
}

@Injectable()
export class AuthService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly passwords: PasswordService,
    private readonly sessions: SessionsService,
    private readonly audit: AuditService,
  ) {}

  /** Security event for a refused login step; ids and reason codes only. */
  private refused(tenantId: string | null, reason: string, userId?: string, outcome: 'failure' | 'denied' = 'failure') {
    return this.audit.record({
      category: 'security',
      action: 'auth.login',
      outcome,
      tenantId,
      actor: { type: 'anonymous' },
      target: userId ? { type: 'user', id: userId } : undefined,
      details: { step: 'password', reason },
    });
  }

  async login(dto: LoginDto, ip?: string, userAgent?: string): Promise<LoginOutcome> {
    const code = dto.tenant.trim().toLowerCase();
    let tenant: Tenant | null = null;
    if (code !== PLATFORM_TENANT_CODE) {
      tenant = await this.ds.getRepository(Tenant).findOne({ where: { code } });
      if (!tenant) {
        await this.passwords.verify(null, dto.password);
        await this.refused(null, 'unknown_tenant');
        throw invalidCredentials();
      }
    }
    const tenantId = tenant?.id ?? null;
    const rows: LoginRow[] = await this.ds.query(
      `SELECT id, tenant_id, status, password_hash, locked_until FROM users
        WHERE tenant_id IS NOT DISTINCT FROM $1 AND email = lower($2) AND ((role = 'operator') = ($1::uuid IS NULL))`,
      [tenantId, dto.email.trim()],
    );
    const row = rows[0];
    if (!row) {
      await this.passwords.verify(null, dto.password);
      await this.refused(tenantId, 'unknown_user');
      throw invalidCredentials();
    }
    if (row.locked_until && new Date(row.locked_until).getTime() > Date.now()) {
      // Locked accounts are refused before the password is checked, so guessing goes nowhere.
      await this.refused(tenantId, 'account_locked', row.id, 'denied');
      throw accountLocked(new Date(row.locked_until));
    }
    const ok = await this.passwords.verify(row.password_hash, dto.password);
    if (!ok) {
      const lockedUntil = await this.registerFailure(row.id);
      await this.refused(tenantId, row.password_hash ? 'invalid_password' : 'no_password', row.id);
      if (lockedUntil) {
        await this.audit.record({
          category: 'security',
          action: 'auth.account_locked',
          outcome: 'success',
          tenantId,
          actor: { type: 'system' },
          target: { type: 'user', id: row.id },
          details: {
            failures: this.config.loginMaxFailures,
            windowMinutes: this.config.loginFailureWindowMinutes,
            lockMinutes: this.config.loginLockMinutes,
          },
        });
        throw accountLocked(lockedUntil);
      }
      throw invalidCredentials();
    }
    if (row.status !== 'active') {
      await this.refused(tenantId, `user_${row.status}`, row.id);
      throw invalidCredentials();
    }
    if (tenant && tenant.status !== 'active') {
      await this.refused(tenantId, 'tenant_inactive', row.id, 'denied');
      throw new DomainError(403, 'tenant_inactive', 'Tenant inactive', 'This contract is not active.');
    }
    await this.ds.query(
      'UPDATE users SET failed_login_count = 0, failed_window_start = NULL, locked_until = NULL, last_login_at = now() WHERE id = $1',
      [row.id],
    );
    const session = await this.sessions.create({ id: row.id, tenantId }, ip, userAgent);
    await this.audit.record({
      category: 'access',
      action: 'auth.login',
      outcome: 'success',
      tenantId,
      actor: { type: 'user', id: row.id },
      target: { type: 'session', id: session.sessionId },
      details: { step: 'password', method: 'password' },
    });
    const view = await this.sessionView(row.id, tenantId, session.csrfToken);
    return { view: { step: 'done', ...view }, token: session.token, expiresAt: session.expiresAt };
  }

  /**
   * Counts a failed attempt inside a sliding window (one atomic UPDATE, so
   * parallel guesses cannot race past the limit); locks the account when the
   * limit is reached. Returns the lock end when the account is now locked.
   */
  private async registerFailure(userId: string): Promise<Date | undefined> {
    await this.ds.query(
      `UPDATE users SET
          failed_login_count = CASE WHEN failed_window_start IS NULL OR failed_window_start < now() - make_interval(mins => $2)
                                    THEN 1 ELSE failed_login_count + 1 END,
          failed_window_start = CASE WHEN failed_window_start IS NULL OR failed_window_start < now() - make_interval(mins => $2)
                                    THEN now() ELSE failed_window_start END
        WHERE id = $1`,
      [userId, this.config.loginFailureWindowMinutes],
    );
    const locked: [Array<{ locked_until: Date }>, number] = await this.ds.query(
      `UPDATE users SET locked_until = now() + make_interval(mins => $3), failed_login_count = 0, failed_window_start = NULL
        WHERE id = $1 AND failed_login_count >= $2 RETURNING locked_until`,
      [userId, this.config.loginMaxFailures, this.config.loginLockMinutes],
    );
    const until = locked[0][0]?.locked_until;
    return until ? new Date(until) : undefined;
  }

  async sessionView(userId: string, tenantId: string | null, csrfToken: string): Promise<SessionView> {
    const user = await this.ds.getRepository(User).findOneOrFail({ where: { id: userId } });
    let tenant: TenantView | null = null;
    if (tenantId) {
      const t = await this.ds.getRepository(Tenant).findOneOrFail({ where: { id: tenantId } });
      tenant = { id: t.id, code: t.code, name: t.name };
    }
    return { user: UserView.of(user), tenant, csrfToken };
  }

  async logout(sessionId: string): Promise<void> {
    await this.sessions.revoke(sessionId);
    await this.audit.record({ category: 'access', action: 'auth.logout', outcome: 'success', target: { type: 'session', id: sessionId } });
  }
}
