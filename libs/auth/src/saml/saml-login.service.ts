import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { CacheProvider, Profile, SAML, SamlConfig, ValidateInResponseTo } from '@node-saml/node-saml';
import type { Request } from 'express';
import { DataSource } from 'typeorm';
import { AuditService } from '@charlotte/audit';
import { APP_CONFIG, AppConfig } from '@charlotte/core';
import { MacKeyService } from '@charlotte/crypto';
import { IpAllowlistService, IpSubject } from '../ip-allowlist/ip-allowlist.service';
import { KeyfilesService } from '../keyfile/keyfiles.service';
import { SessionsService } from '../sessions/sessions.service';
import { UserNamesService } from '../users/user-names.service';
import { AuthErrors } from '../errors';
import { CONTRACT_CLOSED_SQL, TenantStatus } from '../tenants/tenant.entity';
import { TENANT_CODE_PATTERN } from '../tenants/tenants.service';
import { isAllowedSsoUrl } from './dto/sso.dto';
import { bindingHash, bindingMatches } from './saml-binding';
import { postcheckAssertion, precheckResponse, SamlDetail, SamlReason, SamlRejection } from './saml-checks';
import { SsoSettingsService } from './sso-settings.service';
import { countLoginFailure } from '../login/login-metrics';

type Settings = NonNullable<Awaited<ReturnType<SsoSettingsService['find']>>>;

/** What the ACS learnt before node-saml ran; kept per request. */
interface AcsContext {
  tenantId: string;
  tenantCode: string;
  settings: Settings;
  spEntityId: string;
  acsUrl: string;
  inResponseTo: string | null;
  cache: ConsumingRequestCache;
}

/** What the ACS answers: the browser goes on to /finish with a one-time code (see saml-binding.ts). */
export interface SamlAcsResult {
  tenantId: string;
  finishUrl: string;
}

/** A finished SSO login: where to send the browser, with which session cookie. */
export interface SamlLoginResult {
  tenantId: string;
  userId: string;
  token: string;
  expiresAt: Date;
  redirectTo: string;
}

/** Errors that are not about the SAML message (database down…): they must stay 500s, not become refusals. */
export class SamlInternalError extends Error {
  constructor(readonly original: unknown) {
    super('SAML login failed internally');
    this.name = 'SamlInternalError';
  }
}

/** The identity the ACS verified, handed to /finish (a `saml_handoffs` row). */
interface VerifiedIdentity {
  idpEntityId: string;
  nameId: string;
  email: string | undefined;
  jitRole: 'admin' | 'member';
  /** The id a JIT user would get: the display name is sealed for it already. */
  jitUserId: string;
  displayNameSealed: Buffer | null;
}

const RELAY_PURPOSE = 'saml-relay-state';
/** How long the one-time code between the ACS and /finish is good for: one redirect. */
const HANDOFF_TTL_SECONDS = 120;
const HANDOFF_CODE = /^[A-Za-z0-9_-]{43}$/;
const RELAY_TAG_BYTES = 16;
const MAX_RESPONSE_CHARS = 400_000;
const RETURN_TO = /^\/(?![/\\])[^\s\\]{0,500}$/;

const sha256 = (v: string): Buffer => createHash('sha256').update(v).digest();

interface HandoffRow {
  sp_initiated: boolean;
  browser_binding: Buffer | null;
  idp_entity_id: string;
  name_id: string;
  email: string | null;
  jit_role: 'admin' | 'member';
  jit_user_id: string;
  display_name_sealed: Buffer | null;
  return_to: string;
}

/**
 * node-saml's InResponseTo cache, backed by PostgreSQL and bound to one tenant:
 * the first lookup deletes the row (so a request id is good for one response,
 * on any instance), later lookups in the same validation see the remembered
 * row. node-saml looks twice (Response and SubjectConfirmationData).
 */
class ConsumingRequestCache implements CacheProvider {
  consumed?: { requestId: string; relayId: string; returnTo: string; createdAt: Date; browserBinding: Buffer | null };

  constructor(
    private readonly ds: DataSource,
    private readonly tenantId: string,
  ) {}

