import * as fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { BLOB_STORE, BlobStore, FsBlobStore } from '@charlotte/storage';
import { login, LoggedIn, seedTenant, Seeded, startTestApp, TestApp } from '../../../../test/support/app';
import { BACKUP_STORES, BackupStores, tenantBackupPrefix } from '../stores';
import { acquireTenantLock } from '../tenant-lock';
import { BackupJobs } from './backup.jobs';
import { GenerationsService } from './generations.service';
import { RestoreService } from './restore.service';

// s3rver ships no types; the little used here is declared locally.
interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
  httpServer: { closeAllConnections(): void };
}
type S3rverConstructor = new (options: {
  address: string;
  port: number;
  silent: boolean;
  directory: string;
  configureBuckets: { name: string }[];
}) => S3rverInstance;
const S3rver = createRequire(__filename)('s3rver') as S3rverConstructor;

const keysOf = async (store: BlobStore, prefix: string) => {
  const out: string[] = [];
  for await (const b of store.list(prefix)) out.push(b.key);
  return out;
};

/**
 * Schedules and stores: the nightly job with retention (31 → 30), retries and
 * the operator alert, a busy tenant skipped; the weekly copy into a remote
 * store that is S3 (s3rver) and separate from the primary directory, the
 * removal of weekly copies older than the window; the weekly verification;
 * a restore from the remote copy.
 */
