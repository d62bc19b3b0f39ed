import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import request from 'supertest';
import { UsersService } from '@charlotte/auth';
import { acquireTenantLock } from '@charlotte/backup';
import { giveKey, login, LoggedIn, PASSWORD, seedTenant, Seeded, startTestApp, TestApp } from '../support/app';

const run = promisify(execFile);
const root = path.resolve(__dirname, '../..');
const cliJs = path.join(root, 'dist/apps/api/apps/api/src/cli.js');

/**
 * The backup API over HTTP: tenant administrators read their generations
 * (session or token scope backups:read), platform operators run backups and
 * restores by tenant code and follow their progress; members, other tenants'
 * admins and unknown codes are refused. And the CLI (`npm run -s build:api`
 * first): backup:run, backup:list, backup:verify (exit 1 on a bad archive),
 * backup:restore.
 */
describe('Backups API and CLI', () => {
  let t: TestApp;
  let a: Seeded;
  let b: Seeded;
  let op: LoggedIn;
  let adminA: LoggedIn;
  let adminB: LoggedIn;
  let memberA: LoggedIn;

  beforeAll(async () => {
    t = await startTestApp();
    a = await seedTenant(t, 'bke-a');
    b = await seedTenant(t, 'bke-b');
    const email = 'ops@platform.example';
    const { user } = await t.app.get(UsersService).createOperator(email, PASSWORD);
    await giveKey(t, 'platform', null, user.id, email);
    op = await login(t, 'platform', email);
    adminA = await login(t, 'bke-a', a.adminEmail);
    adminB = await login(t, 'bke-b', b.adminEmail);
    memberA = await login(t, 'bke-a', a.memberEmail);
  });
  afterAll(async () => {
    await t?.close();
  });

  const waitFor = async <T>(fn: () => Promise<T>, done: (v: T) => boolean): Promise<T> => {
    for (let i = 0; i < 200; i++) {
      const v = await fn();
      if (done(v)) return v;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('timed out');
  };

  let genId = '';

  it('lets an operator run a backup (202) and follow it; the tenant admin sees it, the other tenant does not', async () => {
    expect((await adminA.agent.get('/api/v1/backups').expect(200)).body).toEqual({ items: [] });
    const started = await op.agent.post('/api/v1/operator/tenants/bke-a/backups').set('X-CSRF-Token', op.csrf).send({}).expect(202);
    genId = started.body.id;
    expect(started.body).toEqual({ id: expect.any(String) });
    const list = await waitFor(
      async () => (await op.agent.get('/api/v1/operator/tenants/bke-a/backups').expect(200)).body.items as Array<Record<string, unknown>>,
      (items) => items[0]?.state === 'complete',
    );
    expect(list[0]).toMatchObject({ id: genId, tenant: 'bke-a', kind: 'daily', store: 'primary', keyVersion: 1, verifiedAt: null });
    expect(Object.keys(list[0]).sort()).toEqual(
      [
        'completedAt',
        'counts',
        'createdAt',
        'error',
        'id',
        'keyVersion',
        'kind',
        'progressBytes',
        'schemaVersion',
        'sha256',
        'size',
        'state',
        'store',
        'tenant',
        'verifiedAt',
        'verifyError',
      ].sort(),
    );
    const own = (await adminA.agent.get('/api/v1/backups').expect(200)).body.items;
    expect(own.map((g: { id: string }) => g.id)).toEqual([genId]);
    expect((await adminB.agent.get('/api/v1/backups').expect(200)).body.items).toEqual([]);
    const actions: Array<{ action: string }> = await t.ds.query(
      `SELECT action FROM audit_events WHERE tenant_id IS NULL AND action LIKE 'backup.%' ORDER BY seq`,
    );
    expect(actions.map((x) => x.action)).toEqual(expect.arrayContaining(['backup.requested', 'backup.completed']));
  });

  it('refuses members (403), tenant admins on operator paths (403), unknown codes (404) and bad input (400)', async () => {
    await memberA.agent.get('/api/v1/backups').expect(403);
    await adminA.agent.post('/api/v1/operator/tenants/bke-a/backups').set('X-CSRF-Token', adminA.csrf).send({}).expect(403);
    await adminA.agent.get('/api/v1/operator/tenants/bke-a/backups').expect(403);
    await adminB.agent.get('/api/v1/operator/tenants/bke-a/backups').expect(403);
    await op.agent.get('/api/v1/backups').expect(403);
    await request(t.http).get('/api/v1/backups').expect(401);
    const nf = await op.agent.get('/api/v1/operator/tenants/nobody/backups').expect(404);
    expect(nf.body.code).toBe('not_found');
    await op.agent.post('/api/v1/operator/tenants/bke-a/restore').set('X-CSRF-Token', op.csrf).send({ backupId: 'nope' }).expect(400);
    await op.agent.post('/api/v1/operator/tenants/bke-a/backups').set('X-CSRF-Token', op.csrf).send({ kind: 'hourly' }).expect(400);
    // Tenant A's generation named through tenant B: unknown there.
    const other = await op.agent
      .post('/api/v1/operator/tenants/bke-b/restore')
      .set('X-CSRF-Token', op.csrf)
      .send({ backupId: genId })
      .expect(404);
    expect(other.body.code).toBe('not_found');
    await op.agent.get(`/api/v1/operator/tenants/bke-a/restores/${genId}`).expect(404);
  });

  it('a token with backups:read lists the generations; one without the scope is refused', async () => {
    const ok = await adminA.agent
      .post('/api/v1/api-tokens')
      .set('X-CSRF-Token', adminA.csrf)
      .send({ name: 'b', scopes: ['backups:read'] })
      .expect(201);
    const no = await adminA.agent
      .post('/api/v1/api-tokens')
      .set('X-CSRF-Token', adminA.csrf)
      .send({ name: 'c', scopes: ['applications:read'] })
      .expect(201);
    expect(
      (await request(t.http).get('/api/v1/backups').set('Authorization', `Bearer ${ok.body.token}`).expect(200)).body.items,
    ).toHaveLength(1);
    await request(t.http).get('/api/v1/backups').set('Authorization', `Bearer ${no.body.token}`).expect(403);
  });

  it('restores in the background (202) with progress, and answers 409 tenant_busy while the tenant is locked', async () => {
    const release = await acquireTenantLock(t.ds, a.tenantId);
    try {
      const busy = await op.agent
        .post('/api/v1/operator/tenants/bke-a/restore')
        .set('X-CSRF-Token', op.csrf)
        .send({ backupId: genId })
        .expect(409);
      expect(busy.body.code).toBe('tenant_busy');
      await op.agent.post('/api/v1/operator/tenants/bke-a/backups').set('X-CSRF-Token', op.csrf).send({}).expect(409);
    } finally {
      await release();
    }
    const started = await op.agent
      .post('/api/v1/operator/tenants/bke-a/restore')
      .set('X-CSRF-Token', op.csrf)
      .send({ backupId: genId })
      .expect(202);
    expect(started.body).toMatchObject({ id: expect.any(String), generationId: genId, state: 'running' });
    const done = await waitFor(
      async () => (await op.agent.get(`/api/v1/operator/tenants/bke-a/restores/${started.body.id}`).expect(200)).body,
      (v) => v.state !== 'running',
    );
    expect(done).toMatchObject({ state: 'complete', step: 'done', error: null });
    // The tenant's sessions ended with the restore.
    await adminA.agent.get('/api/v1/backups').expect(401);
    adminA = await login(t, 'bke-a', a.adminEmail);
    const actions: Array<{ action: string; tenant_id: string | null }> = await t.ds.query(
      `SELECT action, tenant_id FROM audit_events WHERE action IN ('backup.restore_requested', 'backup.restored') ORDER BY seq`,
    );
    expect(actions).toEqual(
      expect.arrayContaining([
        { action: 'backup.restore_requested', tenant_id: null },
        { action: 'backup.restored', tenant_id: null },
        { action: 'backup.restored', tenant_id: a.tenantId },
      ]),
    );
  });

  it('documents the paths in the OpenAPI document', async () => {
    const doc = (await request(t.http).get('/api/docs/openapi.json').expect(200)).body;
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/backups',
        '/api/v1/operator/tenants/{code}/backups',
        '/api/v1/operator/tenants/{code}/restore',
        '/api/v1/operator/tenants/{code}/restores/{id}',
      ]),
    );
    expect(Object.keys(doc.paths['/api/v1/operator/tenants/{code}/restore'].post.responses)).toContain('202');
    expect(doc.components.schemas.StartRestoreDto.required).toEqual(['backupId']);
  });

  describe('CLI', () => {
    const cli = async (...args: string[]) => {
      const env = { ...process.env, DATA_DIR: t.config.dataDir, DATABASE_URL: t.db.url, LOG_STDOUT: 'false', NODE_ENV: 'test' };
      try {
        const r = await run(process.execPath, [cliJs, ...args, '--json'], { env, timeout: 120_000 });
        const lines = r.stdout.trim().split('\n');
        return { code: 0, json: JSON.parse(lines[lines.length - 1]) as Record<string, unknown> };
      } catch (e) {
        const err = e as { code: number; stdout: string };
        const lines = err.stdout.trim().split('\n');
        return { code: err.code, json: JSON.parse(lines[lines.length - 1]) as Record<string, unknown> };
      }
    };

    it('runs, lists, verifies (exit 1 on a tampered copy) and restores', async () => {
      if (!fs.existsSync(cliJs)) throw new Error('run `npm run -s build:api` first');
      const made = await cli('backup:run', '--tenant', 'bke-b');
      expect(made).toMatchObject({ code: 0, json: { ok: true, tenant: 'bke-b', kind: 'daily', state: 'complete' } });
      const id = made.json.id as string;
      const listed = await cli('backup:list', '--tenant', 'bke-b');
      expect((listed.json.items as Array<{ id: string }>).map((g) => g.id)).toContain(id);
      expect(await cli('backup:verify', '--id', id)).toMatchObject({ code: 0, json: { ok: true, verified: true } });

      const archive = path.join(t.config.backup.primary.dir, 'tenants', b.tenantId, `${id}.tar.gz.sealed`);
      expect(await cli('backup:verify', '--file', archive)).toMatchObject({ code: 0, json: { ok: true, verified: true, id } });
      const copy = path.join(t.config.dataDir, 'copy.tar.gz.sealed');
      const bytes = fs.readFileSync(archive);
      bytes[bytes.length >> 1] ^= 0xff;
      fs.writeFileSync(copy, bytes);
      fs.copyFileSync(`${archive}.manifest.json`, `${copy}.manifest.json`);
      const bad = await cli('backup:verify', '--file', copy);
      expect(bad).toMatchObject({ code: 1, json: { ok: false, verified: false, reason: expect.stringMatching(/decryption failed/) } });
      expect((await cli('backup:verify', '--file', path.join(t.config.dataDir, 'missing.sealed'))).code).toBe(1);

      const weekly = await cli('backup:run', '--tenant', 'bke-b', '--kind', 'weekly');
      expect(weekly).toMatchObject({ code: 0, json: { kind: 'weekly', store: 'remote', state: 'complete' } });

      expect(await cli('backup:restore', '--tenant', 'bke-b', '--id', id)).toMatchObject({
        code: 0,
        json: { ok: true, state: 'complete' },
      });
      expect(await cli('backup:restore', '--tenant', 'bke-a', '--id', id)).toMatchObject({
        code: 1,
        json: { ok: false, code: 'not_found' },
      });
    });
  });
});
