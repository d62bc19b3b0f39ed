import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditService } from '@charlotte/audit';
import { APP_CONFIG, AppConfig, DomainError, ValidationFailedError } from '@charlotte/core';
import { parsePublicJwk, verifyChallengeSignature } from '../keyfile/keyfile-crypto';
import { KeyfilesService } from '../keyfile/keyfiles.service';
import { PasswordService } from '../password/password.service';
import { SessionGates } from '../sessions/session-gates';
import { SessionsService } from '../sessions/sessions.service';
import { PLATFORM_TENANT_CODE } from '../tenants/tenants.service';
import { CONTRACT_CLOSED_SQL, contractClosed, Tenant } from '../tenants/tenant.entity';
import { User, UserRole } from '../users/user.entity';
import { UserView } from '../users/dto/user.dto';
import { UserNamesService } from '../users/user-names.service';
import { AuthErrors } from '../errors';
import { IpAllowlistService } from '../ip-allowlist/ip-allowlist.service';
import { LoginDto, SessionView } from './dto/login.dto';
import { countLoginFailure } from './login-metrics';
import { LoginSubject, LoginThrottleService } from './login-throttle.service';

interface LoginRow {
  key_enrolment_allowed: boolean;
  id: string;
  tenant_id: string | null;
  status: string;
  role: string;
  password_hash: string | null;
  active_keys: number;
}

/** Kept for the callers that import it from here. */
export const invalidCredentials = AuthErrors.invalidCredentials;
const accountLocked = AuthErrors.accountLocked;
const ssoRequired = AuthErrors.ssoRequired;
const keyfileInvalid = AuthErrors.keyfileInvalid;

type FailureSubject = LoginSubject & { keyless: boolean; ip: string | undefined };

interface SecondStepState {
  status: string | null;
  role: string | null;
  keyless: boolean;
  contractOpen: boolean;
  lockedHere: Date | undefined;
  lockedEverywhere: Date | undefined;
}

export type LoginStepView = (SessionView & { step: 'done' }) | { step: 'keyfile' | 'enroll_keyfile'; challenge: string; expiresAt: string };

