import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import request from 'supertest';
import { AuditService } from '@charlotte/audit';
import { SsoSettingsService, UsersService } from '@charlotte/auth';
import type { AppConfig } from '@charlotte/core';
import {
  BACKUP_STORES,
  BackupStores,
  CertificatesService,
  DeletionJobs,
  deletedTables,
  discoverTenantTables,
  publicKeyFrom,
  verifyCertificate,
  type DeletionCertificate,
} from '@charlotte/backup';
import { SealingService } from '@charlotte/crypto';
import { BLOB_STORE, BlobStore } from '@charlotte/storage';
import { login, LoggedIn, PASSWORD, seedTenant, Seeded, startTestApp, TestApp, testKeys } from '../support/app';
import { signChallenge } from '../support/keys';
import { makeIdpCert } from '../support/saml-idp';

const root = path.resolve(__dirname, '../..');

/**
 * Contract end and certified deletion (issue 15, api.md "Backups, contract end, deletion"):
 * cancellation closes every way in with 403 contract_cancelled and a reinstatement opens them
 * again; the deletion leaves nothing of the tenant in the database, the blob store or either
 * backup store, destroys every key version (an earlier copy no longer opens), issues one signed
 * certificate that verifies offline and fails when anything in it changes, and survives kill -9.
 */
