import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import { pipeline, Readable } from 'node:stream';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { PoolClient } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { DataSource, QueryRunner } from 'typeorm';
import { AuditService } from '@charlotte/audit';
import { APP_CONFIG, AppConfig, DomainError } from '@charlotte/core';
import {
  SealedFormatError,
  SealedIntegrityError,
  SealedTruncatedError,
  SealingService,
  SigningKeyService,
  TenantKeysDestroyedError,
} from '@charlotte/crypto';
import { BLOB_STORE, BlobStore } from '@charlotte/storage';
import { BackupErrors } from '../errors';
import { archiveKeyOf, BACKUP_STORES, BackupStoreName, BackupStores, manifestKeyOf } from '../stores';
import { acquireTenantLock } from '../tenant-lock';
import { tenantById, TenantRef } from '../tenant-lookup';
import { archivedTables, discoverTenantTables, TenantTable } from '../tenant-tables';
import {
  ARCHIVE_IO_CHUNK_BYTES,
  ARCHIVE_PURPOSE,
  ArchiveFormatError,
  ArchiveHeader,
  ArchiveRead,
  ArchiveWriter,
  DigestTap,
  readArchive,
} from './archive';
import {
  BackupManifest,
  GenerationKind,
  GenerationRow,
  GenerationView,
  manifestMessage,
  parseManifest,
  signManifest,
  toView,
} from './manifest';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const IDENT = /^[a-z_][a-z0-9_]*$/;

/** A double-quoted SQL identifier; names come from the schema, the check is defence in depth. */
export function quoteIdent(name: string): string {
  if (!IDENT.test(name)) throw new Error(`not a plain SQL identifier: ${name}`);
  return `"${name}"`;
}

/** The name of the latest applied migration: the schema version an archive was written with. */
export async function currentSchemaVersion(db: DataSource | QueryRunner): Promise<string> {
  const r: Array<{ name: string }> = await db.query(`SELECT name FROM schema_migrations ORDER BY timestamp DESC, id DESC LIMIT 1`);
  return r[0]?.name ?? 'none';
}

/** Columns named `blob_key` in archived tables: the blobs the rows reference (schema-driven, like the tables). */
export function blobKeyTables(tables: TenantTable[]): TenantTable[] {
  return tables.filter((t) => t.columns.includes('blob_key'));
}

/** A failure reason safe for the row and the audit log: codes and our own messages only, never values. */
export function safeReason(e: unknown): string {
  if (e instanceof DomainError) return e.code;
  if (e instanceof SealedTruncatedError) return 'the archive is truncated';
  if (e instanceof SealedIntegrityError) return 'decryption failed: the archive was altered or belongs to another tenant or generation';
  if (e instanceof SealedFormatError) return 'not a sealed archive';
  if (e instanceof TenantKeysDestroyedError) return 'the tenant keys were destroyed';
  if (e instanceof ArchiveFormatError) return e.message;
  const code = (e as { code?: unknown })?.code;
  if (typeof code === 'string' && code.startsWith('Z_')) return 'the archive is not valid compressed data';
  if (e instanceof Error) return `${e.name}${typeof code === 'string' ? ` (${code})` : ''}`;
  return 'unknown error';
}

export interface VerifyOutcome {
  ok: boolean;
  reason?: string;
  manifest?: BackupManifest;
  read?: ArchiveRead;
}

/**
 * Generations: one tenant at one instant, sealed into one archive in a backup
 * store with its signed manifest beside it (architecture.md P4). Also
 * verification (by id or of a file), retention and the weekly remote copy.
 */
