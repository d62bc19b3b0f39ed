import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditService } from '@charlotte/audit';
import { APP_CONFIG, AppConfig, NotFoundError } from '@charlotte/core';
import { AuthErrors } from '../errors';
import { SessionsService } from '../sessions/sessions.service';
import { PLATFORM_TENANT_CODE } from '../tenants/tenants.service';
import { encryptPrivateKey, generateKeyPair, jwkThumbprint, KeyFile, PublicEcJwk } from './keyfile-crypto';

export interface KeyView {
  keyId: string;
  label: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
  issuedBy: 'self' | 'admin';
}

interface KeyRow {
  key_id: string;
  label: string;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
  issued_by: 'self' | 'admin';
}

const view = (r: KeyRow): KeyView => ({
  keyId: r.key_id,
  label: r.label,
  createdAt: r.created_at.toISOString(),
  lastUsedAt: r.last_used_at?.toISOString() ?? null,
  revokedAt: r.revoked_at?.toISOString() ?? null,
  issuedBy: r.issued_by,
});

/**
 * The users' Charlotteキー: only public keys are stored. Every method takes the
 * tenant (null for platform operators) and filters by it.
 */
@Injectable()
export class KeyfilesService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly sessions: SessionsService,
    private readonly audit: AuditService,
  ) {}

  private async user(tenantId: string | null, userId: string): Promise<{ id: string; email: string; tenant_code: string }> {
    const rows: Array<{ id: string; email: string; tenant_code: string | null }> = await this.ds.query(
      `SELECT u.id, u.email, t.code AS tenant_code FROM users u LEFT JOIN tenants t ON t.id = u.tenant_id
        WHERE u.id = $1 AND u.tenant_id IS NOT DISTINCT FROM $2`,
      [userId, tenantId],
    );
    if (!rows[0]) throw new NotFoundError('user');
    return { ...rows[0], tenant_code: rows[0].tenant_code ?? PLATFORM_TENANT_CODE };
  }

  async list(tenantId: string | null, userId: string): Promise<KeyView[]> {
    await this.user(tenantId, userId);
    const rows: KeyRow[] = await this.ds.query(
      `SELECT key_id, label, created_at, last_used_at, revoked_at, issued_by FROM user_keys
        WHERE user_id = $1 AND tenant_id IS NOT DISTINCT FROM $2 ORDER BY created_at DESC`,
      [userId, tenantId],
    );
    return rows.map(view);
  }

  /** Active public key of a user by key id (login step). */
  async activeKey(tenantId: string | null, userId: string, keyId: string): Promise<PublicEcJwk | undefined> {
    const rows: Array<{ public_jwk: PublicEcJwk }> = await this.ds.query(
      `SELECT public_jwk FROM user_keys WHERE user_id = $1 AND tenant_id IS NOT DISTINCT FROM $2 AND key_id = $3 AND revoked_at IS NULL`,
      [userId, tenantId, keyId],
    );
    return rows[0]?.public_jwk;
  }

  /**
   * Active key files held by the tenant's active administrators, all together. Two or more mean a
   * lost key does not lock the tenant out: a spare key of the same admin, or a second admin who
   * can reset the first one's key (the dashboard's 「キーファイルを安全に保管」).
   */
  async activeAdminKeyCount(tenantId: string): Promise<number> {
    const r: Array<{ n: number }> = await this.ds.query(
      `SELECT count(*)::int AS n FROM user_keys k JOIN users u ON u.id = k.user_id AND u.tenant_id = k.tenant_id
        WHERE k.tenant_id = $1 AND k.revoked_at IS NULL AND u.role = 'admin' AND u.status = 'active'`,
      [tenantId],
    );
    return r[0]?.n ?? 0;
  }

  async activeCount(userId: string): Promise<number> {
    const r: Array<{ n: number }> = await this.ds.query(
      'SELECT count(*)::int AS n FROM user_keys WHERE user_id = $1 AND revoked_at IS NULL',
      [userId],
    );
    return r[0].n;
  }

  async touch(userId: string, keyId: string): Promise<void> {
    await this.ds.query('UPDATE user_keys SET last_used_at = now() WHERE user_id = $1 AND key_id = $2', [userId, keyId]);
  }

  /** Stores a public key (issued by an admin, or enrolled by the user) and closes self-enrolment. */
  async add(
    tenantId: string | null,
    userId: string,
    jwk: PublicEcJwk,
    label: string,
    issuedBy: 'self' | 'admin',
    actorId: string | null,
  ): Promise<string> {
    const keyId = jwkThumbprint(jwk);
    try {
      await this.ds.transaction(async (em) => {
        await em.query(
          `INSERT INTO user_keys (tenant_id, user_id, key_id, label, public_jwk, issued_by, issued_by_user) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
          [tenantId, userId, keyId, label, JSON.stringify(jwk), issuedBy, actorId],
        );
        await em.query('UPDATE users SET key_enrolment_allowed = false WHERE id = $1', [userId]);
      });
    } catch (e) {
      if ((e as { code?: string }).code === '23505') throw AuthErrors.keyExists();
      throw e;
    }
    await this.audit.record({
      category: 'security',
      action: issuedBy === 'admin' ? 'keyfile.issued' : 'keyfile.enrolled',
      outcome: 'success',
      tenantId,
      actor: actorId ? { type: 'user', id: actorId } : { type: 'system' },
      target: { type: 'user', id: userId },
      details: { keyId },
    });
    return keyId;
  }

  /**
   * Issues a key file as an administrator would: the pair is made here, the
   * public half stored, the private half returned once inside the file (optionally
   * passphrase-encrypted) and forgotten.
   */
  async issue(
    tenantId: string | null,
    userId: string,
    label: string,
    passphrase: string | undefined,
    actorId: string | null,
  ): Promise<KeyFile> {
    const u = await this.user(tenantId, userId);
    const { publicJwk, privateJwk } = generateKeyPair();
    const keyId = await this.add(tenantId, userId, publicJwk, label, 'admin', actorId);
    const file: KeyFile = {
      type: 'charlotte-keyfile',
      version: 1,
      tenant: u.tenant_code,
      userId,
      email: u.email,
      keyId,
      createdAt: new Date().toISOString(),
      ...(passphrase
        ? { encryptedPrivateKey: encryptPrivateKey(privateJwk, passphrase, this.config.keyfilePbkdf2Iterations) }
        : { privateKeyJwk: privateJwk }),
    };
    return file;
  }

  /** Revokes one key at once and ends the sessions it opened. */
  async revoke(tenantId: string | null, userId: string, keyId: string, actorId: string | null): Promise<void> {
    const r: [unknown[], number] = await this.ds.query(
      `UPDATE user_keys SET revoked_at = now(), revoked_by = $4 WHERE user_id = $1 AND tenant_id IS NOT DISTINCT FROM $2 AND key_id = $3 AND revoked_at IS NULL`,
      [userId, tenantId, keyId, actorId],
    );
    if (r[1] === 0) throw new NotFoundError('key');
    const ended = await this.sessions.revokeForKey(userId, keyId);
    await this.audit.record({
      category: 'security',
      action: 'keyfile.revoked',
      outcome: 'success',
      tenantId,
      actor: actorId ? { type: 'user', id: actorId } : { type: 'system' },
      target: { type: 'user', id: userId },
      details: { keyId, sessionsEnded: ended },
    });
  }

  /** Lost key: revokes every key, ends every session, and lets the user enrol a new key at next login. */
  async reset(tenantId: string | null, userId: string, actorId: string): Promise<void> {
    await this.user(tenantId, userId);
    await this.ds.transaction(async (em) => {
      await em.query('UPDATE user_keys SET revoked_at = now(), revoked_by = $2 WHERE user_id = $1 AND revoked_at IS NULL', [
        userId,
        actorId,
      ]);
      await em.query('UPDATE users SET key_enrolment_allowed = true WHERE id = $1', [userId]);
      await em.query('UPDATE sessions SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL', [userId]);
    });
    await this.audit.record({
      category: 'security',
      action: 'keyfile.reset',
      outcome: 'success',
      tenantId,
      target: { type: 'user', id: userId },
    });
  }
}
