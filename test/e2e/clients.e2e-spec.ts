import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import * as iconv from 'iconv-lite';
import request from 'supertest';
import { UsersService } from '@charlotte/auth';
import { ContractService } from '@charlotte/backup';
import { StatusTrackerService, SubmissionsService } from '@charlotte/filing';
import type { EgovSim } from '../../apps/egov-sim/src/server';
import { giveKey, login, LoggedIn, PASSWORD, seedTenant, Seeded, startTestApp, TestApp } from '../support/app';
import { egovEnv, linkEgovAccount, startTestSim, VALID_FORM } from '../support/egov';

const run = promisify(execFile);
const root = path.resolve(__dirname, '../..');
const pdf = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n', 'latin1');
const HEADER = 'code,name,office_name,pension_office_code,pension_office_number,employment_office_number,labor_insurance_number';

type Op = { method: 'get' | 'post' | 'put' | 'patch' | 'delete'; path: string };

/**
 * 顧問先 (issue 19): a sharoushi tenant's staff see only the clients assigned to them. Every
 * route of another client's offices, applications, attachments and documents answers 404, like
 * another tenant's ids (a table-driven test over the OpenAPI operations, as the tenant isolation
 * tests do); an action without its right answers 403 right_missing; CSV import in UTF-8 (with and
 * without BOM) and Shift_JIS, all or nothing; company tenants as before.
 */