@Injectable()
export class GenerationsService {
  private readonly logger = new Logger('Backups');

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(BACKUP_STORES) private readonly stores: BackupStores,
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
    private readonly sealing: SealingService,
    private readonly signing: SigningKeyService,
    private readonly audit: AuditService,
  ) {}

  // ---------------------------------------------------------------- listing

  async list(tenantId: string): Promise<GenerationView[]> {
    const t = await tenantById(this.ds, tenantId);
    const rows: GenerationRow[] = await this.ds.query(
      `SELECT * FROM backup_generations WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC`,
      [tenantId],
    );
    return rows.map((r) => toView(r, t.code));
  }

  /** A generation of this tenant; 404 for an unknown id or another tenant's. */
  async row(tenantId: string, id: string): Promise<GenerationRow> {
    if (!UUID.test(String(id))) throw BackupErrors.backupNotFound();
    const r: GenerationRow[] = await this.ds.query(`SELECT * FROM backup_generations WHERE tenant_id = $1 AND id = $2`, [tenantId, id]);
    if (!r[0]) throw BackupErrors.backupNotFound();
    return r[0];
  }

  async rowById(id: string): Promise<GenerationRow> {
    if (!UUID.test(String(id))) throw BackupErrors.backupNotFound();
    const r: GenerationRow[] = await this.ds.query(`SELECT * FROM backup_generations WHERE id = $1`, [id]);
    if (!r[0]) throw BackupErrors.backupNotFound();
    return r[0];
  }

  async view(tenantId: string, id: string): Promise<GenerationView> {
    const t = await tenantById(this.ds, tenantId);
    return toView(await this.row(tenantId, id), t.code);
  }

  storeOf(name: BackupStoreName): BlobStore {
    return this.stores[name];
  }

  // ---------------------------------------------------------------- writing

  /**
   * Starts a generation: takes the tenant lock now (409 tenant_busy while a
   * restore or deletion runs), records the row as running and returns its id;
   * `done` settles when it is complete (or failed, then rejects).
   */
  async start(tenantId: string, kind: GenerationKind = 'daily'): Promise<{ id: string; done: Promise<GenerationView> }> {
    const tenant = await tenantById(this.ds, tenantId);
    if (tenant.status === 'deleted') throw BackupErrors.tenantDeleted();
    const release = await acquireTenantLock(this.ds, tenantId);
    const id = randomUUID();
    try {
      await this.ds.query(
        `INSERT INTO backup_generations (id, tenant_id, kind, store, state, archive_key, manifest_key) VALUES ($1, $2, 'daily', 'primary', 'running', $3, $4)`,
        [id, tenantId, archiveKeyOf(tenantId, id), manifestKeyOf(tenantId, id)],
      );
    } catch (e) {
      await release();
      throw e;
    }
    const done = (async () => {
      try {
        const daily = await this.write(tenant, id);
        return kind === 'weekly' ? await this.copyToRemote(tenantId, daily.id) : daily;
      } finally {
        await release();
      }
    })();
    return { id, done };
  }

  /** A generation now, awaited (CLI, jobs). */
  async run(tenantId: string, kind: GenerationKind = 'daily'): Promise<GenerationView> {
    const { done } = await this.start(tenantId, kind);
    return done;
  }

  private async write(tenant: TenantRef, id: string): Promise<GenerationView> {
    const tenantId = tenant.id;
    if (!UUID.test(tenantId)) throw new Error('tenant id is not a uuid');
    const store = this.stores.primary;
    const archiveKey = archiveKeyOf(tenantId, id);
    try {
      const schemaVersion = await currentSchemaVersion(this.ds);
      const runner = this.ds.createQueryRunner();
      await runner.connect();
      let result: { header: ArchiveHeader; counts: Record<string, number>; blobBytes: number; size: number; sha256: string; head: Buffer };
      try {
        // One instant: every table read in the same snapshot, read only.
        await runner.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
        try {
          result = await this.writeArchive(runner, tenantId, id, schemaVersion, archiveKey, store);
        } finally {
          // Read only: nothing to commit. A failure here must not hide the error of the backup itself.
          await runner.query('ROLLBACK').catch((e: unknown) => this.warn('rollback after a backup failed', tenantId, e));
        }
      } finally {
        await runner.release();
      }
      const createdRow: Array<{ created_at: Date }> = await this.ds.query(`SELECT created_at FROM backup_generations WHERE id = $1`, [id]);
      const manifest = await signManifest(this.signing, {
        type: 'charlotte-backup-manifest',
        version: 1,
        generationId: id,
        archiveId: id,
        tenant: { id: tenantId, code: tenant.code },
        kind: 'daily',
        createdAt: createdRow[0].created_at.toISOString(),
        schemaVersion,
        keyVersion: this.sealing.keyVersionOf(result.head),
        counts: result.counts,
        blobBytes: result.blobBytes,
        size: result.size,
        sha256: result.sha256,
      });
      try {
        await store.put(manifestKeyOf(tenantId, id), Readable.from([Buffer.from(JSON.stringify(manifest, null, 2) + '\n', 'utf8')]));
      } catch (e) {
        await store.delete(archiveKey);
        throw e;
      }
      await this.ds.query(
        `UPDATE backup_generations SET state = 'complete', completed_at = now(), size = $2, sha256 = $3, key_version = $4,
                schema_version = $5, counts = $6, progress_bytes = $2 WHERE id = $1`,
        [id, manifest.size, manifest.sha256, manifest.keyVersion, schemaVersion, JSON.stringify(manifest.counts)],
      );
      return toView(await this.rowById(id), tenant.code);
    } catch (e) {
      await this.ds.query(`UPDATE backup_generations SET state = 'failed', error = $2, completed_at = now() WHERE id = $1`, [
        id,
        safeReason(e),
      ]);
      throw e;
    }
  }

  private async writeArchive(
    runner: QueryRunner,
    tenantId: string,
    id: string,
    schemaVersion: string,
    archiveKey: string,
    store: BlobStore,
  ): Promise<{ header: ArchiveHeader; counts: Record<string, number>; blobBytes: number; size: number; sha256: string; head: Buffer }> {
    const client = (runner as unknown as { databaseConnection: PoolClient }).databaseConnection;
    const tables = archivedTables(await discoverTenantTables(runner.manager));
    const header: ArchiveHeader = {
      type: 'charlotte-backup-archive',
      version: 1,
      generationId: id,
      tenantId,
      schemaVersion,
      tables: tables.map((t) => ({ name: t.name, columns: t.columns })),
    };
    // The blobs: everything stored under the tenant's prefix, and every key its rows reference (in this snapshot).
    const blobSizes = new Map<string, number>();
    for await (const b of this.blobs.list(`tenants/${tenantId}/`)) blobSizes.set(b.key, b.size);
    for (const t of blobKeyTables(tables)) {
      const keys: Array<{ k: string }> = await runner.query(
        `SELECT DISTINCT blob_key AS k FROM ${quoteIdent(t.name)} WHERE tenant_id = $1 AND blob_key IS NOT NULL`,
        [tenantId],
      );
      for (const { k } of keys) {
        if (blobSizes.has(k)) continue;
        const st = await this.blobs.stat(k);
        if (!st) throw new Error(`a blob referenced by ${t.name} is missing from the blob store`);
        blobSizes.set(k, st.size);
      }
    }

    const writer = new ArchiveWriter();
    const sealer = await this.sealing.sealStream(tenantId, ARCHIVE_PURPOSE, id);
    let lastProgress = 0;
    const tap = new DigestTap((bytes) => {
      if (bytes - lastProgress < 8 * 1024 * 1024) return;
      lastProgress = bytes;
      void this.ds.query(`UPDATE backup_generations SET progress_bytes = $2 WHERE id = $1`, [id, bytes]).catch(() => undefined);
    });
    pipeline(writer.output(), sealer, tap, () => undefined);
    const stored = store.put(archiveKey, tap);
    stored.catch(() => undefined);

    const counts: Record<string, number> = {};
    let blobBytes = 0;
    const produce = (async () => {
      await writer.entry('header.json', Buffer.from(JSON.stringify(header), 'utf8'));
      for (const key of [...blobSizes.keys()].sort()) {
        const size = blobSizes.get(key)!;
        await writer.blob(`blobs/${key}`, size, await this.blobs.get(key));
        blobBytes += size;
      }
      for (const t of tables) {
        const cols = t.columns.map(quoteIdent).join(', ');
        // The tenant id is a validated uuid literal: COPY takes no bind parameters.
        const copy = client.query(copyTo(`COPY (SELECT ${cols} FROM ${quoteIdent(t.name)} WHERE tenant_id = '${tenantId}') TO STDOUT`));
        counts[t.name] = await writer.copyRows(t.name, copy as AsyncIterable<Buffer>);
      }
      counts.blobs = blobSizes.size;
      await writer.entry('end.json', Buffer.from(JSON.stringify({ counts, blobBytes }), 'utf8'));
      writer.finalize();
    })();
    try {
      await produce;
    } catch (e) {
      writer.destroy(e as Error);
      await stored.catch(() => undefined);
      await store.delete(archiveKey).catch(() => undefined);
      throw e;
    }
    const info = await stored;
    return { header, counts, blobBytes, size: info.size, sha256: tap.digest(), head: tap.head };
  }

  // ---------------------------------------------------------------- verification

  private checkSignature(m: BackupManifest): string | undefined {
    if (m.keyId !== this.signing.keyId) return 'the manifest is signed by another key';
    if (!this.signing.verify(manifestMessage(m), m.signature)) return 'the manifest signature does not verify';
    return undefined;
  }

  /** Signature, size, sha256, full decryption, tar parse, counts: the whole archive against its manifest. */
  async verifyStream(manifestText: string, size: number | undefined, open: () => Promise<NodeJS.ReadableStream>): Promise<VerifyOutcome> {
    const parsed = parseManifest(manifestText);
    if (!parsed.manifest) return { ok: false, reason: parsed.reason };
    const m = parsed.manifest;
    const bad = this.checkSignature(m);
    if (bad) return { ok: false, reason: bad, manifest: m };
    if (size !== undefined && size !== m.size)
      return { ok: false, reason: `the archive is ${size} bytes, the manifest says ${m.size}`, manifest: m };
    let read: ArchiveRead;
    try {
      read = await readArchive(await open(), this.sealing.openStream(m.tenant.id, ARCHIVE_PURPOSE, m.archiveId));
    } catch (e) {
      return { ok: false, reason: safeReason(e), manifest: m };
    }
    return { ...compare(m, read), manifest: m, read };
  }

  /** Verifies a generation by id and records the outcome (verified_at / verify_error). */
  async verify(tenantId: string, id: string): Promise<VerifyOutcome & { generation: GenerationView }> {
    const row = await this.row(tenantId, id);
    const out = await this.verifyRow(row);
    const t = await tenantById(this.ds, tenantId);
    return { ...out, generation: toView(await this.rowById(id), t.code) };
  }

  async verifyRow(row: GenerationRow): Promise<VerifyOutcome> {
    const store = this.stores[row.store];
    let out: VerifyOutcome;
    if (row.state !== 'complete') out = { ok: false, reason: `the generation is ${row.state}` };
    else {
      const manifestText = await readText(store, row.manifest_key);
      const st = await store.stat(row.archive_key);
      if (manifestText === undefined) out = { ok: false, reason: 'the manifest is missing' };
      else if (!st) out = { ok: false, reason: 'the archive is missing' };
      else {
        out = await this.verifyStream(manifestText, st.size, () => store.get(row.archive_key, { readChunkBytes: ARCHIVE_IO_CHUNK_BYTES }));
        if (out.ok && (out.manifest!.generationId !== row.id || out.manifest!.tenant.id !== row.tenant_id))
          out = { ok: false, reason: 'the manifest belongs to another generation' };
      }
    }
    if (out.ok) await this.ds.query(`UPDATE backup_generations SET verified_at = now(), verify_error = NULL WHERE id = $1`, [row.id]);
    else await this.ds.query(`UPDATE backup_generations SET verify_error = $2 WHERE id = $1`, [row.id, out.reason ?? 'unknown']);
    return out;
  }

  /** `backup:verify --file ARCHIVE`: the archive file and `<ARCHIVE>.manifest.json` beside it. */
  async verifyFile(archivePath: string): Promise<VerifyOutcome> {
    let manifestText: string;
    let size: number;
    try {
      manifestText = await fs.promises.readFile(`${archivePath}.manifest.json`, 'utf8');
    } catch {
      return { ok: false, reason: 'no manifest beside the archive (<archive>.manifest.json)' };
    }
    try {
      size = (await fs.promises.stat(archivePath)).size;
    } catch {
      return { ok: false, reason: 'the archive file cannot be opened' };
    }
    return this.verifyStream(manifestText, size, () => Promise.resolve(fs.createReadStream(archivePath)));
  }

  // ---------------------------------------------------------------- retention, weekly copy

  /** Deletes a generation: archive, manifest, then the row. */
  async remove(row: GenerationRow): Promise<void> {
    const store = this.stores[row.store];
    await store.delete(row.archive_key);
    await store.delete(row.manifest_key);
    await this.ds.query(`DELETE FROM backup_generations WHERE id = $1`, [row.id]);
  }

  /** Keeps the newest `dailyKeep` complete daily generations of the tenant; returns how many were removed. */
  async applyDailyRetention(tenantId: string): Promise<number> {
    const old: GenerationRow[] = await this.ds.query(
      `SELECT * FROM backup_generations WHERE tenant_id = $1 AND kind = 'daily' AND state = 'complete'
        ORDER BY created_at DESC, id DESC OFFSET $2`,
      [tenantId, this.config.backup.dailyKeep],
    );
    for (const r of old) await this.remove(r);
    return old.length;
  }

  /** Removes weekly generations older than `weeklyKeepDays` (all tenants); returns how many. */
  async applyWeeklyRetention(now: Date): Promise<number> {
    const cutoff = new Date(now.getTime() - this.config.backup.weeklyKeepDays * 86_400_000);
    const old: GenerationRow[] = await this.ds.query(`SELECT * FROM backup_generations WHERE kind = 'weekly' AND created_at < $1`, [
      cutoff,
    ]);
    for (const r of old) await this.remove(r);
    return old.length;
  }

  /**
   * The weekly copy: the bytes of a complete daily generation copied into the
   * remote store (checked against the source's sha256 on the way), with a
   * manifest of its own (kind weekly, same archiveId, counts and hash).
   */
  async copyToRemote(tenantId: string, sourceId: string): Promise<GenerationView> {
    const src = await this.row(tenantId, sourceId);
    if (src.state !== 'complete' || src.store !== 'primary') throw BackupErrors.backupNotFound();
    const t = await tenantById(this.ds, tenantId);
    const srcManifestText = await readText(this.stores.primary, src.manifest_key);
    const parsed = parseManifest(srcManifestText ?? '');
    if (!parsed.manifest) throw BackupErrors.backupInvalid(parsed.reason ?? 'manifest');
    const bad = this.checkSignature(parsed.manifest);
    if (bad) throw BackupErrors.backupInvalid(bad);
    const id = randomUUID();
    const archiveKey = archiveKeyOf(tenantId, id);
    await this.ds.query(
      `INSERT INTO backup_generations (id, tenant_id, kind, store, state, archive_key, manifest_key, source_id)
       VALUES ($1, $2, 'weekly', 'remote', 'running', $3, $4, $5)`,
      [id, tenantId, archiveKey, manifestKeyOf(tenantId, id), sourceId],
    );
    try {
      const tap = new DigestTap();
      const body = await this.stores.primary.get(src.archive_key, { readChunkBytes: ARCHIVE_IO_CHUNK_BYTES });
      pipeline(body, tap, () => undefined);
      await this.stores.remote.put(archiveKey, tap);
      if (tap.digest() !== parsed.manifest.sha256 || tap.bytes !== parsed.manifest.size) {
        await this.stores.remote.delete(archiveKey);
        throw BackupErrors.backupInvalid('the copy differs from its source');
      }
      const created: Array<{ created_at: Date }> = await this.ds.query(`SELECT created_at FROM backup_generations WHERE id = $1`, [id]);
      const { signature: _s, keyId: _k, ...rest } = parsed.manifest;
      const manifest = await signManifest(this.signing, {
        ...rest,
        generationId: id,
        kind: 'weekly',
        createdAt: created[0].created_at.toISOString(),
      });
      await this.stores.remote.put(
        manifestKeyOf(tenantId, id),
        Readable.from([Buffer.from(JSON.stringify(manifest, null, 2) + '\n', 'utf8')]),
      );
      await this.ds.query(
        `UPDATE backup_generations SET state = 'complete', completed_at = now(), size = $2, sha256 = $3, key_version = $4,
                schema_version = $5, counts = $6, progress_bytes = $2 WHERE id = $1`,
        [id, manifest.size, manifest.sha256, manifest.keyVersion, manifest.schemaVersion, JSON.stringify(manifest.counts)],
      );
      return toView(await this.rowById(id), t.code);
    } catch (e) {
      await this.ds.query(`UPDATE backup_generations SET state = 'failed', error = $2, completed_at = now() WHERE id = $1`, [
        id,
        safeReason(e),
      ]);
      throw e;
    }
  }

  /** Logs without tenant content. */
  warn(message: string, tenantId: string, e: unknown): void {
    this.logger.warn({ message, tenantId, reason: safeReason(e) });
  }

  auditService(): AuditService {
    return this.audit;
  }
}

