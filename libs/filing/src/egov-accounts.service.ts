import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditService } from '@charlotte/audit';
import { APP_CONFIG, AppConfig } from '@charlotte/core';
import { KeyRotationService, SealingService } from '@charlotte/crypto';
import { EgovClient, EgovError, EgovTokens } from './egov-client';
import { PURPOSE } from './sealing-purposes';
import { FilingErrors } from './errors';

const TOKENS = PURPOSE.egovTokens;
const ACCOUNT = PURPOSE.egovAccount;
const VERIFIER = PURPOSE.egovPkceVerifier;
const sha256 = (s: string) => createHash('sha256').update(s).digest();
const at = (ms: number | null | undefined): Date | null => (ms === null || ms === undefined ? null : new Date(ms));
const iso = (d: Date | string | null): string | null => (d === null ? null : new Date(d).toISOString());

/** GET /egov/account: which e-Gov account is linked and until when its tokens work. Never a token. */
export interface EgovAccountStatus {
  linked: boolean;
  linkedAt: string | null;
  /** The e-Gov account id the tokens belong to (null when unknown: linked before it was recorded). */
  accountId: string | null;
  accessTokenExpiresAt: string | null;
  refreshTokenExpiresAt: string | null;
  trialMode: boolean;
}

/** Kept as a named export: the services of this lib and their tests use it. */
export const egovNotLinked = FilingErrors.egovNotLinked;

/**
 * The tenant's e-Gov account: linked by an administrator through the e-Gov
 * login (authorization code + PKCE), tokens kept sealed with the tenant key and
 * refreshed automatically (under a row lock, so two instances never spend the
 * same refresh token).
 */