  saveAsync(): Promise<null> {
    return Promise.reject(new Error('the ACS never issues requests'));
  }

  async getAsync(key: string): Promise<string | null> {
    if (this.consumed) return this.consumed.requestId === key ? this.consumed.createdAt.toISOString() : null;
    if (key.length > 200) return null;
    const r: [Array<{ relay_id: string; return_to: string; created_at: Date; browser_binding: Buffer | null }>, number] =
      await this.ds.query(
        `DELETE FROM saml_requests WHERE request_id = $1 AND tenant_id = $2 AND expires_at > now()
       RETURNING relay_id, return_to, created_at, browser_binding`,
        [key, this.tenantId],
      );
    const row = r[0][0];
    if (!row) return null;
    this.consumed = {
      requestId: key,
      relayId: row.relay_id,
      returnTo: row.return_to,
      createdAt: new Date(row.created_at),
      browserBinding: row.browser_binding,
    };
    return this.consumed.createdAt.toISOString();
  }

  removeAsync(): Promise<null> {
    return Promise.resolve(null);
  }
}

/**
 * SP side of SAML 2.0 Web SSO for one tenant at a time, on node-saml (never our
 * own XML signature code): SP-initiated login, then the ACS checks of
 * saml-checks.ts around node-saml's validation, single use of request and
 * assertion ids in PostgreSQL, and the user and session that result.
 */
