import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { DataSource, QueryRunner } from 'typeorm';
import { AuditService } from '@charlotte/audit';
import { SealingService } from '@charlotte/crypto';
import { BLOB_STORE, BlobStore } from '@charlotte/storage';
import { recordOnBothChains } from '../audit-both';
import { BackupErrors } from '../errors';
import { BACKUP_STORES, BackupStores } from '../stores';
import { acquireTenantLock } from '../tenant-lock';
import { tenantById, TenantRef } from '../tenant-lookup';
import { archivedTables, discoverTenantTables, TenantTable } from '../tenant-tables';
import { ARCHIVE_IO_CHUNK_BYTES, ARCHIVE_PURPOSE, ArchiveHeader, readArchive } from './archive';
import { blobKeyTables, compare, currentSchemaVersion, GenerationsService, quoteIdent, safeReason } from './generations.service';
import { GenerationRow } from './manifest';

export type RestoreState = 'running' | 'complete' | 'failed';

export interface RestoreView {
  id: string;
  generationId: string;
  state: RestoreState;
  step: string | null;
  error: string | null;
  startedAt: string;
  finishedAt: string | null;
}

interface RestoreRow {
  id: string;
  tenant_id: string;
  generation_id: string;
  state: RestoreState;
  step: string | null;
  error: string | null;
  started_at: Date;
  finished_at: Date | null;
}

const toRestoreView = (r: RestoreRow): RestoreView => ({
  id: r.id,
  generationId: r.generation_id,
  state: r.state,
  step: r.step,
  error: r.error,
  startedAt: r.started_at.toISOString(),
  finishedAt: r.finished_at ? r.finished_at.toISOString() : null,
});

interface CascadedRows {
  child: string;
  temp: string;
  refs: Array<{ column: string; parent: string; parentColumn: string }>;
}

/** Tables whose rows are credentials: a row revoked in the live database stays revoked after a restore. */
const CREDENTIAL_TABLES = ['api_tokens', 'user_keys'];

/**
 * Restore of one tenant from a chosen generation (architecture.md P4):
 * verified end to end first; then the archive's blobs are put where missing,
 * and in ONE transaction the tenant's rows of every archived table are
 * replaced by the archived ones; blobs the restored rows no longer reference
 * are removed afterwards. Other tenants are untouched (every statement is
 * scoped by tenant_id). Tables that are never archived (audit trail, keys,
 * sessions…) stay as they are, except that the tenant's sessions are ended
 * and credentials revoked after the backup stay revoked: a restore never
 * resurrects a credential.
 */