export interface LoginOutcome {
  view: LoginStepView;
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
    private readonly keyfiles: KeyfilesService,
    private readonly names: UserNamesService,
    private readonly throttle: LoginThrottleService,
    private readonly ipAllowlist: IpAllowlistService,
    private readonly gates: SessionGates,
  ) {}

  /**
   * The checks higher libs add (SessionGates: a 顧問先 portal turned off answers 403 portal_disabled),
   * told only after the right password like a closed contract; the refusal is a security event.
   */
  private async assertGates(tenantId: string | null, userId: string, role: UserRole): Promise<void> {
    try {
      await this.gates.check({ userId, tenantId, role });
    } catch (e) {
      if (e instanceof DomainError) await this.refused(tenantId, e.code, userId, 'denied');
      throw e;
    }
  }

  /** Security event for a refused login step; ids and reason codes only. */
  private refused(tenantId: string | null, reason: string, userId?: string, outcome: 'failure' | 'denied' = 'failure') {
    countLoginFailure(reason);
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

  /**
   * The password step. Every account, known or not, break-glass or not, takes
   * the same path: the same argon2 work, the same per-address counting, the
   * same answers (401 invalid_credentials, or 403 sso_required when the tenant
   * enforces SSO, then 423 account_locked after LOGIN_MAX_FAILURES from one
   * address). See LoginThrottleService for why counters are per address.
   */
  async login(dto: LoginDto, ip?: string, userAgent?: string): Promise<LoginOutcome> {
    const code = dto.tenant.trim().toLowerCase();
    const email = dto.email.trim().toLowerCase();
    let tenant: Tenant | null = null;
    if (code !== PLATFORM_TENANT_CODE) tenant = await this.ds.getRepository(Tenant).findOne({ where: { code } });
    if (tenant?.status === 'deleted') {
      // Nothing of a deleted tenant is left to protect (no accounts): its code answers as a closed contract.
      // Its chain is closed by the deletion, so the refusal goes to the platform chain.
      await this.refused(null, 'contract_cancelled', undefined, 'denied');
      throw AuthErrors.contractCancelled();
    }
    const tenantId = tenant?.id ?? null;
    // IP allow-list for everybody: refused before the password is even looked at, so that no
    // password can be tried (or stuffed) from outside the tenant's networks, and no session,
    // pending or full, is issued. Operators ("platform", no tenant) are not subject to it.
    // The list is read once for both checks of this request (before and after the password).
    const list = tenantId ? await this.ipAllowlist.snapshot(tenantId) : undefined;
    await this.ipAllowlist.assertAllowed(tenantId, 'unidentified', ip, { kind: 'login', step: 'password' }, undefined, list);
    // The account and the tenant's SSO policy in one statement (a row with null user columns when there is no such user).
    const found: Array<Partial<LoginRow> & { sso_required: boolean | null; break_glass_admin_ids: string[] | null }> =
      tenant || code === PLATFORM_TENANT_CODE
        ? await this.ds.query(
            `SELECT u.id, u.tenant_id, u.status, u.role, u.password_hash, u.key_enrolment_allowed,
                    (SELECT count(*)::int FROM user_keys k WHERE k.user_id = u.id AND k.revoked_at IS NULL) AS active_keys,
                    s.sso_required, s.break_glass_admin_ids
               FROM (SELECT $1::uuid AS tenant_id) me
               LEFT JOIN users u
                 ON u.tenant_id IS NOT DISTINCT FROM me.tenant_id AND u.email = lower($2) AND ((u.role = 'operator') = (me.tenant_id IS NULL))
               LEFT JOIN tenant_sso_settings s ON s.tenant_id = me.tenant_id`,
            [tenantId, email],
          )
        : [];
    const row = found[0]?.id ? (found[0] as LoginRow) : undefined;
    const sso = { required: !!found[0]?.sso_required, breakGlassAdminIds: found[0]?.break_glass_admin_ids ?? [] };
    const subject = this.throttle.subjectFor(code, email, row ? { id: row.id, tenantId } : undefined);
    const keyless = !row || row.active_keys === 0;
    const unknownReason = tenant || code === PLATFORM_TENANT_CODE ? 'unknown_user' : 'unknown_tenant';

    const lockedUntil = await this.throttle.lockedUntil(subject, ip, keyless);
    if (lockedUntil) {
      // Locked for this address: refused before the password is checked, so guessing goes nowhere.
      await this.refused(tenantId, 'account_locked', row?.id, 'denied');
      throw accountLocked(lockedUntil);
    }
    const ok = await this.passwords.verify(row?.password_hash ?? null, dto.password);
    const fail = (reason: string, error?: () => DomainError) =>
      this.failedAttempt({ ...subject, keyless, ip }, tenantId, row?.id, 'password', reason, error);

    if (tenant) {
      // With SSO enforced only the named break-glass administrators may use the
      // password step. Everyone else, and a break-glass admin with a wrong
      // password, gets the same 403 and the same counting (finding 3: a 401
      // for break-glass accounts told them apart).
      if (sso.required) {
        const breakGlass = !!row && row.role === 'admin' && sso.breakGlassAdminIds.includes(row.id);
        if (!(breakGlass && ok)) return fail(breakGlass ? 'invalid_password' : 'sso_required', ssoRequired);
      }
    }
    if (!row) return fail(unknownReason);
    if (!ok) return fail(row.password_hash ? 'invalid_password' : 'no_password');
    // Right password of an account that may not log in: counted like a wrong one, so it locks like any other.
    if (row.status !== 'active') return fail(`user_${row.status}`);
    // Cancelled, from the effective time on (a future cancellation changes nothing until then). Told only
    // after the right password, so that a stranger learns nothing about the contract.
    if (tenant && contractClosed(tenant)) {
      await this.refused(tenantId, 'contract_cancelled', row.id, 'denied');
      throw AuthErrors.contractCancelled();
    }
    await this.assertGates(tenantId, row.id, row.role as UserRole);
    // An allow-list for administrators only: told after the right password (a stranger must not
    // learn which addresses are administrators'), before any pending session or cookie.
    await this.ipAllowlist.assertAllowed(
      tenantId,
      row.role === 'admin' ? 'admin' : 'member',
      ip,
      { kind: 'login', step: 'password' },
      {
        type: 'user',
        id: row.id,
      },
      list,
    );
    // Password right: the second factor is still to come. Nothing is granted yet.
    if (row.active_keys > 0) {
      const p = await this.sessions.createPending({ id: row.id, tenantId }, 'keyfile', ip, userAgent);
      await this.stepAudit(tenantId, row.id, 'keyfile');
      return {
        view: { step: 'keyfile', challenge: p.challenge, expiresAt: p.expiresAt.toISOString() },
        token: p.token,
        expiresAt: p.expiresAt,
      };
    }
    if (row.key_enrolment_allowed) {
      const p = await this.sessions.createPending({ id: row.id, tenantId }, 'enroll', ip, userAgent);
      await this.stepAudit(tenantId, row.id, 'enroll_keyfile');
      return {
        view: { step: 'enroll_keyfile', challenge: p.challenge, expiresAt: p.expiresAt.toISOString() },
        token: p.token,
        expiresAt: p.expiresAt,
      };
    }
    await this.refused(tenantId, 'keyfile_required', row.id, 'denied');
    throw AuthErrors.keyfileRequired();
  }

  private stepAudit(tenantId: string | null, userId: string, next: string) {
    return this.audit.record({
      category: 'access',
      action: 'auth.login',
      outcome: 'success',
      tenantId,
      actor: { type: 'user', id: userId },
      details: { step: 'password', next },
    });
  }

  /**
   * Second step: the signature over the pending session's challenge by one of
   * the user's active keys. The challenge is consumed first (single use), so a
   * failure or a replay needs a new password step. Failed signatures count
   * towards the lockout like wrong passwords.
   */
  async keyfileStep(
    pendingToken: string | undefined,
    keyId: string,
    signature: string,
    ip?: string,
    userAgent?: string,
  ): Promise<LoginOutcome> {
    const pending = await this.pendingFor(pendingToken, 'keyfile');
    // Read together (one round trip's wait instead of three); checked in the same order as ever.
    const [state, jwk] = await Promise.all([
      this.secondStepState(pending.tenantId, pending.userId, ip),
      this.keyfiles.activeKey(pending.tenantId, pending.userId, keyId),
    ]);
    const subject = await this.assertNotLocked(pending.tenantId, pending.userId, ip, state);
    await this.assertContractOpen(pending.tenantId, pending.userId, state);
    if (!jwk || !verifyChallengeSignature(jwk, pending.challenge, signature)) {
      await this.failedAttempt(
        subject,
        pending.tenantId,
        pending.userId,
        'keyfile',
        jwk ? 'bad_signature' : 'unknown_or_revoked_key',
        keyfileInvalid,
      );
    }
    await this.keyfiles.touch(pending.userId, keyId);
    return this.complete(pending, keyId, 'keyfile', state.role, ip, userAgent);
  }

  /** First login of an invited (or reset) user: registers the public key made in the browser. */
  async enrollStep(
    pendingToken: string | undefined,
    publicKeyJwk: unknown,
    label: string,
    signature: string,
    ip?: string,
    userAgent?: string,
  ): Promise<LoginOutcome & { keyId: string }> {
    const pending = await this.pendingFor(pendingToken, 'enroll');
    const state = await this.secondStepState(pending.tenantId, pending.userId, ip);
    const subject = await this.assertNotLocked(pending.tenantId, pending.userId, ip, state);
    await this.assertContractOpen(pending.tenantId, pending.userId, state);
    const jwk = parsePublicJwk(publicKeyJwk);
    if (!jwk)
      throw new ValidationFailedError([
        { field: 'publicKeyJwk', code: 'invalid_public_key', message: 'publicKeyJwk must be a public EC P-256 JWK (kty, crv, x, y; no d)' },
      ]);
    if (!verifyChallengeSignature(jwk, pending.challenge, signature)) {
      await this.failedAttempt(subject, pending.tenantId, pending.userId, 'enroll', 'bad_signature', keyfileInvalid);
    }
    // Enrolment is only for users who hold no key and were allowed to enrol.
    const allowed: Array<{ ok: boolean }> = await this.ds.query(
      `SELECT (key_enrolment_allowed AND NOT EXISTS (SELECT 1 FROM user_keys k WHERE k.user_id = u.id AND k.revoked_at IS NULL)) AS ok FROM users u WHERE id = $1`,
      [pending.userId],
    );
    if (!allowed[0]?.ok) throw AuthErrors.enrolmentNotAllowed();
    const keyId = await this.keyfiles.add(pending.tenantId, pending.userId, jwk, label, 'self', pending.userId);
    const out = await this.complete(pending, keyId, 'enroll', state.role, ip, userAgent);
    return { ...out, keyId };
  }

  private async pendingFor(token: string | undefined, kind: 'keyfile' | 'enroll') {
    const pending = await this.sessions.consumeChallenge(token);
    if (pending === 'expired' || pending.kind !== kind) {
      countLoginFailure('challenge_expired_or_used');
      await this.audit.record({
        category: 'security',
        action: 'auth.login',
        outcome: 'failure',
        tenantId: null,
        actor: { type: 'anonymous' },
        details: { step: kind, reason: 'challenge_expired_or_used' },
      });
      throw AuthErrors.challengeExpired();
    }
    return pending;
  }

  /**
   * What the second steps check about the account, in one statement: its status, role and
   * active keys, whether the tenant's contract is closed, and the locks that apply from this
   * address (`here`) and everywhere (the backstop, which binds only keyless accounts).
   */
  private async secondStepState(tenantId: string | null, userId: string, ip: string | undefined): Promise<SecondStepState> {
    const r: Array<{
      status: string;
      role: string;
      active_keys: number;
      closed: boolean | null;
      locked_here: Date | null;
      locked_everywhere: Date | null;
    }> = await this.ds.query(
      `SELECT u.status, u.role,
              (SELECT count(*)::int FROM user_keys k WHERE k.user_id = u.id AND k.revoked_at IS NULL) AS active_keys,
              (SELECT ${CONTRACT_CLOSED_SQL} FROM tenants t WHERE t.id = $2) AS closed,
              (SELECT max(locked_until) FROM login_failures f WHERE f.subject = $1::text AND f.source = $3 AND f.locked_until > now()) AS locked_here,
              (SELECT max(locked_until) FROM login_failures f WHERE f.subject = $1::text AND f.source = '*' AND f.locked_until > now()) AS locked_everywhere
         FROM (SELECT $1::uuid AS id) me LEFT JOIN users u ON u.id = me.id`,
      [userId, tenantId, this.throttle.sourceOf(ip)],
    );
    const row = r[0];
    return {
      status: row?.status ?? null,
      role: row?.role ?? null,
      keyless: !row?.active_keys,
      contractOpen: !tenantId || row?.closed === false,
      lockedHere: row?.locked_here ? new Date(row.locked_here) : undefined,
      lockedEverywhere: row?.locked_everywhere ? new Date(row.locked_everywhere) : undefined,
    };
  }

  /** Second steps: 403 contract_cancelled when the contract closed after the password step (cancellation took effect). */
  private async assertContractOpen(tenantId: string | null, userId: string, state: SecondStepState): Promise<void> {
    if (state.contractOpen) return;
    await this.refused(tenantId, 'contract_cancelled', userId, 'denied');
    throw AuthErrors.contractCancelled();
  }

  /** Second steps: refused while this address is locked out of the account (or the account everywhere, without a key). */
  private async assertNotLocked(
    tenantId: string | null,
    userId: string,
    ip: string | undefined,
    state: SecondStepState,
  ): Promise<FailureSubject> {
    const subject: FailureSubject = { ...this.throttle.subjectFor('', '', { id: userId, tenantId }), keyless: state.keyless, ip };
    // The latest of the locks that apply (LoginThrottleService.lockedUntil, read in secondStepState).
    const locks = [state.lockedHere, state.keyless ? state.lockedEverywhere : undefined].filter((d): d is Date => !!d);
    const until = locks.length ? new Date(Math.max(...locks.map((d) => d.getTime()))) : undefined;
    if (until) {
      await this.refused(tenantId, 'account_locked', userId, 'denied');
      throw accountLocked(until);
    }
    if (state.status !== 'active') {
      await this.refused(tenantId, 'user_not_active', userId);
      throw invalidCredentials();
    }
    return subject;
  }

  /** Full session with a new id (the pending one is already ended). */
  private async complete(
    pending: { userId: string; tenantId: string | null },
    keyId: string,
    step: string,
    role: string | null,
    ip?: string,
    userAgent?: string,
  ): Promise<LoginOutcome> {
    // Again at the second step: the key-file step may come from another address than the
    // password step (a pending cookie carried elsewhere), and the list may have changed since.
    // The portal may have been turned off since the password step (role: read with the second step's state).
    await this.assertGates(pending.tenantId, pending.userId, (role ?? 'member') as UserRole);
    await this.ipAllowlist.assertAllowed(
      pending.tenantId,
      role === 'admin' ? 'admin' : 'member',
      ip,
      { kind: 'login', step },
      {
        type: 'user',
        id: pending.userId,
      },
    );
    await this.throttle.succeeded(pending.userId, ip); // also sets last_login_at
    const session = await this.sessions.create({ id: pending.userId, tenantId: pending.tenantId }, ip, userAgent, keyId);
    await this.audit.record({
      category: 'access',
      action: 'auth.login',
      outcome: 'success',
      tenantId: pending.tenantId,
      actor: { type: 'user', id: pending.userId },
      target: { type: 'session', id: session.sessionId },
      details: { step, keyId },
    });
    const view = await this.sessionView(pending.userId, pending.tenantId, session.csrfToken);
    return { view: { step: 'done', ...view }, token: session.token, expiresAt: session.expiresAt };
  }

  /** A failed login attempt at any step: counted per address (LoginThrottleService), audited, maybe locking; always throws. */
  private async failedAttempt(
    subject: FailureSubject,
    tenantId: string | null,
    userId: string | undefined,
    step: string,
    reason: string,
    error: () => DomainError = invalidCredentials,
  ): Promise<never> {
    countLoginFailure(reason);
    const lockedUntil = await this.throttle.registerFailure(subject, subject.ip, subject.keyless);
    await this.audit.record({
      category: 'security',
      action: 'auth.login',
      outcome: 'failure',
      tenantId,
      actor: { type: 'anonymous' },
      target: userId ? { type: 'user', id: userId } : undefined,
      details: { step, reason },
    });
    if (lockedUntil) {
      await this.audit.record({
        category: 'security',
        action: 'auth.account_locked',
        outcome: 'success',
        tenantId,
        actor: { type: 'system' },
        target: userId ? { type: 'user', id: userId } : undefined,
        details: {
          failures: this.config.loginMaxFailures,
          windowMinutes: this.config.loginFailureWindowMinutes,
          lockMinutes: this.config.loginLockMinutes,
        },
      });
      throw accountLocked(lockedUntil);
    }
    throw error();
  }

  /** The session answer (user, tenant, CSRF token) in one query: it is on the path of every SPA start. */
  async sessionView(userId: string, tenantId: string | null, csrfToken: string): Promise<SessionView> {
    const user = await this.ds
      .getRepository(User)
      .createQueryBuilder('u')
      .leftJoinAndMapOne('u.tenant', Tenant, 't', 't.id = u.tenant_id')
      .where('u.id = :userId AND u.tenant_id IS NOT DISTINCT FROM :tenantId', { userId, tenantId })
      .getOneOrFail();
    await this.names.reveal(user);
    const t = (user as User & { tenant?: Tenant | null }).tenant;
    return { user: UserView.of(user), tenant: t ? { id: t.id, code: t.code, name: t.name, kind: t.kind } : null, csrfToken };
  }

  async logout(sessionId: string): Promise<void> {
    await this.sessions.revoke(sessionId);
    await this.audit.record({ category: 'access', action: 'auth.logout', outcome: 'success', target: { type: 'session', id: sessionId } });
  }
}
