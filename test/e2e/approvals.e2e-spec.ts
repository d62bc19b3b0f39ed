import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { EgovActionsService, StatusTrackerService, SubmissionsService } from '@charlotte/filing';
import { UsersService } from '@charlotte/auth';
import type { EgovSim } from '../../apps/egov-sim/src/server';
import { giveKey, login, LoggedIn, PASSWORD, seedTenant, Seeded, startTestApp, TestApp } from '../support/app';
import { egovEnv, linkEgovAccount, startTestSim, VALID_FORM } from '../support/egov';

const run = promisify(execFile);
const root = path.resolve(__dirname, '../..');

/**
 * Approval routes (承認フロー, issue 19): a submission (or 補正/取下げ) a route applies to waits
 * for its approvers, nothing reaching e-Gov (the simulator counts its cases); the last approval
 * files it exactly once; send-back and edits bring the application back to draft.
 */
describe('Approval routes (承認フロー)', () => {
  let sim: EgovSim;
  let now = Date.now();
  let t: TestApp;
  let a: Seeded;
  let admin: LoggedIn;
  let member: LoggedIn;
  let second: LoggedIn;
  let secondId: string;
  let officeId: string;
  let key = 0;

  beforeAll(async () => {
    // Attachments are scanned by a real clamd, as everywhere (an added attachment cancels an approval).
    let clamdSocket = process.env.CLAMD_SOCKET ?? '';
    if (!clamdSocket) {
      const out = await run('bash', [path.join(root, 'scripts/clamd-start.sh')], { timeout: 120_000 });
      clamdSocket = /CLAMD_SOCKET=(\S+)/.exec(out.stdout)?.[1] ?? '';
    }
    sim = await startTestSim(() => now);
    t = await startTestApp({ ...egovEnv(sim), CLAMD_SOCKET: clamdSocket });
    a = await seedTenant(t, 'appr-a');
    const u = await t.app
      .get(UsersService)
      .create(a.tenantId, { email: 'second@appr-a.example', displayName: '承認者2', role: 'member', password: PASSWORD });
    secondId = u.user.id;
    await giveKey(t, 'appr-a', a.tenantId, secondId, u.user.email);
    admin = await login(t, 'appr-a', a.adminEmail);
    member = await login(t, 'appr-a', a.memberEmail);
    second = await login(t, 'appr-a', 'second@appr-a.example');
    await linkEgovAccount(t, admin, sim);
    officeId = (
      await admin.agent
        .post('/api/v1/offices')
        .set('X-CSRF-Token', admin.csrf)
        .send({ name: '本社', address: '東京都千代田区霞が関1-2-2', pensionOfficeCode: '01-イロハ', pensionOfficeNumber: '12345' })
        .expect(201)
    ).body.id;
  }, 180_000);
  afterAll(async () => {
    await t?.close();
    await sim?.close();
  });

  const routes = (who: LoggedIn, body: object) => who.agent.put('/api/v1/approval-routes').set('X-CSRF-Token', who.csrf).send(body);
  async function ready(who: LoggedIn, title: string): Promise<string> {
    const app = await who.agent
      .post('/api/v1/applications')
      .set('X-CSRF-Token', who.csrf)
      .send({ procedureCode: 'shaho-shutoku', officeId, title, form: VALID_FORM })
      .expect(201);
    await who.agent.post(`/api/v1/applications/${app.body.id}/validate`).set('X-CSRF-Token', who.csrf).expect(200);
    return app.body.id;
  }
  const submit = (who: LoggedIn, id: string, k = `appr-key-${String(++key).padStart(4, '0')}`) =>
    who.agent.post(`/api/v1/applications/${id}/submit`).set('X-CSRF-Token', who.csrf).set('Idempotency-Key', k);
  const approve = (who: LoggedIn, id: string, comment?: string) =>
    who.agent
      .post(`/api/v1/approvals/${id}/approve`)
      .set('X-CSRF-Token', who.csrf)
      .send(comment ? { comment } : {});
  const sendBack = (who: LoggedIn, id: string, body: object) =>
    who.agent.post(`/api/v1/approvals/${id}/send-back`).set('X-CSRF-Token', who.csrf).send(body);
  const app = async (id: string) => (await admin.agent.get(`/api/v1/applications/${id}`).expect(200)).body;
  const submissions = async (id: string) =>
    Number((await t.ds.query(`SELECT count(*)::int AS n FROM submissions WHERE application_id = $1`, [id]))[0].n);
  const oneStep = (approvers: string[], extra: Record<string, unknown> = {}) => ({
    routes: [{ appliesTo: ['submit'], steps: [{ approvers, mode: 'any' }], ...extra }],
  });

  it('lets administrators only read and replace the routes, and refuses invalid ones', async () => {
    expect((await admin.agent.get('/api/v1/approval-routes').expect(200)).body).toEqual({ routes: [] });
    await member.agent.get('/api/v1/approval-routes').expect(403);
    await routes(member, oneStep([a.adminId])).expect(403);
    // No step, an empty step, an unknown user, an unknown action, two routes for the same action: 400.
    for (const bad of [
      { routes: [{ appliesTo: ['submit'], steps: [] }] },
      { routes: [{ appliesTo: ['submit'], steps: [{ approvers: [], mode: 'any' }] }] },
      { routes: [{ appliesTo: ['submit'], steps: [{ approvers: [a.adminId], mode: 'some' }] }] },
      { routes: [{ appliesTo: ['delete'], steps: [{ approvers: [a.adminId], mode: 'any' }] }] },
      { routes: [{ appliesTo: [], steps: [{ approvers: [a.adminId], mode: 'any' }] }] },
    ])
      expect((await routes(admin, bad).expect(400)).body.code).toBe('validation_failed');
    const unknown = await routes(admin, oneStep(['00000000-0000-4000-8000-000000000000'])).expect(400);
    expect(unknown.body.errors[0]).toMatchObject({ field: 'routes[0].steps[0].approvers[0]', code: 'approver_not_active' });
    const overlap = await routes(admin, { routes: [oneStep([a.adminId]).routes[0], oneStep([a.memberId]).routes[0]] }).expect(400);
    expect(overlap.body.errors[0]).toMatchObject({ field: 'routes[1].appliesTo', code: 'route_overlap' });
    // Another tenant's user is not an approver here.
    const b = await seedTenant(t, 'appr-b');
    expect((await routes(admin, oneStep([b.adminId])).expect(400)).body.errors[0].code).toBe('approver_not_active');
    const saved = await routes(admin, oneStep([a.adminId])).expect(200);
    expect(saved.body.routes).toEqual([
      {
        id: expect.any(String),
        clientId: null,
        appliesTo: ['submit'],
        steps: [{ approvers: [a.adminId], mode: 'any' }],
        allowSelfApproval: false,
      },
    ]);
    const audit = await t.ds.query(`SELECT details FROM audit_events WHERE chain_key = $1 AND action = 'approval_route.updated'`, [
      a.tenantId,
    ]);
    expect(audit.map((r: { details: unknown }) => r.details)).toEqual([{ routes: 1, steps: 1 }]);
  });

  it('parks a submission a route applies to (202 awaiting_approval, nothing sent to e-Gov); the approval files it once', async () => {
    await routes(admin, oneStep([a.adminId])).expect(200);
    const id = await ready(member, '承認 1');
    const cases = sim.state.cases.size;
    const res = await submit(member, id, 'appr-park-0001').expect(202);
    expect(res.body).toEqual({ status: 'awaiting_approval', approvalId: expect.any(String) });
    const approvalId = res.body.approvalId as string;
    // The same key replays; another key is refused while the approval is pending.
    expect((await submit(member, id, 'appr-park-0001').expect(202)).body).toEqual(res.body);
    expect((await submit(member, id, 'appr-park-0002').expect(409)).body.code).toBe('approval_pending');
    expect((await app(id)).status).toBe('awaiting_approval');
    await t.app.get(SubmissionsService).runDue();
    expect(sim.state.cases.size).toBe(cases);
    expect(await submissions(id)).toBe(0);

    // The approver sees it; the requester has nothing to decide.
    const mine = await admin.agent.get('/api/v1/approvals').query({ assigned: 'me' }).expect(200);
    expect(mine.body.items.map((i: { id: string }) => i.id)).toContain(approvalId);
    expect((await member.agent.get('/api/v1/approvals').query({ assigned: 'me' }).expect(200)).body.items).toEqual([]);
    expect((await admin.agent.get('/api/v1/notices').expect(200)).body.items.map((n: { kind: string }) => n.kind)).toContain(
      'approval_requested',
    );
    // Only an approver of the current step decides.
    expect((await approve(member, approvalId).expect(403)).body.code).toBe('not_approver');

    const done = await approve(admin, approvalId, '確認しました').expect(200);
    expect(done.body).toMatchObject({ status: 'approved', canDecide: false, applicationVersion: expect.any(Number) });
    expect(done.body.people).toEqual(
      expect.arrayContaining([
        { id: a.adminId, name: '管理者' },
        { id: a.memberId, name: '一般' },
      ]),
    );
    expect(done.body.steps[0].decisions).toEqual([
      { userId: a.adminId, decision: 'approved', comment: '確認しました', at: expect.any(String) },
    ]);
    expect((await app(id)).status).toBe('submitting');
    expect((await approve(admin, approvalId).expect(409)).body.code).toBe('approval_not_pending');
    await t.app.get(SubmissionsService).runDue();
    expect(sim.state.cases.size).toBe(cases + 1);
    expect((await app(id)).status).toBe('arrived');
    expect(await submissions(id)).toBe(1);
    const sub = await t.ds.query(`SELECT submitted_by, idempotency_key FROM submissions WHERE application_id = $1`, [id]);
    expect(sub).toEqual([{ submitted_by: `user:${a.memberId}`, idempotency_key: 'appr-park-0001' }]);
    expect((await member.agent.get('/api/v1/notices').expect(200)).body.items.map((n: { kind: string }) => n.kind)).toContain(
      'approval_approved',
    );
    const audit = await t.ds.query(
      `SELECT action, details FROM audit_events WHERE chain_key = $1 AND action LIKE 'approval.%' AND target_id = $2 ORDER BY seq`,
      [a.tenantId, approvalId],
    );
    expect(audit.map((r: { action: string }) => r.action)).toEqual(['approval.requested', 'approval.approved']);
    // Ids only: no comment in the audit details.
    expect(JSON.stringify(audit)).not.toContain('確認しました');
    // The comment is sealed at rest.
    const raw = await t.ds.query(`SELECT comment_sealed FROM approval_decisions WHERE approval_id = $1`, [approvalId]);
    expect(raw[0].comment_sealed.includes(Buffer.from('確認しました'))).toBe(false);
  });

  it('files once when two approvers approve at the same moment (mode any)', async () => {
    await routes(admin, { routes: [{ appliesTo: ['submit'], steps: [{ approvers: [a.adminId, secondId], mode: 'any' }] }] }).expect(200);
    const id = await ready(member, '承認 競合');
    const approvalId = (await submit(member, id).expect(202)).body.approvalId;
    const cases = sim.state.cases.size;
    const results = await Promise.all([approve(admin, approvalId), approve(second, approvalId), approve(admin, approvalId)]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409, 409]);
    await t.app.get(SubmissionsService).runDue();
    await t.app.get(SubmissionsService).runDue();
    expect(await submissions(id)).toBe(1);
    expect(sim.state.cases.size).toBe(cases + 1);
  });

  it('needs every approver in mode all, step after step', async () => {
    await routes(admin, {
      routes: [
        {
          appliesTo: ['submit'],
          steps: [
            { approvers: [a.adminId, secondId], mode: 'all' },
            { approvers: [a.adminId], mode: 'any' },
          ],
        },
      ],
    }).expect(200);
    const id = await ready(member, '承認 全員');
    const approvalId = (await submit(member, id).expect(202)).body.approvalId;
    expect((await approve(admin, approvalId).expect(200)).body).toMatchObject({ status: 'pending', currentStep: 0 });
    expect((await approve(admin, approvalId).expect(409)).body.code).toBe('approval_already_decided');
    expect((await app(id)).status).toBe('awaiting_approval');
    expect((await approve(second, approvalId).expect(200)).body).toMatchObject({ status: 'pending', currentStep: 1 });
    // The second step's approver was told, and is the only one who can decide now.
    expect((await approve(second, approvalId).expect(403)).body.code).toBe('not_approver');
    expect(await submissions(id)).toBe(0);
    expect((await approve(admin, approvalId).expect(200)).body.status).toBe('approved');
    expect((await app(id)).status).toBe('submitting');
    expect(await submissions(id)).toBe(1);
  });

  it('sends back with a comment the requester sees: the application is an editable draft again', async () => {
    await routes(admin, oneStep([a.adminId])).expect(200);
    const id = await ready(member, '承認 差し戻し');
    const approvalId = (await submit(member, id).expect(202)).body.approvalId;
    expect((await sendBack(admin, approvalId, {}).expect(400)).body.code).toBe('validation_failed');
    expect((await sendBack(admin, approvalId, { comment: '   ' }).expect(400)).body.code).toBe('validation_failed');
    await sendBack(admin, approvalId, { comment: '被保険者の住所を確認してください' }).expect(200);
    const detail = await app(id);
    expect(detail.status).toBe('draft');
    const seen = (await member.agent.get(`/api/v1/approvals/${approvalId}`).expect(200)).body;
    expect(seen.status).toBe('sent_back');
    expect(seen.steps[0].decisions[0]).toMatchObject({ decision: 'sent_back', comment: '被保険者の住所を確認してください' });
    expect((await member.agent.get('/api/v1/approvals').query({ applicationId: id }).expect(200)).body.items[0].id).toBe(approvalId);
    expect((await member.agent.get('/api/v1/notices').expect(200)).body.items.map((n: { kind: string }) => n.kind)).toContain(
      'approval_sent_back',
    );
    await member.agent
      .patch(`/api/v1/applications/${id}`)
      .set('X-CSRF-Token', member.csrf)
      .send({ version: detail.version, title: '承認 差し戻し 修正' })
      .expect(200);
    expect((await approve(admin, approvalId).expect(409)).body.code).toBe('approval_not_pending');
    expect(await submissions(id)).toBe(0);
  });

  it('cancels a pending (partly granted) approval when the application is edited', async () => {
    await routes(admin, {
      routes: [
        {
          appliesTo: ['submit'],
          steps: [
            { approvers: [secondId], mode: 'any' },
            { approvers: [a.adminId], mode: 'any' },
          ],
        },
      ],
    }).expect(200);
    const id = await ready(member, '承認 編集');
    const approvalId = (await submit(member, id).expect(202)).body.approvalId;
    await approve(second, approvalId).expect(200);
    const before = await app(id);
    await member.agent
      .patch(`/api/v1/applications/${id}`)
      .set('X-CSRF-Token', member.csrf)
      .send({ version: before.version, title: '承認 編集 後' })
      .expect(200);
    expect((await app(id)).status).toBe('draft');
    expect((await admin.agent.get(`/api/v1/approvals/${approvalId}`).expect(200)).body.status).toBe('cancelled');
    expect((await approve(admin, approvalId).expect(409)).body.code).toBe('approval_not_pending');
    expect(await submissions(id)).toBe(0);
    expect((await admin.agent.get('/api/v1/notices').expect(200)).body.items.map((n: { kind: string }) => n.kind)).toContain(
      'approval_cancelled',
    );
    const cancelled = await t.ds.query(`SELECT 1 FROM audit_events WHERE action = 'approval.cancelled' AND target_id = $1`, [approvalId]);
    expect(cancelled).toHaveLength(1);
    // Validated and submitted again: a new approval from the first step.
    await member.agent.post(`/api/v1/applications/${id}/validate`).set('X-CSRF-Token', member.csrf).expect(200);
    const again = (await submit(member, id).expect(202)).body.approvalId;
    expect(again).not.toBe(approvalId);
    expect((await admin.agent.get(`/api/v1/approvals/${again}`).expect(200)).body).toMatchObject({ status: 'pending', currentStep: 0 });
  });

  it('refuses self-approval unless the route allows it', async () => {
    await routes(admin, oneStep([a.adminId, a.memberId])).expect(200);
    const id = await ready(admin, '承認 自己');
    const approvalId = (await submit(admin, id).expect(202)).body.approvalId;
    expect((await approve(admin, approvalId).expect(403)).body.code).toBe('self_approval_not_allowed');
    expect((await admin.agent.get(`/api/v1/approvals/${approvalId}`).expect(200)).body.canDecide).toBe(false);
    await approve(member, approvalId).expect(200);
    // A step whose only approver is the requester could never be approved: refused at submission.
    await routes(admin, oneStep([a.adminId])).expect(200);
    const lone = await ready(admin, '承認 自己 2');
    expect((await submit(admin, lone).expect(409)).body.code).toBe('no_eligible_approver');
    expect((await app(lone)).status).toBe('ready');
    // Allowed by the route: the requester approves their own submission.
    await routes(admin, oneStep([a.adminId], { allowSelfApproval: true })).expect(200);
    const own = (await submit(admin, lone).expect(202)).body.approvalId;
    await approve(admin, own).expect(200);
    expect((await app(lone)).status).toBe('submitting');
  });

  it("answers 404 for another tenant's approval", async () => {
    await routes(admin, oneStep([a.adminId])).expect(200);
    const id = await ready(member, '承認 他テナント');
    const approvalId = (await submit(member, id).expect(202)).body.approvalId;
    const b = await seedTenant(t, 'appr-c');
    const other = await login(t, 'appr-c', b.adminEmail);
    await other.agent.get(`/api/v1/approvals/${approvalId}`).expect(404);
    await approve(other, approvalId).expect(404);
    await sendBack(other, approvalId, { comment: 'x' }).expect(404);
    expect((await other.agent.get('/api/v1/approvals').query({ applicationId: id }).expect(200)).body.items).toEqual([]);
    expect((await app(id)).status).toBe('awaiting_approval');
  });

  it('applies to 取下げ only when configured: submission goes straight, the withdrawal waits for approval', async () => {
    await routes(admin, { routes: [{ appliesTo: ['withdraw'], steps: [{ approvers: [a.adminId], mode: 'any' }] }] }).expect(200);
    const id = await ready(member, '承認 取下げ');
    expect((await submit(member, id).expect(202)).body.status).toBe('submitting');
    await t.app.get(SubmissionsService).runDue();
    expect((await app(id)).status).toBe('arrived');
    const res = await member.agent
      .post(`/api/v1/applications/${id}/withdraw`)
      .set('X-CSRF-Token', member.csrf)
      .set('Idempotency-Key', 'appr-wd-0001')
      .send({ reason: '二重に作成したため' })
      .expect(202);
    expect(res.body).toEqual({ status: 'awaiting_approval', approvalId: expect.any(String) });
    const actions = () => t.ds.query(`SELECT kind, requested_by FROM egov_actions WHERE application_id = $1`, [id]);
    expect(await actions()).toEqual([]);
    const sealed = await t.ds.query(`SELECT reason_sealed FROM approval_requests WHERE id = $1`, [res.body.approvalId]);
    expect(sealed[0].reason_sealed.includes(Buffer.from('二重に作成したため'))).toBe(false);
    await approve(admin, res.body.approvalId).expect(200);
    expect(await actions()).toEqual([{ kind: 'withdraw', requested_by: `user:${a.memberId}` }]);
    await t.app.get(EgovActionsService).runDue();
    expect((await app(id)).status).toBe('withdrawn');
  });

  const cancel = (who: LoggedIn, id: string) => who.agent.post(`/api/v1/approvals/${id}/cancel`).set('X-CSRF-Token', who.csrf).send({});
  const kinds = async (who: LoggedIn) =>
    (await who.agent.get('/api/v1/notices').query({ limit: 100 }).expect(200)).body.items.map((n: { kind: string }) => n.kind) as string[];

  it('lets the requester withdraw (取り下げ) a pending request: draft again, approvers told, audited; nobody else can', async () => {
    await routes(admin, oneStep([a.adminId, secondId])).expect(200);
    const id = await ready(member, '承認 取り下げ');
    const approvalId = (await submit(member, id).expect(202)).body.approvalId as string;
    await t.ds.query(`UPDATE notices SET read_at = now() WHERE user_id = $1`, [secondId]);
    // An approver is not the requester; another tenant does not see it.
    expect((await cancel(admin, approvalId).expect(403)).body.code).toBe('not_requester');
    const b = await seedTenant(t, 'appr-d');
    await cancel(await login(t, 'appr-d', b.adminEmail), approvalId).expect(404);
    expect((await app(id)).status).toBe('awaiting_approval');

    const done = await cancel(member, approvalId).expect(200);
    expect(done.body).toMatchObject({ id: approvalId, status: 'cancelled', canDecide: false });
    expect((await app(id)).status).toBe('draft');
    expect(await kinds(second)).toContain('approval_cancelled');
    const unread = await t.ds.query(`SELECT kind FROM notices WHERE user_id = $1 AND read_at IS NULL`, [secondId]);
    expect(unread.map((r: { kind: string }) => r.kind)).toEqual(['approval_cancelled']);
    const audit = await t.ds.query(`SELECT action, details FROM audit_events WHERE action = 'approval.cancelled' AND target_id = $1`, [
      approvalId,
    ]);
    expect(audit).toEqual([{ action: 'approval.cancelled', details: { applicationId: id, reason: 'withdrawn' } }]);
    // Withdrawn is final: no second withdrawal, no approval.
    expect((await cancel(member, approvalId).expect(409)).body.code).toBe('approval_not_pending');
    expect((await approve(second, approvalId).expect(409)).body.code).toBe('approval_not_pending');
    expect(await submissions(id)).toBe(0);
    // The draft is validated and submitted again: a new request.
    await member.agent.post(`/api/v1/applications/${id}/validate`).set('X-CSRF-Token', member.csrf).expect(200);
    expect((await submit(member, id).expect(202)).body.approvalId).not.toBe(approvalId);
  });

  it('pages GET /approvals by cursor (limit 1..100), every request once', async () => {
    await routes(admin, oneStep([a.adminId])).expect(200);
    const mine: string[] = [];
    for (let i = 0; i < 3; i++) mine.push((await submit(member, await ready(member, `承認 ページ ${i}`)).expect(202)).body.approvalId);
    for (const bad of [{ limit: 0 }, { limit: 101 }, { limit: 'x' }, { cursor: 'not a cursor!' }, { cursor: 'eyJjIjoieCJ9' }])
      expect(
        (
          await admin.agent
            .get('/api/v1/approvals')
            .query({ assigned: 'me', ...bad })
            .expect(400)
        ).body.code,
      ).toBe('validation_failed');
    for (const query of [{ assigned: 'me' }, {}]) {
      const all = (
        await admin.agent
          .get('/api/v1/approvals')
          .query({ ...query, limit: 100 })
          .expect(200)
      ).body;
      expect(all.nextCursor).toBeNull();
      const ids: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page: { items: Array<{ id: string }>; nextCursor: string | null } = (
          await admin.agent
            .get('/api/v1/approvals')
            .query({ ...query, limit: 2, ...(cursor ? { cursor } : {}) })
            .expect(200)
        ).body;
        expect(page.items.length).toBeLessThanOrEqual(2);
        ids.push(...page.items.map((x) => x.id));
        cursor = page.nextCursor;
        pages++;
      } while (cursor && pages < 100);
      expect(ids).toEqual(all.items.map((x: { id: string }) => x.id));
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids).toEqual(expect.arrayContaining(mine));
      expect(pages).toBeGreaterThanOrEqual(2);
    }
    // The queue is oldest first; the tenant's list newest first.
    const queue = (await admin.agent.get('/api/v1/approvals').query({ assigned: 'me', limit: 100 }).expect(200)).body.items;
    const at = queue.map((x: { requestedAt: string }) => x.requestedAt);
    expect(at).toEqual([...at].sort());
    const latest = (await admin.agent.get('/api/v1/approvals').query({ limit: 1 }).expect(200)).body.items;
    expect(latest[0].id).toBe(mine[2]);
    for (const id of mine) await cancel(member, id).expect(200);
  });

  it('cancels a pending approval when an attachment is added (scanned by clamd as always)', async () => {
    await routes(admin, oneStep([a.adminId])).expect(200);
    const id = await ready(member, '承認 添付');
    const approvalId = (await submit(member, id).expect(202)).body.approvalId;
    await member.agent
      .post(`/api/v1/applications/${id}/attachments`)
      .set('X-CSRF-Token', member.csrf)
      .attach('file', Buffer.from('%PDF-1.4\n% 追加資料\n%%EOF\n'), { filename: 'tsuika.pdf', contentType: 'application/pdf' })
      .expect(201);
    expect((await app(id)).status).toBe('draft');
    expect((await admin.agent.get(`/api/v1/approvals/${approvalId}`).expect(200)).body.status).toBe('cancelled');
    expect((await approve(admin, approvalId).expect(409)).body.code).toBe('approval_not_pending');
    const audit = await t.ds.query(`SELECT details FROM audit_events WHERE action = 'approval.cancelled' AND target_id = $1`, [approvalId]);
    expect(audit).toEqual([{ details: { applicationId: id, reason: 'edited' } }]);
    expect(await submissions(id)).toBe(0);
  });

  it('holds a 補正 a route applies to until approved; the amendment then reaches e-Gov exactly once', async () => {
    await routes(admin, { routes: [{ appliesTo: ['amend'], steps: [{ approvers: [a.adminId], mode: 'any' }] }] }).expect(200);
    sim.state.setFailurePlan([{ correctionFor: 'next' }]);
    const id = await ready(member, '承認 補正');
    expect((await submit(member, id).expect(202)).body.status).toBe('submitting');
    await t.app.get(SubmissionsService).runDue();
    const tracker = t.app.get(StatusTrackerService);
    now += 1500;
    await tracker.pollAll();
    now += 1500;
    await tracker.pollAll();
    const before = await app(id);
    expect(before.status).toBe('correction_requested');
    const simCase = sim.state.cases.get(before.arriveId)!;
    expect(simCase.packages).toHaveLength(1);
    const fixed = (
      await member.agent
        .patch(`/api/v1/applications/${id}`)
        .set('X-CSRF-Token', member.csrf)
        .send({ version: before.version, form: { ...VALID_FORM, address: '東京都千代田区霞が関1-2-3' } })
        .expect(200)
    ).body;
    const amend = (k: string) =>
      member.agent
        .post(`/api/v1/applications/${id}/amend`)
        .set('X-CSRF-Token', member.csrf)
        .set('Idempotency-Key', k)
        .send({ version: fixed.version });
    const parked = await amend('appr-amend-0001').expect(202);
    expect(parked.body).toEqual({ status: 'awaiting_approval', approvalId: expect.any(String) });
    expect((await amend('appr-amend-0001').expect(202)).body).toEqual(parked.body);
    const actions = () => t.ds.query(`SELECT kind, requested_by FROM egov_actions WHERE application_id = $1`, [id]);
    expect(await actions()).toEqual([]);
    await t.app.get(EgovActionsService).runDue();
    expect(simCase.packages).toHaveLength(1);
    expect((await app(id)).status).toBe('correction_requested');

    const approved = await approve(admin, parked.body.approvalId).expect(200);
    expect(approved.body).toMatchObject({ status: 'approved', action: 'amend' });
    expect(await actions()).toEqual([{ kind: 'amend', requested_by: `user:${a.memberId}` }]);
    expect((await approve(admin, parked.body.approvalId).expect(409)).body.code).toBe('approval_not_pending');
    await t.app.get(EgovActionsService).runDue();
    await t.app.get(EgovActionsService).runDue();
    expect(simCase.packages).toHaveLength(2);
    expect((await app(id)).status).toBe('under_review');
    // A replay of the request's key answers the action, and sends nothing more.
    await amend('appr-amend-0001').expect(202);
    await t.app.get(EgovActionsService).runDue();
    expect(simCase.packages).toHaveLength(2);
    expect(await actions()).toHaveLength(1);
  });

  describe('in a sharoushi tenant (顧問先)', () => {
    let sr: Seeded;
    let srAdmin: LoggedIn;
    let staff: LoggedIn;
    let staffId: string;
    let nobodyId: string;
    let clientA: string;
    let clientB: string;
    let srOffice: string;

    beforeAll(async () => {
      sr = await seedTenant(t, 'appr-sr', { kind: 'sharoushi' });
      srAdmin = await login(t, 'appr-sr', sr.adminEmail);
      const users = t.app.get(UsersService);
      const s1 = await users.create(sr.tenantId, {
        email: 'staff@appr-sr.example',
        displayName: '担当',
        role: 'member',
        password: PASSWORD,
      });
      staffId = s1.user.id;
      await giveKey(t, 'appr-sr', sr.tenantId, staffId, s1.user.email);
      staff = await login(t, 'appr-sr', s1.user.email);
      nobodyId = sr.memberId; // a staff member with no assignment
      const post = (url: string, body: object) => srAdmin.agent.post(url).set('X-CSRF-Token', srAdmin.csrf).send(body);
      clientA = (await post('/api/v1/clients', { name: '株式会社アルファ', code: 'A001' }).expect(201)).body.id;
      clientB = (await post('/api/v1/clients', { name: '株式会社ベータ', code: 'B001' }).expect(201)).body.id;
      srOffice = (
        await post('/api/v1/offices', {
          clientId: clientA,
          name: 'アルファ本社',
          address: '東京都千代田区霞が関1-2-2',
          pensionOfficeCode: '01-イロハ',
          pensionOfficeNumber: '12345',
        }).expect(201)
      ).body.id;
      await srAdmin.agent
        .put(`/api/v1/users/${staffId}/assignments`)
        .set('X-CSRF-Token', srAdmin.csrf)
        .send({ all: false, clients: [{ clientId: clientA, rights: [] }] })
        .expect(200);
      await linkEgovAccount(t, srAdmin, sim);
    });

    const assign = (clients: string[]) =>
      srAdmin.agent
        .put(`/api/v1/users/${staffId}/assignments`)
        .set('X-CSRF-Token', srAdmin.csrf)
        .send({ all: false, clients: clients.map((clientId) => ({ clientId, rights: [] })) })
        .expect(200);
    const clientRoute = (clientId: string, approvers: string[]) => ({
      routes: [{ clientId, appliesTo: ['submit'], steps: [{ approvers, mode: 'any' }] }],
    });

    it("refuses a route for a client that is not one of the tenant's, and approvers who cannot see the client; nothing saved", async () => {
      await routes(srAdmin, clientRoute(clientA, [staffId])).expect(200);
      const saved = (await srAdmin.agent.get('/api/v1/approval-routes').expect(200)).body;
      // An unknown client, and a client of another tenant (a company tenant has none: a sharoushi one).
      const other = await seedTenant(t, 'appr-sr2', { kind: 'sharoushi' });
      const otherAdmin = await login(t, 'appr-sr2', other.adminEmail);
      const foreign = (
        await otherAdmin.agent.post('/api/v1/clients').set('X-CSRF-Token', otherAdmin.csrf).send({ name: '他社の顧問先' }).expect(201)
      ).body.id;
      for (const clientId of ['00000000-0000-4000-8000-000000000000', foreign]) {
        const res = await routes(srAdmin, clientRoute(clientId, [sr.adminId])).expect(400);
        expect(res.body.code).toBe('validation_failed');
        expect(res.body.errors).toEqual([expect.objectContaining({ field: 'routes[0].clientId', code: 'unknown_client' })]);
      }
      // A staff member not assigned to the client (or assigned to another one) cannot approve its requests.
      const blind = await routes(srAdmin, {
        routes: [
          { clientId: clientB, appliesTo: ['submit'], steps: [{ approvers: [sr.adminId, staffId], mode: 'any' }] },
          {
            clientId: clientA,
            appliesTo: ['submit'],
            steps: [{ approvers: [staffId] }, { approvers: [nobodyId] }].map((x) => ({ ...x, mode: 'any' })),
          },
        ],
      }).expect(400);
      expect(blind.body.errors).toEqual([
        expect.objectContaining({ field: 'routes[0].steps[0].approvers[1]', code: 'approver_cannot_see_client' }),
        expect.objectContaining({ field: 'routes[1].steps[1].approvers[0]', code: 'approver_cannot_see_client' }),
      ]);
      expect((await srAdmin.agent.get('/api/v1/approval-routes').expect(200)).body).toEqual(saved);
      // Assigned to all clients: fine; a route without a client is not checked against clients.
      await srAdmin.agent
        .put(`/api/v1/users/${staffId}/assignments`)
        .set('X-CSRF-Token', srAdmin.csrf)
        .send({ all: true, clients: [] })
        .expect(200);
      await routes(srAdmin, clientRoute(clientB, [staffId])).expect(200);
      await assign([clientA]);
      await routes(srAdmin, {
        routes: [{ clientId: null, appliesTo: ['submit'], steps: [{ approvers: [nobodyId], mode: 'any' }] }],
      }).expect(200);
    });

    it('refuses the decision (404) to an approver who lost the assignment, and lets them decide again once assigned', async () => {
      await routes(srAdmin, clientRoute(clientA, [staffId])).expect(200);
      const id = (
        await srAdmin.agent
          .post('/api/v1/applications')
          .set('X-CSRF-Token', srAdmin.csrf)
          .send({ procedureCode: 'shaho-shutoku', officeId: srOffice, title: '顧問先の承認', form: VALID_FORM })
          .expect(201)
      ).body.id;
      await srAdmin.agent.post(`/api/v1/applications/${id}/validate`).set('X-CSRF-Token', srAdmin.csrf).expect(200);
      const approvalId = (await submit(srAdmin, id).expect(202)).body.approvalId;
      expect(
        (await staff.agent.get('/api/v1/approvals').query({ assigned: 'me' }).expect(200)).body.items.map((x: { id: string }) => x.id),
      ).toEqual([approvalId]);

      await assign([clientB]);
      expect((await approve(staff, approvalId).expect(404)).body.code).toBe('not_found');
      expect((await sendBack(staff, approvalId, { comment: '確認不可' }).expect(404)).body.code).toBe('not_found');
      await staff.agent.get(`/api/v1/approvals/${approvalId}`).expect(404);
      expect((await staff.agent.get('/api/v1/approvals').query({ assigned: 'me' }).expect(200)).body.items).toEqual([]);
      expect((await staff.agent.get('/api/v1/approvals').query({ applicationId: id }).expect(200)).body.items).toEqual([]);
      expect((await staff.agent.get('/api/v1/approvals').expect(200)).body.items).toEqual([]);
      const row = await t.ds.query(`SELECT status FROM approval_requests WHERE id = $1`, [approvalId]);
      expect(row).toEqual([{ status: 'pending' }]);

      await assign([clientA]);
      await approve(staff, approvalId).expect(200);
      expect((await srAdmin.agent.get(`/api/v1/applications/${id}`).expect(200)).body.status).toBe('submitting');
    });

    it('refuses the decision to an approver who was disabled', async () => {
      await routes(srAdmin, clientRoute(clientA, [staffId])).expect(200);
      const id = (
        await srAdmin.agent
          .post('/api/v1/applications')
          .set('X-CSRF-Token', srAdmin.csrf)
          .send({ procedureCode: 'shaho-shutoku', officeId: srOffice, title: '顧問先の承認 無効', form: VALID_FORM })
          .expect(201)
      ).body.id;
      await srAdmin.agent.post(`/api/v1/applications/${id}/validate`).set('X-CSRF-Token', srAdmin.csrf).expect(200);
      const approvalId = (await submit(srAdmin, id).expect(202)).body.approvalId;
      await t.ds.query(`UPDATE users SET status = 'disabled' WHERE id = $1`, [staffId]);
      try {
        expect([401, 404]).toContain((await approve(staff, approvalId)).status);
      } finally {
        await t.ds.query(`UPDATE users SET status = 'active' WHERE id = $1`, [staffId]);
      }
      expect((await t.ds.query(`SELECT status FROM approval_requests WHERE id = $1`, [approvalId]))[0].status).toBe('pending');
      expect((await srAdmin.agent.get(`/api/v1/applications/${id}`).expect(200)).body.status).toBe('awaiting_approval');
    });
  });
});
