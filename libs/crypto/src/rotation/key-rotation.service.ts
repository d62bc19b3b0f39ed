import { Readable } from 'node:stream';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { createOpenStream, createSealStream, openValueAsync, peekKeyVersion, SEALED_STREAM_HEADER_BYTES, sealValue } from '../envelope';
import { TenantKeysService } from '../tenant-keys/tenant-keys.service';

/**
 * A column that holds values sealed with SealingService.seal(tenantId,
 * purpose, id, …). Modules register theirs (users.display_name_sealed now;
 * applications and blobs later) so that a tenant key rotation re-encrypts them.
 */
export interface SealedColumn {
  table: string;
  column: string;
  purpose: string;
  /** Defaults: id, tenant_id. */
  idColumn?: string;
  tenantColumn?: string;
}

/**
 * Files sealed with SealingService.sealStream(tenantId, purpose, id) whose
 * storage keys a table holds (attachments, official documents). The module
 * that owns them registers its store; a rotation writes each file again under
 * the new key version at a new storage key, points the row at it, and removes
 * the old file.
 */
export interface SealedBlobs {
  table: string;
  /** The column with the storage key. */
  keyColumn: string;
  purpose: string;
  store: {
    get(key: string): Promise<NodeJS.ReadableStream>;
    put(key: string, body: Readable): Promise<unknown>;
    delete(key: string): Promise<void>;
  };
}

export interface RotationJob {
  id: string;
  tenantId: string;
  targetVersion: number;
  state: 'running' | 'done';
  processed: number;
  reencrypted: number;
}

const IDENT = /^[a-z_][a-z0-9_]{0,62}$/;
const BATCH = 100;
/** Files are re-encrypted fewer at a time: each is read and written whole. */
const BLOB_BATCH = 20;

/** The key version in a sealed stream's header (bytes 4..7), read from the first bytes of the file. */
async function peekStreamKeyVersion(stream: NodeJS.ReadableStream): Promise<number> {
  const chunks: Buffer[] = [];
  let have = 0;
  try {
    for await (const c of stream as AsyncIterable<Buffer>) {
      chunks.push(c);
      have += c.length;
      if (have >= SEALED_STREAM_HEADER_BYTES) break;
    }
  } finally {
    (stream as Readable).destroy?.();
  }
  const head = Buffer.concat(chunks);
  if (head.length < 8 || head.subarray(0, 3).toString('latin1') !== 'CHS') throw new Error('not a sealed stream');
  return head.readUInt32BE(4);
}

/** `tenants/t/attachments/id` → `tenants/t/attachments/id.v3` (a sibling, never a "directory" of the old key). */
const versionedKey = (key: string, version: number) => `${key.replace(/\.v\d+$/, '')}.v${version}`;

/**
 * Tenant key rotation: a new data-key version for new writes, then a
 * resumable job that re-encrypts older values in batches. Progress (a cursor
 * per column) is committed after every batch, so an interrupted job continues
 * where it stopped, on any instance; a value already under the target version
 * is skipped, and each UPDATE only replaces the exact bytes it read.
 */