/** Manifest against what was read: size, sha256, counts per table, blobs and bytes, and the archive's own end record. */
export function compare(m: BackupManifest, read: ArchiveRead): { ok: boolean; reason?: string } {
  if (read.size !== m.size) return { ok: false, reason: `the archive is ${read.size} bytes, the manifest says ${m.size}` };
  if (read.sha256 !== m.sha256) return { ok: false, reason: 'the sha256 of the archive differs from the manifest' };
  if (read.header.generationId !== m.archiveId || read.header.tenantId !== m.tenant.id)
    return { ok: false, reason: 'the archive belongs to another generation' };
  const names = new Set([...Object.keys(m.counts), ...Object.keys(read.counts)]);
  for (const n of names) {
    if ((m.counts[n] ?? 0) !== (read.counts[n] ?? 0) || (read.end.counts[n] ?? 0) !== (read.counts[n] ?? 0))
      return { ok: false, reason: `the count of ${n} differs from the manifest` };
  }
  if (read.blobBytes !== m.blobBytes || read.end.blobBytes !== m.blobBytes)
    return { ok: false, reason: 'the blob bytes differ from the manifest' };
  if (read.header.schemaVersion !== m.schemaVersion) return { ok: false, reason: 'the schema version differs from the manifest' };
  return { ok: true };
}

async function readText(store: BlobStore, key: string): Promise<string | undefined> {
  if (!(await store.stat(key))) return undefined;
  const parts: Buffer[] = [];
  for await (const c of (await store.get(key)) as AsyncIterable<Buffer>) parts.push(c);
  return Buffer.concat(parts).toString('utf8');
}