@Injectable()
export class EgovAccountsService {
  private readonly logger = new Logger(EgovAccountsService.name);

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly client: EgovClient,
    private readonly sealing: SealingService,
    private readonly audit: AuditService,
    rotation: KeyRotationService,
  ) {
    // The token set is sealed with the tenant id as its record id. (PKCE verifiers live ten minutes and are not rotated.)
    rotation.register({ table: 'egov_accounts', column: 'tokens_sealed', purpose: TOKENS, idColumn: 'tenant_id' });
    rotation.register({ table: 'egov_accounts', column: 'account_sealed', purpose: ACCOUNT, idColumn: 'tenant_id' });
  }

  redirectUri(): string {
    return `${this.config.publicUrl}/api/v1/egov/link/callback`;
  }

  async status(tenantId: string): Promise<EgovAccountStatus> {
    const r: Array<{ linked_at: Date; account_sealed: Buffer | null; access_expires_at: Date | null; refresh_expires_at: Date | null }> =
      await this.ds.query(
        `SELECT linked_at, account_sealed, access_expires_at, refresh_expires_at FROM egov_accounts WHERE tenant_id = $1`,
        [tenantId],
      );
    const row = r[0];
    return {
      linked: !!row,
      linkedAt: row ? iso(row.linked_at) : null,
      accountId: row?.account_sealed ? await this.sealing.openString(tenantId, ACCOUNT, tenantId, row.account_sealed) : null,
      accessTokenExpiresAt: row ? iso(row.access_expires_at) : null,
      refreshTokenExpiresAt: row ? iso(row.refresh_expires_at) : null,
      trialMode: await this.trialMode(tenantId),
    };
  }

  /**
   * The e-Gov login URL, and the secret the starting browser must keep in a
   * cookie (EGOV_LINK_COOKIE): the state is single use and binds the answer to
   * this tenant and admin; the secret binds it to this browser.
   */
  async startLink(tenantId: string, userId: string): Promise<{ authorizeUrl: string; browserSecret: string }> {
    const state = randomBytes(24).toString('base64url');
    const browserSecret = randomBytes(32).toString('base64url');
    const verifier = randomBytes(48).toString('base64url');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    await this.ds.query(`DELETE FROM egov_link_requests WHERE expires_at < now()`);
    await this.ds.query(
      `INSERT INTO egov_link_requests (state_hash, tenant_id, user_id, verifier_sealed, browser_binding, expires_at)
       VALUES ($1, $2, $3, $4, $5, now() + interval '10 minutes')`,
      [sha256(state), tenantId, userId, await this.sealing.seal(tenantId, VERIFIER, state, verifier), sha256(browserSecret)],
    );
    return { authorizeUrl: this.client.authorizeUrl(state, challenge, this.redirectUri()), browserSecret };
  }

  /**
   * Back from the e-Gov login: exchange the code (with the PKCE verifier) and
   * keep the tokens sealed. The state says which tenant and admin started the
   * link (192 random bits, stored hashed, single use, ten minutes). It is not
   * enough on its own (security review, finding 4: login CSRF): whoever holds
   * the authorize URL could end the link with *their* e-Gov login, and the
   * starting tenant would hold that e-Gov account's tokens. So the browser that
   * ends it must also present the secret set as a cookie when the link started
   * (SameSite=Lax, so it comes back on e-Gov's top-level redirect, which the
   * SameSite=Strict session cookie does not). A mismatch spends the state.
   */
  async finishLink(state: string, code: string, browserSecret: string | undefined): Promise<{ tenantId: string }> {
    const r: [Array<{ tenant_id: string; user_id: string; verifier_sealed: Buffer; browser_binding: Buffer }>, number] =
      await this.ds.query(
        `DELETE FROM egov_link_requests WHERE state_hash = $1 AND expires_at > now()
       RETURNING tenant_id, user_id, verifier_sealed, browser_binding`,
        [sha256(state)],
      );
    const row = r[0][0];
    const invalid = () => FilingErrors.egovLinkInvalid();
    if (!row) throw invalid();
    if (!browserSecret || !timingSafeEqual(sha256(browserSecret), row.browser_binding)) {
      await this.audit.record({
        category: 'security',
        action: 'egov.link_refused',
        outcome: 'denied',
        tenantId: row.tenant_id,
        actor: { type: 'anonymous' },
        target: { type: 'tenant', id: row.tenant_id },
        details: { reason: browserSecret ? 'browser_mismatch' : 'browser_cookie_missing' },
      });
      throw invalid();
    }
    const tenantId = row.tenant_id;
    const verifier = await this.sealing.openString(tenantId, VERIFIER, state, row.verifier_sealed);
    const { tokens, accountId } = await this.client.exchangeCode(code, verifier, this.redirectUri());
    const id = randomUUID();
    const sealed = await this.sealing.seal(tenantId, TOKENS, tenantId, JSON.stringify(tokens));
    // Which e-Gov account logged in (often a mail address: sealed like other personal data).
    const account = accountId === null ? null : await this.sealing.seal(tenantId, ACCOUNT, tenantId, accountId);
    await this.ds.query(
      `INSERT INTO egov_accounts (id, tenant_id, tokens_sealed, linked_by, account_sealed, access_expires_at, refresh_expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (tenant_id) DO UPDATE SET tokens_sealed = $3, linked_by = $4, account_sealed = $5, access_expires_at = $6,
         refresh_expires_at = $7, linked_at = now(), updated_at = now()`,
      [id, tenantId, sealed, row.user_id, account, at(tokens.expiresAt), at(tokens.refreshExpiresAt)],
    );
    await this.audit.record({
      category: 'security',
      action: 'egov.account_linked',
      outcome: 'success',
      tenantId,
      actor: { type: 'user', id: row.user_id },
      target: { type: 'tenant', id: tenantId },
    });
    return { tenantId };
  }

  /**
   * Removes the link, then ends the e-Gov session (POST {auth}/logout with the refresh token) so
   * that the tokens stop working at e-Gov too. Best effort: the link is gone here whatever e-Gov
   * answers (unreachable, token already expired), and a failure is only logged without the token.
   */
  async unlink(tenantId: string): Promise<void> {
    const r: [Array<{ tokens_sealed: Buffer }>, number] = await this.ds.query(
      `DELETE FROM egov_accounts WHERE tenant_id = $1 RETURNING tokens_sealed`,
      [tenantId],
    );
    if (r[1] === 0) return;
    await this.audit.record({
      category: 'security',
      action: 'egov.account_unlinked',
      outcome: 'success',
      tenantId,
      target: { type: 'tenant', id: tenantId },
    });
    try {
      const tokens = JSON.parse(await this.sealing.openString(tenantId, TOKENS, tenantId, r[0][0].tokens_sealed)) as EgovTokens;
      await this.client.logout(tokens.refreshToken);
    } catch (e) {
      this.logger.warn({
        message: 'e-Gov logout after unlink failed',
        tenant: tenantId,
        kind: e instanceof EgovError ? e.kind : 'internal',
      });
    }
  }

  /** Whether the tenant's filings go to e-Gov as trial calls (X-eGovAPI-Trial: true): checked there, never filed. */
  async trialMode(tenantId: string): Promise<boolean> {
    const r: Array<{ trial_mode: boolean }> = await this.ds.query(`SELECT trial_mode FROM egov_settings WHERE tenant_id = $1`, [tenantId]);
    return r[0]?.trial_mode ?? false;
  }

  /** Switches 試行 mode (admin only, at the controller); audited when it changes. */
  async setTrialMode(tenantId: string, userId: string, on: boolean): Promise<{ trialMode: boolean }> {
    const before = await this.trialMode(tenantId);
    await this.ds.query(
      `INSERT INTO egov_settings (tenant_id, trial_mode, updated_by) VALUES ($1, $2, $3)
       ON CONFLICT (tenant_id) DO UPDATE SET trial_mode = $2, updated_by = $3, updated_at = now()`,
      [tenantId, on, userId],
    );
    if (before !== on)
      await this.audit.record({
        category: 'operation',
        action: 'egov.trial_mode_changed',
        outcome: 'success',
        tenantId,
        actor: { type: 'user', id: userId },
        target: { type: 'tenant', id: tenantId },
        details: { trialMode: on },
      });
    return { trialMode: on };
  }

  /** After e-Gov refused an access token it thought valid (revoked there): the next call refreshes it. */
  async expireAccessToken(tenantId: string): Promise<void> {
    await this.ds.transaction(async (m) => {
      const r: Array<{ tokens_sealed: Buffer }> = await m.query(`SELECT tokens_sealed FROM egov_accounts WHERE tenant_id = $1 FOR UPDATE`, [
        tenantId,
      ]);
      if (!r[0]) return;
      const tokens = JSON.parse(await this.sealing.openString(tenantId, TOKENS, tenantId, r[0].tokens_sealed)) as EgovTokens;
      await m.query(`UPDATE egov_accounts SET tokens_sealed = $2, access_expires_at = now(), updated_at = now() WHERE tenant_id = $1`, [
        tenantId,
        await this.sealing.seal(tenantId, TOKENS, tenantId, JSON.stringify({ ...tokens, expiresAt: 0 })),
      ]);
    });
  }

  /**
   * A valid access token for the tenant, refreshed when it expires within a
   * minute. Reading is lock-free; only a refresh takes the row lock (and
   * re-reads under it), so concurrent pollers do not queue on the account.
   */
  async accessToken(tenantId: string): Promise<string> {
    const cur: Array<{ tokens_sealed: Buffer }> = await this.ds.query(`SELECT tokens_sealed FROM egov_accounts WHERE tenant_id = $1`, [
      tenantId,
    ]);
    if (!cur[0]) throw egovNotLinked();
    const seen = JSON.parse(await this.sealing.openString(tenantId, TOKENS, tenantId, cur[0].tokens_sealed)) as EgovTokens;
    if (seen.expiresAt - Date.now() > 60_000) return seen.accessToken;
    return this.ds.transaction(async (m) => {
      const r: Array<{ tokens_sealed: Buffer }> = await m.query(`SELECT tokens_sealed FROM egov_accounts WHERE tenant_id = $1 FOR UPDATE`, [
        tenantId,
      ]);
      if (!r[0]) throw egovNotLinked();
      const tokens = JSON.parse(await this.sealing.openString(tenantId, TOKENS, tenantId, r[0].tokens_sealed)) as EgovTokens;
      if (tokens.expiresAt - Date.now() > 60_000) return tokens.accessToken;
      let fresh: EgovTokens;
      try {
        fresh = await this.client.refresh(tokens.refreshToken);
      } catch (e) {
        if (e instanceof EgovError && e.kind === 'permanent')
          throw new EgovError('auth', 'the e-Gov refresh token was refused: link the account again');
        throw e;
      }
      // e-Gov rotates the refresh token and restarts its lifetime: the expiries shown follow the new pair.
      await m.query(
        `UPDATE egov_accounts SET tokens_sealed = $2, access_expires_at = $3, refresh_expires_at = $4, updated_at = now() WHERE tenant_id = $1`,
        [
          tenantId,
          await this.sealing.seal(tenantId, TOKENS, tenantId, JSON.stringify(fresh)),
          at(fresh.expiresAt),
          at(fresh.refreshExpiresAt),
        ],
      );
      return fresh.accessToken;
    });
  }
}
