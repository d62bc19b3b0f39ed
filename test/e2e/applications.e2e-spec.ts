import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import request from 'supertest';
import { login, LoggedIn, seedTenant, Seeded, startTestApp, TestApp } from '../support/app';

const run = promisify(execFile);
const root = path.resolve(__dirname, '../..');
/** The EICAR test string: every scanner reports it, and it harms nothing. */
const EICAR = 'X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*';
const MY_NUMBER = '123456789018'; // a well-formed 個人番号 (check digit 8)

/** A minimal real PDF. */
const pdf = (extra = '') => Buffer.from(`%PDF-1.4\n1 0 obj<<>>endobj\n${extra}\ntrailer<<>>\n%%EOF\n`, 'latin1');

/**
 * Offices, procedures, applications and attachments over HTTP: sealed drafts
 * with optimistic concurrency and a timeline, validation with every error at
 * once, masking of 個人番号, tenant isolation, and uploads scanned by a real
 * clamd (scripts/clamd-start.sh, offline EICAR signatures) before anything is
 * stored.
 */
describe('Applications (/api/v1/offices, /procedures, /applications)', () => {
  let t: TestApp;
  let a: Seeded;
  let b: Seeded;
  let adminA: LoggedIn;
  let memberA: LoggedIn;
  let adminB: LoggedIn;
  let officeId: string;
  let clamdSocket: string;

  beforeAll(async () => {
    clamdSocket = process.env.CLAMD_SOCKET ?? '';
    if (!clamdSocket) {
      const out = await run('bash', [path.join(root, 'scripts/clamd-start.sh')], { timeout: 120_000 });
      clamdSocket = /CLAMD_SOCKET=(\S+)/.exec(out.stdout)?.[1] ?? '';
    }
    t = await startTestApp({ CLAMD_SOCKET: clamdSocket, ATTACHMENT_MAX_BYTES: String(2 * 1024 * 1024) });
    a = await seedTenant(t, 'app-a');
    b = await seedTenant(t, 'app-b');
    adminA = await login(t, 'app-a', a.adminEmail);
    memberA = await login(t, 'app-a', a.memberEmail);
    adminB = await login(t, 'app-b', b.adminEmail);
  });
  afterAll(() => t.close());

  const post = (u: LoggedIn, url: string, body: object) => u.agent.post(url).set('X-CSRF-Token', u.csrf).send(body);
  const patch = (u: LoggedIn, url: string, body: object) => u.agent.patch(url).set('X-CSRF-Token', u.csrf).send(body);

  describe('offices', () => {
    it('creates an office with its identifiers normalised, sealed at rest', async () => {
      const res = await post(memberA, '/api/v1/offices', {
        name: '株式会社サンプル 本社',
        address: '東京都千代田区霞が関1-2-2',
        pensionOfficeCode: '01-イロハ',
        pensionOfficeNumber: '12345',
        employmentOfficeNumber: '1301-123456-7',
        laborInsuranceNumber: '13-1-01-123456-000',
      }).expect(201);
      expect(res.body).toMatchObject({
        name: '株式会社サンプル 本社',
        pensionOfficeCode: '01-イロハ',
        employmentOfficeNumber: '13011234567',
        laborInsuranceNumber: '13101123456000',
        version: 1,
      });
      officeId = res.body.id;
      const row = await t.ds.query(`SELECT data_sealed FROM offices WHERE id = $1`, [officeId]);
      expect(row[0].data_sealed.includes(Buffer.from('サンプル'))).toBe(false);
    });

    it('refuses identifiers in the wrong format with a code per field (the SPA words it), and changes nothing', async () => {
      const before = await t.ds.query(`SELECT count(*)::int AS n FROM offices`);
      const res = await post(memberA, '/api/v1/offices', { name: 'x', laborInsuranceNumber: '123', employmentOfficeNumber: 'abc' }).expect(
        400,
      );
      expect(res.headers['content-type']).toMatch(/problem\+json/);
      expect(res.body.errors.map((e: { field: string; code: string }) => [e.field, e.code]).sort()).toEqual([
        ['employmentOfficeNumber', 'employment_office_number_format'],
        ['laborInsuranceNumber', 'labor_insurance_number_format'],
      ]);
      // English for integrators; the Japanese text is the SPA's (validation.<code>, README "Errors").
      expect(res.body.errors[0].message).toMatch(/must be/);
      expect(await t.ds.query(`SELECT count(*)::int AS n FROM offices`)).toEqual(before);
    });

    it('answers a stale PATCH with 409 version_conflict', async () => {
      await patch(memberA, `/api/v1/offices/${officeId}`, { version: 1, address: '東京都港区' }).expect(200);
      const stale = await patch(memberA, `/api/v1/offices/${officeId}`, { version: 1, address: '大阪府' }).expect(409);
      expect(stale.body.code).toBe('version_conflict');
    });

    it("keeps offices to their tenant: another tenant's id is 404", async () => {
      await adminB.agent.get(`/api/v1/offices/${officeId}`).expect(404);
      expect((await adminB.agent.get('/api/v1/offices').expect(200)).body.items).toEqual([]);
    });
  });

  describe('procedures', () => {
    it('serves the four procedures as JSON Schema with Japanese titles', async () => {
      const res = await memberA.agent.get('/api/v1/procedures').expect(200);
      const codes = res.body.items.map((p: { code: string }) => p.code).sort();
      expect(codes).toEqual(['koyo-shutoku', 'shaho-shoyo', 'shaho-shutoku', 'shaho-soshitsu']);
      const shutoku = res.body.items.find((p: { code: string }) => p.code === 'shaho-shutoku');
      expect(shutoku.name).toContain('資格取得届');
      const props = Object.values(shutoku.schema.properties) as Array<{ title: string }>;
      expect(props.some((p) => p.title.includes('個人番号'))).toBe(true);
      expect(shutoku.schema['x-sections'].length).toBeGreaterThan(0);
    });
  });

  describe('applications', () => {
    let appId: string;
    let schemaFields: Record<string, { 'x-sensitive'?: boolean; format?: string; type: string }>;

    beforeAll(async () => {
      const res = await memberA.agent.get('/api/v1/procedures').expect(200);
      schemaFields = res.body.items.find((p: { code: string }) => p.code === 'shaho-shutoku').schema.properties;
    });
    const sensitiveField = () => Object.entries(schemaFields).find(([, p]) => p['x-sensitive'])![0];

    it('creates a draft with a sealed title and form, and a timeline', async () => {
      const res = await post(memberA, '/api/v1/applications', {
        procedureCode: 'shaho-shutoku',
        officeId,
        title: '山田太郎 資格取得',
        form: { [sensitiveField()]: MY_NUMBER },
      }).expect(201);
      appId = res.body.id;
      expect(res.body).toMatchObject({ status: 'draft', version: 1, procedureCode: 'shaho-shutoku', masked: true });
      expect(res.body.form[sensitiveField()]).toMatch(/9018$/);
      expect(res.body.form[sensitiveField()]).not.toContain('12345678');
      expect(res.body.timeline).toEqual([expect.objectContaining({ kind: 'created', toStatus: 'draft' })]);
      const row = await t.ds.query(`SELECT title_sealed, form_sealed FROM applications WHERE id = $1`, [appId]);
      expect(row[0].title_sealed.includes(Buffer.from('山田'))).toBe(false);
      expect(row[0].form_sealed.includes(Buffer.from(MY_NUMBER))).toBe(false);
    });

    it('shows the 個人番号 unmasked only to a logged-in user of the tenant, and audits it', async () => {
      const res = await memberA.agent.get(`/api/v1/applications/${appId}`).query({ unmask: 'sensitive' }).expect(200);
      expect(res.body.form[sensitiveField()]).toBe(MY_NUMBER);
      expect(res.body.masked).toBe(false);
      const ev = await t.ds.query(
        `SELECT count(*)::int AS n FROM audit_events WHERE action = 'application.sensitive_viewed' AND target_id = $1`,
        [appId],
      );
      expect(ev[0].n).toBe(1);
      // An API token (an integration, not a person in the editor) never gets it unmasked.
      const tok = await post(adminA, '/api/v1/api-tokens', { name: 'integration', scopes: ['applications:read'] }).expect(201);
      const viaToken = await request(t.http)
        .get(`/api/v1/applications/${appId}`)
        .query({ unmask: 'sensitive' })
        .set('Authorization', `Bearer ${tok.body.token}`)
        .expect(403);
      expect(viaToken.body.code).toBe('unmask_not_allowed');
      const masked = await request(t.http)
        .get(`/api/v1/applications/${appId}`)
        .set('Authorization', `Bearer ${tok.body.token}`)
        .expect(200);
      expect(masked.body.form[sensitiveField()]).not.toBe(MY_NUMBER);
      // The number itself is in no audit event.
      const all = await t.ds.query(`SELECT details::text AS d FROM audit_events`);
      expect(all.some((r: { d: string }) => r.d.includes(MY_NUMBER))).toBe(false);
    });

    it('opening (masked) audits nothing; a PATCH that sends the untouched mask keeps the stored 個人番号', async () => {
      // An application of its own: the tests below count on appId's versions.
      const created = await post(memberA, '/api/v1/applications', {
        procedureCode: 'shaho-shutoku',
        officeId,
        title: 'マスクの保存',
        form: { [sensitiveField()]: MY_NUMBER },
      }).expect(201);
      const id: string = created.body.id;
      const views = async () =>
        (
          await t.ds.query(`SELECT count(*)::int AS n FROM audit_events WHERE action = 'application.sensitive_viewed' AND target_id = $1`, [
            id,
          ])
        )[0].n;
      const opened = await memberA.agent.get(`/api/v1/applications/${id}`).expect(200);
      await memberA.agent.get(`/api/v1/applications/${id}`).expect(200);
      expect(opened.body.masked).toBe(true);
      expect(opened.body.form[sensitiveField()]).toBe('********9018');
      expect(await views()).toBe(0);

      const saved = await memberA.agent
        .patch(`/api/v1/applications/${id}`)
        .set('X-CSRF-Token', memberA.csrf)
        .send({ version: opened.body.version, form: { ...opened.body.form, familyName: '山田' } })
        .expect(200);
      expect(saved.body.form[sensitiveField()]).toBe('********9018');
      const clear = await memberA.agent.get(`/api/v1/applications/${id}`).query({ unmask: 'sensitive' }).expect(200);
      expect(clear.body.form).toMatchObject({ [sensitiveField()]: MY_NUMBER, familyName: '山田' });
      expect(await views()).toBe(1);
    });

    it('lists with filters and decrypted titles; another tenant sees nothing', async () => {
      const list = await memberA.agent
        .get('/api/v1/applications')
        .query({ status: 'draft', procedure: 'shaho-shutoku', officeId })
        .expect(200);
      expect(list.body.items.map((i: { title: string }) => i.title)).toContain('山田太郎 資格取得');
      expect((await memberA.agent.get('/api/v1/applications').query({ status: 'ready' }).expect(200)).body.items).toEqual([]);
      expect((await adminB.agent.get('/api/v1/applications').expect(200)).body.items).toEqual([]);
      await adminB.agent.get(`/api/v1/applications/${appId}`).expect(404);
      await patch(adminB, `/api/v1/applications/${appId}`, { version: 1, title: 'x' }).expect(404);
    });

    it('refuses a type error even in a draft, and a stale version with 409', async () => {
      const bad = await patch(memberA, `/api/v1/applications/${appId}`, { version: 1, form: { [sensitiveField()]: 123456789018 } }).expect(
        400,
      );
      expect(bad.body.errors[0].field).toBe(`form.${sensitiveField()}`);
      await patch(memberA, `/api/v1/applications/${appId}`, { version: 1, title: '山田太郎 資格取得（修正）' }).expect(200);
      const stale = await patch(memberA, `/api/v1/applications/${appId}`, { version: 1, title: 'old' }).expect(409);
      expect(stale.body.code).toBe('version_conflict');
    });

    it('validate answers every broken rule at once and keeps the draft', async () => {
      const res = await post(memberA, `/api/v1/applications/${appId}/validate`, {}).expect(200);
      expect(res.body.valid).toBe(false);
      expect(res.body.status).toBe('draft');
      expect(res.body.errors.length).toBeGreaterThan(3);
      for (const e of res.body.errors) expect(e.message).toBeTruthy();
    });

    it('lets the member delete a draft; the timeline and attachments go with it', async () => {
      const created = await post(memberA, '/api/v1/applications', {
        procedureCode: 'shaho-soshitsu',
        officeId,
        title: '削除テスト',
      }).expect(201);
      await memberA.agent.delete(`/api/v1/applications/${created.body.id}`).set('X-CSRF-Token', memberA.csrf).expect(204);
      await memberA.agent.get(`/api/v1/applications/${created.body.id}`).expect(404);
      expect(await t.ds.query(`SELECT 1 FROM application_events WHERE application_id = $1`, [created.body.id])).toEqual([]);
    });

    describe('attachments (scanned by ClamAV before they are accepted)', () => {
      const upload = (u: LoggedIn, file: Buffer, name: string) =>
        u.agent.post(`/api/v1/applications/${appId}/attachments`).set('X-CSRF-Token', u.csrf).attach('file', file, { filename: name });
      const blobFiles = () => {
        const dir = path.join(t.config.blobDir, 'tenants', a.tenantId, 'attachments');
        return fs.existsSync(dir) ? fs.readdirSync(dir) : [];
      };
      const attachmentCount = async () => (await t.ds.query(`SELECT count(*)::int AS n FROM attachments`))[0].n as number;

      it('accepts a clean PDF, stores it sealed, and downloads it with its Japanese name', async () => {
        const body = pdf('clean');
        const res = await upload(memberA, body, '雇用契約書（写し）.pdf').expect(201);
        expect(res.body).toMatchObject({
          fileName: '雇用契約書（写し）.pdf',
          size: body.length,
          scan: 'clean',
          contentType: 'application/pdf',
        });
        expect(res.body.sha256).toBe(createHash('sha256').update(body).digest('hex'));
        const stored = fs.readFileSync(path.join(t.config.blobDir, 'tenants', a.tenantId, 'attachments', res.body.id));
        expect(stored.includes(Buffer.from('clean'))).toBe(false);
        const dl = await memberA.agent
          .get(`/api/v1/applications/${appId}/attachments/${res.body.id}`)
          .buffer(true)
          .parse((r, cb) => {
            const chunks: Buffer[] = [];
            r.on('data', (c: Buffer) => chunks.push(c));
            r.on('end', () => cb(null, Buffer.concat(chunks)));
          })
          .expect(200);
        expect((dl.body as Buffer).equals(body)).toBe(true);
        expect(dl.headers['content-disposition']).toBe(
          `attachment; filename="_________.pdf"; filename*=UTF-8''${encodeURIComponent('雇用契約書（写し）.pdf')}`,
        );
        const ev = await t.ds.query(`SELECT category FROM audit_events WHERE action = 'attachment.downloaded' AND target_id = $1`, [
          res.body.id,
        ]);
        expect(ev).toEqual([{ category: 'access' }]);
        await adminB.agent.get(`/api/v1/applications/${appId}/attachments/${res.body.id}`).expect(404);
      });

      it('refuses the EICAR file with 422 malware_detected, stores nothing, and records a security event with the signature', async () => {
        const before = { rows: await attachmentCount(), files: blobFiles().length };
        const res = await upload(memberA, Buffer.concat([pdf(), Buffer.from(EICAR)]), 'infected.pdf');
        expect(res.status).toBe(422);
        expect(res.body.code).toBe('malware_detected');
        expect({ rows: await attachmentCount(), files: blobFiles().length }).toEqual(before);
        const ev = await t.ds.query(
          `SELECT category, details FROM audit_events WHERE action = 'attachment.malware_detected' ORDER BY seq DESC LIMIT 1`,
        );
        expect(ev[0].category).toBe('security');
        expect(ev[0].details.signature).toMatch(/EICAR/i);
      });

      it('refuses a file whose content is not an allowed type (an executable named .pdf) with 415', async () => {
        const res = await upload(memberA, Buffer.from('MZ\x90\x00 not a pdf at all', 'latin1'), 'invoice.pdf');
        expect(res.status).toBe(415);
        expect(res.body.code).toBe('unsupported_file_type');
      });

      it('refuses a file over the size limit with 413 and stores nothing', async () => {
        const before = { rows: await attachmentCount(), files: blobFiles().length };
        const res = await upload(memberA, Buffer.concat([pdf(), Buffer.alloc(3 * 1024 * 1024, 0x20)]), 'big.pdf');
        expect(res.status).toBe(413);
        expect({ rows: await attachmentCount(), files: blobFiles().length }).toEqual(before);
      });

      it('fails closed with 503 when the scanner is unreachable, and stores nothing', async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'charlotte-noclam-'));
        const t2 = await startTestApp({ CLAMD_SOCKET: path.join(dir, 'nothing.sock') });
        try {
          const c = await seedTenant(t2, 'app-c');
          const u = await login(t2, 'app-c', c.adminEmail);
          const office = await post(u, '/api/v1/offices', { name: 'C' }).expect(201);
          const app = await post(u, '/api/v1/applications', { procedureCode: 'shaho-shoyo', officeId: office.body.id, title: 't' }).expect(
            201,
          );
          const res = await u.agent
            .post(`/api/v1/applications/${app.body.id}/attachments`)
            .set('X-CSRF-Token', u.csrf)
            .attach('file', pdf(), { filename: 'a.pdf' });
          expect(res.status).toBe(503);
          expect(res.body.code).toBe('scanner_unavailable');
          expect(await t2.ds.query(`SELECT 1 FROM attachments`)).toEqual([]);
          const dirBlobs = path.join(t2.config.blobDir, 'tenants');
          expect(
            fs.existsSync(dirBlobs)
              ? fs.readdirSync(dirBlobs, { recursive: true }).filter((f) => !fs.statSync(path.join(dirBlobs, String(f))).isDirectory())
              : [],
          ).toEqual([]);
          const ready = await request(t2.http).get('/health/ready');
          expect(ready.status).toBe(503);
          expect(ready.body).toMatchObject({ code: 'not_ready' });
          expect(ready.body.detail).toContain('scanner');
        } finally {
          await t2.close();
          fs.rmSync(dir, { recursive: true, force: true });
        }
      });

      it('reports the scanner in /health/ready', async () => {
        const res = await request(t.http).get('/health/ready').expect(200);
        expect(JSON.stringify(res.body)).toContain('scanner');
      });
    });
  });
});