@Injectable()
export class SamlLoginService {
  private readonly contexts = new WeakMap<Request, AcsContext>();

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly sso: SsoSettingsService,
    private readonly sessions: SessionsService,
    private readonly keyfiles: KeyfilesService,
    private readonly audit: AuditService,
    private readonly mac: MacKeyService,
    private readonly names: UserNamesService,
    private readonly ipAllowlist: IpAllowlistService,
  ) {}

  /**
   * The tenant's IP allow-list at the ACS and at /finish (before any account is linked or
   * created, and again with the user's role before a session or pending login is issued):
   * refused with the SSO refusal page (403, reason ip_not_allowed, audited by the filter).
   */
  private async assertAddress(tenantId: string, subject: IpSubject, ip: string | undefined): Promise<void> {
    if (!(await this.ipAllowlist.allows(tenantId, subject, ip))) throw new SamlRejection('ip_not_allowed', {}, tenantId);
  }

  private get skewMs(): number {
    return this.config.samlClockSkewSeconds * 1000;
  }

  private async tenant(code: string): Promise<{ id: string; code: string; settings: Settings }> {
    const c = code.toLowerCase();
    if (!TENANT_CODE_PATTERN.test(c)) throw new SamlRejection('sso_not_configured');
    const t: Array<{ id: string; status: TenantStatus; closed: boolean }> = await this.ds.query(
      `SELECT t.id, t.status, ${CONTRACT_CLOSED_SQL} AS closed FROM tenants t WHERE t.code = $1`,
      [c],
    );
    if (!t[0]) throw new SamlRejection('sso_not_configured');
    if (t[0].closed) {
      // From the effective time of a cancellation: 403 contract_cancelled (problem+json), at login start and at the ACS.
      // A deleted tenant's chain is closed, so its refusals go to the platform chain.
      await this.audit.record({
        category: 'security',
        action: 'auth.sso_login',
        outcome: 'denied',
        tenantId: t[0].status === 'deleted' ? null : t[0].id,
        actor: { type: 'anonymous' },
        details: { reason: 'contract_cancelled' },
      });
      throw AuthErrors.contractCancelled();
    }
    const settings = await this.sso.find(t[0].id);
    if (!settings) throw new SamlRejection('sso_not_configured');
    return { id: t[0].id, code: c, settings };
  }

  private samlConfig(settings: Settings, urls: { spEntityId: string; acsUrl: string }, extra: Partial<SamlConfig> = {}): SamlConfig {
    return {
      issuer: urls.spEntityId,
      audience: urls.spEntityId,
      callbackUrl: urls.acsUrl,
      entryPoint: settings.sso_url,
      idpCert: settings.certificates,
      idpIssuer: settings.idp_entity_id,
      identifierFormat: settings.name_id_format,
      wantAssertionsSigned: true,
      // The assertion must be signed; a signature over the whole Response as well is welcome but not required.
      wantAuthnResponseSigned: false,
      signatureAlgorithm: 'sha256',
      digestAlgorithm: 'sha256',
      acceptedClockSkewMs: this.skewMs,
      requestIdExpirationPeriodMs: this.config.samlRequestTtlMinutes * 60_000,
      // IdPs differ in the authentication context they use (MFA, Kerberos…); the IdP decides.
      disableRequestedAuthnContext: true,
      ...extra,
    };
  }

  /**
   * SP-initiated login: an AuthnRequest whose id we store (with the opaque,
   * MAC-tagged RelayState, where to go afterwards and the hash of the
   * browser's binding secret) for one use.
   */
  async startLogin(tenantCode: string, returnTo: string | undefined, browserBinding: string): Promise<string> {
    const t = await this.tenant(tenantCode);
    // Settings saved before the https check covered every path (issue 13,
    // finding 8) may hold a plain-http SSO URL: never send a browser there.
    if (!isAllowedSsoUrl(t.settings.sso_url)) throw new SamlRejection('sso_url_invalid', {}, t.id);
    const urls = this.sso.spUrls(t.code);
    const requestId = `_${randomUUID().replace(/-/g, '')}`;
    const relayId = randomBytes(16).toString('base64url');
    // RelayState is at most 80 bytes (SAML bindings 3.4.3): 22 + 1 + 22.
    const relayState = `${relayId}.${this.mac.tag(RELAY_PURPOSE, `${t.id}|${relayId}`, RELAY_TAG_BYTES)}`;
    const target = returnTo && RETURN_TO.test(returnTo) ? returnTo : '/';
    await this.ds.query(
      `INSERT INTO saml_requests (request_id, tenant_id, relay_id, return_to, expires_at, browser_binding)
       VALUES ($1, $2, $3, $4, now() + make_interval(mins => $5), $6)`,
      [requestId, t.id, relayId, target, this.config.samlRequestTtlMinutes, bindingHash(browserBinding)],
    );
    const saml = new SAML(
      this.samlConfig(t.settings, urls, {
        generateUniqueId: () => requestId,
        validateInResponseTo: ValidateInResponseTo.never,
      }),
    );
    return saml.getAuthorizeUrlAsync(relayState, undefined, {});
  }

  /** node-saml options for this ACS request, after the structural pre-checks. */
  async acsOptions(req: Request): Promise<Partial<SamlConfig>> {
    try {
      const body = (req.body ?? {}) as Record<string, unknown>;
      const t = await this.tenant(String(req.params.tenant ?? ''));
      const urls = this.sso.spUrls(t.code);
      const fail = (reason: SamlReason, details?: Record<string, SamlDetail>) => new SamlRejection(reason, details, t.id);
      if (typeof body.SAMLResponse !== 'string' || body.SAMLResponse.length === 0) throw fail('missing_response');
      if (body.SAMLResponse.length > MAX_RESPONSE_CHARS) throw fail('too_large');
      const xml = Buffer.from(body.SAMLResponse, 'base64').toString('utf8');
      let pre: { inResponseTo: string | null };
      try {
        pre = precheckResponse(xml, { acsUrl: urls.acsUrl, idpEntityId: t.settings.idp_entity_id });
      } catch (e) {
        if (e instanceof SamlRejection) throw fail(e.reason, e.details);
        throw e;
      }
      if (!pre.inResponseTo && !t.settings.allow_idp_initiated) throw fail('idp_initiated_disabled');
      const cache = new ConsumingRequestCache(this.ds, t.id);
      this.contexts.set(req, {
        tenantId: t.id,
        tenantCode: t.code,
        settings: t.settings,
        spEntityId: urls.spEntityId,
        acsUrl: urls.acsUrl,
        inResponseTo: pre.inResponseTo,
        cache,
      });
      return this.samlConfig(t.settings, urls, {
        validateInResponseTo: t.settings.allow_idp_initiated ? ValidateInResponseTo.ifPresent : ValidateInResponseTo.always,
        cacheProvider: cache,
      });
    } catch (e) {
      throw e instanceof SamlRejection ? e : new SamlInternalError(e);
    }
  }

  /**
   * After node-saml accepted the signature: our checks and single use, then the
   * verified identity goes under a one-time code to /finish, which checks the
   * browser binding before any user is looked up, linked or created.
   */
  async complete(req: Request, profile: Profile | null): Promise<SamlAcsResult> {
    const ctx = this.contexts.get(req);
    try {
      if (!ctx) throw new SamlRejection('invalid_response');
      if (!profile) throw new SamlRejection('status_not_success');
      await this.assertAddress(ctx.tenantId, 'unidentified', req.ip);
      const checked = postcheckAssertion(profile.getAssertionXml?.() ?? '', {
        acsUrl: ctx.acsUrl,
        idpEntityId: ctx.settings.idp_entity_id,
        inResponseTo: ctx.inResponseTo,
        skewMs: this.skewMs,
      });
      let returnTo = '/';
      let browserBinding: Buffer | null = null;
      if (ctx.inResponseTo) {
        // SP-initiated: the request row was consumed by node-saml's lookup; the
        // RelayState must be the one we issued with it.
        const row = ctx.cache.consumed;
        if (!row || row.requestId !== ctx.inResponseTo) throw new SamlRejection('unknown_in_response_to');
        const relay = String((req.body as Record<string, unknown>).RelayState ?? '');
        const [relayId, tag] = relay.split('.');
        if (
          !relayId ||
          !tag ||
          relayId !== row.relayId ||
          !this.mac.check(RELAY_PURPOSE, `${ctx.tenantId}|${relayId}`, tag, RELAY_TAG_BYTES)
        )
          throw new SamlRejection('relay_state_invalid');
        // A request stored before browser binding existed has none: /finish refuses it.
        browserBinding = row.browserBinding ?? Buffer.alloc(0);
        returnTo = row.returnTo;
      }
      await this.rememberAssertion(ctx.tenantId, checked.assertionId, checked.rememberUntil);
      const identity = await this.identity(ctx, checked.nameId, profile);
      const code = randomBytes(32).toString('base64url');
      await this.ds.query(
        `INSERT INTO saml_handoffs (code_hash, tenant_id, sp_initiated, browser_binding, idp_entity_id, name_id, email, jit_role, jit_user_id,
                                    display_name_sealed, return_to, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, now() + make_interval(secs => $12))`,
        [
          sha256(code),
          ctx.tenantId,
          ctx.inResponseTo !== null,
          browserBinding,
          identity.idpEntityId,
          identity.nameId,
          identity.email ?? null,
          identity.jitRole,
          identity.jitUserId,
          identity.displayNameSealed,
          returnTo,
          HANDOFF_TTL_SECONDS,
        ],
      );
      return { tenantId: ctx.tenantId, finishUrl: `/api/v1/auth/saml/${encodeURIComponent(ctx.tenantCode)}/finish?code=${code}` };
    } catch (e) {
      if (e instanceof SamlRejection) {
        e.tenantId ??= ctx?.tenantId;
        throw e;
      }
      throw new SamlInternalError(e);
    }
  }

  /**
   * GET /finish: consumes the one-time code, checks that this browser started
   * the login (SP-initiated), then resolves the user and opens the session.
   */
  async finish(req: Request, tenantCode: string, code: string, browserBinding: string | undefined): Promise<SamlLoginResult> {
    const t = await this.tenant(tenantCode);
    const fail = (reason: SamlReason) => new SamlRejection(reason, {}, t.id);
    if (!HANDOFF_CODE.test(code)) throw fail('login_code_invalid');
    const r: [Array<HandoffRow>, number] = await this.ds.query(
      `DELETE FROM saml_handoffs WHERE code_hash = $1 AND tenant_id = $2 AND expires_at > now() RETURNING *`,
      [sha256(code), t.id],
    );
    const row = r[0][0];
    if (!row) throw fail('login_code_invalid');
    // Login CSRF (issue 13, finding 9): the response answered a request that
    // another browser started. IdP-initiated logins have no request to bind
    // to; they are accepted only where the tenant switched them on.
    if (row.sp_initiated && !bindingMatches(row.browser_binding, browserBinding)) throw fail('browser_mismatch');
    if (!row.sp_initiated && !t.settings.allow_idp_initiated) throw fail('idp_initiated_disabled');
    // The IdP was replaced between the ACS and now: the identity is not its.
    if (row.idp_entity_id !== t.settings.idp_entity_id) throw fail('invalid_response');
    return this.signIn(
      req,
      { tenantId: t.id, settings: t.settings },
      {
        idpEntityId: row.idp_entity_id,
        nameId: row.name_id,
        email: row.email ?? undefined,
        jitRole: row.jit_role,
        jitUserId: row.jit_user_id,
        displayNameSealed: row.display_name_sealed,
      },
      row.return_to,
    ).catch((e: unknown) => {
      if (e instanceof SamlRejection) e.tenantId ??= t.id;
      throw e;
    });
  }

  /** What signIn needs from the verified assertion; the display name sealed right away (it is personal data). */
  private async identity(ctx: AcsContext, nameId: string, profile: Profile): Promise<VerifiedIdentity> {
    const s = ctx.settings;
    const mapping = s.attribute_mapping ?? {};
    const emailFromNameId = /emailAddress$/.test(profile.nameIDFormat ?? s.name_id_format) ? nameId : undefined;
    const emailRaw = (this.attribute(profile, mapping.email)[0] ?? emailFromNameId ?? '').toLowerCase();
    const email = /^[^\s@]{1,200}@[^\s@]{1,200}$/.test(emailRaw) ? emailRaw : undefined;
    const adminValues = new Set(mapping.adminValues ?? []);
    const jitRole: 'admin' | 'member' = mapping.role
      ? this.attribute(profile, mapping.role).some((v) => adminValues.has(v))
        ? 'admin'
        : 'member'
      : s.jit_default_role;
    const jitUserId = randomUUID();
    const displayName = email ? (this.attribute(profile, mapping.displayName)[0] ?? email.split('@')[0]).slice(0, 200) : undefined;
    return {
      idpEntityId: s.idp_entity_id,
      nameId,
      email,
      jitRole,
      jitUserId,
      displayNameSealed: displayName ? await this.names.seal(ctx.tenantId, jitUserId, displayName) : null,
    };
  }

  /** Refuses an assertion id seen before (until it expires), on every instance. */
  private async rememberAssertion(tenantId: string, assertionId: string, until: Date): Promise<void> {
    if (assertionId.length > 200) throw new SamlRejection('invalid_response');
    const r: Array<{ assertion_id: string }> = await this.ds.query(
      `INSERT INTO saml_assertion_ids (tenant_id, assertion_id, expires_at) VALUES ($1, $2, $3)
       ON CONFLICT (tenant_id, assertion_id) DO NOTHING RETURNING assertion_id`,
      [tenantId, assertionId, until],
    );
    if (r.length === 0) throw new SamlRejection('replayed_assertion');
  }

  private attribute(profile: Profile, name: string | undefined): string[] {
    if (!name) return [];
    const attrs = (profile.attributes ?? {}) as Record<string, unknown>;
    const v = attrs[name];
    const list = Array.isArray(v) ? v : v === undefined || v === null ? [] : [v];
    return list.filter((x): x is string => typeof x === 'string').map((x) => x.trim());
  }

  private async signIn(
    req: Request,
    ctx: { tenantId: string; settings: Settings },
    who: VerifiedIdentity,
    returnTo: string,
  ): Promise<SamlLoginResult> {
    const s = ctx.settings;
    const idp = who.idpEntityId;
    const { nameId, email } = who;
    await this.assertAddress(ctx.tenantId, 'unidentified', req.ip);

    type U = { id: string; status: string; role: string; sso_name_id: string | null; link_confirmed: boolean };
    let user: U | undefined = (
      (await this.ds.query(
        `SELECT id, status, role, sso_name_id, false AS link_confirmed FROM users WHERE tenant_id = $1 AND sso_idp_entity_id = $2 AND sso_name_id = $3`,
        [ctx.tenantId, idp, nameId],
      )) as U[]
    )[0];
    let provisioning: 'existing' | 'linked' | 'jit' = 'existing';
    if (!user && email) {
      // First SSO login of a user who already has an account with this e-mail
      // in this tenant (never across tenants). Linking hands the account to
      // whoever the IdP vouches for, so (issue 13, finding 11) it happens only
      // where the tenant switched it on, and never for an administrator who
      // has not confirmed it from a password + key-file session: an IdP
      // account with an admin's e-mail (a typo, a recycled address, a
      // compromised IdP) must not become that admin silently.
      const byEmail = (
        (await this.ds.query(
          `SELECT id, status, role, sso_name_id, COALESCE(sso_link_confirmed_until > now(), false) AS link_confirmed
             FROM users WHERE tenant_id = $1 AND email = $2`,
          [ctx.tenantId, email],
        )) as U[]
      )[0];
      if (byEmail) {
        if (byEmail.sso_name_id !== null) throw new SamlRejection('identity_conflict');
        if (byEmail.status === 'disabled') throw new SamlRejection('user_disabled');
        if (byEmail.role === 'admin') {
          if (!byEmail.link_confirmed) throw new SamlRejection('link_confirmation_required');
        } else if (!s.link_existing_accounts && !byEmail.link_confirmed) throw new SamlRejection('link_not_allowed');
        const [linked]: [unknown[], number] = await this.ds.query(
          `UPDATE users SET sso_idp_entity_id = $2, sso_name_id = $3, status = 'active', invitation_token_hash = NULL, invitation_expires_at = NULL,
                  sso_link_confirmed_until = NULL
            WHERE id = $1 AND sso_name_id IS NULL RETURNING id`,
          [byEmail.id, idp, nameId],
        );
        // Another login linked it in the meantime.
        if (linked.length === 0) throw new SamlRejection('identity_conflict');
        user = { ...byEmail, status: 'active' };
        provisioning = 'linked';
      }
    }
    if (!user) {
      if (!s.jit_enabled) throw new SamlRejection('user_unknown', { jit: false });
      // (This detail was once keyed `email`, which the audit guard refuses as
      // personal data: the refusal crashed instead of answering.)
      if (!email || !who.displayNameSealed) throw new SamlRejection('user_unknown', { jit: true, missing: 'email_address' });
      const role = who.jitRole;
      try {
        const rows: U[] = await this.ds.query(
          `INSERT INTO users (id, tenant_id, email, display_name_sealed, role, status, sso_idp_entity_id, sso_name_id)
           VALUES ($1, $2, $3, $4, $5, 'active', $6, $7) RETURNING id, status, role, sso_name_id, false AS link_confirmed`,
          [who.jitUserId, ctx.tenantId, email, who.displayNameSealed, role, idp, nameId],
        );
        user = rows[0];
      } catch (e) {
        if ((e as { code?: string }).code === '23505') throw new SamlRejection('identity_conflict');
        throw e;
      }
      provisioning = 'jit';
      await this.audit.record({
        category: 'operation',
        action: 'user.created',
        outcome: 'success',
        tenantId: ctx.tenantId,
        actor: { type: 'system' },
        target: { type: 'user', id: user.id },
        details: { role, status: 'active', source: 'sso_jit' },
      });
    }
    if (user.status === 'disabled') throw new SamlRejection('user_disabled');
    if (provisioning === 'linked')
      // Every link is audited: the user id (target) only, no e-mail or NameID.
      await this.audit.record({
        category: 'security',
        action: 'auth.sso_linked',
        outcome: 'success',
        tenantId: ctx.tenantId,
        actor: { type: 'system' },
        target: { type: 'user', id: user.id },
      });

    const ip = req.ip;
    const ua = req.header('user-agent');
    await this.assertAddress(ctx.tenantId, user.role === 'admin' ? 'admin' : 'member', ip);
    if (s.require_keyfile) {
      // "SSO plus key file": the IdP stands in for the password step only.
      const kind = (await this.keyfiles.activeCount(user.id)) > 0 ? 'keyfile' : await this.enrolKind(user.id);
      if (!kind) throw new SamlRejection('keyfile_required');
      const p = await this.sessions.createPending({ id: user.id, tenantId: ctx.tenantId }, kind, ip, ua);
      await this.loginAudit(ctx.tenantId, user.id, undefined, { next: kind === 'keyfile' ? 'keyfile' : 'enroll_keyfile', provisioning });
      return {
        tenantId: ctx.tenantId,
        userId: user.id,
        token: p.token,
        expiresAt: p.expiresAt,
        redirectTo: returnTo === '/' ? '/login?sso=keyfile' : `/login?sso=keyfile&redirect=${encodeURIComponent(returnTo)}`,
      };
    }
    await this.ds.query(
      'UPDATE users SET failed_login_count = 0, failed_window_start = NULL, locked_until = NULL, last_login_at = now() WHERE id = $1',
      [user.id],
    );
    const session = await this.sessions.create({ id: user.id, tenantId: ctx.tenantId }, ip, ua);
    const adminTest = user.role === 'admin';
    if (adminTest) {
      // An administrator got in through this IdP configuration: enforcement may now be switched on.
      await this.ds.query(`UPDATE tenant_sso_settings SET tested_at = now(), tested_by = $2 WHERE tenant_id = $1 AND idp_entity_id = $3`, [
        ctx.tenantId,
        user.id,
        idp,
      ]);
    }
    await this.loginAudit(ctx.tenantId, user.id, session.sessionId, { provisioning, adminTest });
    return { tenantId: ctx.tenantId, userId: user.id, token: session.token, expiresAt: session.expiresAt, redirectTo: returnTo };
  }

  private async enrolKind(userId: string): Promise<'enroll' | undefined> {
    const r: Array<{ key_enrolment_allowed: boolean }> = await this.ds.query('SELECT key_enrolment_allowed FROM users WHERE id = $1', [
      userId,
    ]);
    return r[0]?.key_enrolment_allowed ? 'enroll' : undefined;
  }

  private loginAudit(tenantId: string, userId: string, sessionId: string | undefined, details: Record<string, string | boolean>) {
    return this.audit.record({
      category: 'access',
      action: 'auth.login',
      outcome: 'success',
      tenantId,
      actor: { type: 'user', id: userId },
      target: sessionId ? { type: 'session', id: sessionId } : undefined,
      details: { step: 'saml', ...details },
    });
  }

  /**
   * Security event for a refused SSO response: the reason and its detail
   * codes only (SamlRejection reduces every detail to a code). Nothing from
   * the request (NameID, attributes, issuer, RelayState, the tenant path
   * parameter) is recorded; the tenant is the one we resolved, by id.
   */
  refusalAudit(req: Request, rejection: SamlRejection): Promise<void> {
    countLoginFailure(`saml_${rejection.reason}`);
    return this.audit.record({
      category: 'security',
      action: 'auth.sso_login',
      outcome: 'failure',
      tenantId: rejection.tenantId ?? this.contexts.get(req)?.tenantId ?? null,
      actor: { type: 'anonymous' },
      details: { reason: rejection.reason, ...rejection.details },
    });
  }

  /**
   * When the refusal event could not be written: the same event without
   * details (a refusal must always leave a trace), never throwing.
   */
  refusalAuditFallback(req: Request, rejection: SamlRejection): Promise<void> {
    return this.audit.recordQuietly({
      category: 'security',
      action: 'auth.sso_login',
      outcome: 'failure',
      tenantId: rejection.tenantId ?? this.contexts.get(req)?.tenantId ?? null,
      actor: { type: 'anonymous' },
    });
  }

  /** Drops request ids nobody came back for (scheduled). */
  async purgeExpired(): Promise<number> {
    const a: [unknown[], number] = await this.ds.query(`DELETE FROM saml_requests WHERE expires_at < now()`);
    const b: [unknown[], number] = await this.ds.query(`DELETE FROM saml_assertion_ids WHERE expires_at < now()`);
    const c: [unknown[], number] = await this.ds.query(`DELETE FROM saml_handoffs WHERE expires_at < now()`);
    return a[1] + b[1] + c[1];
  }
}
