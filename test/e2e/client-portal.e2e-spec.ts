import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import request from 'supertest';
import { StatusTrackerService, SubmissionsService } from '@charlotte/filing';
import { NoticesService } from '@charlotte/notifications';
import type { EgovSim } from '../../apps/egov-sim/src/server';
import { giveKey, login, LoggedIn, PASSWORD, seedTenant, Seeded, startTestApp, TestApp } from '../support/app';
import { egovEnv, linkEgovAccount, startTestSim, VALID_FORM } from '../support/egov';
import { UsersService } from '@charlotte/auth';

const run = promisify(execFile);
const root = path.resolve(__dirname, '../..');

const OFFICE_NUMBERS = { address: '東京都千代田区霞が関1-2-2', pensionOfficeCode: '01-イロハ', pensionOfficeNumber: '12345' };

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
type Op = { method: Method; path: string };

/**
 * The routes a portal user (role client) may reach, beside the public ones. Every other operation
 * of the OpenAPI document answers them 404 not_found (default deny in the roles guard).
 */
const OPEN_TO_CLIENTS = new Set([
  'get /api/v1/auth/session',
  'post /api/v1/auth/logout',
  'get /api/v1/me/keyfiles',
  'delete /api/v1/me/keyfiles/{keyId}',
  'get /api/v1/notices',
  'post /api/v1/notices/read-all',
  'post /api/v1/notices/{id}/read',
  'get /api/v1/incidents',
  'get /api/v1/incidents/{id}',
  'get /api/v1/procedures',
  'get /api/v1/applications',
  'get /api/v1/applications/{id}',
  'get /api/v1/applications/{id}/documents',
  'get /api/v1/applications/{id}/documents/{did}',
  'get /api/v1/requests',
  'post /api/v1/requests',
  'post /api/v1/requests/{id}/close',
]);

/** @Public() routes: login steps, invitations, SAML, the e-Gov callback, health and the signing key. */
const isPublic = (op: Op) =>
  !op.path.startsWith('/api/v1/') ||
  /^\/api\/v1\/auth\/(login|keyfile|keyfile\/enroll|login\/pending|invitations\/accept|saml\/.*)$/.test(op.path) ||
  op.path === '/api/v1/egov/link/callback';

/**
 * 顧問先ポータル (issue 19): the users of a client company log in with the same password and key-file
 * rules, see only their own client's applications (read-only, drafts included) and 公文書, send 依頼
 * to the office, and get 404 on every other route and on every id of another client. Turning the
 * portal off refuses their login and their open sessions (403 portal_disabled).
 */
