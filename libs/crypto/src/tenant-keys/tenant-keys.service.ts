import { randomBytes } from 'node:crypto';
import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { APP_CONFIG, AppConfig, DomainError } from '@charlotte/core';
import { CryptoErrors } from '../errors';
import type { KeyProvider } from '../keys/key-provider';
import { KEY_PROVIDER } from './key-provider.token';

/**
 * The key store. Data backups (per-tenant archives, remote copies) must never
 * read these tables: a backup that carried its own wrapped keys would survive
 * crypto-shredding. The key store has its own backup, rewritten when a tenant
 * is deleted (architecture.md, "Encryption at rest").
 */
export const KEY_STORE_TABLES: readonly string[] = ['tenant_keys', 'tenant_key_status', 'key_rotation_jobs'];

/** Every open for a tenant whose keys were destroyed (contract end): the data is gone for good. */
export class TenantKeysDestroyedError extends DomainError {
  constructor() {
    super(
      410,
      'tenant_keys_destroyed',
      'Tenant keys destroyed',
      "This tenant's encryption keys were destroyed; its data can no longer be read.",
    );
  }
}

class AlreadyCreated extends Error {}

interface CacheEntry {
  dek: Buffer;
  expires: number;
}

interface StatusEntry {
  currentVersion: number;
  /** Destroyed is final: such an entry never expires. */
  destroyed: boolean;
  expires: number;
}

/** The AAD that binds a wrapped DEK to its tenant and version (moving it to another row fails). */
const wrapAad = (tenantId: string, version: number) => Buffer.from(`charlotte-dek-v1|${tenantId}|${version}`, 'utf8');

/**
 * Tenant data-encryption keys (DEK, 32 random bytes, versioned). Stored only
 * wrapped by the KeyProvider's KEK in `tenant_keys`; unwrapped keys are kept
 * in a small in-memory cache (bounded, TTL) and zeroed when evicted.
 */
