import * as fs from 'node:fs';
import * as path from 'node:path';
import { simpleParser } from 'mailparser';
import request from 'supertest';
import { UsersService } from '@charlotte/auth';
import { ContractService } from '@charlotte/backup';
import { MailWorker } from '@charlotte/notifications';
import { login, LoggedIn, PASSWORD, seedTenant, Seeded, startTestApp, TestApp } from '../support/app';
import { SmtpSink, startSmtpSink } from '../support/smtp-sink';

/**
 * Incidents (運用からのお知らせ, api.md "Notices and incidents", issue 17): operators create,
 * update and resolve them; every active user of the affected tenants gets an お知らせ (and only
 * they); a serious one also reaches every active administrator of those tenants by e-mail — a
 * real SMTP server receives exactly one message per administrator at creation, at each update and
 * at the resolution, and none for anybody else; tenant users read the incidents of their own
 * tenant only; operator routes are closed to tenant users; bad input changes nothing.
 */
describe('incidents', () => {
  let t: TestApp;
  let a: Seeded;
  let b: Seeded;
  let c: Seeded;
  let closed: Seeded;
  let op: LoggedIn;
  let adminA: LoggedIn;
  let memberA: LoggedIn;
  let adminB: LoggedIn;
  let secondAdminA: string;
  let invitedA: string;
  let disabledA: string;
  let sink: SmtpSink;
  const PUBLIC_URL = 'https://charlotte.example.jp';

  /** Sends what the outbox holds (tests run without the scheduler) and returns the messages received since the last clear. */
  async function delivered() {
    const w = t.app.get(MailWorker);
    while ((await w.drain()) > 0);
    return sink.messages;
  }
  /** Recipients of the received messages, sorted (one entry per message). */
  const recipientsOf = (msgs: Array<{ rcptTo: string[] }>) => msgs.flatMap((m) => m.rcptTo).sort();

  const opPost = (url: string, body: unknown) =>
    op.agent
      .post(`/api/v1/operator${url}`)
      .set('X-CSRF-Token', op.csrf)
      .send(body as object);

  /** user ids that got an お知らせ of this incident, sorted. */
  async function noticed(incidentId: string): Promise<string[]> {
    const r: Array<{ user_id: string }> = await t.ds.query(`SELECT user_id FROM notices WHERE incident_id = $1 ORDER BY user_id`, [
      incidentId,
    ]);
    return r.map((x) => x.user_id);
  }
  const sorted = (ids: string[]) => [...ids].sort();
  const counts = async () =>
    (
      await t.ds.query(
        `SELECT (SELECT count(*)::int FROM incidents) AS incidents, (SELECT count(*)::int FROM incident_updates) AS updates,
                (SELECT count(*)::int FROM notices) AS notices`,
      )
    )[0] as { incidents: number; updates: number; notices: number };

  beforeAll(async () => {
    sink = await startSmtpSink();
    // The links in the mails use PUBLIC_URL; the test speaks plain HTTP, so cookies must not be Secure-only.
    t = await startTestApp({ SMTP_URL: sink.url, PUBLIC_URL, COOKIE_SECURE: 'false' });
    a = await seedTenant(t, 'inc-a');
    b = await seedTenant(t, 'inc-b');
    c = await seedTenant(t, 'inc-c');
    closed = await seedTenant(t, 'inc-closed');
    const users = t.app.get(UsersService);
    secondAdminA = (
      await users.create(a.tenantId, { email: 'admin2@inc-a.example', displayName: '管理者二', role: 'admin', password: PASSWORD })
    ).user.id;
    invitedA = (await users.create(a.tenantId, { email: 'invited@inc-a.example', displayName: '招待中', role: 'member' })).user.id;
    disabledA = (
      await users.create(a.tenantId, { email: 'disabled@inc-a.example', displayName: '無効', role: 'member', password: PASSWORD })
    ).user.id;
    await t.ds.query(`UPDATE users SET status = 'disabled' WHERE id = $1`, [disabledA]);
    await t.app.get(ContractService).cancel('inc-closed');
    await users.createOperator('ops@charlotte.example', PASSWORD);
    op = await login(t, 'platform', 'ops@charlotte.example');
    adminA = await login(t, 'inc-a', a.adminEmail);
    memberA = await login(t, 'inc-a', a.memberEmail);
    adminB = await login(t, 'inc-b', b.adminEmail);
  });

  afterAll(async () => {
    await t?.close();
    await sink?.close();
  });

  beforeEach(async () => {
    // Mails of an earlier test are sent and forgotten: each test sees only its own.
    if (t) await delivered();
    sink?.clear();
  });

  it('a minor incident becomes an お知らせ for every active user of the affected tenants, and nobody else', async () => {
    const res = await opPost('/incidents', {
      severity: 'minor',
      title: '申請一覧の表示が遅くなっています',
      body: '調査中です。',
      tenants: ['inc-a'],
    }).expect(201);
    expect(res.body).toMatchObject({
      severity: 'minor',
      status: 'open',
      allTenants: false,
      tenants: [{ code: 'inc-a', name: 'inc-a 株式会社' }],
      updates: [],
      resolvedAt: null,
      notified: { notices: 3, mails: 0 },
    });
    // admin, member and the second admin; not the invited or disabled users, not tenant B, not operators
    expect(await noticed(res.body.id)).toEqual(sorted([a.adminId, a.memberId, secondAdminA]));
    expect(await noticed(res.body.id)).not.toContain(invitedA);
    expect(await noticed(res.body.id)).not.toContain(disabledA);

    const bell = await memberA.agent.get('/api/v1/notices').expect(200);
    const n = bell.body.items.find((x: { incidentId?: string }) => x.incidentId === res.body.id);
    expect(n).toMatchObject({ kind: 'incident', title: '申請一覧の表示が遅くなっています', readAt: null, applicationId: null });
    // read state is per user: the member reads it, the admin's stays unread
    await memberA.agent.post(`/api/v1/notices/${n.id}/read`).set('X-CSRF-Token', memberA.csrf).expect(204);
    const adminBell = await adminA.agent.get('/api/v1/notices').expect(200);
    expect(adminBell.body.items.find((x: { incidentId?: string }) => x.incidentId === res.body.id).readAt).toBeNull();
    const bBell = await adminB.agent.get('/api/v1/notices').expect(200);
    expect(bBell.body.items.filter((x: { incidentId?: string }) => x.incidentId === res.body.id)).toEqual([]);
    // minor: no e-mail at all
    expect(await delivered()).toEqual([]);
    expect(await t.ds.query(`SELECT count(*)::int AS n FROM mail_outbox`)).toEqual([{ n: 0 }]);
  });

  it('a serious incident mails every active administrator of the affected tenants exactly once, at creation, update and resolution', async () => {
    const admins = ['admin2@inc-a.example', a.adminEmail, b.adminEmail].sort();
    const created = await opPost('/incidents', {
      severity: 'serious',
      title: '電子申請を送信できません',
      body: 'e-Gov への送信が失敗しています。\n復旧までお待ちください。',
      tenants: ['inc-a', 'inc-b'],
      startedAt: '2026-12-03T09:30:00+09:00',
    }).expect(201);
    const id = created.body.id as string;
    expect(created.body.notified).toEqual({ notices: 5, mails: 3 });
    // everybody active in A and B has the お知らせ; the mail goes to their admins only
    expect(await noticed(id)).toEqual(sorted([a.adminId, a.memberId, secondAdminA, b.adminId, b.memberId]));

    let msgs = await delivered();
    expect(recipientsOf(msgs)).toEqual(admins);
    expect(msgs.flatMap((m) => m.to).sort()).toEqual(admins);
    const first = msgs.find((m) => m.rcptTo.includes(a.adminEmail))!;
    expect(first.subject).toBe('【障害のお知らせ】電子申請を送信できません / [Incident] 電子申請を送信できません');
    expect(first.text).toContain('重要度：重大');
    expect(first.text).toContain('発生日時：2026/12/03 09:30 JST');
    expect(first.text).toContain('e-Gov への送信が失敗しています。\n復旧までお待ちください。');
    expect(first.text).toContain(`${PUBLIC_URL}/status#${id}`);
    expect(first.html).toContain(`href="${PUBLIC_URL}/status#${id}"`);
    // one message per address: nobody sees the other administrators' addresses
    for (const m of msgs) expect(m.to).toHaveLength(1);

    sink.clear();
    const upd = await opPost(`/incidents/${id}/updates`, { body: '原因を特定し、対応しています。' }).expect(201);
    expect(upd.body.notified).toEqual({ notices: 5, mails: 3 });
    msgs = await delivered();
    expect(recipientsOf(msgs)).toEqual(admins);
    expect(msgs[0]!.subject).toMatch(/^【障害のお知らせ・続報】電子申請を送信できません \/ \[Incident update\]/);
    expect(msgs[0]!.text).toContain('原因を特定し、対応しています。');
    expect(msgs[0]!.text).toContain('状況：発生中');

    sink.clear();
    await opPost(`/incidents/${id}/updates`, { body: '復旧しました。', resolved: true }).expect(201);
    msgs = await delivered();
    expect(recipientsOf(msgs)).toEqual(admins);
    expect(msgs[0]!.subject).toMatch(/^【復旧のお知らせ】電子申請を送信できません \/ \[Resolved\]/);
    expect(msgs[0]!.text).toContain('状況：復旧済み');

    // a refused update sends nothing
    sink.clear();
    await opPost(`/incidents/${id}/updates`, { body: 'もう一度' }).expect(409);
    expect(await delivered()).toEqual([]);
    // nobody else was ever mailed: members, invited/disabled users, other tenants, operators
    const everyone: Array<{ recipient: string }> = await t.ds.query(`SELECT DISTINCT recipient FROM mail_outbox ORDER BY recipient`);
    expect(everyone.map((r) => r.recipient)).toEqual(admins);
  });

  it('a serious incident for "all" mails the administrators of every open contract, and not a cancelled one', async () => {
    const res = await opPost('/incidents', { severity: 'serious', title: '全体障害', body: 'ログインできません。', tenants: 'all' }).expect(
      201,
    );
    const msgs = await delivered();
    expect(recipientsOf(msgs)).toEqual(['admin2@inc-a.example', a.adminEmail, b.adminEmail, c.adminEmail].sort());
    expect(res.body.notified.mails).toBe(4);
    expect(recipientsOf(msgs)).not.toContain(closed.adminEmail);
  });

  it('updates and the resolution each reach the same users again; a resolved incident takes no update (409)', async () => {
    const created = await opPost('/incidents', {
      severity: 'minor',
      title: '帳票出力の不具合',
      body: '発生しています。',
      tenants: ['INC-B'],
    }).expect(201);
    const id = created.body.id as string;
    expect(await noticed(id)).toEqual(sorted([b.adminId, b.memberId]));

    const upd = await opPost(`/incidents/${id}/updates`, { body: '原因を特定しました。' }).expect(201);
    expect(upd.body).toMatchObject({
      status: 'open',
      updates: [{ body: '原因を特定しました。', resolved: false }],
      notified: { notices: 2 },
    });
    expect((await noticed(id)).length).toBe(4);

    const res = await opPost(`/incidents/${id}/updates`, { body: '復旧しました。', resolved: true }).expect(201);
    expect(res.body.status).toBe('resolved');
    expect(res.body.resolvedAt).not.toBeNull();
    expect(res.body.updates.map((u: { resolved: boolean }) => u.resolved)).toEqual([false, true]);
    expect((await noticed(id)).length).toBe(6);

    const before = await counts();
    const again = await opPost(`/incidents/${id}/updates`, { body: 'もう一度' }).expect(409);
    expect(again.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(again.body.code).toBe('incident_resolved');
    expect(await counts()).toEqual(before);

    const unknown = await opPost(`/incidents/00000000-0000-4000-8000-000000000000/updates`, { body: 'x' }).expect(404);
    expect(unknown.body.code).toBe('not_found');
  });

  it('"all" reaches every tenant whose contract is open (a cancelled one is skipped)', async () => {
    const res = await opPost('/incidents', {
      severity: 'minor',
      title: '計画メンテナンス',
      body: '12月10日 2:00〜4:00',
      tenants: 'all',
    }).expect(201);
    expect(res.body).toMatchObject({ allTenants: true, tenants: [] });
    const got = await noticed(res.body.id);
    expect(got).toEqual(sorted([a.adminId, a.memberId, secondAdminA, b.adminId, b.memberId, c.adminId, c.memberId]));
    expect(got).not.toContain(closed.adminId);
  });

  it('tenant users see the incidents of their own tenant only, open first', async () => {
    const onlyA = await opPost('/incidents', { severity: 'minor', title: 'A だけ', body: 'A 社のみ', tenants: ['inc-a'] }).expect(201);
    const onlyB = await opPost('/incidents', { severity: 'minor', title: 'B だけ', body: 'B 社のみ', tenants: ['inc-b'] }).expect(201);

    const listA = await adminA.agent.get('/api/v1/incidents').expect(200);
    const idsA = listA.body.items.map((i: { id: string }) => i.id);
    expect(idsA).toContain(onlyA.body.id);
    expect(idsA).not.toContain(onlyB.body.id);
    // open ones come before resolved ones
    const statuses = listA.body.items.map((i: { status: string }) => i.status);
    expect(statuses).toEqual([...statuses].sort((x: string, y: string) => (x === y ? 0 : x === 'open' ? -1 : 1)));
    // the tenant view never names the other tenants an incident affects
    expect(listA.body.items[0]).not.toHaveProperty('tenants');
    expect(listA.body.items[0]).not.toHaveProperty('createdBy');

    const listB = await adminB.agent.get('/api/v1/incidents').expect(200);
    const idsB = listB.body.items.map((i: { id: string }) => i.id);
    expect(idsB).toContain(onlyB.body.id);
    expect(idsB).not.toContain(onlyA.body.id);
    expect(listB.body.items.find((i: { title: string }) => i.title === '帳票出力の不具合')).toMatchObject({ status: 'resolved' });

    await adminA.agent.get(`/api/v1/incidents/${onlyA.body.id}`).expect(200);
    const other = await adminA.agent.get(`/api/v1/incidents/${onlyB.body.id}`).expect(404);
    expect(other.body.code).toBe('not_found');
    await memberA.agent.get(`/api/v1/incidents/00000000-0000-4000-8000-000000000000`).expect(404);
    // operators have no tenant: the customer routes are not theirs
    await op.agent.get('/api/v1/incidents').expect(403);
  });

  it('refuses the operator routes to tenant admins and members (403) and to anonymous callers (401)', async () => {
    const before = await counts();
    for (const u of [adminA, memberA]) {
      await u.agent.get('/api/v1/operator/incidents').expect(403);
      const created = await u.agent
        .post('/api/v1/operator/incidents')
        .set('X-CSRF-Token', u.csrf)
        .send({ severity: 'serious', title: 'x', body: 'y', tenants: 'all' })
        .expect(403);
      expect(created.headers['content-type']).toMatch(/application\/problem\+json/);
    }
    const any = (await op.agent.get('/api/v1/operator/incidents').expect(200)).body.items[0].id;
    await adminA.agent.post(`/api/v1/operator/incidents/${any}/updates`).set('X-CSRF-Token', adminA.csrf).send({ body: 'x' }).expect(403);
    await adminA.agent.get(`/api/v1/operator/incidents/${any}`).expect(403);
    await request(t.http).get('/api/v1/operator/incidents').expect(401);
    expect(await counts()).toEqual(before);
  });

  it('answers bad input with problem+json and changes nothing', async () => {
    const before = await counts();
    const good = { severity: 'minor', title: 't', body: 'b', tenants: ['inc-a'] };
    const cases: Array<[unknown, number, string]> = [
      [{ ...good, severity: 'critical' }, 400, 'validation_failed'],
      [{ ...good, title: '   ' }, 400, 'validation_failed'],
      [{ ...good, title: 'あ'.repeat(201) }, 400, 'validation_failed'],
      [{ ...good, body: '' }, 400, 'validation_failed'],
      [{ ...good, tenants: [] }, 400, 'validation_failed'],
      [{ ...good, tenants: 'some' }, 400, 'validation_failed'],
      [{ ...good, tenants: ['inc-a', 'not a code!'] }, 400, 'validation_failed'],
      [{ ...good, tenants: null }, 400, 'validation_failed'],
      [{ ...good, startedAt: '2026-02-30T10:00:00Z' }, 400, 'validation_failed'],
      [{ ...good, startedAt: '2026-12-01' }, 400, 'validation_failed'],
      [{ ...good, startedAt: null }, 400, 'validation_failed'],
      [{ ...good, extra: 1 }, 400, 'validation_failed'],
      [{ ...good, startedAt: new Date(Date.now() + 3_600_000).toISOString() }, 422, 'incident_start_in_future'],
      [{ ...good, tenants: ['inc-a', 'nosuch-1', 'NOSUCH-2'] }, 422, 'incident_unknown_tenants'],
      // an address in the text would be personal data sent to every recipient
      [{ ...good, severity: 'serious', body: '問い合わせ先: taro.yamada@example.jp' }, 400, 'validation_failed'],
    ];
    for (const [body, status, code] of cases) {
      const res = await opPost('/incidents', body);
      expect({ body, status: res.status, code: res.body.code }).toEqual({ body, status, code });
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    }
    const unknown = await opPost('/incidents', { ...good, tenants: ['inc-a', 'nosuch-1'] }).expect(422);
    expect(unknown.body.errors).toEqual([{ field: 'tenants', message: 'nosuch-1', code: 'unknown_tenant' }]);

    const open = await opPost('/incidents', good).expect(201);
    const afterCreate = await counts();
    for (const body of [{}, { body: '' }, { body: 'x', resolved: 'yes' }, { body: 'x', resolved: null }, { body: 'x'.repeat(5001) }]) {
      const res = await opPost(`/incidents/${open.body.id}/updates`, body);
      expect({ body, status: res.status }).toEqual({ body, status: 400 });
    }
    const withAddress = await opPost(`/incidents/${open.body.id}/updates`, { body: '連絡先 someone@example.jp' }).expect(400);
    expect(withAddress.body.errors).toEqual([
      { field: 'body', message: 'body must not contain an e-mail address', code: 'contains_email' },
    ]);
    await op.agent.get('/api/v1/operator/incidents/not-a-uuid').expect(400);
    expect(await counts()).toEqual(afterCreate);
    expect(await delivered()).toEqual([]);
    expect(afterCreate.incidents).toBe(before.incidents + 1);
  });

  it('records incident.created / updated / resolved on the platform chain with ids and counts only', async () => {
    const res = await opPost('/incidents', {
      severity: 'minor',
      title: '監査の確認',
      body: '本文は監査に残らない',
      tenants: ['inc-a', 'inc-b'],
    }).expect(201);
    await opPost(`/incidents/${res.body.id}/updates`, { body: '更新' }).expect(201);
    await opPost(`/incidents/${res.body.id}/updates`, { body: '復旧', resolved: true }).expect(201);
    const events: Array<{ action: string; actor_type: string; actor_id: string; details: Record<string, unknown>; chain_key: string }> =
      await t.ds.query(`SELECT action, actor_type, actor_id, details, chain_key FROM audit_events WHERE target_id = $1 ORDER BY seq`, [
        res.body.id,
      ]);
    expect(events.map((e) => e.action)).toEqual(['incident.created', 'incident.updated', 'incident.resolved']);
    for (const e of events) {
      expect(e.chain_key).toBe('platform');
      expect(e.actor_type).toBe('user');
      expect(e.details).toEqual({ id: res.body.id, severity: 'minor', tenants: 2 });
    }
    expect(JSON.stringify(events)).not.toContain('本文');
  });
});

/**
 * The newcomer's path (issue 17, acceptance): no SMTP server configured, as under `npm start` — the
 * administrator's mail of a serious incident is an .eml file under DATA_DIR/outbox.
 */
describe('incidents without SMTP_URL', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('writes the administrators’ mail of a serious incident under DATA_DIR/outbox', async () => {
    const s = await seedTenant(t, 'eml-a');
    await t.app.get(UsersService).createOperator('ops@charlotte.example', PASSWORD);
    const op = await login(t, 'platform', 'ops@charlotte.example');
    await op.agent
      .post('/api/v1/operator/incidents')
      .set('X-CSRF-Token', op.csrf)
      .send({ severity: 'serious', title: 'メンテナンス延長', body: '作業が延びています。', tenants: ['eml-a'] })
      .expect(201);
    expect(await t.app.get(MailWorker).drain()).toBe(1);
    const dir = path.join(t.config.dataDir, 'outbox');
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('.eml'));
    expect(files).toHaveLength(1);
    const mail = await simpleParser(fs.readFileSync(path.join(dir, files[0]!)));
    expect(mail.subject).toBe('【障害のお知らせ】メンテナンス延長 / [Incident] メンテナンス延長');
    expect((Array.isArray(mail.to) ? mail.to : [mail.to]).flatMap((a) => a?.value.map((x) => x.address))).toEqual([s.adminEmail]);
    expect(mail.text).toContain('作業が延びています。');
  });
});