describe('Client portal (顧問先ポータル)', () => {
  let sim: EgovSim;
  let now = Date.now();
  let t: TestApp;
  let sr: Seeded;
  let admin: LoggedIn;
  let staffA: LoggedIn; // assigned to client A (offices right)
  let staffB: LoggedIn; // assigned to client B only
  let staffAId: string;
  let staffBId: string;
  let clientA: string;
  let clientB: string;
  let draftA: string;
  let filedA: string;
  let documentA: string;
  let draftB: string;
  let filedB: string;
  let documentB: string;
  let portal: LoggedIn;
  let portalId: string;
  const portalEmail = 'keiri@alpha.example';

  const send = (u: LoggedIn, method: Method, url: string) => u.agent[method](url).set('X-CSRF-Token', u.csrf);
  const post = (u: LoggedIn, url: string, body: object) => send(u, 'post', url).send(body);

  async function staff(email: string): Promise<{ id: string; session: LoggedIn }> {
    const { user } = await t.app
      .get(UsersService)
      .create(sr.tenantId, { email, displayName: '担当者', role: 'member', password: PASSWORD });
    await giveKey(t, sr.code, sr.tenantId, user.id, user.email);
    return { id: user.id, session: await login(t, sr.code, email) };
  }

  async function filed(officeId: string, title: string, key: string): Promise<{ id: string; documentId: string }> {
    const id = (
      await post(admin, '/api/v1/applications', { procedureCode: 'shaho-shutoku', officeId, title, form: VALID_FORM }).expect(201)
    ).body.id;
    await post(admin, `/api/v1/applications/${id}/validate`, {}).expect(200);
    await send(admin, 'post', `/api/v1/applications/${id}/submit`).set('Idempotency-Key', key).expect(202);
    await t.app.get(SubmissionsService).runDue();
    for (let i = 0; i < 3; i++) {
      now += 1500;
      await t.app.get(StatusTrackerService).pollAll();
    }
    const docs = await admin.agent.get(`/api/v1/applications/${id}/documents`).expect(200);
    return { id, documentId: docs.body.items[0].id };
  }

  beforeAll(async () => {
    let clamdSocket = process.env.CLAMD_SOCKET ?? '';
    if (!clamdSocket) {
      const out = await run('bash', [path.join(root, 'scripts/clamd-start.sh')], { timeout: 120_000 });
      clamdSocket = /CLAMD_SOCKET=(\S+)/.exec(out.stdout)?.[1] ?? '';
    }
    sim = await startTestSim(() => now);
    t = await startTestApp({ ...egovEnv(sim), CLAMD_SOCKET: clamdSocket });
    sr = await seedTenant(t, 'sr-portal', { kind: 'sharoushi' });
    admin = await login(t, sr.code, sr.adminEmail);
    clientA = (await post(admin, '/api/v1/clients', { name: '株式会社アルファ', code: 'A001' }).expect(201)).body.id;
    clientB = (await post(admin, '/api/v1/clients', { name: '株式会社ベータ', code: 'B001' }).expect(201)).body.id;
    const officeA = (await post(admin, '/api/v1/offices', { clientId: clientA, name: 'アルファ本社', ...OFFICE_NUMBERS }).expect(201)).body
      .id;
    const officeB = (await post(admin, '/api/v1/offices', { clientId: clientB, name: 'ベータ本社', ...OFFICE_NUMBERS }).expect(201)).body
      .id;
    await linkEgovAccount(t, admin, sim);
    draftA = (
      await post(admin, '/api/v1/applications', { procedureCode: 'shaho-shutoku', officeId: officeA, title: 'アルファの下書き' }).expect(
        201,
      )
    ).body.id;
    draftB = (
      await post(admin, '/api/v1/applications', { procedureCode: 'shaho-shutoku', officeId: officeB, title: 'ベータの下書き' }).expect(201)
    ).body.id;
    ({ id: filedA, documentId: documentA } = await filed(officeA, 'アルファ提出済', 'portal-e2e-a-0001'));
    ({ id: filedB, documentId: documentB } = await filed(officeB, 'ベータ提出済', 'portal-e2e-b-0001'));

    const a = await staff('staff-a@sr-portal.example');
    staffA = a.session;
    staffAId = a.id;
    await send(admin, 'put', `/api/v1/users/${a.id}/assignments`)
      .send({ all: false, clients: [{ clientId: clientA, rights: ['draft', 'offices'] }] })
      .expect(200);
    const b = await staff('staff-b@sr-portal.example');
    staffB = b.session;
    staffBId = b.id;
    await send(admin, 'put', `/api/v1/users/${b.id}/assignments`)
      .send({ all: false, clients: [{ clientId: clientB, rights: ['documents'] }] })
      .expect(200);
  }, 240_000);

  afterAll(async () => {
    await t?.close();
    await sim?.close();
  });

  describe('invitation', () => {
    it('refuses to invite while the portal is off (409 portal_disabled)', async () => {
      const res = await post(admin, `/api/v1/clients/${clientA}/users`, { email: portalEmail, displayName: '経理 花子' }).expect(409);
      expect(res.body.code).toBe('portal_disabled');
    });

    it('refuses staff without the offices right, and staff who do not see the client (403 / 404)', async () => {
      await send(admin, 'patch', `/api/v1/clients/${clientB}`).send({ portalEnabled: true }).expect(200);
      // staff B sees client B but has only the documents right
      const r1 = await post(staffB, `/api/v1/clients/${clientB}/users`, { email: 'x@beta.example', displayName: 'x' }).expect(403);
      expect(r1.body.code).toBe('right_missing');
      // staff A does not see client B at all
      const r2 = await post(staffA, `/api/v1/clients/${clientB}/users`, { email: 'x@beta.example', displayName: 'x' }).expect(404);
      expect(r2.body.code).toBe('not_found');
      await staffA.agent.get(`/api/v1/clients/${clientB}/users`).expect(404);
    });

    it('invites a portal user (one-time link), who sets a password and enrols a key file at first login', async () => {
      await send(admin, 'patch', `/api/v1/clients/${clientA}`).send({ portalEnabled: true }).expect(200);
      // staff with the offices right on the client may invite
      const inv = await post(staffA, `/api/v1/clients/${clientA}/users`, { email: portalEmail, displayName: '経理 花子' }).expect(201);
      expect(inv.body).toMatchObject({ email: portalEmail, role: 'client', status: 'invited', clientId: clientA });
      expect(inv.body.invitation.url).toMatch(/\/invite\//);
      portalId = inv.body.id;
      const token = new URL(inv.body.invitation.url).pathname.split('/').pop();
      await request(t.http).post('/api/v1/auth/invitations/accept').send({ token, password: PASSWORD }).expect(200);
      const first = await request(t.http).post('/api/v1/auth/login').send({ tenant: sr.code, email: portalEmail, password: PASSWORD });
      expect(first.body.step).toBe('enroll_keyfile');
      portal = await login(t, sr.code, portalEmail); // enrols a key, then logs in with it
      const again = await login(t, sr.code, portalEmail); // key-file step with the enrolled key
      const session = (await again.agent.get('/api/v1/auth/session').expect(200)).body;
      expect(session.user).toMatchObject({ id: portalId, role: 'client', clientId: clientA });

      const listed = (await staffA.agent.get(`/api/v1/clients/${clientA}/users`).expect(200)).body.items;
      expect(listed.map((u: { id: string }) => u.id)).toEqual([portalId]);
      const audit = await t.ds.query(`SELECT details FROM audit_events WHERE action = 'client_user.invited' AND target_id = $1`, [
        portalId,
      ]);
      expect(audit).toHaveLength(1);
      expect(JSON.stringify(audit[0].details)).not.toContain('alpha.example');
    });

    it('keeps a portal user a portal user (PATCH role: 409 client_user_role) and the client with them (409 client_in_use)', async () => {
      const r = await send(admin, 'patch', `/api/v1/users/${portalId}`).send({ role: 'member' }).expect(409);
      expect(r.body.code).toBe('client_user_role');
      const c = await send(admin, 'post', `/api/v1/clients`).send({ name: '空の顧問先' }).expect(201);
      await send(admin, 'patch', `/api/v1/clients/${c.body.id}`).send({ portalEnabled: true }).expect(200);
      await post(admin, `/api/v1/clients/${c.body.id}/users`, { email: 'p@empty.example', displayName: '担当' }).expect(201);
      expect((await send(admin, 'delete', `/api/v1/clients/${c.body.id}`).expect(409)).body.code).toBe('client_in_use');
    });
  });

  describe('what a portal user sees', () => {
    it("lists only the own client's applications, drafts included", async () => {
      const items = (await portal.agent.get('/api/v1/applications').expect(200)).body.items as Array<{ id: string; status: string }>;
      expect(items.map((a) => a.id).sort()).toEqual([draftA, filedA].sort());
      expect(items.find((a) => a.id === draftA)?.status).toBe('draft');
      expect((await portal.agent.get(`/api/v1/applications?clientId=${clientB}`).expect(200)).body.items).toEqual([]);
    });

    it('reads its applications (個人番号 masked, never unmasked) and downloads its 公文書', async () => {
      const d = (await portal.agent.get(`/api/v1/applications/${filedA}`).expect(200)).body;
      expect(d.masked).toBe(true);
      const u = await portal.agent.get(`/api/v1/applications/${filedA}?unmask=sensitive`).expect(403);
      expect(u.body.code).toBe('unmask_not_allowed');
      const docs = (await portal.agent.get(`/api/v1/applications/${filedA}/documents`).expect(200)).body.items;
      expect(docs.map((x: { id: string }) => x.id)).toContain(documentA);
      const file = await portal.agent.get(`/api/v1/applications/${filedA}/documents/${documentA}`).expect(200);
      expect(file.headers['content-disposition']).toMatch(/attachment/);
      await portal.agent.get('/api/v1/procedures').expect(200);
    });

    it("answers 404 on every id of another client's applications and documents", async () => {
      for (const url of [
        `/api/v1/applications/${draftB}`,
        `/api/v1/applications/${filedB}`,
        `/api/v1/applications/${filedB}/documents`,
        `/api/v1/applications/${filedB}/documents/${documentB}`,
        `/api/v1/applications/${filedA}/documents/${documentB}`,
      ]) {
        const res = await portal.agent.get(url);
        expect([url, res.status, res.body.code]).toEqual([url, 404, 'not_found']);
      }
    });

    it('does not see the tenant-wide お知らせ of the office (only those addressed to the portal user)', async () => {
      await t.app.get(NoticesService).add(t.ds, sr.tenantId, null, filedB, 'completed');
      const mine = (await portal.agent.get('/api/v1/notices').expect(200)).body;
      expect(mine.items.filter((n: { applicationId: string | null }) => n.applicationId === filedB)).toEqual([]);
      const staffNotices = (await staffA.agent.get('/api/v1/notices').expect(200)).body.items;
      expect(staffNotices.some((n: { applicationId: string | null }) => n.applicationId === filedB)).toBe(true);
    });
  });

  describe('every other route answers 404 (table-driven over the OpenAPI document)', () => {
    let ops: Op[];
    const url = (op: Op) =>
      op.path
        .replace('/api/v1/applications/{id}', `/api/v1/applications/${/documents|amend|withdraw/.test(op.path) ? filedA : draftA}`)
        .replace('/api/v1/clients/{id}', `/api/v1/clients/${clientA}`)
        .replace('/api/v1/users/{id}', `/api/v1/users/${portalId}`)
        .replace('{did}', documentA)
        .replace(/\{(id|aid|did)\}/g, '00000000-0000-4000-8000-000000000000')
        .replace('{keyId}', 'abc')
        .replace(/\{(code|tenant)\}/g, sr.code);

    beforeAll(async () => {
      const doc = (await request(t.http).get('/api/docs/openapi.json').expect(200)).body as {
        paths: Record<string, Record<string, unknown>>;
      };
      ops = Object.entries(doc.paths).flatMap(([p, item]) =>
        Object.keys(item)
          .filter((m) => ['get', 'post', 'put', 'patch', 'delete'].includes(m))
          .map((m) => ({ method: m as Method, path: p })),
      );
    });

    it('names only existing operations as open to clients', () => {
      const names = new Set(ops.map((o) => `${o.method} ${o.path}`));
      expect([...OPEN_TO_CLIENTS].filter((n) => !names.has(n))).toEqual([]);
    });

    it('answers 404 not_found to a portal user on every operation not opened to clients, and changes nothing', async () => {
      const before = await t.ds.query(
        `SELECT (SELECT string_agg(version::text || status, ',' ORDER BY id) FROM applications) AS apps,
                (SELECT string_agg(version::text || portal_enabled::text, ',' ORDER BY id) FROM clients) AS clients,
                (SELECT count(*) FROM users)::int AS users, (SELECT count(*) FROM offices)::int AS offices`,
      );
      const closed = ops.filter((o) => !isPublic(o) && !OPEN_TO_CLIENTS.has(`${o.method} ${o.path}`));
      expect(closed.length).toBeGreaterThan(80);
      for (const op of closed) {
        const name = `${op.method} ${op.path}`;
        let req = send(portal, op.method, url(op)).set('Idempotency-Key', `portal-${op.method}-${op.path.length}`);
        if (op.method !== 'get' && op.method !== 'delete') req = req.send({});
        const res = await req;
        expect([name, res.status, res.body.code]).toEqual([name, 404, 'not_found']);
      }
      const after = await t.ds.query(
        `SELECT (SELECT string_agg(version::text || status, ',' ORDER BY id) FROM applications) AS apps,
                (SELECT string_agg(version::text || portal_enabled::text, ',' ORDER BY id) FROM clients) AS clients,
                (SELECT count(*) FROM users)::int AS users, (SELECT count(*) FROM offices)::int AS offices`,
      );
      expect(after).toEqual(before);
    });

    it('lets staff reach the same routes (the 404s are the policy, not typos)', async () => {
      for (const p of [`/api/v1/users/${portalId}`, `/api/v1/clients/${clientA}`, `/api/v1/clients/${clientA}/users`, '/api/v1/offices']) {
        const res = await admin.agent.get(p);
        expect([p, res.status]).toEqual([p, 200]);
      }
    });
  });

  describe('依頼 (requests)', () => {
    let requestId: string;

    it('validates title 1..200 and body 1..10000 (400 validation_failed)', async () => {
      for (const body of [
        { title: '', body: '本文' },
        { title: 'x'.repeat(201), body: '本文' },
        { title: '件名', body: 'x'.repeat(10001) },
        { title: '件名' },
        { title: '   ', body: '本文' },
      ]) {
        const res = await post(portal, '/api/v1/requests', body);
        expect([res.status, res.body.code]).toEqual([400, 'validation_failed']);
      }
    });

    it('refuses a 依頼 from office users (403 portal_users_only)', async () => {
      const res = await post(staffA, '/api/v1/requests', { title: '件名', body: '本文' }).expect(403);
      expect(res.body.code).toBe('portal_users_only');
    });

    it('a portal user sends a 依頼: the client’s staff and the admins get an お知らせ, other staff not', async () => {
      const res = await post(portal, '/api/v1/requests', {
        title: '4月入社3名の資格取得届',
        body: '添付の名簿のとおりお願いします。',
      }).expect(201);
      requestId = res.body.id;
      expect(res.body).toMatchObject({
        clientId: clientA,
        clientName: '株式会社アルファ',
        title: '4月入社3名の資格取得届',
        status: 'open',
        createdBy: { id: portalId, displayName: '経理 花子' },
        closedAt: null,
      });
      const kinds = async (u: LoggedIn) =>
        ((await u.agent.get('/api/v1/notices').expect(200)).body.items as Array<{ kind: string }>).map((n) => n.kind);
      expect(await kinds(staffA)).toContain('client_request_created');
      expect(await kinds(admin)).toContain('client_request_created');
      expect(await kinds(staffB)).not.toContain('client_request_created');
      // sealed at rest, and neither title nor body in the audit trail
      const raw = await t.ds.query(`SELECT title_sealed::text AS t FROM client_requests WHERE id = $1`, [requestId]);
      expect(raw[0].t).not.toContain('資格');
      const audit = await t.ds.query(`SELECT details::text AS d FROM audit_events WHERE target_id = $1`, [requestId]);
      expect(audit.map((a: { d: string }) => a.d).join()).not.toMatch(/資格|名簿/);
      expect(audit).toHaveLength(1);
    });

    it('lists 依頼 by visibility: the portal user and staff of the client see it, other staff do not (404 on its id)', async () => {
      expect((await portal.agent.get('/api/v1/requests').expect(200)).body.items.map((r: { id: string }) => r.id)).toEqual([requestId]);
      expect((await staffA.agent.get('/api/v1/requests?status=open').expect(200)).body.items.map((r: { id: string }) => r.id)).toEqual([
        requestId,
      ]);
      expect((await admin.agent.get(`/api/v1/requests?clientId=${clientA}`).expect(200)).body.items).toHaveLength(1);
      expect((await admin.agent.get(`/api/v1/requests?clientId=${clientB}`).expect(200)).body.items).toEqual([]);
      expect((await staffB.agent.get('/api/v1/requests').expect(200)).body.items).toEqual([]);
      expect((await send(staffB, 'post', `/api/v1/requests/${requestId}/close`).expect(404)).body.code).toBe('not_found');
    });

    it('pages newest first with a cursor', async () => {
      const second = (await post(portal, '/api/v1/requests', { title: '二件目', body: '本文' }).expect(201)).body.id;
      const p1 = (await portal.agent.get('/api/v1/requests?limit=1').expect(200)).body;
      expect(p1.items.map((r: { id: string }) => r.id)).toEqual([second]);
      const p2 = (await portal.agent.get(`/api/v1/requests?limit=1&cursor=${encodeURIComponent(p1.nextCursor)}`).expect(200)).body;
      expect(p2.items.map((r: { id: string }) => r.id)).toEqual([requestId]);
      expect(p2.nextCursor).toBeNull();
      await send(portal, 'post', `/api/v1/requests/${second}/close`).expect(200);
    });

    it('staff of the client close it: the requester gets an お知らせ; closing again changes nothing', async () => {
      const res = await send(staffA, 'post', `/api/v1/requests/${requestId}/close`).expect(200);
      expect(res.body).toMatchObject({ status: 'closed', closedBy: { id: staffAId } });
      const n = (await portal.agent.get('/api/v1/notices').expect(200)).body.items as Array<{ kind: string }>;
      expect(n.filter((x) => x.kind === 'client_request_closed')).toHaveLength(1);
      await send(admin, 'post', `/api/v1/requests/${requestId}/close`).expect(200);
      const n2 = (await portal.agent.get('/api/v1/notices').expect(200)).body.items as Array<{ kind: string }>;
      expect(n2.filter((x) => x.kind === 'client_request_closed')).toHaveLength(1);
      expect((await staffA.agent.get('/api/v1/requests?status=open').expect(200)).body.items).toEqual([]);
      const actions = await t.ds.query(`SELECT action FROM audit_events WHERE target_id = $1 ORDER BY seq`, [requestId]);
      expect(actions.map((a: { action: string }) => a.action)).toEqual(['client_request.created', 'client_request.closed']);
      expect(staffBId).toBeTruthy();
    });
  });

  it('cannot be named an approver: an approval route with a portal user answers 400 approver_not_active and saves nothing', async () => {
    const res = await send(admin, 'put', '/api/v1/approval-routes')
      .send({ routes: [{ clientId: clientA, appliesTo: ['submit'], steps: [{ approvers: [portalId], mode: 'any' }] }] })
      .expect(400);
    expect(res.body.errors).toEqual([expect.objectContaining({ field: 'routes[0].steps[0].approvers[0]', code: 'approver_not_active' })]);
    expect((await admin.agent.get('/api/v1/approval-routes').expect(200)).body.routes).toEqual([]);
  });

  describe('portal turned off', () => {
    it('refuses the open session and the login of its users (403 portal_disabled), and lets them in again when turned on', async () => {
      await send(admin, 'patch', `/api/v1/clients/${clientA}`).send({ portalEnabled: false }).expect(200);
      const s = await portal.agent.get('/api/v1/applications').expect(403);
      expect(s.body.code).toBe('portal_disabled');
      await expect(login(t, sr.code, portalEmail)).rejects.toThrow(/403.*portal_disabled/);
      // the office is unaffected
      await staffA.agent.get('/api/v1/applications').expect(200);
      await send(admin, 'patch', `/api/v1/clients/${clientA}`).send({ portalEnabled: true }).expect(200);
      await portal.agent.get('/api/v1/applications').expect(200);
      await login(t, sr.code, portalEmail);
    });
  });
});