@Injectable()
export class TenantKeysService implements OnModuleDestroy {
  private readonly cache = new Map<string, CacheEntry>();
  /** The key last inserted into `cache` (when still there, it is the most recently used). */
  private lastUsed: string | undefined;
  /**
   * tenant_key_status per tenant, so that seal() does not read it on every
   * call. Rotation and shredding in this process replace the entry at once;
   * another instance's change is seen within keyStatusCacheTtlMs. `generation`
   * rises with every local change, so a read that started before one cannot
   * put its older answer back into the cache.
   */
  private readonly statusCache = new Map<string, StatusEntry>();
  private generation = 0;
  /** Status reads in flight, shared by the callers that miss the cache at the same time. */
  private readonly statusReads = new Map<
    string,
    { generation: number; read: Promise<{ current_version: number; destroyed_at: Date | null } | undefined> }
  >();

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(KEY_PROVIDER) private readonly provider: KeyProvider,
  ) {}

  /** The provider was opened by its factory (crypto.module.ts); it is closed here, after the cache is wiped. */
  async onModuleDestroy(): Promise<void> {
    this.clearCache();
    await this.provider.close();
  }

  /** Zeroes and forgets every cached DEK. */
  clearCache(): void {
    for (const e of this.cache.values()) e.dek.fill(0);
    this.cache.clear();
    this.statusCache.clear();
    this.generation++;
  }

  private cacheGet(tenantId: string, version: number): Buffer | undefined {
    const k = `${tenantId}:${version}`;
    const e = this.cache.get(k);
    if (!e) return undefined;
    if (e.expires <= Date.now()) {
      e.dek.fill(0);
      this.cache.delete(k);
      return undefined;
    }
    // Map keeps insertion order: re-insert to make this the most recently used (unless it is
    // already: a page opens 50 values with one key, issue 20).
    if (k !== this.lastUsed) {
      this.cache.delete(k);
      this.cache.set(k, e);
      this.lastUsed = k;
    }
    return e.dek;
  }

  private cachePut(tenantId: string, version: number, dek: Buffer): void {
    const ttl = this.config.keyCacheTtlSeconds * 1000;
    if (ttl <= 0) return;
    while (this.cache.size >= this.config.keyCacheMax) {
      const [oldest, e] = this.cache.entries().next().value as [string, CacheEntry];
      e.dek.fill(0);
      this.cache.delete(oldest);
    }
    // A copy: callers may zero what they got; the cache zeroes its own on eviction.
    this.cache.set(`${tenantId}:${version}`, { dek: Buffer.from(dek), expires: Date.now() + ttl });
    this.lastUsed = `${tenantId}:${version}`;
  }

  private forgetTenant(tenantId: string): void {
    this.statusCache.delete(tenantId);
    this.generation++;
    for (const [k, e] of this.cache) {
      if (k.startsWith(`${tenantId}:`)) {
        e.dek.fill(0);
        this.cache.delete(k);
      }
    }
  }

  private async insertVersion(m: EntityManager | DataSource, tenantId: string, version: number): Promise<void> {
    const dek = randomBytes(32);
    try {
      const w = await this.provider.wrap(dek, wrapAad(tenantId, version));
      await m.query(`INSERT INTO tenant_keys (tenant_id, version, provider, kek_version, wrapped) VALUES ($1, $2, $3, $4, $5)`, [
        tenantId,
        version,
        this.provider.kind,
        w.kekVersion,
        w.wrapped,
      ]);
    } finally {
      dek.fill(0);
    }
  }

  /** Creates version 1 for a new tenant (inside the caller's transaction when given). */
  async createFor(tenantId: string, m: EntityManager | DataSource = this.ds): Promise<void> {
    await this.insertVersion(m, tenantId, 1);
    await m.query(`INSERT INTO tenant_key_status (tenant_id, current_version) VALUES ($1, 1)`, [tenantId]);
  }

  /** Creates keys for tenants that have none yet (tenants made before encryption existed). */
  async ensureAllTenants(): Promise<number> {
    const missing: Array<{ id: string }> = await this.ds.query(
      `SELECT t.id FROM tenants t WHERE NOT EXISTS (SELECT 1 FROM tenant_key_status s WHERE s.tenant_id = t.id)`,
    );
    let created = 0;
    for (const t of missing) {
      // Several instances may start at once: the first to insert the status row wins, the others roll back.
      await this.ds
        .transaction(async (m) => {
          const r: Array<{ tenant_id: string }> = await m.query(
            `INSERT INTO tenant_key_status (tenant_id, current_version) VALUES ($1, 1) ON CONFLICT (tenant_id) DO NOTHING RETURNING tenant_id`,
            [t.id],
          );
          if (r.length === 0) throw new AlreadyCreated();
          await this.insertVersion(m, t.id, 1);
          created++;
        })
        .catch((e: unknown) => {
          if (!(e instanceof AlreadyCreated)) throw e;
        });
    }
    return created;
  }

  private async readStatus(tenantId: string): Promise<{ current_version: number; destroyed_at: Date | null } | undefined> {
    const r: Array<{ current_version: number; destroyed_at: Date | null }> = await this.ds.query(
      `SELECT current_version, destroyed_at FROM tenant_key_status WHERE tenant_id = $1`,
      [tenantId],
    );
    return r[0];
  }

  /** Always from PostgreSQL (the reason a key row is missing). */
  private async status(tenantId: string): Promise<{ current_version: number; destroyed_at: Date | null }> {
    const s = await this.readStatus(tenantId);
    if (!s) throw CryptoErrors.tenantKeysMissing();
    if (s.destroyed_at) throw new TenantKeysDestroyedError();
    return s;
  }

  /** The current version, from the status cache while it is fresh. */
  private async currentVersion(tenantId: string): Promise<number> {
    const now = Date.now();
    const hit = this.statusCache.get(tenantId);
    if (hit && (hit.destroyed || hit.expires > now)) {
      if (hit.destroyed) throw new TenantKeysDestroyedError();
      return hit.currentVersion;
    }
    const generation = this.generation;
    // Callers that miss together (a poll's workers sealing for one tenant) share one read.
    let pending = this.statusReads.get(tenantId);
    if (!pending || pending.generation !== generation) {
      const read = this.readStatus(tenantId).finally(() => {
        if (this.statusReads.get(tenantId)?.read === read) this.statusReads.delete(tenantId);
      });
      pending = { generation, read };
      this.statusReads.set(tenantId, pending);
    }
    const s = await pending.read;
    if (!s) throw CryptoErrors.tenantKeysMissing();
    this.statusPut(tenantId, s.current_version, !!s.destroyed_at, generation);
    if (s.destroyed_at) throw new TenantKeysDestroyedError();
    return s.current_version;
  }

  private statusPut(tenantId: string, currentVersion: number, destroyed: boolean, generation: number): void {
    const ttl = this.config.keyStatusCacheTtlMs;
    if (generation !== this.generation || (ttl <= 0 && !destroyed)) return;
    this.statusCache.delete(tenantId);
    while (this.statusCache.size >= this.config.keyCacheMax) this.statusCache.delete(this.statusCache.keys().next().value as string);
    this.statusCache.set(tenantId, { currentVersion, destroyed, expires: Date.now() + ttl });
  }

  /** The DEK for new writes. */
  async current(tenantId: string): Promise<{ version: number; dek: Buffer }> {
    const version = await this.currentVersion(tenantId);
    return { version, dek: await this.get(tenantId, version) };
  }

  /** A DEK by version (to open what was sealed with it). */
  async get(tenantId: string, version: number): Promise<Buffer> {
    const cached = this.cacheGet(tenantId, version);
    if (cached) return cached;
    const r: Array<{ kek_version: number; wrapped: Buffer }> = await this.ds.query(
      `SELECT kek_version, wrapped FROM tenant_keys WHERE tenant_id = $1 AND version = $2`,
      [tenantId, version],
    );
    if (!r[0]) {
      await this.status(tenantId); // throws tenant_keys_destroyed when that is why
      throw CryptoErrors.tenantKeyMissing(version);
    }
    const dek = await this.provider.unwrap({ kekVersion: r[0].kek_version, wrapped: r[0].wrapped }, wrapAad(tenantId, version));
    this.cachePut(tenantId, version, dek);
    return dek;
  }

  /** Starts a new DEK version for new writes; older versions stay for reading until re-encrypted. */
  async rotateTenant(tenantId: string): Promise<number> {
    const next = await this.ds.transaction(async (m) => {
      const r: Array<{ current_version: number; destroyed_at: Date | null }> = await m.query(
        `SELECT current_version, destroyed_at FROM tenant_key_status WHERE tenant_id = $1 FOR UPDATE`,
        [tenantId],
      );
      if (!r[0]) throw CryptoErrors.tenantKeysNotFound();
      if (r[0].destroyed_at) throw new TenantKeysDestroyedError();
      const next = r[0].current_version + 1;
      await this.insertVersion(m, tenantId, next);
      await m.query(`UPDATE tenant_key_status SET current_version = $2, updated_at = now() WHERE tenant_id = $1`, [tenantId, next]);
      return next;
    });
    // Committed: new writes in this process use the new version from now on.
    this.generation++;
    this.statusPut(tenantId, next, false, this.generation);
    return next;
  }

  /**
   * New KEK version, then every wrapped DEK re-wrapped under it (data is not
   * touched). Resumable: rows already under the current KEK are skipped.
   */
  async rotateKek(): Promise<{ kekVersion: number; rewrapped: number }> {
    const kekVersion = await this.provider.rotateKek();
    const rewrapped = await this.rewrapAll();
    return { kekVersion, rewrapped };
  }

  /** Re-wraps every DEK not yet under the current KEK version. */
  async rewrapAll(): Promise<number> {
    const current = this.provider.currentKekVersion();
    let n = 0;
    for (;;) {
      const rows: Array<{ tenant_id: string; version: number; kek_version: number; wrapped: Buffer }> = await this.ds.query(
        `SELECT tenant_id, version, kek_version, wrapped FROM tenant_keys WHERE kek_version <> $1 OR provider <> $2 LIMIT 100`,
        [current, this.provider.kind],
      );
      if (rows.length === 0) return n;
      for (const r of rows) {
        const aad = wrapAad(r.tenant_id, r.version);
        const dek = await this.provider.unwrap({ kekVersion: r.kek_version, wrapped: r.wrapped }, aad);
        try {
          const w = await this.provider.wrap(dek, aad);
          await this.ds.query(
            `UPDATE tenant_keys SET kek_version = $3, wrapped = $4, provider = $5 WHERE tenant_id = $1 AND version = $2 AND kek_version = $6`,
            [r.tenant_id, r.version, w.kekVersion, w.wrapped, this.provider.kind, r.kek_version],
          );
          n++;
        } finally {
          dek.fill(0);
        }
      }
    }
  }

  /**
   * Crypto-shredding: every version of the tenant's DEK is deleted and the
   * tenant marked destroyed, so each later open fails with
   * tenant_keys_destroyed. Idempotent.
   */
  async destroyTenantKeys(tenantId: string): Promise<void> {
    await this.ds.transaction(async (m) => {
      await m.query(`DELETE FROM tenant_keys WHERE tenant_id = $1`, [tenantId]);
      await m.query(
        `INSERT INTO tenant_key_status (tenant_id, current_version, destroyed_at) VALUES ($1, 0, now())
         ON CONFLICT (tenant_id) DO UPDATE SET destroyed_at = COALESCE(tenant_key_status.destroyed_at, now()), updated_at = now()`,
        [tenantId],
      );
    });
    this.forgetTenant(tenantId);
    // Final: every later seal in this process refuses without asking PostgreSQL.
    this.statusPut(tenantId, 0, true, this.generation);
  }

  /** Rows per DEK version (rotation progress). */
  async versions(tenantId: string): Promise<Array<{ version: number; kekVersion: number }>> {
    const r: Array<{ version: number; kek_version: number }> = await this.ds.query(
      `SELECT version, kek_version FROM tenant_keys WHERE tenant_id = $1 ORDER BY version`,
      [tenantId],
    );
    return r.map((x) => ({ version: x.version, kekVersion: x.kek_version }));
  }
}