describe('contract end and certified deletion', () => {
  let t: TestApp;
  let a: Seeded;
  let b: Seeded;
  let op: LoggedIn;
  let adminA: LoggedIn;
  let tokenA: string;
  let tokenB: string;
  const idp = makeIdpCert('del-idp');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'charlotte-del-'));

  const opPost = (url: string, body: object = {}) => op.agent.post(`/api/v1/operator${url}`).set('X-CSRF-Token', op.csrf).send(body);
  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
  const passwordStep = (code: string, email: string) =>
    request(t.http).post('/api/v1/auth/login').send({ tenant: code, email, password: PASSWORD });

  /** A tenant's blobs and backup archives as deletion finds them: sealed bytes under tenants/<id>/ in each store. */
  async function putTenantFiles(s: Seeded): Promise<{ archive: Buffer; gen: string }> {
    const sealing = t.app.get(SealingService);
    const blobs = t.app.get<BlobStore>(BLOB_STORE);
    const stores = t.app.get<BackupStores>(BACKUP_STORES);
    for (const kind of ['attachments', 'documents']) {
      const id = randomUUID();
      const body = await sealing.seal(s.tenantId, `${kind}.blob`, id, `canary ${kind} of ${s.code}`);
      await blobs.put(`tenants/${s.tenantId}/${kind}/${id}`, Readable.from([body]));
    }
    // The generation writer of the backup helper is not on this branch: archives are written here, as it would (sealed, purpose backup.archive).
    const gen = randomUUID();
    const archive = await t.app.get(SealingService).seal(s.tenantId, 'backup.archive', gen, `archive of ${s.code}: 山田太郎`);
    for (const [store, n] of [
      [stores.primary, 2],
      [stores.remote, 1],
    ] as const) {
      for (let i = 0; i < n; i++) {
        const id = i === 0 ? gen : randomUUID();
        await store.put(`tenants/${s.tenantId}/${id}.tar.gz.sealed`, Readable.from([archive]));
        await store.put(`tenants/${s.tenantId}/${id}.tar.gz.sealed.manifest.json`, Readable.from([Buffer.from('{}')]));
      }
    }
    return { archive, gen };
  }

  async function count(store: BlobStore, prefix: string): Promise<number> {
    let n = 0;
    for await (const _ of store.list(prefix)) n++;
    return n;
  }

  async function tenantRows(tenantId: string): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const tb of deletedTables(await discoverTenantTables(t.ds))) {
      const r = await t.ds.query(`SELECT count(*)::int AS n FROM "${tb.name}" WHERE tenant_id = $1`, [tenantId]);
      out[tb.name] = r[0].n;
    }
    return out;
  }

  async function waitForDeletion(code: string): Promise<{ state: string; certificateId: string | null }> {
    for (let i = 0; i < 300; i++) {
      const r = await op.agent.get(`/api/v1/operator/tenants/${code}/deletion`).expect(200);
      if (r.body.state === 'done' || r.body.state === 'failed') return r.body;
      await new Promise((res) => setTimeout(res, 100));
    }
    throw new Error('deletion did not finish');
  }

  beforeAll(async () => {
    t = await startTestApp({ PUBLIC_URL: 'https://charlotte.example.jp', COOKIE_SECURE: 'false' });
    a = await seedTenant(t, 'del-a');
    b = await seedTenant(t, 'del-b');
    await t.app.get(UsersService).createOperator('ops@charlotte.example', PASSWORD);
    op = await login(t, 'platform', 'ops@charlotte.example');
    adminA = await login(t, 'del-a', a.adminEmail);
    tokenA = (
      await adminA.agent
        .post('/api/v1/api-tokens')
        .set('X-CSRF-Token', adminA.csrf)
        .send({ name: 'del', scopes: ['audit:read'] })
        .expect(201)
    ).body.token;
    const adminB = await login(t, 'del-b', b.adminEmail);
    tokenB = (
      await adminB.agent
        .post('/api/v1/api-tokens')
        .set('X-CSRF-Token', adminB.csrf)
        .send({ name: 'del', scopes: ['audit:read'] })
        .expect(201)
    ).body.token;
    await t.app.get(SsoSettingsService).put(
      a.tenantId,
      {
        idpEntityId: 'https://idp.example.jp/del',
        ssoUrl: 'https://idp.example.jp/sso',
        certificates: [idp.certPem],
        nameIdFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
        attributeMapping: { email: 'mail', displayName: 'displayName', role: 'groups', adminValues: ['charlotte-admins'] },
        jitEnabled: false,
        jitDefaultRole: 'member',
        allowIdpInitiated: false,
        ssoRequired: false,
        requireKeyfile: false,
        breakGlassAdminIds: [],
      },
      a.adminId,
    );
  });
  afterAll(async () => {
    await t?.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  describe('cancellation', () => {
    it('lists contracts for operators only, without tenant content', async () => {
      const list = await op.agent.get('/api/v1/operator/tenants').expect(200);
      const row = list.body.items.find((x: { code: string }) => x.code === 'del-a');
      expect(row).toEqual({
        id: a.tenantId,
        code: 'del-a',
        name: 'del-a 株式会社',
        kind: 'company', // issue 19: operators see whether a contract is a company or a 社労士 office
        status: 'active',
        cancelledAt: null,
        deletionDueAt: null,
        deletedAt: null,
        reinstatedAt: null,
        lastBackupAt: null,
        certificateId: null,
      });
      await adminA.agent.get('/api/v1/operator/tenants').expect(403);
      await request(t.http).get('/api/v1/operator/tenants').set(bearer(tokenA)).expect(403);
    });

    it('refuses bad input with problem+json, never a 5xx', async () => {
      const past = await opPost('/tenants/del-a/cancel', { effectiveAt: '2020-01-01T00:00:00Z' }).expect(400);
      expect(past.headers['content-type']).toMatch(/problem\+json/);
      expect(past.body.code).toBe('validation_failed');
      expect((await opPost('/tenants/del-a/cancel', { effectiveAt: 'tomorrow' }).expect(400)).body.code).toBe('validation_failed');
      expect((await opPost('/tenants/del-a/cancel', { effectiveAt: 1 }).expect(400)).body.code).toBe('validation_failed');
      expect((await opPost('/tenants/del-a/cancel', { effectiveAt: '2099-01-01' }).expect(400)).body.code).toBe('validation_failed');
      expect((await opPost('/tenants/nope/cancel').expect(404)).body.code).toBe('not_found');
      expect((await opPost('/tenants/del-a/reinstate').expect(409)).body.code).toBe('tenant_not_cancelled');
      expect((await opPost('/tenants/del-b/delete-now').expect(409)).body.code).toBe('tenant_not_cancelled');
      expect((await op.agent.get('/api/v1/operator/deletion-certificates/not-a-uuid').expect(400)).body.code).toBe('validation_failed');
      await op.agent.get(`/api/v1/operator/deletion-certificates/${randomUUID()}`).expect(404);
      await op.agent.get('/api/v1/operator/tenants/del-a/deletion').expect(404);
    });

    it('a cancellation with a future effective time changes nothing until then', async () => {
      const at = new Date(Date.now() + 3600_000);
      const res = await opPost('/tenants/del-a/cancel', { effectiveAt: at.toISOString() }).expect(200);
      expect(res.body).toMatchObject({ status: 'cancelled', cancelledAt: at.toISOString() });
      expect(new Date(res.body.deletionDueAt).getTime()).toBeGreaterThan(at.getTime() + 3 * 86_400_000);
      await adminA.agent.get('/api/v1/auth/session').expect(200);
      await request(t.http).get('/api/v1/audit-events').set(bearer(tokenA)).expect(200);
      expect((await passwordStep('del-a', a.adminEmail)).status).toBe(200);
      // not effective yet: no deletion now
      expect((await opPost('/tenants/del-a/delete-now').expect(409)).body.code).toBe('tenant_not_cancelled');
      expect((await opPost('/tenants/del-a/reinstate').expect(200)).body).toMatchObject({
        status: 'active',
        cancelledAt: null,
        deletionDueAt: null,
      });
    });

    it('from the effective time: password login, key-file step, SSO, open sessions and API tokens answer 403 contract_cancelled', async () => {
      // a login half-way: the password step done before the cancellation
      const pendingAgent = request.agent(t.http);
      const first = await pendingAgent
        .post('/api/v1/auth/login')
        .send({ tenant: 'del-a', email: a.adminEmail, password: PASSWORD })
        .expect(200);
      expect(first.body.step).toBe('keyfile');
      await request(t.http).get('/api/v1/auth/saml/del-a/login').expect(302);
      const memberA = await login(t, 'del-a', a.memberEmail);

      const res = await opPost('/tenants/del-a/cancel').expect(200);
      expect(res.body.status).toBe('cancelled');
      expect(Math.abs(new Date(res.body.cancelledAt).getTime() - Date.now())).toBeLessThan(60_000);

      const expect403 = (r: request.Response) => {
        expect(r.status).toBe(403);
        expect(r.headers['content-type']).toMatch(/problem\+json/);
        expect(r.body.code).toBe('contract_cancelled');
      };
      expect403(await adminA.agent.get('/api/v1/auth/session'));
      expect403(await adminA.agent.get('/api/v1/users'));
      expect403(await request(t.http).get('/api/v1/audit-events').set(bearer(tokenA)));
      expect403(await passwordStep('del-a', a.adminEmail));
      expect403(await passwordStep('del-a', a.memberEmail));
      // a wrong password learns nothing about the contract
      expect(
        (await request(t.http).post('/api/v1/auth/login').send({ tenant: 'del-a', email: a.adminEmail, password: 'wrong' })).status,
      ).toBe(401);
      const key = testKeys.get(`del-a/${a.adminEmail}`)!;
      expect403(
        await pendingAgent
          .post('/api/v1/auth/keyfile')
          .send({ keyId: key.keyId, signature: signChallenge(key.privateKey, first.body.challenge) }),
      );
      expect403(await request(t.http).get('/api/v1/auth/saml/del-a/login'));
      expect403(await request(t.http).post('/api/v1/auth/saml/del-a/acs').type('form').send({ SAMLResponse: 'PHg+PC94Pg==' }));
      // logout alone still serves such a session (CSRF checked as always): it ends and the cookie is cleared
      expect((await memberA.agent.post('/api/v1/auth/logout')).status).toBe(403); // no X-CSRF-Token
      const out = await memberA.agent.post('/api/v1/auth/logout').set('X-CSRF-Token', memberA.csrf);
      expect(out.status).toBe(204);
      expect(String(out.headers['set-cookie'])).toMatch(/charlotte_session=;/);
      const live = await t.ds.query(
        `SELECT count(*)::int AS n FROM sessions WHERE user_id = $1 AND stage = 'full' AND revoked_at IS NULL`,
        [a.memberId],
      );
      expect(live[0].n).toBe(0);
      // the other tenant notices nothing
      await request(t.http).get('/api/v1/audit-events').set(bearer(tokenB)).expect(200);
      expect((await passwordStep('del-b', b.adminEmail)).status).toBe(200);
      // audited on the platform chain and on the tenant's
      const ev = await t.ds.query(
        `SELECT chain_key FROM audit_events WHERE action = 'tenant.cancelled' AND target_id = $1 ORDER BY chain_key`,
        [a.tenantId],
      );
      expect(ev.map((e: { chain_key: string }) => e.chain_key).sort()).toEqual([a.tenantId, a.tenantId, 'platform', 'platform'].sort()); // the future one, then this one
      expect((await opPost('/tenants/del-a/cancel').expect(409)).body.code).toBe('tenant_not_active');
    });

    it('a reinstatement restores every way in (the same session and token)', async () => {
      await opPost('/tenants/del-a/reinstate').expect(200);
      await adminA.agent.get('/api/v1/auth/session').expect(200);
      await request(t.http).get('/api/v1/audit-events').set(bearer(tokenA)).expect(200);
      expect((await passwordStep('del-a', a.adminEmail)).status).toBe(200);
      await request(t.http).get('/api/v1/auth/saml/del-a/login').expect(302);
      await login(t, 'del-a', a.memberEmail);
      const ev = await t.ds.query(
        `SELECT count(*)::int AS n FROM audit_events WHERE action = 'tenant.reinstated' AND chain_key = 'platform'`,
      );
      expect(ev[0].n).toBe(2);
    });
  });

  describe('deletion', () => {
    let archiveA: Buffer;
    let genA: string;
    let sealedOffice: { id: string; data_sealed: Buffer };
    let rowsBBefore: Record<string, number>;
    let cert: DeletionCertificate;
    let keyFile: string;

    beforeAll(async () => {
      await adminA.agent.post('/api/v1/offices').set('X-CSRF-Token', adminA.csrf).send({ name: '株式会社カナリア 本社' }).expect(201);
      const adminB = await login(t, 'del-b', b.adminEmail);
      await adminB.agent.post('/api/v1/offices').set('X-CSRF-Token', adminB.csrf).send({ name: '株式会社ビー 本社' }).expect(201);
      ({ archive: archiveA, gen: genA } = await putTenantFiles(a));
      await putTenantFiles(b);
      // copies taken aside before the deletion: a sealed row and an archive
      sealedOffice = (await t.ds.query(`SELECT id, data_sealed FROM offices WHERE tenant_id = $1`, [a.tenantId]))[0];
      // both open now
      expect(await t.app.get(SealingService).openString(a.tenantId, 'backup.archive', genA, archiveA)).toContain('山田太郎');
      expect(await t.app.get(SealingService).openString(a.tenantId, 'office', sealedOffice.id, sealedOffice.data_sealed)).toContain(
        'カナリア',
      );
      rowsBBefore = await tenantRows(b.tenantId);
      const jwks = await request(t.http).get('/.well-known/charlotte-signing-key.json').expect(200);
      keyFile = path.join(tmp, 'key.json');
      fs.writeFileSync(keyFile, JSON.stringify(jwks.body));
    });

    it('runs now on the operator request, with progress, and issues a certificate', async () => {
      await opPost('/tenants/del-a/cancel').expect(200);
      const started = await opPost('/tenants/del-a/delete-now').expect(202);
      expect(started.body.jobId).toMatch(/^[0-9a-f-]{36}$/);
      const job = await waitForDeletion('del-a');
      expect(job).toMatchObject({ state: 'done', step: 8, steps: 8 });
      const view = await op.agent.get('/api/v1/operator/tenants/del-a').expect(200);
      expect(view.body).toMatchObject({ status: 'deleted', certificateId: job.certificateId });
      expect(view.body.deletedAt).toBeTruthy();
      // a second request joins the same job: still one certificate
      expect((await opPost('/tenants/del-a/delete-now').expect(202)).body.jobId).toBe(started.body.jobId);
      expect((await t.ds.query(`SELECT count(*)::int AS n FROM deletion_certificates WHERE tenant_id = $1`, [a.tenantId]))[0].n).toBe(1);
      cert = (await op.agent.get(`/api/v1/operator/deletion-certificates/${job.certificateId}`).expect(200)).body;
    });

    it('leaves zero rows of the tenant in every deleted table, and keeps the tenants row, the audit trail and the key tombstone', async () => {
      const rows = await tenantRows(a.tenantId);
      expect(Object.keys(rows).length).toBeGreaterThan(10);
      expect(Object.entries(rows).filter(([, n]) => n > 0)).toEqual([]);
      expect((await t.ds.query(`SELECT status FROM tenants WHERE id = $1`, [a.tenantId]))[0].status).toBe('deleted');
      expect((await t.ds.query(`SELECT count(*)::int AS n FROM audit_events WHERE chain_key = $1`, [a.tenantId]))[0].n).toBeGreaterThan(0);
      expect(
        (await t.ds.query(`SELECT destroyed_at FROM tenant_key_status WHERE tenant_id = $1`, [a.tenantId]))[0].destroyed_at,
      ).toBeTruthy();
      expect((await t.ds.query(`SELECT count(*)::int AS n FROM tenant_keys WHERE tenant_id = $1`, [a.tenantId]))[0].n).toBe(0);
      // the administrators' addresses are kept with the certificate (to mail it), and only there
      const c = await t.ds.query(`SELECT admin_emails FROM deletion_certificates WHERE tenant_id = $1`, [a.tenantId]);
      expect(c[0].admin_emails).toEqual([a.adminEmail]);
      expect((await t.ds.query(`SELECT admin_emails FROM deletion_jobs WHERE tenant_id = $1`, [a.tenantId]))[0].admin_emails).toEqual([]);
    });

    it('leaves no blob and no archive in either store', async () => {
      const stores = t.app.get<BackupStores>(BACKUP_STORES);
      expect(await count(t.app.get<BlobStore>(BLOB_STORE), `tenants/${a.tenantId}/`)).toBe(0);
      expect(await count(stores.primary, `tenants/${a.tenantId}/`)).toBe(0);
      expect(await count(stores.remote, `tenants/${a.tenantId}/`)).toBe(0);
    });

    it('crypto-shredding: values and archives copied aside before the deletion no longer open', async () => {
      const sealing = t.app.get(SealingService);
      const err = async (p: Promise<unknown>) =>
        p.then(
          () => 'opened',
          (e: { code?: string }) => e.code,
        );
      expect(await err(sealing.open(a.tenantId, 'backup.archive', genA, archiveA))).toBe('tenant_keys_destroyed');
      expect(await err(sealing.open(a.tenantId, 'office', sealedOffice.id, sealedOffice.data_sealed))).toBe('tenant_keys_destroyed');
    });

    it('refuses login and token afterwards; reinstatement and a new cancellation are refused', async () => {
      const r = await passwordStep('del-a', a.adminEmail);
      expect([r.status, r.body.code]).toEqual([403, 'contract_cancelled']);
      expect((await request(t.http).get('/api/v1/audit-events').set(bearer(tokenA))).status).toBe(401); // the token is gone
      expect((await adminA.agent.get('/api/v1/auth/session')).status).toBe(401); // so is the session
      expect((await opPost('/tenants/del-a/reinstate').expect(409)).body.code).toBe('tenant_deleted');
      expect((await opPost('/tenants/del-a/cancel').expect(409)).body.code).toBe('tenant_deleted');
    });

    it("closes the tenant's audit chain: tenant.deleted last, a signed checkpoint on it, the chain verifies", async () => {
      const audit = t.app.get(AuditService);
      expect((await audit.verify(a.tenantId)).ok).toBe(true);
      const last = await t.ds.query(`SELECT seq, action FROM audit_events WHERE chain_key = $1 ORDER BY seq DESC LIMIT 1`, [a.tenantId]);
      expect(last[0].action).toBe('tenant.deleted');
      const cps = await audit.checkpoints(a.tenantId);
      expect(Number(cps[cps.length - 1].seq)).toBe(Number(last[0].seq));
      expect(audit.checkpointValid(cps[cps.length - 1])).toBe(true);
      const platform = await t.ds.query(`SELECT action FROM audit_events WHERE chain_key = 'platform' AND target_id = $1 ORDER BY seq`, [
        a.tenantId,
      ]);
      expect(platform.map((e: { action: string }) => e.action)).toEqual(
        expect.arrayContaining(['tenant.cancelled', 'tenant.reinstated', 'tenant.deletion_requested', 'tenant.deleted']),
      );
    });

    it('the certificate states what was deleted and that nothing remains', () => {
      expect(cert).toMatchObject({
        type: 'charlotte-deletion-certificate',
        version: 1,
        tenant: { id: a.tenantId, code: 'del-a', name: 'del-a 株式会社' },
        deleted: { blobs: 2, backups: { primary: 2, remote: 1 } },
        checks: { rowsRemaining: 0, blobsRemaining: 0, backupsRemaining: 0, keysRemaining: 0 },
      });
      expect(cert.deleted.rows.users).toBe(2);
      expect(cert.deleted.rows.offices).toBe(1);
      expect(cert.deleted.rows.api_tokens).toBe(1);
      expect(cert.deleted.keyVersions).toBeGreaterThanOrEqual(1);
      expect(cert.deleted.bytes).toBeGreaterThan(0);
      expect(cert.method).toMatch(/crypto-shredding/i);
      expect(new Date(cert.deletedAt).getTime()).toBeGreaterThan(new Date(cert.cancelledAt!).getTime());
      expect(JSON.stringify(cert)).not.toContain(a.adminEmail);
    });

    it('verifies offline with the tools/ verifier and fails when any field is changed', () => {
      const certFile = path.join(tmp, 'cert.json');
      fs.writeFileSync(certFile, JSON.stringify(cert, null, 2));
      const tool = path.join(root, 'tools/verify-deletion-certificate.mjs');
      const ok = spawnSync(process.execPath, [tool, certFile, keyFile], { encoding: 'utf8' });
      expect(ok.stdout).toMatch(/^VERIFIED/);
      expect(ok.status).toBe(0);
      // every leaf, changed one at a time
      const { key, kid } = publicKeyFrom(fs.readFileSync(keyFile, 'utf8'));
      expect(verifyCertificate(cert, key, kid).ok).toBe(true);
      const leaves: string[][] = [];
      const walk = (v: unknown, p: string[]) => {
        if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, [...p, k]);
        else if (p[0] !== 'signature') leaves.push(p);
      };
      walk(cert, []);
      expect(leaves.length).toBeGreaterThan(20);
      for (const p of leaves) {
        const copy = JSON.parse(JSON.stringify(cert));
        let o = copy;
        for (const k of p.slice(0, -1)) o = o[k];
        const last = p[p.length - 1];
        o[last] = typeof o[last] === 'number' ? o[last] + 1 : o[last] === null ? '2026-01-01T00:00:00.000Z' : `${o[last]}x`;
        expect({ p, ok: verifyCertificate(copy, key, kid).ok }).toEqual({ p, ok: false });
      }
      // through the standalone tool too: a changed count, an added field, a signature by another key
      for (const change of [
        (c: DeletionCertificate) => ({ ...c, checks: { ...c.checks, rowsRemaining: 1 } }),
        (c: DeletionCertificate) => ({ ...c, extra: true }),
        (c: DeletionCertificate) => ({ ...c, signature: c.signature.replace(/^./, (x) => (x === 'A' ? 'B' : 'A')) }),
      ]) {
        fs.writeFileSync(certFile, JSON.stringify(change(cert)));
        const bad = spawnSync(process.execPath, [tool, certFile, keyFile], { encoding: 'utf8' });
        expect(bad.stdout).toMatch(/^NOT VERIFIED/);
        expect(bad.status).toBe(1);
      }
    });

    it('renders the Japanese PDF (消去証明書), and answers 503 problem+json when the font is missing', async () => {
      const res = await op.agent
        .get(`/api/v1/operator/deletion-certificates/${cert.id}`)
        .set('Accept', 'application/pdf')
        .buffer(true)
        .parse((r, cb) => {
          const chunks: Buffer[] = [];
          r.on('data', (c: Buffer) => chunks.push(c));
          r.on('end', () => cb(null, Buffer.concat(chunks)));
        })
        .expect(200);
      expect(res.headers['content-type']).toBe('application/pdf');
      const pdf = res.body as Buffer;
      expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
      expect(pdf.length).toBeLessThan(2_000_000); // the font is subset, not embedded whole
      fs.writeFileSync(path.join(tmp, 'cert.pdf'), pdf);
      const png = spawnSync('pdftoppm', ['-png', '-r', '60', '-f', '1', '-l', '1', path.join(tmp, 'cert.pdf'), path.join(tmp, 'cert')]);
      if (png.status === 0) expect(fs.statSync(path.join(tmp, 'cert-1.png')).size).toBeGreaterThan(5000);
      if (process.env.KEEP_CERT_PDF) fs.copyFileSync(path.join(tmp, 'cert.pdf'), process.env.KEEP_CERT_PDF);

      // CERTIFICATE_FONT_FILE naming a missing file: the running service gets a config that says so
      // (the app's configuration is frozen, so the service's own reference is swapped for this test).
      const svc = t.app.get(CertificatesService) as unknown as { config: AppConfig };
      const before = svc.config;
      svc.config = { ...before, certificateFontFile: path.join(tmp, 'no-such-font.ttf') };
      try {
        const r = await op.agent.get(`/api/v1/operator/deletion-certificates/${cert.id}`).set('Accept', 'application/pdf');
        expect([r.status, r.body.code]).toEqual([503, 'certificate_font_missing']);
      } finally {
        svc.config = before;
      }
    });

    it('the other tenant is untouched', async () => {
      expect(await tenantRows(b.tenantId)).toEqual(rowsBBefore);
      const stores = t.app.get<BackupStores>(BACKUP_STORES);
      expect(await count(t.app.get<BlobStore>(BLOB_STORE), `tenants/${b.tenantId}/`)).toBe(2);
      expect(await count(stores.primary, `tenants/${b.tenantId}/`)).toBe(4);
      expect(await count(stores.remote, `tenants/${b.tenantId}/`)).toBe(2);
      await request(t.http).get('/api/v1/audit-events').set(bearer(tokenB)).expect(200);
      await login(t, 'del-b', b.memberEmail);
      expect((await t.app.get(AuditService).verify(b.tenantId)).ok).toBe(true);
    });
  });

  describe('the daily sweep', () => {
    it('deletes the tenants due today (JST) or earlier, including rows of a table added later, and leaves the others', async () => {
      const d = await seedTenant(t, 'del-d');
      const e = await seedTenant(t, 'del-e');
      await putTenantFiles(d);
      await opPost('/tenants/del-d/cancel').expect(200);
      await opPost('/tenants/del-e/cancel').expect(200);
      // the due day has come for d (its due time is the end of today, JST), not yet for e (end of tomorrow)
      const endOfTodayJst = `(date_trunc('day', now() AT TIME ZONE 'Asia/Tokyo') + interval '1 day' - interval '1 millisecond') AT TIME ZONE 'Asia/Tokyo'`;
      await t.ds.query(`UPDATE tenants SET deletion_due_at = ${endOfTodayJst} WHERE id = $1`, [d.tenantId]);
      await t.ds.query(`UPDATE tenants SET deletion_due_at = ${endOfTodayJst} + interval '1 day' WHERE id = $1`, [e.tenantId]);
      await t.ds.query(`CREATE TABLE zz_later (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), tenant_id uuid NOT NULL, note text)`);
      try {
        await t.ds.query(`INSERT INTO zz_later (tenant_id, note) VALUES ($1, 'd'), ($1, 'd2'), ($2, 'e')`, [d.tenantId, e.tenantId]);
        expect(await t.app.get(DeletionJobs).sweep()).toEqual({ done: 1, failed: 0 });
        const st = await t.ds.query(`SELECT code, status FROM tenants WHERE code IN ('del-d', 'del-e') ORDER BY code`);
        expect(st).toEqual([
          { code: 'del-d', status: 'deleted' },
          { code: 'del-e', status: 'cancelled' },
        ]);
        expect(await t.ds.query(`SELECT note FROM zz_later ORDER BY note`)).toEqual([{ note: 'e' }]);
        const cert = (await t.ds.query(`SELECT body FROM deletion_certificates WHERE tenant_id = $1`, [d.tenantId]))[0].body;
        expect(cert.deleted.rows.zz_later).toBe(2);
        expect(Object.values(await tenantRows(d.tenantId)).every((n) => n === 0)).toBe(true);
        const job = (await t.ds.query(`SELECT requested_by FROM deletion_jobs WHERE tenant_id = $1`, [d.tenantId]))[0];
        expect(job.requested_by).toBe('schedule');
        // nothing more to do on the next run
        expect(await t.app.get(DeletionJobs).sweep()).toEqual({ done: 0, failed: 0 });
      } finally {
        await t.ds.query(`DROP TABLE zz_later`);
      }
    });
  });

  describe('kill -9 in the middle of a deletion (CLI tenant:delete)', () => {
    const cliEnv = () => ({
      ...process.env,
      NODE_ENV: 'test',
      DATABASE_URL: t.db.url,
      DATA_DIR: t.config.dataDir,
      LOG_STDOUT: 'false',
      ARGON2_MEMORY_KIB: '8192',
      ARGON2_ITERATIONS: '1',
    });
    const cli = path.join(root, 'scripts/run-built.js');

    function runCli(args: string[], env: Record<string, string | undefined>): Promise<{ code: number | null; stdout: string }> {
      return new Promise((resolve) => {
        const p = spawn(process.execPath, [cli, 'cli', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        p.on('exit', (code) => resolve({ code, stdout }));
      });
    }

    /** Starts `tenant:delete` paused in or after `step` (test hooks of DeletionService), waits until it is there, and kills it with SIGKILL. */
    async function killAt(code: string, where: 'in' | 'after', step: number): Promise<void> {
      const p: ChildProcess = spawn(process.execPath, [cli, 'cli', 'tenant:delete', '--code', code, '--json'], {
        env: { ...cliEnv(), [where === 'in' ? 'DELETION_PAUSE_IN_STEP' : 'DELETION_PAUSE_AFTER_STEP']: String(step) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      p.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`not paused: ${out} ${err}`)), 240_000);
        p.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes(`deletion paused ${where} step ${step}`)) {
            clearTimeout(timer);
            resolve();
          }
        });
        p.on('exit', (c) => reject(new Error(`exited ${c} before pausing: ${out} ${err}`)));
      });
      p.removeAllListeners('exit');
      const exited = new Promise((r) => p.on('exit', r));
      process.kill(p.pid!, 'SIGKILL');
      await exited;
    }

    const jobOf = async (tenantId: string) =>
      (await t.ds.query(`SELECT state, step, counts FROM deletion_jobs WHERE tenant_id = $1`, [tenantId]))[0] as {
        state: string;
        step: number;
        counts: Record<string, unknown>;
      };

    it('resumes at the step it reached and issues exactly one certificate', async () => {
      const c = await seedTenant(t, 'del-c');
      await putTenantFiles(c);
      // the CLI's contract commands: cancel, reinstate, cancel again
      const future = new Date(Date.now() + 86_400_000).toISOString();
      const cancelled = await runCli(['tenant:cancel', '--code', 'del-c', '--effective-at', future, '--json'], cliEnv());
      expect(JSON.parse(cancelled.stdout.trim().split('\n').pop()!)).toMatchObject({ ok: true, status: 'cancelled', cancelledAt: future });
      const early = await runCli(['tenant:delete', '--code', 'del-c', '--json'], cliEnv());
      expect([early.code, JSON.parse(early.stdout.trim().split('\n').pop()!).code]).toEqual([1, 'tenant_not_cancelled']);
      expect((await runCli(['tenant:reinstate', '--code', 'del-c'], cliEnv())).code).toBe(0);
      expect((await runCli(['tenant:cancel', '--code', 'del-c', '--effective-at', '2026-01-01'], cliEnv())).code).toBe(1);
      expect((await runCli(['tenant:cancel', '--code', 'del-c'], cliEnv())).code).toBe(0);

      // killed in the middle of the backup step: one archive gone, the counts found before are kept
      await killAt('del-c', 'in', 1);
      expect(await jobOf(c.tenantId)).toMatchObject({ state: 'running', step: 1, counts: { backups: { primary: 2, remote: 1 } } });
      expect(await count(t.app.get<BackupStores>(BACKUP_STORES).primary, `tenants/${c.tenantId}/`)).toBe(3);
      // then at every later point: between steps, and inside the blob and row steps
      const points: Array<['in' | 'after', number]> = [
        ['after', 1],
        ['in', 2],
        ['after', 2],
        ['in', 3],
        ['after', 3],
        ['after', 4],
        ['after', 5],
        ['after', 6],
      ];
      for (const [where, step] of points) {
        await killAt('del-c', where, step);
        expect({ where, step, job: await jobOf(c.tenantId) }).toMatchObject({
          where,
          step,
          job: { step: where === 'in' ? step : step + 1 },
        });
        if (where === 'in' && step === 2) expect(await count(t.app.get<BlobStore>(BLOB_STORE), `tenants/${c.tenantId}/`)).toBe(1);
        if (step < 6) expect((await t.ds.query(`SELECT status FROM tenants WHERE id = $1`, [c.tenantId]))[0].status).toBe('cancelled');
        if (step === 4 && where === 'after')
          expect((await t.ds.query(`SELECT count(*)::int AS n FROM tenant_keys WHERE tenant_id = $1`, [c.tenantId]))[0].n).toBe(0);
      }
      expect((await t.ds.query(`SELECT status FROM tenants WHERE id = $1`, [c.tenantId]))[0].status).toBe('deleted');
      expect((await t.ds.query(`SELECT count(*)::int AS n FROM deletion_certificates WHERE tenant_id = $1`, [c.tenantId]))[0].n).toBe(0);

      const done = await runCli(['tenant:delete', '--code', 'del-c', '--json'], cliEnv());
      expect(done.code).toBe(0);
      const result = JSON.parse(done.stdout.trim().split('\n').pop()!);
      expect(result).toMatchObject({ ok: true, certificateId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
      // again: nothing more happens, the same certificate
      const again = await runCli(['tenant:delete', '--code', 'del-c', '--json'], cliEnv());
      expect(JSON.parse(again.stdout.trim().split('\n').pop()!).certificateId).toBe(result.certificateId);
      expect((await t.ds.query(`SELECT count(*)::int AS n FROM deletion_certificates WHERE tenant_id = $1`, [c.tenantId]))[0].n).toBe(1);
      const tenantDeleted = await t.ds.query(
        `SELECT count(*)::int AS n FROM audit_events WHERE chain_key = $1 AND action = 'tenant.deleted'`,
        [c.tenantId],
      );
      expect(tenantDeleted[0].n).toBe(1);
      expect(Object.values(await tenantRows(c.tenantId)).every((n) => n === 0)).toBe(true);
      const cert = (await op.agent.get(`/api/v1/operator/deletion-certificates/${result.certificateId}`).expect(200)).body;
      // the counts found before the first kill survive into the certificate
      expect(cert.deleted).toMatchObject({ blobs: 2, backups: { primary: 2, remote: 1 } });
      expect(cert.deleted.rows.users).toBe(2);

      // certificate:verify, offline (no database): the signing key file, or the published JWK Set
      const certFile = path.join(tmp, 'cert-c.json');
      fs.writeFileSync(certFile, JSON.stringify(cert));
      const offline = { ...cliEnv(), DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' };
      expect((await runCli(['certificate:verify', '--file', certFile], offline)).code).toBe(0);
      const jwks = await request(t.http).get('/.well-known/charlotte-signing-key.json').expect(200);
      fs.writeFileSync(path.join(tmp, 'jwks.json'), JSON.stringify(jwks.body));
      expect((await runCli(['certificate:verify', '--file', certFile, '--public-key', path.join(tmp, 'jwks.json')], offline)).code).toBe(0);
      fs.writeFileSync(certFile, JSON.stringify({ ...cert, deletedAt: '2020-01-01T00:00:00.000Z' }));
      const bad = await runCli(['certificate:verify', '--file', certFile, '--json'], offline);
      expect(bad.code).toBe(1);
      expect(JSON.parse(bad.stdout.trim().split('\n').pop()!)).toMatchObject({ ok: false, verified: false, reason: 'bad_signature' });
    }, 600_000);
  });
});