@Injectable()
export class KeyRotationService {
  private readonly columns: SealedColumn[] = [];
  private readonly blobs: SealedBlobs[] = [];

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly keys: TenantKeysService,
  ) {}

  register(c: SealedColumn): void {
    for (const ident of [c.table, c.column, c.idColumn ?? 'id', c.tenantColumn ?? 'tenant_id'])
      if (!IDENT.test(ident)) throw new Error(`not an SQL identifier: ${ident}`);
    if (!this.columns.some((x) => x.table === c.table && x.column === c.column)) this.columns.push(c);
  }

  registerBlobs(b: SealedBlobs): void {
    for (const ident of [b.table, b.keyColumn]) if (!IDENT.test(ident)) throw new Error(`not an SQL identifier: ${ident}`);
    if (!this.blobs.some((x) => x.table === b.table && x.keyColumn === b.keyColumn)) this.blobs.push(b);
  }

  registered(): readonly SealedColumn[] {
    return this.columns;
  }

  private view(r: {
    id: string;
    tenant_id: string;
    target_version: number;
    state: 'running' | 'done';
    processed: number;
    reencrypted: number;
  }): RotationJob {
    return {
      id: r.id,
      tenantId: r.tenant_id,
      targetVersion: r.target_version,
      state: r.state,
      processed: r.processed,
      reencrypted: r.reencrypted,
    };
  }

  /** New DEK version, and a job to re-encrypt the tenant's older values (not run here). */
  async start(tenantId: string): Promise<RotationJob> {
    const version = await this.keys.rotateTenant(tenantId);
    const r = await this.ds.query(
      `INSERT INTO key_rotation_jobs (tenant_id, target_version) VALUES ($1, $2)
       RETURNING id, tenant_id, target_version, state, processed, reencrypted`,
      [tenantId, version],
    );
    return this.view(r[0]);
  }

  async unfinished(tenantId?: string): Promise<RotationJob[]> {
    const r = await this.ds.query(
      `SELECT id, tenant_id, target_version, state, processed, reencrypted FROM key_rotation_jobs
        WHERE state = 'running' AND ($1::uuid IS NULL OR tenant_id = $1) ORDER BY started_at`,
      [tenantId ?? null],
    );
    return r.map((x: Parameters<KeyRotationService['view']>[0]) => this.view(x));
  }

  /**
   * Runs (or resumes) a job. `maxBatches` stops early after that many
   * non-empty batches (tests interrupt with it; a crash does the same): the
   * job stays `running` and continues later.
   */
  async run(jobId: string, opts: { maxBatches?: number; onProgress?: (j: RotationJob) => void } = {}): Promise<RotationJob> {
    let batches = 0;
    for (;;) {
      const rows = await this.ds.query(
        `SELECT id, tenant_id, target_version, state, processed, reencrypted, cursor FROM key_rotation_jobs WHERE id = $1`,
        [jobId],
      );
      const job = rows[0];
      if (!job) throw new Error(`rotation job ${jobId} not found`);
      if (job.state === 'done') return this.view(job);
      const cursor: Record<string, string> = job.cursor ?? {};
      const col = this.columns.find((c) => cursor[`${c.table}.${c.column}`] !== '\uffff');
      const files = col ? undefined : this.blobs.find((b) => cursor[`${b.table}.${b.keyColumn}#file`] !== '\uffff');
      if (!col && !files) {
        const done = await this.ds.query(
          `UPDATE key_rotation_jobs SET state = 'done', finished_at = now(), updated_at = now() WHERE id = $1
           RETURNING id, tenant_id, target_version, state, processed, reencrypted`,
          [jobId],
        );
        return this.view(done[0][0]); // UPDATE … RETURNING answers [rows, count]
      }
      if (opts.maxBatches !== undefined && batches >= opts.maxBatches) return this.view(job);
      if (!col) {
        const done = await this.runBlobBatch(jobId, job, cursor, files as SealedBlobs);
        if (done.count > 0) batches++;
        opts.onProgress?.(done.view);
        continue;
      }
      const key = `${col.table}.${col.column}`;
      const idc = col.idColumn ?? 'id';
      const tc = col.tenantColumn ?? 'tenant_id';
      const after = cursor[key] ?? '';
      const batch: Array<{ id: string; v: Buffer }> = await this.ds.query(
        `SELECT ${idc}::text AS id, ${col.column} AS v FROM ${col.table}
          WHERE ${tc} = $1 AND ${col.column} IS NOT NULL AND ${idc}::text > $2 ORDER BY ${idc}::text LIMIT ${BATCH}`,
        [job.tenant_id, after],
      );
      let reencrypted = 0;
      const target = await this.keys.get(job.tenant_id, job.target_version);
      for (const row of batch) {
        if (peekKeyVersion(row.v) >= job.target_version) continue;
        const ctx = { tenantId: job.tenant_id as string, purpose: col.purpose, recordId: row.id };
        const plain = await openValueAsync((v) => this.keys.get(job.tenant_id, v), ctx, row.v);
        const sealed = sealValue(target, job.target_version, ctx, plain);
        plain.fill(0);
        const u: [unknown[], number] = await this.ds.query(
          `UPDATE ${col.table} SET ${col.column} = $3 WHERE ${idc}::text = $1 AND ${col.column} = $2`,
          [row.id, row.v, sealed],
        );
        reencrypted += u[1];
      }
      cursor[key] = batch.length < BATCH ? '\uffff' : batch[batch.length - 1].id;
      const upd = await this.ds.query(
        `UPDATE key_rotation_jobs SET cursor = $2, processed = processed + $3, reencrypted = reencrypted + $4, updated_at = now()
          WHERE id = $1 RETURNING id, tenant_id, target_version, state, processed, reencrypted`,
        [jobId, JSON.stringify(cursor), batch.length, reencrypted],
      );
      if (batch.length > 0) batches++; // an empty table costs one query, not a batch of the caller's budget
      opts.onProgress?.(this.view(upd[0][0]));
    }
  }

  /**
   * One batch of files: each one under an older key version is opened and
   * sealed again under the target version, to a new storage key; the row then
   * points at it (only if it still points at the old one) and the old file
   * goes. A crash in between leaves at most an unreferenced new file, which the
   * next attempt overwrites.
   */
  private async runBlobBatch(
    jobId: string,
    job: { tenant_id: string; target_version: number },
    cursor: Record<string, string>,
    b: SealedBlobs,
  ): Promise<{ count: number; view: RotationJob }> {
    const ck = `${b.table}.${b.keyColumn}#file`;
    const rows: Array<{ id: string; k: string }> = await this.ds.query(
      `SELECT id::text AS id, ${b.keyColumn} AS k FROM ${b.table} WHERE tenant_id = $1 AND id::text > $2 ORDER BY id::text LIMIT ${BLOB_BATCH}`,
      [job.tenant_id, cursor[ck] ?? ''],
    );
    const tenantId = job.tenant_id;
    const target = await this.keys.get(tenantId, job.target_version);
    let reencrypted = 0;
    for (const row of rows) {
      if ((await peekStreamKeyVersion(await b.store.get(row.k))) >= job.target_version) continue;
      const ctx = { tenantId, purpose: b.purpose, recordId: row.id };
      const next = versionedKey(row.k, job.target_version);
      await b.store.delete(next); // left by a crash after the write: not referenced by any row
      const opener = createOpenStream((v) => this.keys.get(tenantId, v), ctx);
      const sealer = createSealStream(target, job.target_version, ctx);
      const src = (await b.store.get(row.k)) as Readable;
      src.on('error', (e) => opener.destroy(e));
      opener.on('error', (e) => sealer.destroy(e));
      src.pipe(opener).pipe(sealer);
      await b.store.put(next, sealer);
      const u: [unknown[], number] = await this.ds.query(
        `UPDATE ${b.table} SET ${b.keyColumn} = $3 WHERE tenant_id = $1 AND id::text = $2 AND ${b.keyColumn} = $4`,
        [tenantId, row.id, next, row.k],
      );
      if (u[1] === 1) {
        await b.store.delete(row.k);
        reencrypted++;
      } else await b.store.delete(next); // the row went or changed meanwhile
    }
    cursor[ck] = rows.length < BLOB_BATCH ? '\uffff' : rows[rows.length - 1].id;
    const upd = await this.ds.query(
      `UPDATE key_rotation_jobs SET cursor = $2, processed = processed + $3, reencrypted = reencrypted + $4, updated_at = now()
        WHERE id = $1 RETURNING id, tenant_id, target_version, state, processed, reencrypted`,
      [jobId, JSON.stringify(cursor), rows.length, reencrypted],
    );
    return { count: rows.length, view: this.view(upd[0][0]) };
  }

  /** Counts values (and files) of a tenant per data-key version (progress, and proof that a rotation finished). */
  async versionCounts(tenantId: string): Promise<Record<number, number>> {
    const out: Record<number, number> = {};
    for (const c of this.columns) {
      const rows: Array<{ v: Buffer }> = await this.ds.query(
        `SELECT ${c.column} AS v FROM ${c.table} WHERE ${c.tenantColumn ?? 'tenant_id'} = $1 AND ${c.column} IS NOT NULL`,
        [tenantId],
      );
      for (const r of rows) {
        const v = peekKeyVersion(r.v);
        out[v] = (out[v] ?? 0) + 1;
      }
    }
    for (const b of this.blobs) {
      const rows: Array<{ k: string }> = await this.ds.query(`SELECT ${b.keyColumn} AS k FROM ${b.table} WHERE tenant_id = $1`, [tenantId]);
      for (const r of rows) {
        const v = await peekStreamKeyVersion(await b.store.get(r.k));
        out[v] = (out[v] ?? 0) + 1;
      }
    }
    return out;
  }
}
