import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { openValueAsync, peekKeyVersion, sealValue } from '../envelope';
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

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly keys: TenantKeysService,
  ) {}

  register(c: SealedColumn): void {
    for (const ident of [c.table, c.column, c.idColumn ?? 'id', c.tenantColumn ?? 'tenant_id'])
      if (!IDENT.test(ident)) throw new Error(`not an SQL identifier: ${ident}`);
    if (!this.columns.some((x) => x.table === c.table && x.column === c.column)) this.columns.push(c);
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
      if (!col) {
        const done = await this.ds.query(
          `UPDATE key_rotation_jobs SET state = 'done', finished_at = now(), updated_at = now() WHERE id = $1
           RETURNING id, tenant_id, target_version, state, processed, reencrypted`,
          [jobId],
        );
        return this.view(done[0][0]); // UPDATE … RETURNING answers [rows, count]
      }
      if (opts.maxBatches !== undefined && batches >= opts.maxBatches) return this.view(job);
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

  /** Counts values of a tenant per data-key version (progress, and proof that a rotation finished). */
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
    return out;
  }
}
