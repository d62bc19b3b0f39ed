import { createHash, randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AuditService, canonicalJson, JsonValue, PLATFORM_CHAIN } from '@charlotte/audit';
import { DomainError } from '@charlotte/core';
import { SigningKeyService, TenantKeysService } from '@charlotte/crypto';
import { isMailAddress, MailOutboxService } from '@charlotte/notifications';
import { BLOB_STORE, BlobStore } from '@charlotte/storage';
import {
  CERTIFICATE_TYPE,
  CERTIFICATE_VERSION,
  certificateSigningInput,
  DELETION_METHOD,
  DeletionCertificate,
  DeletionChecks,
  DeletionCounts,
} from '../certificates/certificate';
import { recordOnBothChains } from '../audit-both';
import { BackupErrors } from '../errors';
import { BACKUP_STORES, BackupStores, tenantBackupPrefix } from '../stores';
import { withTenantLock } from '../tenant-lock';
import { tenantByCode } from '../tenant-lookup';
import { deletedTables, discoverTenantTables, TenantTable } from '../tenant-tables';

/**
 * The steps of a deletion, in order; `deletion_jobs.step` is the next one to run. Each step is
 * idempotent and records what it found in `deletion_jobs.counts` before it removes anything, so
 * a crash (kill -9) at any point resumes at the step it reached and the certificate still
 * states what was there.
 */
export const DeletionStep = {
  Plan: 0,
  Backups: 1,
  Blobs: 2,
  Rows: 3,
  Keys: 4,
  Audit: 5,
  Status: 6,
  Certificate: 7,
  Done: 8,
} as const;

/** Tenant data rows go in batches of this size, so that no transaction grows with the tenant. */
const ROW_BATCH = 5000;

/** The key versions are destroyed by TenantKeysService (step Keys), not by the row step. */
const KEYS_TABLE = 'tenant_keys';

export interface DeletionJobView {
  jobId: string;
  tenantId: string;
  state: 'running' | 'failed' | 'done';
  step: number;
  steps: number;
  attempts: number;
  error: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  certificateId: string | null;
}

interface JobRow {
  id: string;
  tenant_id: string;
  state: 'running' | 'failed' | 'done';
  step: number;
  attempts: number;
  error: string | null;
  counts: Partial<DeletionCounts>;
  admin_emails: string[];
  certificate_id: string | null;
  started_at: Date | null;
  finished_at: Date | null;
}

/**
 * Test-only hooks (ignored when NODE_ENV=production): with DELETION_PAUSE_AFTER_STEP=N the job
 * stops for an hour right after it has recorded step N as done; with DELETION_PAUSE_IN_STEP=N
 * (N = 1 backups, 2 blobs, 3 rows) in the middle of step N, after its first object or table is
 * gone. A test kills the process there (kill -9) and proves that a restart finishes the deletion,
 * with the counts found before the crash and exactly one certificate.
 */
async function testPause(where: 'after' | 'in', step: number, logger: Logger): Promise<void> {
  const v = process.env[where === 'after' ? 'DELETION_PAUSE_AFTER_STEP' : 'DELETION_PAUSE_IN_STEP'];
  if (!v || process.env.NODE_ENV === 'production' || v !== String(step)) return;
  logger.warn({ message: 'deletion paused (test hook)', where, step });
  process.stdout.write(`deletion paused ${where} step ${step}\n`);
  await new Promise((r) => setTimeout(r, 3600_000));
}

/**
 * Certified deletion of a cancelled tenant (api.md, "Backups, contract end, deletion"; P5): a
 * durable, resumable job, run under the tenant lock (never together with a restore or a
 * generation of that tenant): backups in both stores → blobs → rows of every tenant table
 * (discovered from the schema) except those kept → every data-key version destroyed → final
 * audit event and signed checkpoint → status deleted → checks and the signed certificate.
 */
