import request from 'supertest';
import { UsersService } from '@charlotte/auth';
import { StatusTrackerService, SubmissionsService } from '@charlotte/filing';
import { addDays, nextOpenDay, todayInJapan } from '@charlotte/procedures';
import type { EgovSim } from '../../apps/egov-sim/src/server';
import { giveKey, login, LoggedIn, PASSWORD, seedTenant, Seeded, startTestApp, TestApp } from '../support/app';
import { egovEnv, linkEgovAccount, startTestSim, VALID_FORM } from '../support/egov';

/**
 * Issue 18, "Home as a dashboard" and 提出期限: the deadline computed from the
 * sealed form when it is saved (kept plain in applications.due_date), the
 * overdue flag on the application views, GET /dashboard (counts, deadlines,
 * latest 手続終了 with 公文書, onboarding checklist) with tenant isolation, roles
 * and API token scopes, and GET /operator/overview.
 */
describe('Dashboard and filing deadlines (/api/v1/dashboard, dueDate)', () => {
  let sim: EgovSim;
  let now = Date.now();
  let t: TestApp;
  let a: Seeded;
  let b: Seeded;
  let adminA: LoggedIn;
  let memberA: LoggedIn;
  let adminB: LoggedIn;
  let officeA: string;
  let officeB: string;
  const today = todayInJapan();

  const post = (u: LoggedIn, url: string, body: object = {}) => u.agent.post(url).set('X-CSRF-Token', u.csrf).send(body);
  const patch = (u: LoggedIn, url: string, body: object) => u.agent.patch(url).set('X-CSRF-Token', u.csrf).send(body);
  const office = async (u: LoggedIn) =>
    (
      await post(u, '/api/v1/offices', {
        name: '本社',
        address: '東京都千代田区霞が関1-2-2',
        pensionOfficeCode: '01-イロハ',
        pensionOfficeNumber: '12345',
      }).expect(201)
    ).body.id as string;
  const create = async (u: LoggedIn, officeId: string, form: Record<string, unknown>, procedureCode = 'shaho-shutoku', title = '申請') =>
    (await post(u, '/api/v1/applications', { procedureCode, officeId, title, form }).expect(201)).body;
  const dueRow = async (id: string) =>
    (await t.ds.query(`SELECT to_char(due_date, 'YYYY-MM-DD') AS d FROM applications WHERE id = $1`, [id]))[0].d as string | null;
  const dashboard = async (u: LoggedIn) => (await u.agent.get('/api/v1/dashboard').expect(200)).body;

  beforeAll(async () => {
    sim = await startTestSim(() => now);
    t = await startTestApp(egovEnv(sim));
    a = await seedTenant(t, 'dash-a');
    b = await seedTenant(t, 'dash-b');
    adminA = await login(t, 'dash-a', a.adminEmail);
    memberA = await login(t, 'dash-a', a.memberEmail);
    adminB = await login(t, 'dash-b', b.adminEmail);
  }, 120_000);
  afterAll(async () => {
    await t?.close();
    await sim?.close();
  });

  describe('onboarding checklist', () => {
    const steps = (body: { onboarding: { steps: Array<{ key: string; done: boolean }> } }) =>
      Object.fromEntries(body.onboarding.steps.map((s) => [s.key, s.done]));

    it('starts with nothing done for a new tenant (one admin with one key file is not yet safe)', async () => {
      const body = await dashboard(adminA);
      expect(body.onboarding.steps.map((s: { key: string }) => s.key)).toEqual(['office', 'egov', 'application', 'keyfile']);
      expect(steps(body)).toEqual({ office: false, egov: false, application: false, keyfile: false });
      expect(body.onboarding.complete).toBe(false);
      expect(body.counts).toEqual({ draft: 0, ready: 0, inReview: 0, correctionRequested: 0, failed: 0 });
      expect(body.deadlines).toMatchObject({ days: 14, overdueCount: 0, upcomingCount: 0, items: [] });
      expect(body.recentCompleted).toEqual([]);
      expect(body.today).toBe(today);
    });

    it('ticks each step as the tenant takes it, and never from another tenant’s data', async () => {
      officeA = await office(adminA);
      expect(steps(await dashboard(adminA))).toEqual({ office: true, egov: false, application: false, keyfile: false });
      // Tenant B has nothing yet: A's office does not count for it.
      expect(steps(await dashboard(adminB))).toEqual({ office: false, egov: false, application: false, keyfile: false });

      await linkEgovAccount(t, adminA, sim);
      expect(steps(await dashboard(adminA)).egov).toBe(true);
      expect(steps(await dashboard(adminB)).egov).toBe(false);

      // A spare key file for the administrator: a lost key no longer locks the tenant out.
      await giveKey(t, 'dash-a-spare', a.tenantId, a.adminId, a.adminEmail);
      expect(steps(await dashboard(adminA)).keyfile).toBe(true);
      // The member's keys do not count (a member cannot reset anyone's key).
      await giveKey(t, 'dash-b-spare', b.tenantId, b.memberId, b.memberEmail);
      expect(steps(await dashboard(adminB)).keyfile).toBe(false);
    });

    it('starts a 社労士 office with 「顧問先を登録」, ticked by its first client and by no other tenant’s', async () => {
      const s = await seedTenant(t, 'dash-s', { kind: 'sharoushi' });
      const adminS = await login(t, 'dash-s', s.adminEmail);
      const memberS = await login(t, 'dash-s', s.memberEmail);
      const first = await dashboard(adminS);
      expect(first.onboarding.steps.map((x: { key: string }) => x.key)).toEqual(['client', 'office', 'egov', 'application', 'keyfile']);
      expect(steps(first)).toEqual({ client: false, office: false, egov: false, application: false, keyfile: false });
      // Staff see the same checklist (it describes the tenant, not what the caller is assigned to).
      expect(steps(await dashboard(memberS)).client).toBe(false);

      // Another 社労士 tenant's client does not count.
      const other = await seedTenant(t, 'dash-s2', { kind: 'sharoushi' });
      const adminOther = await login(t, 'dash-s2', other.adminEmail);
      await post(adminOther, '/api/v1/clients', { name: '株式会社ベータ', code: 'B001' }).expect(201);
      expect(steps(await dashboard(adminS)).client).toBe(false);
      expect(steps(await dashboard(adminOther)).client).toBe(true);

      await post(adminS, '/api/v1/clients', { name: '株式会社アルファ', code: 'A001' }).expect(201);
      expect(steps(await dashboard(adminS)).client).toBe(true);
      expect(steps(await dashboard(memberS)).client).toBe(true);
      // A company tenant has no such step.
      expect(Object.keys(steps(await dashboard(adminB)))).toEqual(['office', 'egov', 'application', 'keyfile']);
    });
  });

  describe('提出期限 (dueDate) stored on save', () => {
    it('computes it from the form on create, recomputes it on PATCH, and clears it with the date', async () => {
      const created = await create(adminA, officeA, { ...VALID_FORM, acquisitionDate: '2026-04-01' });
      // 資格取得日 2026-04-01 (Wed) + 5日 = 04-06 (Mon).
      expect(created).toMatchObject({ dueDate: '2026-04-06', overdue: today > '2026-04-06' });
      expect(await dueRow(created.id)).toBe('2026-04-06');

      // 2026-04-28 + 5 = 05-03 (Sunday, 憲法記念日) → the Golden Week holidays → 05-07.
      const moved = await patch(adminA, `/api/v1/applications/${created.id}`, {
        version: created.version,
        form: { ...VALID_FORM, acquisitionDate: '2026-04-28' },
      }).expect(200);
      expect(moved.body.dueDate).toBe('2026-05-07');
      expect(await dueRow(created.id)).toBe('2026-05-07');

      const { acquisitionDate: _dropped, ...withoutDate } = VALID_FORM;
      const cleared = await patch(adminA, `/api/v1/applications/${created.id}`, { version: moved.body.version, form: withoutDate }).expect(
        200,
      );
      expect(cleared.body).toMatchObject({ dueDate: null, overdue: false });
      expect(await dueRow(created.id)).toBeNull();

      // A title-only change keeps it.
      const again = await patch(adminA, `/api/v1/applications/${created.id}`, {
        version: cleared.body.version,
        form: { ...VALID_FORM, acquisitionDate: '2026-04-01' },
      }).expect(200);
      const titled = await patch(adminA, `/api/v1/applications/${created.id}`, { version: again.body.version, title: '改題' }).expect(200);
      expect(titled.body.dueDate).toBe('2026-04-06');
      await adminA.agent.delete(`/api/v1/applications/${created.id}`).set('X-CSRF-Token', adminA.csrf).expect(204);
    });

    it('counts 雇用保険資格取得届 to the 10th of the next month, moved past a weekend and 成人の日', async () => {
      const created = await create(adminA, officeA, { acquisitionDate: '2026-12-01' }, 'koyo-shutoku');
      // 2027-01-10 is a Sunday and 01-11 成人の日.
      expect(created.dueDate).toBe('2027-01-12');
      await adminA.agent.delete(`/api/v1/applications/${created.id}`).set('X-CSRF-Token', adminA.csrf).expect(204);
    });

    it('fills in a row saved before the column existed on 入力チェック, without a new version', async () => {
      // An incomplete draft: 入力チェック finds errors, so the status and the version stay as they are.
      const created = await create(adminA, officeA, { acquisitionDate: '2026-04-01' });
      await t.ds.query(`UPDATE applications SET due_date = NULL WHERE id = $1`, [created.id]);
      const before = (await adminA.agent.get(`/api/v1/applications/${created.id}`).expect(200)).body;
      expect(before.dueDate).toBeNull();
      const checked = await post(adminA, `/api/v1/applications/${created.id}/validate`).expect(200);
      expect(checked.body).toMatchObject({ valid: false, status: 'draft', version: before.version });
      expect(await dueRow(created.id)).toBe('2026-04-06');
      expect((await adminA.agent.get(`/api/v1/applications/${created.id}`).expect(200)).body).toMatchObject({
        dueDate: '2026-04-06',
        version: before.version,
      });
      await adminA.agent.delete(`/api/v1/applications/${created.id}`).set('X-CSRF-Token', adminA.csrf).expect(204);
    });

    it('is overdue only while not filed: draft, ready and failed yes; arrived and 補正待ち no', async () => {
      // Due 5+ days ago whatever today is: an event 30 days back.
      const past = await create(adminA, officeA, { ...VALID_FORM, acquisitionDate: addDays(today, -30) });
      expect(past.overdue).toBe(true);
      const byStatus = async (status: string) => {
        await t.ds.query(`UPDATE applications SET status = $2 WHERE id = $1`, [past.id, status]);
        return (await adminA.agent.get(`/api/v1/applications/${past.id}`).expect(200)).body.overdue as boolean;
      };
      expect(await byStatus('ready')).toBe(true);
      expect(await byStatus('failed')).toBe(true);
      expect(await byStatus('arrived')).toBe(false);
      expect(await byStatus('correction_requested')).toBe(false);
      expect(await byStatus('completed')).toBe(false);
      await byStatus('draft');
      const list = await adminA.agent.get('/api/v1/applications').expect(200);
      expect(list.body.items.find((i: { id: string }) => i.id === past.id)).toMatchObject({ overdue: true, dueDate: expect.any(String) });
      await adminA.agent.delete(`/api/v1/applications/${past.id}`).set('X-CSRF-Token', adminA.csrf).expect(204);
    });
  });

  describe('GET /dashboard', () => {
    const ids: Record<string, string> = {};

    beforeAll(async () => {
      officeB = await office(adminB);
      // Tenant A: a draft due soon, an overdue draft, a draft due in a month (not listed), a ready one, one at e-Gov.
      ids.soon = (await create(adminA, officeA, { ...VALID_FORM, acquisitionDate: today }, 'shaho-shutoku', '期限が近い申請')).id;
      ids.late = (
        await create(adminA, officeA, { ...VALID_FORM, acquisitionDate: addDays(today, -20) }, 'shaho-shutoku', '期限切れの申請')
      ).id;
      ids.later = (await create(adminA, officeA, { ...VALID_FORM, acquisitionDate: addDays(today, 40) }, 'shaho-shutoku', '来月の申請')).id;
      ids.ready = (await create(adminA, officeA, { ...VALID_FORM, acquisitionDate: addDays(today, -20) }, 'shaho-shutoku', '準備完了')).id;
      const v = await post(adminA, `/api/v1/applications/${ids.ready}/validate`).expect(200);
      expect(v.body.status).toBe('ready');
      ids.review = (await create(adminA, officeA, { ...VALID_FORM }, 'shaho-shutoku', '審査中の申請')).id;
      await t.ds.query(`UPDATE applications SET status = 'under_review' WHERE id = $1`, [ids.review]);
      ids.correction = (await create(adminA, officeA, { ...VALID_FORM, acquisitionDate: addDays(today, -20) }, 'shaho-shutoku', '補正')).id;
      await t.ds.query(`UPDATE applications SET status = 'correction_requested' WHERE id = $1`, [ids.correction]);
      // Tenant B: three drafts, one overdue. None may show up in A's numbers.
      for (const d of [-20, 0, 1])
        await create(adminB, officeB, { ...VALID_FORM, acquisitionDate: addDays(today, d) }, 'shaho-shutoku', 'B社の申請');
    });

    it('counts by status, and lists overdue and upcoming deadlines soonest first (only not filed ones)', async () => {
      const body = await dashboard(adminA);
      expect(body.counts).toEqual({ draft: 3, ready: 1, inReview: 1, correctionRequested: 1, failed: 0 });
      // Overdue: the draft and the ready one (same deadline, the older first). Not the one due in a month, not 補正待ち
      // (filed in time: its deadline is e-Gov's), not the one under review.
      expect(body.deadlines.overdueCount).toBe(2);
      const items = body.deadlines.items as Array<{ id: string; title: string; dueDate: string; overdue: boolean; procedureName: string }>;
      expect(items.map((i) => i.id)).toEqual([ids.late, ids.ready, ids.soon]);
      const late = items.find((i) => i.id === ids.late)!;
      expect(late).toMatchObject({ title: '期限切れの申請', overdue: true, procedureName: '健康保険・厚生年金保険 被保険者資格取得届' });
      expect(late.dueDate < today).toBe(true);
      const soon = items.find((i) => i.id === ids.soon)!;
      expect(soon).toMatchObject({ overdue: false, dueDate: nextOpenDay(addDays(today, 5)) });
      expect(body.deadlines.upcomingCount).toBe(items.filter((i) => !i.overdue).length);
    });

    it('never counts another tenant’s applications (B sees its own three drafts only)', async () => {
      const body = await dashboard(adminB);
      expect(body.counts).toEqual({ draft: 3, ready: 0, inReview: 0, correctionRequested: 0, failed: 0 });
      expect(body.deadlines.items.every((i: { title: string }) => i.title === 'B社の申請')).toBe(true);
      expect(body.deadlines.overdueCount).toBe(1);
      expect(JSON.stringify(body)).not.toContain('期限切れの申請');
    });

    it('answers members as administrators (the same tenant-wide numbers)', async () => {
      const member = await dashboard(memberA);
      const admin = await dashboard(adminA);
      expect(member.counts).toEqual(admin.counts);
      expect(member.deadlines).toEqual(admin.deadlines);
    });

    it('answers an API token with applications:read, refuses one without it, and refuses anonymous callers and operators', async () => {
      const token = async (scopes: string[]) =>
        (await post(adminA, '/api/v1/api-tokens', { name: `dash ${scopes.join()}`, scopes }).expect(201)).body.token;
      const read = await token(['applications:read']);
      const res = await request(t.http).get('/api/v1/dashboard').set('Authorization', `Bearer ${read}`).expect(200);
      expect(res.body.counts.draft).toBe(3);
      const audit = await token(['audit:read']);
      const refused = await request(t.http).get('/api/v1/dashboard').set('Authorization', `Bearer ${audit}`).expect(403);
      expect(refused.body.code).toBe('scope_missing');
      await request(t.http).get('/api/v1/dashboard').expect(401);

      const email = 'ops@dash.example';
      const { user } = await t.app.get(UsersService).createOperator(email, PASSWORD);
      await giveKey(t, 'platform', null, user.id, email);
      const op = await login(t, 'platform', email);
      await op.agent.get('/api/v1/dashboard').expect(403);
      const overview = await op.agent.get('/api/v1/operator/overview').expect(200);
      expect(overview.body).toMatchObject({
        // dash-a, dash-b and the two 社労士 offices of the checklist test.
        tenants: { active: 4, cancelled: 0, deleted: 0 },
        openAlerts: 0,
        openIncidents: 0,
        jobFailures: [],
      });
      expect(JSON.stringify(overview.body)).not.toMatch(/申請|dash-a 株式会社/);
      await adminA.agent.get('/api/v1/operator/overview').expect(403);
    });

    it('filters the list by deadline (?due=overdue|week) and by several statuses at once', async () => {
      const list = async (q: string) =>
        ((await adminA.agent.get(`/api/v1/applications?${q}`).expect(200)).body.items as Array<{ id: string }>).map((i) => i.id).sort();
      expect(await list('due=overdue')).toEqual([ids.late, ids.ready].sort());
      // Due within 7 days: the one due 5 days after today, unless holidays push it further (年末年始, Golden Week).
      const soonDue = nextOpenDay(addDays(today, 5));
      expect(await list('due=week')).toEqual(soonDue <= addDays(today, 7) ? [ids.soon] : []);
      expect(await list('status=submitting,arrived,under_review,review_finished')).toEqual([ids.review]);
      expect(await list('status=draft')).toHaveLength(3);
      await adminA.agent.get('/api/v1/applications?due=someday').expect(400);
      await adminA.agent.get('/api/v1/applications?status=draft,nope').expect(400);
      expect(await list('due=overdue&status=draft')).toEqual([ids.late]);
    });

    it('lists the latest 手続終了 with the number of its 公文書', async () => {
      const done = await create(adminA, officeA, { ...VALID_FORM, acquisitionDate: today }, 'shaho-shutoku', '終了した申請');
      await post(adminA, `/api/v1/applications/${done.id}/validate`).expect(200);
      await adminA.agent
        .post(`/api/v1/applications/${done.id}/submit`)
        .set('X-CSRF-Token', adminA.csrf)
        .set('Idempotency-Key', 'dash-done-0001')
        .expect(202);
      await t.app.get(SubmissionsService).runDue();
      const tracker = t.app.get(StatusTrackerService);
      for (let i = 0; i < 3; i++) {
        now += 1500;
        await tracker.pollAll();
      }
      const docs = (await adminA.agent.get(`/api/v1/applications/${done.id}/documents`).expect(200)).body.items;
      expect(docs.length).toBeGreaterThan(0);
      const body = await dashboard(adminA);
      expect(body.recentCompleted).toEqual([
        {
          id: done.id,
          title: '終了した申請',
          procedureCode: 'shaho-shutoku',
          procedureName: '健康保険・厚生年金保険 被保険者資格取得届',
          procedureNameEn: expect.any(String),
          completedAt: expect.any(String),
          documentCount: docs.length,
        },
      ]);
      expect(body.onboarding.complete).toBe(true);
      // Filed: it is no longer among the deadlines.
      expect(body.deadlines.items.map((i: { id: string }) => i.id)).not.toContain(done.id);
      expect((await dashboard(adminB)).recentCompleted).toEqual([]);
    });
  });
});