describe(BackupJobs.name, () => {
  let t: TestApp;
  let s3: S3rverInstance;
  let s3dir: string;
  let a: Seeded;
  let admin: LoggedIn;
  let sut: BackupJobs;
  let generations: GenerationsService;
  let stores: BackupStores;

  beforeAll(async () => {
    s3dir = fs.mkdtempSync(path.join(os.tmpdir(), 'charlotte-s3rver-bk-'));
    s3 = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: s3dir, configureBuckets: [{ name: 'backups-remote' }] });
    const port = (await s3.run()).port;
    t = await startTestApp({
      CLAMD_SOCKET: process.env.CLAMD_SOCKET ?? '/tmp/charlotte-clamd/clamd.sock',
      BACKUP_REMOTE_STORE: 's3',
      BACKUP_REMOTE_S3_ENDPOINT: `http://127.0.0.1:${port}`,
      BACKUP_REMOTE_S3_REGION: 'us-east-1',
      BACKUP_REMOTE_S3_BUCKET: 'backups-remote',
      BACKUP_REMOTE_S3_ACCESS_KEY_ID: 'S3RVER',
      BACKUP_REMOTE_S3_SECRET_ACCESS_KEY: 'S3RVER',
      BACKUP_REMOTE_S3_FORCE_PATH_STYLE: 'true',
      BACKUP_RETRIES: '3',
    });
    a = await seedTenant(t, 'sch-a');
    admin = await login(t, 'sch-a', a.adminEmail);
    const office = await admin.agent.post('/api/v1/offices').set('X-CSRF-Token', admin.csrf).send({ name: '本社' }).expect(201);
    const app = await admin.agent
      .post('/api/v1/applications')
      .set('X-CSRF-Token', admin.csrf)
      .send({ procedureCode: 'shaho-shutoku', officeId: office.body.id, title: '週次', form: {} })
      .expect(201);
    await admin.agent
      .post(`/api/v1/applications/${app.body.id}/attachments`)
      .set('X-CSRF-Token', admin.csrf)
      .attach('file', Buffer.from('%PDF-1.4\n% weekly\n%%EOF\n', 'latin1'), { filename: 'w.pdf' })
      .expect(201);
    sut = t.app.get(BackupJobs);
    sut.backoffMs = 1;
    generations = t.app.get(GenerationsService);
    stores = t.app.get(BACKUP_STORES);
  }, 120_000);
  afterAll(async () => {
    await t?.close();
    s3?.httpServer.closeAllConnections();
    await s3?.close();
    if (s3dir) fs.rmSync(s3dir, { recursive: true, force: true });
  });

  it('keeps the newest 30 daily generations: the 31st run removes the oldest archive, manifest and row', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 31; i++) {
      const r = await sut.runNightly(new Date());
      expect(r?.completed).toEqual([a.tenantId]);
      ids.push((await generations.list(a.tenantId))[0].id);
    }
    const daily = (await generations.list(a.tenantId)).filter((g) => g.kind === 'daily' && g.state === 'complete');
    expect(daily).toHaveLength(30);
    expect(daily.map((g) => g.id)).not.toContain(ids[0]);
    expect(daily.map((g) => g.id)).toContain(ids[30]);
    const keys = await keysOf(stores.primary, tenantBackupPrefix(a.tenantId));
    expect(keys).toHaveLength(60);
    expect(keys.some((k) => k.includes(ids[0]))).toBe(false);
  });

  it('copies weekly into the remote store (S3), separate from the primary one, and removes copies older than the window', async () => {
    expect(stores.remote.kind).toBe('s3');
    expect(stores.primary.kind).toBe('fs');
    const first = await sut.runWeekly(new Date());
    expect(first?.copied).toHaveLength(1);
    const weeklyId = first!.copied[0];
    const w = await generations.view(a.tenantId, weeklyId);
    expect(w).toMatchObject({ kind: 'weekly', store: 'remote', state: 'complete' });
    const remoteKeys = await keysOf(stores.remote, tenantBackupPrefix(a.tenantId));
    expect(remoteKeys.sort()).toEqual([
      `tenants/${a.tenantId}/${weeklyId}.tar.gz.sealed`,
      `tenants/${a.tenantId}/${weeklyId}.tar.gz.sealed.manifest.json`,
    ]);
    expect((await keysOf(stores.primary, tenantBackupPrefix(a.tenantId))).some((k) => k.includes(weeklyId))).toBe(false);
    // The primary store is a directory that holds no weekly copy and the remote bucket no daily one.
    expect(fs.existsSync(path.join((stores.primary as FsBlobStore).root, 'tenants', a.tenantId, `${weeklyId}.tar.gz.sealed`))).toBe(false);
    expect((await generations.verify(a.tenantId, weeklyId)).ok).toBe(true);

    // 1828 days later the first copy is outside BACKUP_WEEKLY_KEEP_DAYS (1827): the next weekly run removes it.
    await t.ds.query(`UPDATE backup_generations SET created_at = now() - interval '1828 days' WHERE id = $1`, [weeklyId]);
    const second = await sut.runWeekly(new Date());
    expect(second?.removed).toBe(1);
    await expect(generations.view(a.tenantId, weeklyId)).rejects.toMatchObject({ code: 'not_found' });
    const after = await keysOf(stores.remote, tenantBackupPrefix(a.tenantId));
    expect(after.some((k) => k.includes(weeklyId))).toBe(false);
    expect(after.some((k) => k.includes(second!.copied[0]))).toBe(true);
  });

  it('restores from the remote (S3) copy end to end', async () => {
    const weekly = (await generations.list(a.tenantId)).find((g) => g.kind === 'weekly')!;
    const before: Array<{ n: number }> = await t.ds.query(`SELECT count(*)::int AS n FROM attachments WHERE tenant_id = $1`, [a.tenantId]);
    await t.ds.query(`DELETE FROM attachments WHERE tenant_id = $1`, [a.tenantId]);
    const done = await t.app.get(RestoreService).run(a.tenantId, weekly.id);
    expect(done.state).toBe('complete');
    expect(await t.ds.query(`SELECT count(*)::int AS n FROM attachments WHERE tenant_id = $1`, [a.tenantId])).toEqual(before);
    admin = await login(t, 'sch-a', a.adminEmail);
  });

  it('weekly verification records verifiedAt, and a tampered newest generation leaves a system alert', async () => {
    const ok = await sut.verifyNewest();
    const newest = (await generations.list(a.tenantId))[0];
    expect(ok?.verified).toContain(newest.id);
    expect((await generations.view(a.tenantId, newest.id)).verifiedAt).not.toBeNull();
    const store = stores[newest.store];
    const parts: Buffer[] = [];
    const key = `tenants/${a.tenantId}/${newest.id}.tar.gz.sealed`;
    for await (const c of (await store.get(key)) as AsyncIterable<Buffer>) parts.push(c);
    const bytes = Buffer.concat(parts);
    bytes[bytes.length - 40] ^= 0x10;
    await store.delete(key);
    await store.put(key, Readable.from([bytes]));
    const bad = await sut.verifyNewest();
    expect(bad?.failed).toEqual([newest.id]);
    expect((await generations.view(a.tenantId, newest.id)).verifyError).toBeTruthy();
    const alerts = await t.ds.query(`SELECT category, tenant_id FROM audit_events WHERE action = 'backup.verify_failed'`);
    expect(alerts).toEqual([{ category: 'system', tenant_id: null }]);
    // And an open operator alert for the tenant (one per cause).
    const open = await t.ds.query(`SELECT kind, resolved_at FROM operator_alerts WHERE cause = $1`, [`backup.verify_failed:${a.tenantId}`]);
    expect(open).toEqual([{ kind: 'backup_verify_failed', resolved_at: null }]);
  });

  it('retries a failing generation, then leaves a system alert; skips a tenant whose lock is held', async () => {
    const release = await acquireTenantLock(t.ds, a.tenantId);
    try {
      const r = await sut.runNightly(new Date());
      expect(r).toMatchObject({ completed: [], skipped: [a.tenantId], failed: [] });
    } finally {
      await release();
    }
    // A blob the rows reference is gone: every attempt fails.
    const blobs = t.app.get<BlobStore>(BLOB_STORE);
    const att: Array<{ blob_key: string }> = await t.ds.query(`SELECT blob_key FROM attachments WHERE tenant_id = $1`, [a.tenantId]);
    await blobs.delete(att[0].blob_key);
    const failedBefore: Array<{ n: number }> = await t.ds.query(`SELECT count(*)::int AS n FROM backup_generations WHERE state = 'failed'`);
    const r = await sut.runNightly(new Date());
    expect(r).toMatchObject({ completed: [], failed: [a.tenantId] });
    const failedAfter: Array<{ n: number }> = await t.ds.query(`SELECT count(*)::int AS n FROM backup_generations WHERE state = 'failed'`);
    expect(failedAfter[0].n - failedBefore[0].n).toBe(3);
    const alerts: Array<{ category: string; tenant_id: string | null; details: Record<string, unknown> }> = await t.ds.query(
      `SELECT category, tenant_id, details FROM audit_events WHERE action = 'backup.failed'`,
    );
    expect(alerts).toEqual([{ category: 'system', tenant_id: null, details: expect.objectContaining({ kind: 'daily', attempts: 3 }) }]);
    const open = await t.ds.query(`SELECT kind, occurrences, resolved_at FROM operator_alerts WHERE cause = $1`, [
      `backup.failed:${a.tenantId}`,
    ]);
    expect(open).toEqual([{ kind: 'backup_failed', occurrences: 1, resolved_at: null }]);
  });

  it('marks a restore and a generation left running by a crash as failed at boot, unless their tenant lock is held', async () => {
    const gen = (await generations.list(a.tenantId))[0];
    await t.ds.query(
      `INSERT INTO backup_restores (id, tenant_id, generation_id, state, step) VALUES (gen_random_uuid(), $1, $2, 'running', 'restoring')`,
      [a.tenantId, gen.id],
    );
    await t.ds.query(
      `INSERT INTO backup_generations (id, tenant_id, kind, store, state, archive_key, manifest_key) VALUES (gen_random_uuid(), $1, 'daily', 'primary', 'running', 'x', 'y')`,
      [a.tenantId],
    );
    const restore = t.app.get(RestoreService);
    const release = await acquireTenantLock(t.ds, a.tenantId);
    try {
      expect(await restore.failInterrupted()).toBe(0);
    } finally {
      await release();
    }
    expect(await restore.failInterrupted()).toBe(2);
    expect(await t.ds.query(`SELECT count(*)::int AS n FROM backup_restores WHERE state = 'running'`)).toEqual([{ n: 0 }]);
    expect(await t.ds.query(`SELECT count(*)::int AS n FROM backup_generations WHERE state = 'running'`)).toEqual([{ n: 0 }]);
  });
});