@Injectable()
export class RestoreService implements OnApplicationBootstrap {
  private readonly logger = new Logger('Restore');

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    @Inject(BACKUP_STORES) private readonly stores: BackupStores,
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
    private readonly sealing: SealingService,
    private readonly generations: GenerationsService,
    private readonly audit: AuditService,
  ) {}

  /**
   * A restore or generation left `running` by a crash is marked failed at
   * boot. Only when its tenant's lock is free: the lock is a session lock, so
   * a free lock means its owner is gone (another instance may still be
   * running one, and then holds the lock).
   */
  async onApplicationBootstrap(): Promise<void> {
    await this.failInterrupted();
  }

  async failInterrupted(): Promise<number> {
    const running: Array<{ tenant_id: string }> = await this.ds.query(
      `SELECT DISTINCT tenant_id FROM backup_restores WHERE state = 'running'
       UNION SELECT DISTINCT tenant_id FROM backup_generations WHERE state = 'running'`,
    );
    let failed = 0;
    for (const { tenant_id } of running) {
      let release: (() => Promise<void>) | undefined;
      try {
        release = await acquireTenantLock(this.ds, tenant_id);
      } catch (e) {
        if ((e as { code?: string }).code === 'tenant_busy') continue; // held: someone is running it
        throw e;
      }
      try {
        const r = await this.ds.query(
          `UPDATE backup_restores SET state = 'failed', error = 'interrupted (the service stopped during the restore)', finished_at = now()
            WHERE tenant_id = $1 AND state = 'running'`,
          [tenant_id],
        );
        const g = await this.ds.query(
          `UPDATE backup_generations SET state = 'failed', error = 'interrupted (the service stopped during the backup)', completed_at = now()
            WHERE tenant_id = $1 AND state = 'running'`,
          [tenant_id],
        );
        failed += Number(r[1] ?? 0) + Number(g[1] ?? 0);
      } finally {
        await release();
      }
    }
    return failed;
  }

  async get(tenantId: string, id: string): Promise<RestoreView> {
    if (!/^[0-9a-f-]{36}$/.test(String(id))) throw BackupErrors.backupNotFound();
    const r: RestoreRow[] = await this.ds.query(`SELECT * FROM backup_restores WHERE tenant_id = $1 AND id = $2`, [tenantId, id]);
    if (!r[0]) throw BackupErrors.backupNotFound();
    return toRestoreView(r[0]);
  }

  /**
   * Checks what can be checked at once (tenant not deleted, generation of
   * this tenant, same schema version, lock free: 409 tenant_busy), records the
   * restore and runs it; `done` settles with its final state.
   */
  async start(tenantId: string, generationId: string): Promise<{ view: RestoreView; done: Promise<RestoreView> }> {
    const tenant = await tenantById(this.ds, tenantId);
    if (tenant.status === 'deleted') throw BackupErrors.tenantDeleted();
    const gen = await this.generations.row(tenantId, generationId);
    if (gen.state !== 'complete') throw BackupErrors.backupInvalid(`the generation is ${gen.state}`);
    const current = await currentSchemaVersion(this.ds);
    if (gen.schema_version !== current) throw BackupErrors.backupSchemaMismatch(String(gen.schema_version), current);
    const release = await acquireTenantLock(this.ds, tenantId);
    const id = randomUUID();
    let row: RestoreRow;
    try {
      const r: RestoreRow[] = await this.ds.query(
        `INSERT INTO backup_restores (id, tenant_id, generation_id, state, step) VALUES ($1, $2, $3, 'running', 'verifying') RETURNING *`,
        [id, tenantId, generationId],
      );
      row = r[0];
    } catch (e) {
      await release();
      throw e;
    }
    await recordOnBothChains(this.audit, tenantId, {
      category: 'operation',
      action: 'backup.restore_requested',
      outcome: 'success',
      target: { type: 'backup_restore', id },
      details: { tenantId, generationId },
    });
    const done = (async () => {
      try {
        await this.execute(tenant, gen, id);
      } catch (e) {
        const reason = safeReason(e);
        this.logger.warn({ message: 'restore failed', tenantId, restoreId: id, reason });
        await this.ds.query(`UPDATE backup_restores SET state = 'failed', error = $2, finished_at = now() WHERE id = $1`, [id, reason]);
        await recordOnBothChains(this.audit, tenantId, {
          category: 'operation',
          action: 'backup.restore_failed',
          outcome: 'failure',
          target: { type: 'backup_restore', id },
          details: { tenantId, generationId, reason },
        });
      } finally {
        await release();
      }
      return this.get(tenantId, id);
    })();
    return { view: toRestoreView(row), done };
  }

  /** A restore, awaited (CLI). Rejects with backup_invalid when it failed. */
  async run(tenantId: string, generationId: string): Promise<RestoreView> {
    const { done } = await this.start(tenantId, generationId);
    const v = await done;
    if (v.state !== 'complete') throw BackupErrors.backupInvalid(v.error ?? 'restore failed');
    return v;
  }

  private async step(id: string, step: string): Promise<void> {
    await this.ds.query(`UPDATE backup_restores SET step = $2 WHERE id = $1`, [id, step]);
  }

  private async execute(tenant: TenantRef, gen: GenerationRow, restoreId: string): Promise<void> {
    const tenantId = tenant.id;
    // 1. The whole archive verified against its signed manifest before anything is touched.
    const verified = await this.generations.verifyRow(gen);
    if (!verified.ok) throw BackupErrors.backupInvalid(verified.reason ?? 'unknown');
    const manifest = verified.manifest!;
    const current = await currentSchemaVersion(this.ds);
    if (manifest.schemaVersion !== current) throw BackupErrors.backupSchemaMismatch(manifest.schemaVersion, current);
    const tables = archivedTables(await discoverTenantTables(this.ds));
    const byName = new Map(tables.map((t) => [t.name, t]));

    // 2. One more pass: blobs put where missing, rows replaced in one transaction, committed only if the pass matched the manifest.
    await this.step(restoreId, 'restoring');
    const runner = this.ds.createQueryRunner();
    await runner.connect();
    const client = (runner as unknown as { databaseConnection: PoolClient }).databaseConnection;
    let began = false;
    let copy: { table: string; stream: Writable; done: Promise<unknown> } | undefined;
    const endCopy = async () => {
      if (!copy) return;
      const c = copy;
      copy = undefined;
      c.stream.end();
      await c.done;
    };
    let revoked: Record<string, Array<{ id: string; revoked_at: Date }>> = {};
    const begin = async (header: ArchiveHeader) => {
      const names = header.tables.map((t) => t.name).sort();
      const ours = tables.map((t) => t.name).sort();
      if (names.join(',') !== ours.join(',')) throw BackupErrors.backupSchemaMismatch(header.schemaVersion, current);
      await runner.query('BEGIN');
      began = true;
      revoked = await this.revokedCredentials(runner, tenantId, byName);
      kept = await this.keepCascaded(runner, tenantId, tables);
      for (const t of [...tables].reverse()) await runner.query(`DELETE FROM ${quoteIdent(t.name)} WHERE tenant_id = $1`, [tenantId]);
    };
    let header: ArchiveHeader | undefined;
    let kept: CascadedRows[] = [];
    try {
      const store = this.stores[gen.store];
      const read = await readArchive(
        await store.get(gen.archive_key, { readChunkBytes: ARCHIVE_IO_CHUNK_BYTES }),
        this.sealing.openStream(tenantId, ARCHIVE_PURPOSE, manifest.archiveId),
        {
          header: (h) => {
            header = h;
          },
          blob: async (key, size, body) => {
            if (!key.startsWith(`tenants/${tenantId}/`)) {
              // Only this tenant's blobs: an archive never writes into another tenant's space (all our keys are under it).
              for await (const _ of body) void _;
              return;
            }
            const st = await this.blobs.stat(key);
            if (st && st.size === size) {
              for await (const _ of body) void _; // keys are write-once: the same blob is there
              return;
            }
            if (st) throw new Error('a blob key exists with other content');
            await this.blobs.put(key, body);
          },
          rows: async (table, piece: Buffer) => {
            if (!began) await begin(header!);
            const t = byName.get(table);
            if (!t) throw BackupErrors.backupSchemaMismatch(header!.schemaVersion, current);
            if (copy?.table !== table) {
              await endCopy();
              const cols = header!.tables
                .find((x) => x.name === table)!
                .columns.map(quoteIdent)
                .join(', ');
              const stream = client.query(copyFrom(`COPY ${quoteIdent(table)} (${cols}) FROM STDIN`));
              copy = { table, stream, done: once(stream, 'finish') };
              copy.done.catch(() => undefined);
              stream.on('error', () => undefined);
            }
            const s = copy!.stream;
            if (!s.write(piece)) await Promise.race([once(s, 'drain'), copy!.done]);
          },
        },
      );
      await endCopy();
      if (!began && header) await begin(header);
      const same = compare(manifest, read);
      if (!same.ok) throw BackupErrors.backupInvalid(same.reason ?? 'the archive changed between verification and restore');
      await this.reapplyRevocations(runner, revoked);
      await this.restoreCascaded(runner, kept);
      // Sessions are not archived; every open one of the tenant ends (they may belong to a state that no longer exists).
      await runner.query(`UPDATE sessions SET revoked_at = now() WHERE tenant_id = $1 AND revoked_at IS NULL`, [tenantId]);
      await runner.query('COMMIT');
      began = false;
    } catch (e) {
      if (began) await runner.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      await runner.release();
    }

    // 3. Blobs of the tenant that the restored rows no longer reference.
    await this.step(restoreId, 'cleaning');
    const referenced = new Set<string>();
    for (const t of blobKeyTables(tables)) {
      const rows: Array<{ k: string }> = await this.ds.query(
        `SELECT blob_key AS k FROM ${quoteIdent(t.name)} WHERE tenant_id = $1 AND blob_key IS NOT NULL`,
        [tenantId],
      );
      for (const r of rows) referenced.add(r.k);
    }
    const stale: string[] = [];
    for await (const b of this.blobs.list(`tenants/${tenantId}/`)) if (!referenced.has(b.key)) stale.push(b.key);
    for (const k of stale) await this.blobs.delete(k);

    await this.ds.query(`UPDATE backup_restores SET state = 'complete', step = 'done', finished_at = now() WHERE id = $1`, [restoreId]);
    await recordOnBothChains(this.audit, tenantId, {
      category: 'operation',
      action: 'backup.restored',
      outcome: 'success',
      target: { type: 'backup_restore', id: restoreId },
      details: { tenantId, generationId: gen.id, createdAt: gen.created_at.toISOString() },
    });
  }

  /**
   * Tables that are never archived but whose rows hang off archived ones with
   * ON DELETE CASCADE (login-failure counters on users): replacing the
   * archived rows would silently delete them, and a restore must leave those
   * tables as they are (a restore must not reset a lockout either). Their rows
   * are kept aside in the transaction and put back afterwards, where the rows
   * they point at still exist. Sessions are the exception: they end anyway.
   */
  private async keepCascaded(runner: QueryRunner, tenantId: string, tables: TenantTable[]): Promise<CascadedRows[]> {
    const archived = tables.map((t) => t.name);
    const fks: Array<{ child: string; column: string; parent: string; parent_column: string }> = await runner.query(
      `SELECT c.conrelid::regclass::text AS child, a.attname AS column, c.confrelid::regclass::text AS parent, pa.attname AS parent_column
         FROM pg_constraint c
         JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
         JOIN pg_attribute pa ON pa.attrelid = c.confrelid AND pa.attnum = c.confkey[1]
        WHERE c.contype = 'f' AND c.confdeltype = 'c' AND array_length(c.conkey, 1) = 1 AND c.connamespace = 'public'::regnamespace
          AND c.confrelid::regclass::text = ANY($1) AND NOT (c.conrelid::regclass::text = ANY($1))`,
      [archived],
    );
    const byChild = new Map<string, Array<{ column: string; parent: string; parentColumn: string }>>();
    for (const f of fks) {
      if (f.child === 'sessions') continue;
      const list = byChild.get(f.child) ?? [];
      list.push({ column: f.column, parent: f.parent, parentColumn: f.parent_column });
      byChild.set(f.child, list);
    }
    const out: CascadedRows[] = [];
    let i = 0;
    for (const [child, refs] of byChild) {
      const hasTenant: unknown[] = await runner.query(
        `SELECT 1 FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 AND column_name = 'tenant_id'`,
        [child],
      );
      if (!hasTenant.length) continue;
      const temp = `restore_keep_${i++}`;
      // Only the rows the cascade will take (one of their references is set); the others stay where they are.
      const taken = refs.map((r) => `${quoteIdent(r.column)} IS NOT NULL`).join(' OR ');
      await runner.query(
        `CREATE TEMP TABLE ${temp} ON COMMIT DROP AS SELECT * FROM ${quoteIdent(child)} WHERE tenant_id = $1 AND (${taken})`,
        [tenantId],
      );
      out.push({ child, temp, refs });
    }
    return out;
  }

  private async restoreCascaded(runner: QueryRunner, kept: CascadedRows[]): Promise<void> {
    for (const k of kept) {
      const cond = k.refs
        .map(
          (r) =>
            `(k.${quoteIdent(r.column)} IS NULL OR EXISTS (SELECT 1 FROM ${quoteIdent(r.parent)} p WHERE p.${quoteIdent(r.parentColumn)} = k.${quoteIdent(r.column)}))`,
        )
        .join(' AND ');
      await runner.query(`INSERT INTO ${quoteIdent(k.child)} SELECT k.* FROM ${k.temp} k WHERE ${cond}`);
    }
  }

  private async revokedCredentials(
    runner: QueryRunner,
    tenantId: string,
    tables: Map<string, TenantTable>,
  ): Promise<Record<string, Array<{ id: string; revoked_at: Date }>>> {
    const out: Record<string, Array<{ id: string; revoked_at: Date }>> = {};
    for (const name of CREDENTIAL_TABLES) {
      const t = tables.get(name);
      if (!t || !t.columns.includes('revoked_at') || !t.columns.includes('id')) continue;
      out[name] = await runner.query(`SELECT id, revoked_at FROM ${quoteIdent(name)} WHERE tenant_id = $1 AND revoked_at IS NOT NULL`, [
        tenantId,
      ]);
    }
    return out;
  }

  private async reapplyRevocations(runner: QueryRunner, revoked: Record<string, Array<{ id: string; revoked_at: Date }>>): Promise<void> {
    for (const [name, rows] of Object.entries(revoked)) {
      for (const r of rows)
        await runner.query(`UPDATE ${quoteIdent(name)} SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL`, [r.id, r.revoked_at]);
    }
  }
}