describe('Clients (顧問先), assignments and the access policy', () => {
  let sim: EgovSim;
  let now = Date.now();
  let t: TestApp;
  let sr: Seeded;
  let co: Seeded;
  let admin: LoggedIn;
  let staffA: LoggedIn; // assigned to client A with every right
  let staffB: LoggedIn; // assigned to client B without rights (view only)
  let staffBId: string;
  let staffNone: LoggedIn; // no assignment at all
  let clientA: string;
  let clientB: string;
  let officeA: string;
  let officeB: string;
  /** Client B: a draft with an attachment, and a filed application with official documents. */
  let draftB: string;
  let attachmentB: string;
  let filedB: string;
  let documentB: string;
  let draftA: string;

  const send = (u: LoggedIn, method: Op['method'], url: string) => u.agent[method](url).set('X-CSRF-Token', u.csrf);
  const post = (u: LoggedIn, url: string, body: object) => send(u, 'post', url).send(body);

  async function staff(email: string): Promise<{ id: string; session: LoggedIn }> {
    const { user } = await t.app
      .get(UsersService)
      .create(sr.tenantId, { email, displayName: '担当者', role: 'member', password: PASSWORD });
    await giveKey(t, sr.code, sr.tenantId, user.id, user.email);
    return { id: user.id, session: await login(t, sr.code, email) };
  }

  beforeAll(async () => {
    let clamdSocket = process.env.CLAMD_SOCKET ?? '';
    if (!clamdSocket) {
      const out = await run('bash', [path.join(root, 'scripts/clamd-start.sh')], { timeout: 120_000 });
      clamdSocket = /CLAMD_SOCKET=(\S+)/.exec(out.stdout)?.[1] ?? '';
    }
    sim = await startTestSim(() => now);
    t = await startTestApp({ ...egovEnv(sim), CLAMD_SOCKET: clamdSocket });
    sr = await seedTenant(t, 'sr-office', { kind: 'sharoushi' });
    co = await seedTenant(t, 'co-company');
    admin = await login(t, sr.code, sr.adminEmail);
    clientA = (await post(admin, '/api/v1/clients', { name: '株式会社アルファ', code: 'A001' }).expect(201)).body.id;
    clientB = (await post(admin, '/api/v1/clients', { name: '株式会社ベータ', code: 'B001', notes: '月末締め' }).expect(201)).body.id;
    officeA = (await post(admin, '/api/v1/offices', { clientId: clientA, name: 'アルファ本社' }).expect(201)).body.id;
    officeB = (
      await post(admin, '/api/v1/offices', {
        clientId: clientB,
        name: 'ベータ本社',
        address: '東京都千代田区霞が関1-2-2',
        pensionOfficeCode: '01-イロハ',
        pensionOfficeNumber: '12345',
      }).expect(201)
    ).body.id;
    await linkEgovAccount(t, admin, sim);

    draftA = (
      await post(admin, '/api/v1/applications', { procedureCode: 'shaho-shutoku', officeId: officeA, title: 'アルファの届' }).expect(201)
    ).body.id;
    draftB = (
      await post(admin, '/api/v1/applications', { procedureCode: 'shaho-shutoku', officeId: officeB, title: 'ベータの届' }).expect(201)
    ).body.id;
    attachmentB = (
      await admin.agent
        .post(`/api/v1/applications/${draftB}/attachments`)
        .set('X-CSRF-Token', admin.csrf)
        .attach('file', pdf, { filename: '資料.pdf', contentType: 'application/pdf' })
        .expect(201)
    ).body.id;
    filedB = (
      await post(admin, '/api/v1/applications', {
        procedureCode: 'shaho-shutoku',
        officeId: officeB,
        title: 'ベータ提出済',
        form: VALID_FORM,
      }).expect(201)
    ).body.id;
    await post(admin, `/api/v1/applications/${filedB}/validate`, {}).expect(200);
    await send(admin, 'post', `/api/v1/applications/${filedB}/submit`).set('Idempotency-Key', 'clients-e2e-0001').expect(202);
    await t.app.get(SubmissionsService).runDue();
    for (let i = 0; i < 3; i++) {
      now += 1500;
      await t.app.get(StatusTrackerService).pollAll();
    }
    const docs = await admin.agent.get(`/api/v1/applications/${filedB}/documents`).expect(200);
    documentB = docs.body.items[0].id;

    const a = await staff('staff-a@sr-office.example');
    staffA = a.session;
    await send(admin, 'put', `/api/v1/users/${a.id}/assignments`)
      .send({ all: false, clients: [{ clientId: clientA, rights: ['draft', 'submit', 'documents', 'offices'] }] })
      .expect(200);
    const b = await staff('staff-b@sr-office.example');
    staffB = b.session;
    staffBId = b.id;
    await send(admin, 'put', `/api/v1/users/${b.id}/assignments`)
      .send({ all: false, clients: [{ clientId: clientB, rights: [] }] })
      .expect(200);
    staffNone = (await staff('staff-none@sr-office.example')).session;
  }, 180_000);

  afterAll(async () => {
    await t?.close();
    await sim?.close();
  });

  describe('isolation by assignment (table-driven over the OpenAPI document)', () => {
    let ops: Op[];
    /** The ids of client B each path parameter stands for; documents hang on the filed application. */
    const url = (p: string) => {
      const app = /\/documents/.test(p) ? filedB : draftB;
      return p
        .replace('/api/v1/offices/{id}', `/api/v1/offices/${officeB}`)
        .replace('/api/v1/applications/{id}', `/api/v1/applications/${app}`)
        .replace('{aid}', attachmentB)
        .replace('{did}', documentB);
    };
    /** A body and headers that pass validation, so that the request reaches the access policy. */
    const prepare = (op: Op, req: request.Test): request.Test => {
      if (op.path.endsWith('/attachments') && op.method === 'post')
        return req.attach('file', pdf, { filename: 'x.pdf', contentType: 'application/pdf' });
      if (op.path.endsWith('/proxy-certificate') && op.method === 'put')
        return req.attach('file', pdf, { filename: 'x.pdf', contentType: 'application/pdf' });
      if (/\/(submit|amend|withdraw)$/.test(op.path)) req = req.set('Idempotency-Key', `iso-${op.method}-${op.path.length}-${Date.now()}`);
      if (op.path.endsWith('/amend')) return req.send({ version: 1 });
      if (op.path.endsWith('/withdraw')) return req.send({ reason: '誤って提出したため' });
      if (op.method === 'patch') return req.send(patchBody(op));
      if (op.method === 'post' || op.method === 'put') return req.send({});
      return req;
    };
    const patchBody = (op: Op) => (op.path.startsWith('/api/v1/offices') ? { version: 1, name: '変更' } : { version: 1, title: '変更' });
    /** Admin-only routes: staff get 403 by role before any id is looked at (nothing to learn from it). */
    const ADMIN_ONLY = new Set(['put /api/v1/offices/{id}/proxy-certificate', 'delete /api/v1/offices/{id}/proxy-certificate']);

    beforeAll(async () => {
      const doc = (await request(t.http).get('/api/docs/openapi.json').expect(200)).body as {
        paths: Record<string, Record<string, unknown>>;
      };
      ops = Object.entries(doc.paths)
        .filter(([p]) => /^\/api\/v1\/(offices|applications)\/\{id\}/.test(p))
        .flatMap(([p, item]) =>
          Object.keys(item)
            .filter((m) => ['get', 'post', 'put', 'patch', 'delete'].includes(m))
            .map((m) => ({ method: m as Op['method'], path: p })),
        );
    });

    it('covers every route of an office, an application, its attachments and its documents', () => {
      const names = ops.map((o) => `${o.method} ${o.path}`);
      expect(names).toEqual(
        expect.arrayContaining([
          'get /api/v1/offices/{id}',
          'patch /api/v1/offices/{id}',
          'get /api/v1/offices/{id}/proxy-certificate',
          'get /api/v1/applications/{id}',
          'patch /api/v1/applications/{id}',
          'delete /api/v1/applications/{id}',
          'post /api/v1/applications/{id}/validate',
          'post /api/v1/applications/{id}/attachments',
          'get /api/v1/applications/{id}/attachments/{aid}',
          'delete /api/v1/applications/{id}/attachments/{aid}',
          'post /api/v1/applications/{id}/submit',
          'post /api/v1/applications/{id}/reopen',
          'post /api/v1/applications/{id}/amend',
          'post /api/v1/applications/{id}/withdraw',
          'get /api/v1/applications/{id}/documents',
          'get /api/v1/applications/{id}/documents/{did}',
        ]),
      );
    });

    it('answers 404 not_found to a staff member on every route of a client not assigned to them, and changes nothing', async () => {
      const before = await t.ds.query(
        `SELECT (SELECT count(*) FROM attachments)::int AS att, (SELECT string_agg(version::text || status, ',' ORDER BY id) FROM applications) AS apps,
                (SELECT string_agg(version::text, ',' ORDER BY id) FROM offices) AS offices`,
      );
      const seen: string[] = [];
      for (const op of ops) {
        const name = `${op.method} ${op.path}`;
        const res = await prepare(op, send(staffA, op.method, url(op.path)));
        if (ADMIN_ONLY.has(name)) {
          expect([name, res.status]).toEqual([name, 403]);
          continue;
        }
        expect([name, res.status, res.body.code]).toEqual([name, 404, 'not_found']);
        seen.push(name);
      }
      expect(seen.length).toBeGreaterThanOrEqual(14);
      // The same happens to a staff member with no assignment at all.
      for (const op of ops.filter((o) => o.method === 'get'))
        expect([op.path, (await send(staffNone, 'get', url(op.path))).status]).toEqual([op.path, 404]);
      const after = await t.ds.query(
        `SELECT (SELECT count(*) FROM attachments)::int AS att, (SELECT string_agg(version::text || status, ',' ORDER BY id) FROM applications) AS apps,
                (SELECT string_agg(version::text, ',' ORDER BY id) FROM offices) AS offices`,
      );
      expect(after).toEqual(before);
    });

    it('lets the admin reach the same ids (they exist: the 404s above are the policy, not typos)', async () => {
      for (const op of ops.filter((o) => o.method === 'get')) {
        const res = await send(admin, 'get', url(op.path));
        expect([op.path, res.status]).toEqual([op.path, 200]);
      }
    });

    it('keeps other clients out of every list: clients, offices, applications (also when asked by clientId)', async () => {
      const clients = (await staffA.agent.get('/api/v1/clients').expect(200)).body.items;
      expect(clients.map((c: { id: string }) => c.id)).toEqual([clientA]);
      expect(clients[0].myRights).toEqual(['draft', 'submit', 'documents', 'offices']);
      expect((await staffA.agent.get('/api/v1/offices').expect(200)).body.items.map((o: { id: string }) => o.id)).toEqual([officeA]);
      expect((await staffA.agent.get(`/api/v1/offices?clientId=${clientB}`).expect(200)).body.items).toEqual([]);
      const apps = (await staffA.agent.get('/api/v1/applications').expect(200)).body.items;
      expect(apps.map((a: { id: string }) => a.id)).toEqual([draftA]);
      expect(apps[0]).toMatchObject({ clientId: clientA, clientName: '株式会社アルファ' });
      expect((await staffA.agent.get(`/api/v1/applications?clientId=${clientB}`).expect(200)).body.items).toEqual([]);
      await staffA.agent.get(`/api/v1/clients/${clientB}`).expect(404);
      // Nothing at all without an assignment.
      expect((await staffNone.agent.get('/api/v1/applications').expect(200)).body.items).toEqual([]);
      expect((await staffNone.agent.get('/api/v1/clients').expect(200)).body.items).toEqual([]);
    });

    it('counts and lists on the home (GET /dashboard) only what the staff member sees', async () => {
      const mine = (await staffA.agent.get('/api/v1/dashboard').expect(200)).body;
      expect(mine.counts.draft).toBe(1); // draftA only, not draftB
      expect(mine.recentCompleted).toEqual([]); // filedB is client B's
      const none = (await staffNone.agent.get('/api/v1/dashboard').expect(200)).body;
      expect(none.counts).toMatchObject({ draft: 0, ready: 0, inReview: 0, correctionRequested: 0 });
      expect(JSON.stringify(none)).not.toContain('ベータ');
      const all = (await admin.agent.get('/api/v1/dashboard').expect(200)).body;
      expect(all.counts.draft).toBe(2);
      expect(all.recentCompleted.map((c: { id: string }) => c.id)).toEqual([filedB]);
    });

    it('shows the admin every client on the status board, filterable by client', async () => {
      const all = (await admin.agent.get('/api/v1/applications').expect(200)).body.items;
      expect(all.map((a: { id: string }) => a.id).sort()).toEqual([draftA, draftB, filedB].sort());
      const onlyB = (await admin.agent.get(`/api/v1/applications?clientId=${clientB}`).expect(200)).body.items;
      expect(onlyB.map((a: { id: string }) => a.id).sort()).toEqual([draftB, filedB].sort());
      expect(onlyB[0].clientName).toBe('株式会社ベータ');
    });

    it('refuses to put an office or an application under a client the staff member does not see (404)', async () => {
      expect((await post(staffA, '/api/v1/offices', { clientId: clientB, name: '横入り' })).status).toBe(404);
      expect((await post(staffA, '/api/v1/applications', { procedureCode: 'shaho-shutoku', officeId: officeB, title: 'x' })).status).toBe(
        404,
      );
      const a = (await staffA.agent.get(`/api/v1/applications/${draftA}`).expect(200)).body;
      expect((await send(staffA, 'patch', `/api/v1/applications/${draftA}`).send({ version: a.version, officeId: officeB })).status).toBe(
        404,
      );
    });
  });

  describe('rights', () => {
    it('answers 403 right_missing for each action without its right, while the client stays visible', async () => {
      await staffB.agent.get(`/api/v1/applications/${draftB}`).expect(200);
      await staffB.agent.get(`/api/v1/applications/${draftB}/attachments/${attachmentB}`).expect(200);
      const cases: Array<[string, request.Test]> = [
        ['draft: edit', send(staffB, 'patch', `/api/v1/applications/${draftB}`).send({ version: 1, title: 'x' })],
        ['draft: create', post(staffB, '/api/v1/applications', { procedureCode: 'shaho-shutoku', officeId: officeB, title: 'x' })],
        ['draft: validate', post(staffB, `/api/v1/applications/${draftB}/validate`, {})],
        ['draft: delete', send(staffB, 'delete', `/api/v1/applications/${draftB}`)],
        ['draft: attachment', send(staffB, 'delete', `/api/v1/applications/${draftB}/attachments/${attachmentB}`)],
        ['submit', send(staffB, 'post', `/api/v1/applications/${draftB}/submit`).set('Idempotency-Key', 'rights-0001')],
        [
          'submit: withdraw',
          post(staffB, `/api/v1/applications/${filedB}/withdraw`, { reason: '誤り' }).set('Idempotency-Key', 'rights-0002'),
        ],
        ['documents: list', send(staffB, 'get', `/api/v1/applications/${filedB}/documents`)],
        ['documents: download', send(staffB, 'get', `/api/v1/applications/${filedB}/documents/${documentB}`)],
        ['offices: create', post(staffB, '/api/v1/offices', { clientId: clientB, name: '支店' })],
        ['offices: edit', send(staffB, 'patch', `/api/v1/offices/${officeB}`).send({ version: 1, name: '変更' })],
      ];
      for (const [what, req] of cases) {
        const res = await req;
        expect([what, res.status, res.body.code]).toEqual([what, 403, 'right_missing']);
      }
    });

    it('grants what is assigned: documents, then draft', async () => {
      await send(admin, 'put', `/api/v1/users/${staffBId}/assignments`)
        .send({ all: false, clients: [{ clientId: clientB, rights: ['documents', 'draft'] }] })
        .expect(200);
      await staffB.agent.get(`/api/v1/applications/${filedB}/documents/${documentB}`).expect(200);
      await post(staffB, '/api/v1/applications', { procedureCode: 'shaho-shutoku', officeId: officeB, title: '担当者の届' }).expect(201);
      const got = await admin.agent.get(`/api/v1/users/${staffBId}/assignments`).expect(200);
      expect(got.body).toEqual({ all: false, clients: [{ clientId: clientB, rights: ['draft', 'documents'] }] });
      const audit = await t.ds.query(
        `SELECT details FROM audit_events WHERE action = 'client.assignments_changed' ORDER BY occurred_at DESC, seq DESC LIMIT 1`,
      );
      expect(audit[0].details).toEqual({ all: false, clients: 1 });
    });

    it('gives "all" every client with every right; assignments are the admin’s (403 for staff)', async () => {
      const c = await staff('staff-all@sr-office.example');
      await send(admin, 'put', `/api/v1/users/${c.id}/assignments`).send({ all: true, clients: [] }).expect(200);
      expect((await c.session.agent.get('/api/v1/clients').expect(200)).body.items).toHaveLength(2);
      await c.session.agent.get(`/api/v1/applications/${filedB}/documents`).expect(200);
      await send(staffA, 'put', `/api/v1/users/${c.id}/assignments`).send({ all: true, clients: [] }).expect(403);
      const bad = await send(admin, 'put', `/api/v1/users/${c.id}/assignments`)
        .send({ all: false, clients: [{ clientId: '00000000-0000-4000-8000-000000000000', rights: [] }] })
        .expect(400);
      expect(bad.body.errors[0]).toMatchObject({ field: 'clients.0.clientId', code: 'unknown_client' });
      await send(admin, 'put', `/api/v1/users/${c.id}/assignments`)
        .send({ all: false, clients: [{ clientId: clientA, rights: ['approve'] }] })
        .expect(400);
    });
  });

  describe('clients', () => {
    it('requires a client for every office of a sharoushi tenant', async () => {
      const res = await post(admin, '/api/v1/offices', { name: '顧問先なし' }).expect(400);
      expect(res.body.errors[0]).toMatchObject({ field: 'clientId', code: 'required' });
    });

    it('keeps codes unique, refuses deleting a client with offices, deletes an empty one', async () => {
      expect((await post(admin, '/api/v1/clients', { name: '重複', code: 'A001' }).expect(409)).body.code).toBe('client_code_taken');
      expect((await send(admin, 'delete', `/api/v1/clients/${clientA}`).expect(409)).body.code).toBe('client_in_use');
      const empty = (await post(admin, '/api/v1/clients', { name: '空の顧問先' }).expect(201)).body;
      expect(empty).toMatchObject({ code: null, officeCount: 0, portalEnabled: false });
      const patched = await send(admin, 'patch', `/api/v1/clients/${empty.id}`).send({ version: empty.version, notes: 'メモ' }).expect(200);
      expect(patched.body).toMatchObject({ notes: 'メモ', version: empty.version + 1 });
      await send(admin, 'patch', `/api/v1/clients/${empty.id}`).send({ version: empty.version, notes: '古い' }).expect(409);
      await send(admin, 'delete', `/api/v1/clients/${empty.id}`).expect(204);
      await admin.agent.get(`/api/v1/clients/${empty.id}`).expect(404);
      // Staff cannot manage clients.
      await post(staffA, '/api/v1/clients', { name: 'x' }).expect(403);
      const rows = await t.ds.query(`SELECT name_sealed FROM clients WHERE id = $1`, [clientA]);
      expect(rows[0].name_sealed.includes(Buffer.from('アルファ'))).toBe(false);
      const actions = (await t.ds.query(`SELECT DISTINCT action FROM audit_events WHERE action LIKE 'client.%'`)).map(
        (r: { action: string }) => r.action,
      );
      expect(actions).toEqual(expect.arrayContaining(['client.created', 'client.updated', 'client.deleted']));
    });
  });

  describe('CSV import', () => {
    const csv = (rows: string[]) => [HEADER, ...rows].join('\r\n') + '\r\n';
    const upload = (body: Buffer) =>
      admin.agent
        .post('/api/v1/clients/import')
        .set('X-CSRF-Token', admin.csrf)
        .attach('file', body, { filename: '顧問先.csv', contentType: 'text/csv' });
    const counts = async () =>
      (await t.ds.query(`SELECT (SELECT count(*) FROM clients)::int AS c, (SELECT count(*) FROM offices)::int AS o`))[0] as {
        c: number;
        o: number;
      };

    it('imports UTF-8: clients with their offices, identifiers normalised, rows sharing a code one client', async () => {
      const before = await counts();
      const res = await upload(
        Buffer.from(
          csv([
            'U001,株式会社ユーティーエフ,本社,01-イロハ,12345,1301-123456-7,13-1-01-123456-000',
            'U001,株式会社ユーティーエフ,大阪支店,,,,',
            '"U002","有限会社""引用""商店",,,,,',
          ]),
        ),
      ).expect(200);
      expect(res.body).toEqual({ created: { clients: 2, offices: 2 } });
      expect(await counts()).toEqual({ c: before.c + 2, o: before.o + 2 });
      const list = (await admin.agent.get('/api/v1/clients').expect(200)).body.items as Array<{ id: string; code: string; name: string }>;
      const u1 = list.find((c) => c.code === 'U001')!;
      expect(list.find((c) => c.code === 'U002')!.name).toBe('有限会社"引用"商店');
      const offices = (await admin.agent.get(`/api/v1/offices?clientId=${u1.id}`).expect(200)).body.items;
      expect(offices.map((o: { name: string }) => o.name).sort()).toEqual(['大阪支店', '本社']);
      expect(offices.find((o: { name: string }) => o.name === '本社')).toMatchObject({
        employmentOfficeNumber: '13011234567',
        laborInsuranceNumber: '13101123456000',
      });
      const audit = await t.ds.query(
        `SELECT details FROM audit_events WHERE action = 'client.imported' ORDER BY occurred_at DESC, seq DESC LIMIT 1`,
      );
      expect(audit[0].details).toEqual({ rows: 3, clients: 2, offices: 2 });
      // The same file again (as after correcting a row elsewhere) doubles nothing; a new office is still added.
      const again = await upload(
        Buffer.from(
          csv([
            'U001,株式会社ユーティーエフ,本社,01-イロハ,１２３４５,1301-123456-7,13-1-01-123456-000',
            'U001,株式会社ユーティーエフ,大阪支店,,,,',
            'U001,株式会社ユーティーエフ,福岡支店,,,,',
          ]),
        ),
      ).expect(200);
      expect(again.body).toEqual({ created: { clients: 0, offices: 1 } });
      expect(await counts()).toEqual({ c: before.c + 2, o: before.o + 3 });
    });

    it('imports UTF-8 with a BOM, and adds offices to an existing code', async () => {
      const res = await upload(
        Buffer.concat([
          Buffer.from([0xef, 0xbb, 0xbf]),
          Buffer.from(csv(['U001,株式会社ユーティーエフ,名古屋支店,,,,', 'B0M1,株式会社ボム,,,,,'])),
        ]),
      ).expect(200);
      expect(res.body).toEqual({ created: { clients: 1, offices: 1 } });
    });

    it('imports Shift_JIS as Excel writes it (①, 髙, ｶﾅ)', async () => {
      const res = await upload(iconv.encode(csv(['S001,株式会社髙島屋①,ｼﾌﾄ本店,,,,']), 'cp932')).expect(200);
      expect(res.body).toEqual({ created: { clients: 1, offices: 1 } });
      const c = (await admin.agent.get('/api/v1/clients').expect(200)).body.items.find((x: { code: string }) => x.code === 'S001');
      expect(c.name).toBe('株式会社髙島屋①');
    });

    it('creates nothing when one row is wrong, and names each problem by data row and column', async () => {
      const before = await counts();
      const res = await upload(
        Buffer.from(
          csv([
            'E001,株式会社イー,本社,,,,',
            'E002,株式会社イー2,本社,,,1301-12,',
            ',名前だけ,,,,,',
            'U001,別の名前,支店,,,,',
            'E001,株式会社イー違い,,,,,',
          ]),
        ),
      ).expect(422);
      expect(res.body.code).toBe('import_invalid');
      expect(res.body.errors.map((e: { row: number; field: string }) => [e.row, e.field])).toEqual([
        [2, 'employment_office_number'],
        [3, 'code'],
        [4, 'name'],
        [5, 'name'],
      ]);
      expect(res.body.errors[0].message).toMatch(/employmentOfficeNumber/);
      expect(await counts()).toEqual(before);
    });

    it('refuses a wrong header, an empty file, a file that is not multipart (row 0 for the file)', async () => {
      const bad = await upload(Buffer.from('コード,名前\nX,Y\n')).expect(422);
      expect(bad.body.errors[0]).toMatchObject({ row: 0, field: 'file', code: 'csv_header' });
      expect((await upload(Buffer.from(`${HEADER}\n`)).expect(422)).body.errors[0].code).toBe('csv_empty');
      await send(admin, 'post', '/api/v1/clients/import').send({ file: 'x' }).expect(400);
      const big = Buffer.alloc(1024 * 1024 + 10, 0x41);
      await upload(big).expect(413);
    });

    it('is the admin’s, and a company tenant has no clients (409 not_sharoushi)', async () => {
      await staffA.agent
        .post('/api/v1/clients/import')
        .set('X-CSRF-Token', staffA.csrf)
        .attach('file', Buffer.from(csv(['Z001,z,,,,,'])), 'x.csv')
        .expect(403);
      const coAdmin = await login(t, co.code, co.adminEmail);
      expect(
        (
          await coAdmin.agent
            .post('/api/v1/clients/import')
            .set('X-CSRF-Token', coAdmin.csrf)
            .attach('file', Buffer.from(csv(['Z001,z,,,,,'])), 'x.csv')
            .expect(409)
        ).body.code,
      ).toBe('not_sharoushi');
    });
  });

  describe('company tenants are unchanged', () => {
    it('works as before: a member sees and edits every office and application, without clients', async () => {
      const coAdmin = await login(t, co.code, co.adminEmail);
      const member = await login(t, co.code, co.memberEmail);
      const office = (await post(member, '/api/v1/offices', { name: '本社' }).expect(201)).body;
      expect(office.clientId).toBeNull();
      const app = (
        await post(coAdmin, '/api/v1/applications', { procedureCode: 'shaho-shutoku', officeId: office.id, title: '届' }).expect(201)
      ).body;
      expect(app).toMatchObject({ clientId: null, clientName: null });
      await send(member, 'patch', `/api/v1/applications/${app.id}`).send({ version: app.version, title: '変更' }).expect(200);
      expect((await member.agent.get('/api/v1/applications').expect(200)).body.items).toHaveLength(1);
      expect((await member.agent.get('/api/v1/clients').expect(200)).body.items).toEqual([]);
      expect((await post(coAdmin, '/api/v1/clients', { name: 'x' }).expect(409)).body.code).toBe('not_sharoushi');
      expect((await post(coAdmin, '/api/v1/offices', { name: 'y', clientId: clientA }).expect(409)).body.code).toBe('not_sharoushi');
      expect((await coAdmin.agent.get(`/api/v1/users/${co.memberId}/assignments`).expect(409)).body.code).toBe('not_sharoushi');
      // Another tenant's client is unknown here.
      await coAdmin.agent.get(`/api/v1/clients/${clientA}`).expect(404);
    });

    it('shows the tenant kind in the session and to operators', async () => {
      expect((await admin.agent.get('/api/v1/auth/session').expect(200)).body.tenant.kind).toBe('sharoushi');
      const coAdmin = await login(t, co.code, co.adminEmail);
      expect((await coAdmin.agent.get('/api/v1/auth/session').expect(200)).body.tenant.kind).toBe('company');
      const operatorView = await t.app.get(ContractService).list();
      expect(operatorView.filter((x) => [sr.code, co.code].includes(x.code)).map((x) => [x.code, x.kind])).toEqual([
        [co.code, 'company'],
        [sr.code, 'sharoushi'],
      ]);
    });
  });

  describe('approval routes per client', () => {
    it('parks a submission only for the client whose route applies', async () => {
      await send(admin, 'put', '/api/v1/approval-routes')
        .send({ routes: [{ clientId: clientB, appliesTo: ['submit'], steps: [{ approvers: [staffBId], mode: 'any' }] }] })
        .expect(200);
      try {
        const file = async (clientId: string, key: string) => {
          const officeId = (
            await post(admin, '/api/v1/offices', {
              name: '本社',
              clientId,
              address: '東京都千代田区霞が関1-2-2',
              pensionOfficeCode: '01-イロハ',
              pensionOfficeNumber: '12345',
            }).expect(201)
          ).body.id;
          const app = (
            await post(admin, '/api/v1/applications', { procedureCode: 'shaho-shutoku', officeId, title: '承認', form: VALID_FORM }).expect(
              201,
            )
          ).body;
          await post(admin, `/api/v1/applications/${app.id}/validate`, {}).expect(200);
          const r = await send(admin, 'post', `/api/v1/applications/${app.id}/submit`).set('Idempotency-Key', key);
          expect([r.status, r.body.code, r.body.detail]).toEqual([202, undefined, undefined]);
          return r.body;
        };
        expect((await file(clientB, 'clients-e2e-route-b')).status).toBe('awaiting_approval');
        expect((await file(clientA, 'clients-e2e-route-a')).status).not.toBe('awaiting_approval');
      } finally {
        await send(admin, 'put', '/api/v1/approval-routes').send({ routes: [] }).expect(200);
      }
    });
  });
});
