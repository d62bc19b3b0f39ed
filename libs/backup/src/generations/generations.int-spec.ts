import { generateKeyPairSync, sign as edSign } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import request from 'supertest';
import { AuditService } from '@charlotte/audit';
import { KeyRotationService, okpThumbprint, SealingService } from '@charlotte/crypto';
import { BLOB_STORE, BlobStore, FsBlobStore } from '@charlotte/storage';
import type { EgovSim } from '../../../../apps/egov-sim/src/server';
import { login, LoggedIn, seedTenant, Seeded, startTestApp, TestApp } from '../../../../test/support/app';
import { BACKUP_CANARY, seedCanaries, SeededCanaries } from '../../../../test/support/backup-seed';
import { egovEnv, startTestSim } from '../../../../test/support/egov';
import { BACKUP_STORES, BackupStores } from '../stores';
import { acquireTenantLock } from '../tenant-lock';
import { ARCHIVE_PURPOSE, readArchive } from './archive';
import { GenerationsService } from './generations.service';
import { BackupManifest, manifestMessage } from './manifest';
import { RestoreService } from './restore.service';

const binary = (r: request.Response, cb: (err: Error | null, body: Buffer) => void) => {
  const chunks: Buffer[] = [];
  r.on('data', (c: Buffer) => chunks.push(c));
  r.on('end', () => cb(null, Buffer.concat(chunks)));
};

/** Every encoding a canary could leak in: UTF-8, base64 (and url-safe), hex, UTF-16LE. */
function encodings(s: string): Buffer[] {
  const u = Buffer.from(s, 'utf8');
  return [
    u,
    Buffer.from(u.toString('base64')),
    Buffer.from(u.toString('base64url')),
    Buffer.from(u.toString('hex')),
    Buffer.from(s, 'utf16le'),
  ];
}