@Injectable()
export class DeletionService {
  private readonly logger = new Logger('Deletion');

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly audit: AuditService,
    private readonly keys: TenantKeysService,
    private readonly signing: SigningKeyService,
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
    @Inject(BACKUP_STORES) private readonly stores: BackupStores,
    private readonly outbox: MailOutboxService,
  ) {}

  /**
   * The deletion of this tenant: the existing job (a crashed or running one is resumed, never
   * duplicated), or a new one when the contract is cancelled and the cancellation has taken effect.
   */
  async request(code: string, requestedBy: 'operator' | 'schedule'): Promise<string> {
    const t = await tenantByCode(this.ds, code);
    return this.requestFor(t.id, requestedBy);
  }

  async requestFor(tenantId: string, requestedBy: 'operator' | 'schedule'): Promise<string> {
    const existing: Array<{ id: string }> = await this.ds.query(`SELECT id FROM deletion_jobs WHERE tenant_id = $1`, [tenantId]);
    if (existing[0]) return existing[0].id;
    const ok: Array<{ ok: boolean }> = await this.ds.query(
      `SELECT (status = 'cancelled' AND cancelled_at IS NOT NULL AND cancelled_at <= now()) AS ok FROM tenants WHERE id = $1`,
      [tenantId],
    );
    if (!ok[0]?.ok) throw BackupErrors.tenantNotCancelled();
    const ins: Array<{ id: string }> = await this.ds.query(
      `INSERT INTO deletion_jobs (tenant_id, requested_by) VALUES ($1, $2) ON CONFLICT (tenant_id) DO NOTHING RETURNING id`,
      [tenantId, requestedBy],
    );
    if (ins[0]) {
      const details = { jobId: ins[0].id, requestedBy };
      await recordOnBothChains(this.audit, tenantId, {
        category: 'operation',
        action: 'tenant.deletion_requested',
        outcome: 'success',
        target: { type: 'tenant', id: tenantId },
        details,
      });
      return ins[0].id;
    }
    return (await this.ds.query(`SELECT id FROM deletion_jobs WHERE tenant_id = $1`, [tenantId]))[0].id as string;
  }

  async jobOf(code: string): Promise<DeletionJobView> {
    const t = await tenantByCode(this.ds, code);
    const r: JobRow[] = await this.ds.query(`SELECT * FROM deletion_jobs WHERE tenant_id = $1`, [t.id]);
    if (!r[0]) throw BackupErrors.deletionNotFound();
    return this.view(r[0]);
  }

  private view(r: JobRow): DeletionJobView {
    return {
      jobId: r.id,
      tenantId: r.tenant_id,
      state: r.state,
      step: r.step,
      steps: DeletionStep.Done,
      attempts: r.attempts,
      error: r.error,
      startedAt: r.started_at ? new Date(r.started_at).toISOString() : null,
      finishedAt: r.finished_at ? new Date(r.finished_at).toISOString() : null,
      certificateId: r.certificate_id,
    };
  }

  private async load(jobId: string): Promise<JobRow> {
    const r: JobRow[] = await this.ds.query(`SELECT * FROM deletion_jobs WHERE id = $1`, [jobId]);
    if (!r[0]) throw BackupErrors.deletionNotFound();
    return r[0];
  }

  /** Records step `done` as finished and merges what it found into the counts (one statement: crash-safe). */
  private async advance(jobId: string, done: number, counts: Partial<DeletionCounts> = {}): Promise<void> {
    await this.ds.query(
      `UPDATE deletion_jobs SET step = $2, counts = counts || $3::jsonb, updated_at = now() WHERE id = $1 AND step = $4`,
      [jobId, done + 1, JSON.stringify(counts), done],
    );
    await testPause('after', done, this.logger);
  }

  /** Runs (or resumes) a job to its end; returns the certificate id. 409 tenant_busy while another holder runs it. */
  async run(jobId: string): Promise<string> {
    const first = await this.load(jobId);
    if (first.state === 'done' && first.certificate_id) return first.certificate_id;
    return withTenantLock(this.ds, first.tenant_id, async () => {
      await this.ds.query(
        `UPDATE deletion_jobs SET attempts = attempts + 1, state = 'running', error = NULL, started_at = COALESCE(started_at, now()), updated_at = now() WHERE id = $1`,
        [jobId],
      );
      try {
        return await this.steps(jobId);
      } catch (e) {
        const job = await this.load(jobId);
        const code = e instanceof DomainError ? e.code : e instanceof Error ? e.name : 'error';
        await this.ds.query(`UPDATE deletion_jobs SET state = 'failed', error = $2, updated_at = now() WHERE id = $1`, [
          jobId,
          `${code}: ${e instanceof Error ? e.message : String(e)}`.slice(0, 500),
        ]);
        await this.audit.recordQuietly({
          category: 'system',
          action: 'tenant.deletion_failed',
          outcome: 'failure',
          tenantId: null,
          target: { type: 'tenant', id: job.tenant_id },
          details: { jobId, step: job.step, attempts: job.attempts, error: code },
        });
        this.logger.error({ message: 'tenant deletion failed; it is retried by the next sweep', jobId, step: job.step, error: code });
        throw e;
      }
    });
  }

  private async steps(jobId: string): Promise<string> {
    for (;;) {
      const job = await this.load(jobId);
      const tenantId = job.tenant_id;
      switch (job.step) {
        case DeletionStep.Plan: {
          // The administrators' addresses, read while they exist, so the certificate can be mailed to them.
          const admins: Array<{ email: string }> = await this.ds.query(
            `SELECT email FROM users WHERE tenant_id = $1 AND role = 'admin' AND status = 'active' ORDER BY email`,
            [tenantId],
          );
          await this.ds.query(`UPDATE deletion_jobs SET admin_emails = $2 WHERE id = $1`, [jobId, admins.map((a) => a.email)]);
          await this.advance(jobId, DeletionStep.Plan);
          break;
        }
        case DeletionStep.Backups: {
          const backups = job.counts.backups ?? {
            primary: await this.countArchives(this.stores.primary, tenantId),
            remote: await this.countArchives(this.stores.remote, tenantId),
          };
          if (!job.counts.backups)
            await this.ds.query(`UPDATE deletion_jobs SET counts = counts || $2::jsonb WHERE id = $1`, [jobId, { backups }]);
          for (const store of [this.stores.primary, this.stores.remote])
            await this.deleteUnder(store, tenantBackupPrefix(tenantId), DeletionStep.Backups);
          await this.advance(jobId, DeletionStep.Backups, { backups });
          break;
        }
        case DeletionStep.Blobs: {
          let { blobs, bytes } = job.counts;
          if (blobs === undefined || bytes === undefined) {
            blobs = 0;
            bytes = 0;
            for await (const b of this.blobs.list(`tenants/${tenantId}/`)) {
              blobs++;
              bytes += b.size;
            }
            await this.ds.query(`UPDATE deletion_jobs SET counts = counts || $2::jsonb WHERE id = $1`, [jobId, { blobs, bytes }]);
          }
          await this.deleteUnder(this.blobs, `tenants/${tenantId}/`, DeletionStep.Blobs);
          await this.advance(jobId, DeletionStep.Blobs, { blobs, bytes });
          break;
        }
        case DeletionStep.Rows: {
          const tables = await this.rowTables();
          let rows = job.counts.rows;
          if (!rows) {
            rows = {};
            for (const t of tables) rows[t.name] = await this.countRows(t.name, tenantId);
            await this.ds.query(`UPDATE deletion_jobs SET counts = counts || $2::jsonb WHERE id = $1`, [jobId, { rows }]);
          }
          let first = true;
          for (const t of tables) {
            if ((await this.deleteRows(t.name, tenantId)) && first) {
              first = false;
              await testPause('in', DeletionStep.Rows, this.logger);
            }
          }
          await this.advance(jobId, DeletionStep.Rows, { rows });
          break;
        }
        case DeletionStep.Keys: {
          const keyVersions = job.counts.keyVersions ?? (await this.countRows(KEYS_TABLE, tenantId));
          if (job.counts.keyVersions === undefined)
            await this.ds.query(`UPDATE deletion_jobs SET counts = counts || $2::jsonb WHERE id = $1`, [jobId, { keyVersions }]);
          await this.keys.destroyTenantKeys(tenantId);
          await this.advance(jobId, DeletionStep.Keys, { keyVersions });
          break;
        }
        case DeletionStep.Audit: {
          const c = job.counts as DeletionCounts;
          const details = {
            jobId,
            rows: Object.values(c.rows ?? {}).reduce((a, b) => a + b, 0),
            blobs: c.blobs ?? 0,
            bytes: c.bytes ?? 0,
            backupsPrimary: c.backups?.primary ?? 0,
            backupsRemote: c.backups?.remote ?? 0,
            keyVersions: c.keyVersions ?? 0,
          };
          // The last event of the tenant's chain, then a signed checkpoint closing it (once, even when resumed).
          if (!(await this.hasEvent(tenantId, 'tenant.deleted', tenantId)))
            await this.audit.record({
              category: 'operation',
              action: 'tenant.deleted',
              outcome: 'success',
              tenantId,
              target: { type: 'tenant', id: tenantId },
              details,
            });
          await this.audit.checkpointAll();
          if (!(await this.hasEvent(PLATFORM_CHAIN, 'tenant.deleted', tenantId)))
            await this.audit.record({
              category: 'operation',
              action: 'tenant.deleted',
              outcome: 'success',
              tenantId: null,
              target: { type: 'tenant', id: tenantId },
              details,
            });
          await this.advance(jobId, DeletionStep.Audit);
          break;
        }
        case DeletionStep.Status: {
          await this.ds.query(
            `UPDATE tenants SET status = 'deleted', deleted_at = COALESCE(deleted_at, now()), updated_at = now() WHERE id = $1`,
            [tenantId],
          );
          await this.advance(jobId, DeletionStep.Status);
          break;
        }
        case DeletionStep.Certificate: {
          const id = await this.issue(job);
          await this.ds.query(
            `UPDATE deletion_jobs SET step = $2, state = 'done', certificate_id = $3, admin_emails = '{}', finished_at = now(), updated_at = now() WHERE id = $1`,
            [jobId, DeletionStep.Done, id],
          );
          return id;
        }
        default:
          if (job.certificate_id) return job.certificate_id;
          throw new Error(`deletion job in an unknown step ${job.step}`);
      }
    }
  }

  /** What is left of the tenant, everywhere: all zero, or the deletion is not finished. */
  async remaining(tenantId: string): Promise<DeletionChecks> {
    let rowsRemaining = 0;
    for (const t of deletedTables(await discoverTenantTables(this.ds))) rowsRemaining += await this.countRows(t.name, tenantId);
    let blobsRemaining = 0;
    for await (const _ of this.blobs.list(`tenants/${tenantId}/`)) blobsRemaining++;
    let backupsRemaining = 0;
    for (const store of [this.stores.primary, this.stores.remote])
      for await (const _ of store.list(tenantBackupPrefix(tenantId))) backupsRemaining++;
    const keysRemaining = await this.countRows(KEYS_TABLE, tenantId);
    return { rowsRemaining, blobsRemaining, backupsRemaining, keysRemaining };
  }

  /** The checks, then the signed certificate; exactly one per tenant (a unique index), even when this step runs twice. */
  private async issue(job: JobRow): Promise<string> {
    const tenantId = job.tenant_id;
    const existing: Array<{ id: string }> = await this.ds.query(`SELECT id FROM deletion_certificates WHERE tenant_id = $1`, [tenantId]);
    if (existing[0]) return existing[0].id;
    const checks = await this.remaining(tenantId);
    if (Object.values(checks).some((n) => n !== 0)) {
      // Something survived (or appeared): fail loudly, and redo the (idempotent) deletion steps on the next attempt.
      await this.ds.query(`UPDATE deletion_jobs SET step = $2 WHERE id = $1`, [job.id, DeletionStep.Backups]);
      await this.audit.record({
        category: 'system',
        action: 'tenant.deletion_check_failed',
        outcome: 'failure',
        tenantId: null,
        target: { type: 'tenant', id: tenantId },
        details: { jobId: job.id, ...checks },
      });
      throw new Error(`deletion checks failed: ${JSON.stringify(checks)}`);
    }
    const t: Array<{ id: string; code: string; name: string; cancelled_at: Date | null; deletion_due_at: Date | null; deleted_at: Date }> =
      await this.ds.query(`SELECT id, code, name, cancelled_at, deletion_due_at, deleted_at FROM tenants WHERE id = $1`, [tenantId]);
    const c = job.counts as DeletionCounts;
    const unsigned: Omit<DeletionCertificate, 'signature'> = {
      type: CERTIFICATE_TYPE,
      version: CERTIFICATE_VERSION,
      id: randomUUID(),
      tenant: { id: t[0].id, code: t[0].code, name: t[0].name },
      cancelledAt: t[0].cancelled_at ? new Date(t[0].cancelled_at).toISOString() : null,
      deletionDueAt: t[0].deletion_due_at ? new Date(t[0].deletion_due_at).toISOString() : null,
      deletedAt: new Date(t[0].deleted_at).toISOString(),
      deleted: {
        rows: c.rows ?? {},
        blobs: c.blobs ?? 0,
        bytes: c.bytes ?? 0,
        backups: { primary: c.backups?.primary ?? 0, remote: c.backups?.remote ?? 0 },
        keyVersions: c.keyVersions ?? 0,
      },
      method: DELETION_METHOD,
      checks,
      keyId: this.signing.keyId,
    };
    const cert: DeletionCertificate = { ...unsigned, signature: await this.signing.sign(certificateSigningInput(unsigned)) };
    // The certificate and its mails to the administrators recorded before the deletion commit together.
    const ins = await this.ds.transaction(async (m) => {
      const r: Array<{ id: string }> = await m.query(
        `INSERT INTO deletion_certificates (id, tenant_id, body, admin_emails) VALUES ($1, $2, $3::jsonb, $4)
         ON CONFLICT (tenant_id) DO NOTHING RETURNING id`,
        [cert.id, tenantId, JSON.stringify(cert), job.admin_emails],
      );
      if (r[0]) await this.mailCertificate(m, cert, job.admin_emails);
      return r;
    });
    const id =
      ins[0]?.id ?? ((await this.ds.query(`SELECT id FROM deletion_certificates WHERE tenant_id = $1`, [tenantId]))[0].id as string);
    if (ins[0])
      await this.audit.record({
        category: 'operation',
        action: 'tenant.deletion_certificate_issued',
        outcome: 'success',
        tenantId: null,
        target: { type: 'deletion_certificate', id },
        details: { tenantId },
      });
    return id;
  }

  /**
   * One mail per recorded administrator address: certificate id, tenant code, deletion date (JST),
   * the SHA-256 of the signed certificate (its canonical JSON, the form it is signed and verified in)
   * and the PDF (rendered at send time from the stored certificate). Platform mail (tenant_id null):
   * the tenant's own rows are gone by now.
   */
  private async mailCertificate(m: EntityManager, cert: DeletionCertificate, to: string[]): Promise<void> {
    const sha256 = createHash('sha256')
      .update(canonicalJson(cert as unknown as JsonValue))
      .digest('hex');
    const deletedOn = new Date(new Date(cert.deletedAt).getTime() + 9 * 3_600_000).toISOString().slice(0, 10);
    for (const address of [...new Set(to)].filter(isMailAddress))
      await this.outbox.enqueue(m, {
        to: address,
        template: 'deletion_certificate',
        vars: { certificateId: cert.id, tenantCode: cert.tenant.code, deletedOn, sha256 },
        tenantId: null,
      });
  }

  /** Tenant tables the row step empties (children first); the key store goes through destroyTenantKeys. */
  private async rowTables(): Promise<TenantTable[]> {
    return deletedTables(await discoverTenantTables(this.ds)).filter((t) => t.name !== KEYS_TABLE);
  }

  private async countRows(table: string, tenantId: string): Promise<number> {
    const r: Array<{ n: number }> = await this.ds.query(`SELECT count(*)::int AS n FROM "${table}" WHERE tenant_id = $1`, [tenantId]);
    return r[0].n;
  }

  /** Deletes the tenant's rows of one table in batches (each its own short transaction); returns how many went. */
  private async deleteRows(table: string, tenantId: string): Promise<number> {
    let total = 0;
    for (;;) {
      const [, n]: [unknown, number] = await this.ds.query(
        `DELETE FROM "${table}" WHERE ctid = ANY(ARRAY(SELECT ctid FROM "${table}" WHERE tenant_id = $1 LIMIT ${ROW_BATCH}))`,
        [tenantId],
      );
      total += n;
      if (n < ROW_BATCH) return total;
    }
  }

  private async countArchives(store: BlobStore, tenantId: string): Promise<number> {
    let n = 0;
    for await (const b of store.list(tenantBackupPrefix(tenantId))) if (!b.key.endsWith('.manifest.json')) n++;
    return n;
  }

  /** Deletes every object under the prefix (listed first: deleting while a directory is walked is not portable). */
  private async deleteUnder(store: BlobStore, prefix: string, step: number): Promise<void> {
    const keys: string[] = [];
    for await (const b of store.list(prefix)) keys.push(b.key);
    for (const [i, k] of keys.entries()) {
      await store.delete(k);
      if (i === 0) await testPause('in', step, this.logger);
    }
  }

  private async hasEvent(chain: string, action: string, targetId: string): Promise<boolean> {
    const r: unknown[] = await this.ds.query(`SELECT 1 FROM audit_events WHERE chain_key = $1 AND action = $2 AND target_id = $3 LIMIT 1`, [
      chain,
      action,
      targetId,
    ]);
    return r.length > 0;
  }

  /** Tenants whose deletion is due today (JST) or earlier and whose cancellation has taken effect. */
  async dueTenants(): Promise<string[]> {
    const r: Array<{ id: string }> = await this.ds.query(
      `SELECT id FROM tenants
        WHERE status = 'cancelled' AND cancelled_at <= now()
          AND deletion_due_at < (date_trunc('day', now() AT TIME ZONE 'Asia/Tokyo') + interval '1 day') AT TIME ZONE 'Asia/Tokyo'
        ORDER BY deletion_due_at`,
    );
    return r.map((x) => x.id);
  }

  /** The daily sweep: a job for every tenant now due, then every unfinished job run (or resumed) to its end. */
  async sweep(): Promise<{ done: number; failed: number }> {
    for (const id of await this.dueTenants()) await this.requestFor(id, 'schedule');
    const jobs: Array<{ id: string }> = await this.ds.query(`SELECT id FROM deletion_jobs WHERE state <> 'done' ORDER BY created_at`);
    let done = 0;
    let failed = 0;
    for (const j of jobs) {
      try {
        await this.run(j.id);
        done++;
      } catch {
        failed++;
      }
    }
    return { done, failed };
  }
}