describe(GenerationsService.name, () => {
  let t: TestApp;
  let sim: EgovSim;
  let simNow = Date.now();
  let a: Seeded;
  let b: Seeded;
  let adminA: LoggedIn;
  let seeded: SeededCanaries;
  let sut: GenerationsService;
  let restore: RestoreService;
  let stores: BackupStores;
  let tmp: string;

  beforeAll(async () => {
    sim = await startTestSim(() => simNow);
    t = await startTestApp(egovEnv(sim));
    a = await seedTenant(t, 'bk-a');
    b = await seedTenant(t, 'bk-b');
    adminA = await login(t, 'bk-a', a.adminEmail);
    seeded = await seedCanaries(t, adminA, sim, (ms) => (simNow += ms));
    sut = t.app.get(GenerationsService);
    restore = t.app.get(RestoreService);
    stores = t.app.get(BACKUP_STORES);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'charlotte-bk-'));
  }, 180_000);
  afterAll(async () => {
    await t?.close();
    await sim?.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  const retitle = async (title: string) => {
    const cur = await adminA.agent.get(`/api/v1/applications/${seeded.applicationId}`).expect(200);
    await adminA.agent
      .patch(`/api/v1/applications/${seeded.applicationId}`)
      .set('X-CSRF-Token', adminA.csrf)
      .send({ title, version: cur.body.version })
      .expect(200);
  };

  const archivePath = (tenantId: string, id: string) =>
    path.join((stores.primary as FsBlobStore).root, 'tenants', tenantId, `${id}.tar.gz.sealed`);

  it('writes a sealed generation with a signed manifest; no canary in any encoding; verify passes', async () => {
    const g = await sut.run(a.tenantId);
    expect(g).toMatchObject({ tenant: 'bk-a', kind: 'daily', store: 'primary', state: 'complete', verifiedAt: null });
    expect(g.counts).toMatchObject({ applications: 3, attachments: 1, offices: 2, blobs: expect.any(Number) });
    expect(g.counts!.official_documents).toBeGreaterThan(0);
    expect(g.counts!.blobs).toBe(1 + g.counts!.official_documents);
    expect(g.counts).not.toHaveProperty('tenant_keys');
    expect(g.counts).not.toHaveProperty('audit_events');
    expect(g.counts).not.toHaveProperty('sessions');
    const file = archivePath(a.tenantId, g.id);
    const bytes = fs.readFileSync(file);
    const manifestText = fs.readFileSync(`${file}.manifest.json`, 'utf8');
    expect(bytes.length).toBe(g.size);
    const manifest = JSON.parse(manifestText) as BackupManifest;
    expect(manifest).toMatchObject({ type: 'charlotte-backup-manifest', generationId: g.id, sha256: g.sha256, keyVersion: 1 });
    expect(manifest.schemaVersion).toMatch(/^[A-Za-z]+\d{13}$/);
    for (const canary of Object.values(BACKUP_CANARY))
      for (const enc of encodings(canary)) {
        expect({ canary, archive: bytes.includes(enc) }).toEqual({ canary, archive: false });
        expect({ canary, manifest: manifestText.includes(enc.toString('utf8')) }).toEqual({ canary, manifest: false });
      }
    // Stored in clear inside the rows (e-mail addresses are not sealed): only the archive's own sealing hides it.
    // The control: opened with the tenant's key, the archive does hold it (so the scan above can fail).
    const plainRow = a.adminEmail;
    for (const enc of encodings(plainRow)) expect(bytes.includes(enc)).toBe(false);
    const rowText: string[] = [];
    await readArchive(fs.createReadStream(file), t.app.get(SealingService).openStream(a.tenantId, ARCHIVE_PURPOSE, g.id), {
      rows: async (table, piece) => {
        if (table === 'users') rowText.push(piece.toString('utf8'));
      },
    });
    expect(rowText.join('')).toContain(plainRow);
    const v = await sut.verify(a.tenantId, g.id);
    expect(v.ok).toBe(true);
    expect(v.generation.verifiedAt).not.toBeNull();
    expect((await sut.list(a.tenantId))[0].id).toBe(g.id);
    // Another tenant's generation id is unknown here.
    await expect(sut.verify(b.tenantId, g.id)).rejects.toMatchObject({ code: 'not_found' });
  });

  it('fails verification for a flipped byte, a truncated archive, a changed count and a manifest signed by another key', async () => {
    const g = (await sut.list(a.tenantId))[0];
    const src = archivePath(a.tenantId, g.id);
    const copy = (name: string, data: Buffer, manifest: string) => {
      const p = path.join(tmp, name);
      fs.writeFileSync(p, data);
      fs.writeFileSync(`${p}.manifest.json`, manifest);
      return p;
    };
    const bytes = fs.readFileSync(src);
    const manifestText = fs.readFileSync(`${src}.manifest.json`, 'utf8');
    expect(await sut.verifyFile(copy('good.tar.gz.sealed', bytes, manifestText))).toMatchObject({ ok: true });

    const flipped = Buffer.from(bytes);
    flipped[Math.floor(flipped.length / 2)] ^= 0x01;
    const r1 = await sut.verifyFile(copy('flipped.sealed', flipped, manifestText));
    expect(r1.ok).toBe(false);
    expect(r1.reason).toMatch(/decryption failed|sha256/);

    const r2 = await sut.verifyFile(copy('cut.sealed', bytes.subarray(0, bytes.length - 100), manifestText));
    expect(r2).toMatchObject({ ok: false, reason: expect.stringMatching(/bytes/) });
    // Truncated and with a manifest that claims that size: decryption notices the missing end.
    const m = JSON.parse(manifestText) as BackupManifest;

    const changed = { ...m, counts: { ...m.counts, applications: m.counts.applications + 1 } };
    const r3 = await sut.verifyFile(copy('count.sealed', bytes, JSON.stringify(changed)));
    expect(r3).toMatchObject({ ok: false, reason: 'the manifest signature does not verify' });

    const other = generateKeyPairSync('ed25519');
    const x = (other.publicKey.export({ format: 'jwk' }) as { x: string }).x;
    const foreign = { ...m, keyId: okpThumbprint(x) };
    foreign.signature = edSign(null, Buffer.from(manifestMessage(foreign), 'utf8'), other.privateKey).toString('base64url');
    const r4 = await sut.verifyFile(copy('foreign.sealed', bytes, JSON.stringify(foreign)));
    expect(r4).toMatchObject({ ok: false, reason: 'the manifest is signed by another key' });
    const sameKid = { ...foreign, keyId: m.keyId };
    const r5 = await sut.verifyFile(copy('forged.sealed', bytes, JSON.stringify(sameKid)));
    expect(r5).toMatchObject({ ok: false, reason: 'the manifest signature does not verify' });

    // The stored generation itself, tampered in place: verify by id records the error.
    const stored = fs.readFileSync(src);
    fs.writeFileSync(src, flipped);
    const v = await sut.verify(a.tenantId, g.id);
    expect(v.ok).toBe(false);
    expect(v.generation.verifyError).toBeTruthy();
    fs.writeFileSync(src, stored);
    expect((await sut.verify(a.tenantId, g.id)).ok).toBe(true);
  });

  it('round trip: changed and deleted data comes back (rows, attachment bytes, official documents), audit still verifies, the other tenant is untouched', async () => {
    const before = (await sut.list(a.tenantId))[0];
    const otherBefore = await t.ds.query(`SELECT id, data_sealed FROM offices WHERE tenant_id = $1 ORDER BY id`, [b.tenantId]);
    const bFile = await t.ds.query(`SELECT count(*)::int AS n FROM users WHERE tenant_id = $1`, [b.tenantId]);
    // A mistake: the attachment deleted, the application renamed, a new office.
    await adminA.agent
      .delete(`/api/v1/applications/${seeded.applicationId}/attachments/${seeded.attachmentId}`)
      .set('X-CSRF-Token', adminA.csrf)
      .expect(204);
    await retitle('間違い');
    await adminA.agent.post('/api/v1/offices').set('X-CSRF-Token', adminA.csrf).send({ name: '余計な事業所' }).expect(201);
    await t.ds.query(`DELETE FROM official_documents WHERE tenant_id = $1`, [a.tenantId]);

    const done = await restore.run(a.tenantId, before.id);
    expect(done).toMatchObject({ state: 'complete', step: 'done' });
    // Sessions ended by the restore: log in again.
    await adminA.agent.get('/api/v1/applications').expect(401);
    adminA = await login(t, 'bk-a', a.adminEmail);

    const app = (await adminA.agent.get(`/api/v1/applications/${seeded.applicationId}`).expect(200)).body;
    expect(app.title).toBe(BACKUP_CANARY.appTitle);
    const file = await adminA.agent
      .get(`/api/v1/applications/${seeded.applicationId}/attachments/${seeded.attachmentId}`)
      .buffer(true)
      .parse(binary)
      .expect(200);
    expect((file.body as Buffer).equals(seeded.pdf)).toBe(true);
    const offices = (await adminA.agent.get('/api/v1/offices').expect(200)).body.items as Array<{ name: string }>;
    expect(offices.map((o) => o.name)).not.toContain('余計な事業所');
    const docs = (await adminA.agent.get(`/api/v1/applications/${seeded.filedApplicationId}/documents`).expect(200)).body.items as Array<{
      id: string;
      contentType: string;
    }>;
    expect(docs.length).toBeGreaterThan(0);
    const xml = docs.find((d) => d.contentType === 'application/xml')!;
    const xmlBody = await adminA.agent
      .get(`/api/v1/applications/${seeded.filedApplicationId}/documents/${xml.id}`)
      .buffer(true)
      .parse(binary)
      .expect(200);
    expect((xmlBody.body as Buffer).toString('utf8')).toContain(BACKUP_CANARY.filedName);

    // No blob of the tenant left unreferenced (the extra ones removed), the audit chains verify, the other tenant is as it was.
    const audit = t.app.get(AuditService);
    expect((await audit.verify(a.tenantId)).ok).toBe(true);
    expect((await audit.verify('platform')).ok).toBe(true);
    const actions: Array<{ action: string; tenant_id: string | null }> = await t.ds.query(
      `SELECT action, tenant_id FROM audit_events WHERE action LIKE 'backup.%' ORDER BY seq`,
    );
    expect(actions).toEqual(
      expect.arrayContaining([
        { action: 'backup.restored', tenant_id: null },
        { action: 'backup.restored', tenant_id: a.tenantId },
      ]),
    );
    const blobKeys: string[] = [];
    for await (const x of t.app.get<BlobStore>(BLOB_STORE).list(`tenants/${a.tenantId}/`)) blobKeys.push(x.key);
    const referenced: Array<{ k: string }> = await t.ds.query(
      `SELECT blob_key AS k FROM attachments WHERE tenant_id = $1 UNION SELECT blob_key FROM official_documents WHERE tenant_id = $1`,
      [a.tenantId],
    );
    expect(blobKeys.sort()).toEqual(referenced.map((r) => r.k).sort());
    expect(await t.ds.query(`SELECT id, data_sealed FROM offices WHERE tenant_id = $1 ORDER BY id`, [b.tenantId])).toEqual(otherBefore);
    expect(await t.ds.query(`SELECT count(*)::int AS n FROM users WHERE tenant_id = $1`, [b.tenantId])).toEqual(bFile);
    await login(t, 'bk-b', b.adminEmail);
  });

  it('restores a generation written before a tenant key rotation', async () => {
    const g = (await sut.list(a.tenantId))[0];
    const rotation = t.app.get(KeyRotationService);
    const job = await rotation.start(a.tenantId);
    await rotation.run(job.id);
    await retitle('回転後の変更');
    const after = await sut.run(a.tenantId);
    expect(after.keyVersion).toBe(2);
    expect(g.keyVersion).toBe(1);
    expect((await restore.run(a.tenantId, g.id)).state).toBe('complete');
    adminA = await login(t, 'bk-a', a.adminEmail);
    expect((await adminA.agent.get(`/api/v1/applications/${seeded.applicationId}`).expect(200)).body.title).toBe(BACKUP_CANARY.appTitle);
    const file = await adminA.agent
      .get(`/api/v1/applications/${seeded.applicationId}/attachments/${seeded.attachmentId}`)
      .buffer(true)
      .parse(binary)
      .expect(200);
    expect((file.body as Buffer).equals(seeded.pdf)).toBe(true);
    // And the newer one (key version 2) restores too.
    expect((await restore.run(a.tenantId, after.id)).state).toBe('complete');
    adminA = await login(t, 'bk-a', a.adminEmail);
    expect((await adminA.agent.get(`/api/v1/applications/${seeded.applicationId}`).expect(200)).body.title).toBe('回転後の変更');
  });

  it('refuses a generation of another schema version, a deleted tenant, and a busy tenant (409)', async () => {
    const g = (await sut.list(a.tenantId))[0];
    await t.ds.query(`UPDATE backup_generations SET schema_version = 'Applications1764700000000' WHERE id = $1`, [g.id]);
    await expect(restore.start(a.tenantId, g.id)).rejects.toMatchObject({ status: 409, code: 'backup_schema_mismatch' });
    await t.ds.query(
      `UPDATE backup_generations SET schema_version = (SELECT name FROM schema_migrations ORDER BY timestamp DESC LIMIT 1) WHERE id = $1`,
      [g.id],
    );

    const release = await acquireTenantLock(t.ds, a.tenantId);
    try {
      await expect(restore.start(a.tenantId, g.id)).rejects.toMatchObject({ status: 409, code: 'tenant_busy' });
      await expect(sut.start(a.tenantId)).rejects.toMatchObject({ status: 409, code: 'tenant_busy' });
    } finally {
      await release();
    }

    const c = await seedTenant(t, 'bk-gone');
    const gc = await sut.run(c.tenantId);
    await t.ds.query(`UPDATE tenants SET status = 'deleted' WHERE id = $1`, [c.tenantId]);
    await expect(restore.start(c.tenantId, gc.id)).rejects.toMatchObject({ status: 409, code: 'tenant_deleted' });
    await expect(sut.start(c.tenantId)).rejects.toMatchObject({ status: 409, code: 'tenant_deleted' });
    // A restore of one tenant with another tenant's generation id: 404.
    await expect(restore.start(b.tenantId, g.id)).rejects.toMatchObject({ code: 'not_found' });
  });

  it('never resurrects a credential: an API token and a key file revoked after the backup stay revoked, a lockout stays', async () => {
    const tok = await adminA.agent
      .post('/api/v1/api-tokens')
      .set('X-CSRF-Token', adminA.csrf)
      .send({ name: '連携', scopes: ['backups:read'] })
      .expect(201);
    const key: Array<{ id: string }> = await t.ds.query(`SELECT id FROM user_keys WHERE tenant_id = $1 AND user_id = $2 LIMIT 1`, [
      a.tenantId,
      a.memberId,
    ]);
    const g = await sut.run(a.tenantId);
    await request(t.http).get('/api/v1/backups').set('Authorization', `Bearer ${tok.body.token}`).expect(200);
    await adminA.agent.delete(`/api/v1/api-tokens/${tok.body.id}`).set('X-CSRF-Token', adminA.csrf).expect(204);
    await t.ds.query(`UPDATE user_keys SET revoked_at = now() WHERE id = $1`, [key[0].id]);
    // A lockout counted after the backup (login_failures hangs off users with ON DELETE CASCADE, and is never archived).
    await t.ds.query(
      `INSERT INTO login_failures (subject, source, tenant_id, user_id, failures, locked_until) VALUES ('bk-subject', 'bk-source', $1, $2, 9, now() + interval '1 hour')`,
      [a.tenantId, a.memberId],
    );
    expect((await restore.run(a.tenantId, g.id)).state).toBe('complete');
    expect(await t.ds.query(`SELECT failures FROM login_failures WHERE subject = 'bk-subject'`)).toEqual([{ failures: 9 }]);
    const rows = await t.ds.query(`SELECT revoked_at FROM api_tokens WHERE id = $1`, [tok.body.id]);
    expect(rows[0].revoked_at).not.toBeNull();
    expect((await t.ds.query(`SELECT revoked_at FROM user_keys WHERE id = $1`, [key[0].id]))[0].revoked_at).not.toBeNull();
    await request(t.http).get('/api/v1/backups').set('Authorization', `Bearer ${tok.body.token}`).expect(401);
    adminA = await login(t, 'bk-a', a.adminEmail);
  });
});
