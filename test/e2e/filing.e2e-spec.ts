import * as fs from 'node:fs';
import * as path from 'node:path';
import request from 'supertest';
import { EgovActionsService, StatusTrackerService, SubmissionsService, EgovClient, EgovAccountsService, egovApi } from '@charlotte/filing';
import { KeyRotationService, TenantKeysService } from '@charlotte/crypto';
import type { EgovSim } from '../../apps/egov-sim/src/server';
import { login, LoggedIn, seedTenant, Seeded, startTestApp, TestApp } from '../support/app';
import { egovEnv, egovLinkCookie, startTestSim, VALID_FORM } from '../support/egov';

/**
 * Filing against apps/egov-sim (a real HTTP server speaking the e-Gov v2
 * subset): linking the e-Gov account (authorization code + PKCE), submission
 * as a durable, idempotent job with retries, status tracking into our state
 * machine, official documents stored sealed and acknowledged, and notices.
 */
describe('Filing with e-Gov (simulator)', () => {
  let sim: EgovSim;
  let now = Date.now();
  let t: TestApp;
  let a: Seeded;
  let admin: LoggedIn;
  let officeId: string;

  beforeAll(async () => {
    sim = await startTestSim(() => now);
    t = await startTestApp(egovEnv(sim));
    a = await seedTenant(t, 'file-a');
    admin = await login(t, 'file-a', a.adminEmail);
    officeId = (
      await admin.agent
        .post('/api/v1/offices')
        .set('X-CSRF-Token', admin.csrf)
        .send({ name: '本社', address: '東京都千代田区霞が関1-2-2', pensionOfficeCode: '01-イロハ', pensionOfficeNumber: '12345' })
        .expect(201)
    ).body.id;
  });
  afterAll(async () => {
    await t?.close();
    await sim?.close();
  });

  async function readyApplication(title: string): Promise<string> {
    const app = await admin.agent
      .post('/api/v1/applications')
      .set('X-CSRF-Token', admin.csrf)
      .send({ procedureCode: 'shaho-shutoku', officeId, title, form: VALID_FORM })
      .expect(201);
    const v = await admin.agent.post(`/api/v1/applications/${app.body.id}/validate`).set('X-CSRF-Token', admin.csrf).expect(200);
    expect(v.body).toMatchObject({ valid: true, status: 'ready' });
    return app.body.id;
  }
  const submit = (id: string, key?: string) => {
    const r = admin.agent.post(`/api/v1/applications/${id}/submit`).set('X-CSRF-Token', admin.csrf);
    return key ? r.set('Idempotency-Key', key) : r;
  };
  const status = async (id: string) => (await admin.agent.get(`/api/v1/applications/${id}`).expect(200)).body;

  it('refuses to submit before an e-Gov account is linked', async () => {
    const id = await readyApplication('未連携');
    const res = await submit(id, 'key-unlinked-0001').expect(409);
    expect(res.body.code).toBe('egov_not_linked');
  });

  it('links the e-Gov account with the authorization code + PKCE flow; tokens are stored sealed', async () => {
    const start = await admin.agent.post('/api/v1/egov/link').set('X-CSRF-Token', admin.csrf).expect(200);
    const authorize = new URL(start.body.authorizeUrl);
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    const page = await fetch(authorize);
    const html = await page.text();
    const requestId = /name="request_id" value="([^"]+)"/.exec(html)![1];
    // API v2: the authorize request is GET {auth}/auth (not /authorize); the simulator's login form posts back to its action.
    expect(authorize.pathname).toBe(`${new URL(sim.authUrl).pathname}/auth`);
    const formAction = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
    const login = await fetch(formAction ? new URL(formAction.replace(/&amp;/g, '&'), sim.authUrl).toString() : `${sim.authUrl}/auth`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ request_id: requestId, account_id: 'sharoushi-001', action: 'login' }).toString(),
      redirect: 'manual',
    });
    const back = new URL(login.headers.get('location')!);
    expect(back.pathname).toBe('/api/v1/egov/link/callback');
    // The link cookie is bound to the browser, HttpOnly, Lax (it must come back on e-Gov's redirect), and scoped to the callback.
    const setCookie = ([] as string[]).concat(start.headers['set-cookie']).find((c) => c.startsWith('charlotte_egov_link='))!;
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Lax/);
    expect(setCookie).toMatch(/Path=\/api\/v1\/egov\/link\/callback/);
    // The redirect comes from e-Gov's site: the SameSite=Strict session cookie is not sent; the state and the Lax link cookie carry it.
    const cb = await request(t.http).get(`${back.pathname}${back.search}`).set('Cookie', egovLinkCookie(start)).expect(302);
    expect(cb.headers.location).toBe('/settings/egov?linked=1');
    expect((await admin.agent.get('/api/v1/egov/account').expect(200)).body.linked).toBe(true);
    const row = await t.ds.query(`SELECT tokens_sealed FROM egov_accounts WHERE tenant_id = $1`, [a.tenantId]);
    expect(row[0].tokens_sealed.includes(Buffer.from('access'))).toBe(false);
    const linked = await t.ds.query(`SELECT linked_by FROM egov_accounts WHERE tenant_id = $1`, [a.tenantId]);
    expect(linked[0].linked_by).toBe(a.adminId);
    // The state is single use.
    await request(t.http)
      .get(`${back.pathname}${back.search}`)
      .expect(302)
      .expect('Location', /error=egov_link_invalid/);
  });

  it('refuses a link ended in another browser than the one that started it (login CSRF, security review finding 4)', async () => {
    // The attacker, an admin of their own tenant, starts a link and sends the e-Gov login URL to a victim.
    const evil = await seedTenant(t, 'file-evil');
    const attacker = await login(t, 'file-evil', evil.adminEmail);
    const start = await attacker.agent.post('/api/v1/egov/link').set('X-CSRF-Token', attacker.csrf).expect(200);
    const html = await (await fetch(start.body.authorizeUrl)).text();
    const requestId = /name="request_id" value="([^"]+)"/.exec(html)![1];
    // The victim logs in to e-Gov with their own account; e-Gov redirects the victim's browser back to us.
    const victimLogin = await fetch(`${sim.authUrl}/auth`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ request_id: requestId, account_id: 'victim-company', action: 'login' }).toString(),
      redirect: 'manual',
    });
    const back = new URL(victimLogin.headers.get('location')!);
    // The victim's browser holds no link cookie (or one of its own): refused, the state is spent.
    const other = await admin.agent.post('/api/v1/egov/link').set('X-CSRF-Token', admin.csrf).expect(200);
    for (const cookie of [undefined, egovLinkCookie(other)]) {
      const r = request(t.http).get(`${back.pathname}${back.search}`);
      if (cookie) r.set('Cookie', cookie);
      await r.expect(302).expect('Location', '/settings/egov?error=egov_link_invalid');
    }
    expect((await attacker.agent.get('/api/v1/egov/account').expect(200)).body.linked).toBe(false);
    const refused = await t.ds.query(`SELECT details FROM audit_events WHERE chain_key = $1 AND action = 'egov.link_refused'`, [
      evil.tenantId,
    ]);
    expect(refused.map((e: { details: unknown }) => e.details)).toEqual([{ reason: 'browser_cookie_missing' }]);
    // Even the attacker's own cookie cannot revive the spent state.
    await request(t.http)
      .get(`${back.pathname}${back.search}`)
      .set('Cookie', egovLinkCookie(start))
      .expect(302)
      .expect('Location', '/settings/egov?error=egov_link_invalid');
    expect((await attacker.agent.get('/api/v1/egov/account').expect(200)).body.linked).toBe(false);
  });

  it('submits once per application: Idempotency-Key required, replays answer the same, another key is 409', async () => {
    const id = await readyApplication('資格取得 1');
    await submit(id).expect(400);
    const first = await submit(id, 'key-aaaa-0001').expect(202);
    expect(first.body.status).toBe('submitting');
    const again = await submit(id, 'key-aaaa-0001').expect(202);
    expect(again.body.submissionId).toBe(first.body.submissionId);
    expect((await submit(id, 'key-bbbb-0002').expect(409)).body.code).toBe('already_submitted');
    expect(await t.ds.query(`SELECT count(*)::int AS n FROM submissions WHERE application_id = $1`, [id])).toEqual([{ n: 1 }]);
  });

  it('answers 422 package_invalid at submit time when the office lacks what the form needs, and creates nothing', async () => {
    const bare = (await admin.agent.post('/api/v1/offices').set('X-CSRF-Token', admin.csrf).send({ name: '支店' }).expect(201)).body.id;
    const app = await admin.agent
      .post('/api/v1/applications')
      .set('X-CSRF-Token', admin.csrf)
      .send({ procedureCode: 'shaho-shutoku', officeId: bare, title: '支店', form: VALID_FORM })
      .expect(201);
    await admin.agent.post(`/api/v1/applications/${app.body.id}/validate`).set('X-CSRF-Token', admin.csrf).expect(200);
    const res = await submit(app.body.id, 'key-gggg-0007').expect(422);
    expect(res.body.code).toBe('package_invalid');
    // The field error names the place and a code the SPA words in Japanese (validation.package_office_incomplete).
    expect(res.body.errors).toEqual([
      expect.objectContaining({ field: expect.stringMatching(/^office\.[A-Za-z]+$/), code: 'package_office_incomplete' }),
    ]);
    expect(await t.ds.query(`SELECT 1 FROM submissions WHERE application_id = $1`, [app.body.id])).toEqual([]);
    expect((await status(app.body.id)).status).toBe('ready');
  });

  it('sends through the durable job, then follows the case to 手続終了 with the official documents stored and acknowledged', async () => {
    const id = await readyApplication('資格取得 2');
    await submit(id, 'key-cccc-0003').expect(202);
    expect(await t.app.get(SubmissionsService).runDue()).toBeGreaterThanOrEqual(1);
    let s = await status(id);
    expect(s.status).toBe('arrived');
    const arriveId = (await t.ds.query(`SELECT arrive_id FROM applications WHERE id = $1`, [id]))[0].arrive_id;
    expect(sim.state.cases.get(arriveId)).toBeDefined();

    const tracker = t.app.get(StatusTrackerService);
    now += 1500;
    await tracker.pollAll();
    expect((await status(id)).status).toBe('under_review');
    now += 1500;
    await tracker.pollAll(); // 審査終了: the documents are fetched, stored and acknowledged
    now += 10;
    await tracker.pollAll(); // 手続終了 after the acknowledgement
    s = await status(id);
    expect(s.status).toBe('completed');
    expect(s.timeline.map((e: { toStatus: string | null }) => e.toStatus).filter(Boolean)).toEqual(
      expect.arrayContaining(['submitting', 'arrived', 'under_review', 'completed']),
    );

    const docs = await admin.agent.get(`/api/v1/applications/${id}/documents`).expect(200);
    expect(docs.body.items.length).toBeGreaterThanOrEqual(2);
    // The list shape of every list (api.md): all of an application's 公文書 come in one page.
    expect(docs.body.nextCursor).toBeNull();
    const pdf = docs.body.items.find((d: { contentType: string }) => d.contentType === 'application/pdf');
    expect(pdf.acknowledgedAt).not.toBeNull();
    const dl = await admin.agent
      .get(`/api/v1/applications/${id}/documents/${pdf.id}`)
      .query({ inline: '1' })
      .buffer(true)
      .parse((r, cb) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => cb(null, Buffer.concat(chunks)));
      })
      .expect(200);
    expect((dl.body as Buffer).subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(dl.headers['content-disposition']).toMatch(/^inline;/);
    const stored = await t.ds.query(`SELECT blob_key FROM official_documents WHERE id = $1`, [pdf.id]);
    expect(stored[0].blob_key).toMatch(/^tenants\//);

    const notices = await admin.agent.get('/api/v1/notices').expect(200);
    expect(notices.body.items.map((n: { kind: string }) => n.kind)).toEqual(
      expect.arrayContaining(['arrived', 'completed', 'document_received']),
    );
    expect(notices.body.unread).toBeGreaterThan(0);
    await admin.agent.post(`/api/v1/notices/${notices.body.items[0].id}/read`).set('X-CSRF-Token', admin.csrf).expect(204);
    expect((await admin.agent.get('/api/v1/notices').expect(200)).body.unread).toBe(notices.body.unread - 1);
  });

  it('keeps e-Gov tokens and official documents sealed at rest (proof test for this issue)', async () => {
    const tokens = [...sim.state.tokens.keys()];
    expect(tokens.length).toBeGreaterThan(0);
    const tables: Array<{ tablename: string }> = await t.ds.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public'`);
    let dump = '';
    for (const { tablename } of tables) dump += JSON.stringify(await t.ds.query(`SELECT * FROM "${tablename}"`)) + '\n';
    expect(dump).toContain(a.adminEmail); // the scan reads real data
    for (const tok of tokens) expect(dump.includes(tok)).toBe(false);
    const docs: Array<{ blob_key: string }> = await t.ds.query(`SELECT blob_key FROM official_documents`);
    expect(docs.length).toBeGreaterThan(0);
    for (const d of docs) {
      const bytes = fs.readFileSync(path.join(t.config.blobDir, d.blob_key));
      expect(bytes.includes(Buffer.from('%PDF'))).toBe(false);
      expect(bytes.includes(Buffer.from('<?xml'))).toBe(false);
    }
  });

  it('retries a 503 from e-Gov later, then files once', async () => {
    const id = await readyApplication('資格取得 3');
    await submit(id, 'key-dddd-0004').expect(202);
    sim.state.setFailurePlan([{ path: '/apply', times: 1, kind: '503' }]);
    const before = sim.state.cases.size;
    await t.app.get(SubmissionsService).runDue();
    expect((await status(id)).status).toBe('submitting');
    const sub = await t.ds.query(`SELECT state, attempts, last_error FROM submissions WHERE application_id = $1`, [id]);
    expect(sub[0]).toMatchObject({ state: 'pending', attempts: 1 });
    await t.ds.query(`UPDATE submissions SET next_attempt_at = now() WHERE application_id = $1`, [id]);
    await t.app.get(SubmissionsService).runDue();
    expect((await status(id)).status).toBe('arrived');
    expect(sim.state.cases.size).toBe(before + 1);
  });

  it('after a crash between "e-Gov accepted" and "arrive_id stored", adopts the case instead of filing twice', async () => {
    const id = await readyApplication('資格取得 4');
    await submit(id, 'key-eeee-0005').expect(202);
    // The first attempt reached e-Gov, then the process died before storing the answer:
    const token = await t.app.get(EgovAccountsService).accessToken(a.tenantId);
    const pkg = await t.app.get(SubmissionsService).buildFor(a.tenantId, id);
    const { arriveId } = await t.app.get(EgovClient).apply(token, pkg.procId, pkg.zip, pkg.fileName);
    await t.ds.query(
      `UPDATE submissions SET state = 'sending', attempts = 1, sending_started_at = now() - interval '1 minute',
              outcome_unknown_since = now() - interval '1 minute', next_attempt_at = now() WHERE application_id = $1`,
      [id],
    );
    const before = sim.state.cases.size;
    await t.app.get(SubmissionsService).runDue();
    const s = await t.ds.query(`SELECT status, arrive_id FROM applications WHERE id = $1`, [id]);
    expect(s[0]).toEqual({ status: 'arrived', arrive_id: arriveId });
    expect(sim.state.cases.size).toBe(before);
  });

  it('keeps filings to their tenant', async () => {
    const b = await seedTenant(t, 'file-b');
    const adminB = await login(t, 'file-b', b.adminEmail);
    // A link started by tenant A can only ever link tenant A (the state is bound to its tenant), whoever's browser ends it.
    const startA = await admin.agent.post('/api/v1/egov/link').set('X-CSRF-Token', admin.csrf).expect(200);
    const stateA = new URL(startA.body.authorizeUrl).searchParams.get('state')!;
    const before = await t.ds.query(`SELECT tokens_sealed, linked_at FROM egov_accounts WHERE tenant_id = $1`, [a.tenantId]);
    await adminB.agent
      .get('/api/v1/egov/link/callback')
      .query({ state: stateA, code: 'anything' })
      .expect(302)
      .expect('Location', /error=egov_link_invalid/);
    expect((await adminB.agent.get('/api/v1/egov/account').expect(200)).body.linked).toBe(false);
    // An expired state is refused like an unknown one.
    const late = await admin.agent.post('/api/v1/egov/link').set('X-CSRF-Token', admin.csrf).expect(200);
    const lateState = new URL(late.body.authorizeUrl).searchParams.get('state')!;
    await t.ds.query(`UPDATE egov_link_requests SET expires_at = now() - interval '1 second' WHERE tenant_id = $1`, [a.tenantId]);
    await request(t.http)
      .get('/api/v1/egov/link/callback')
      .query({ state: lateState, code: 'anything' })
      .expect(302)
      .expect('Location', /error=egov_link_invalid/);
    // Tenant A's link is untouched, and its state is spent.
    expect(await t.ds.query(`SELECT tokens_sealed, linked_at FROM egov_accounts WHERE tenant_id = $1`, [a.tenantId])).toEqual(before);
    await request(t.http)
      .get('/api/v1/egov/link/callback')
      .query({ state: stateA, code: 'anything' })
      .expect(302)
      .expect('Location', /error=egov_link_invalid/);
    // A member cannot link or unlink.
    const member = await login(t, 'file-a', a.memberEmail);
    await member.agent.post('/api/v1/egov/link').set('X-CSRF-Token', member.csrf).expect(403);
    await member.agent.delete('/api/v1/egov/account').set('X-CSRF-Token', member.csrf).expect(403);
    const mine = await admin.agent.get('/api/v1/applications').expect(200);
    const someId = mine.body.items[0].id;
    await adminB.agent
      .post(`/api/v1/applications/${someId}/submit`)
      .set('X-CSRF-Token', adminB.csrf)
      .set('Idempotency-Key', 'key-ffff-0006')
      .expect(409); // not linked comes first
    await adminB.agent.get(`/api/v1/applications/${someId}/documents`).expect(404);
    expect((await adminB.agent.get('/api/v1/notices').expect(200)).body.items).toEqual([]);
    await request(t.http).get('/api/v1/notices').expect(401);
  });

  const action = (id: string, kind: 'amend' | 'withdraw', key: string | undefined, body: Record<string, unknown>) => {
    const r = admin.agent.post(`/api/v1/applications/${id}/${kind}`).set('X-CSRF-Token', admin.csrf).send(body);
    return key ? r.set('Idempotency-Key', key) : r;
  };
  async function arrived(title: string): Promise<{ id: string; arriveId: string }> {
    const id = await readyApplication(title);
    await submit(id, `key-${id}`).expect(202);
    await t.app.get(SubmissionsService).runDue();
    const s = await status(id);
    expect(s.status).toBe('arrived');
    return { id, arriveId: s.arriveId };
  }

  it('試行モード: an administrator switches it (audited); a filing is sent as a trial, marked so, and never polled', async () => {
    const member = await login(t, 'file-a', a.memberEmail);
    await member.agent.put('/api/v1/egov/settings').set('X-CSRF-Token', member.csrf).send({ trialMode: true }).expect(403);
    const bad = await admin.agent.put('/api/v1/egov/settings').set('X-CSRF-Token', admin.csrf).send({ trialMode: 'yes' }).expect(400);
    expect(bad.body.code).toBe('validation_failed');
    expect((await admin.agent.get('/api/v1/egov/settings').expect(200)).body).toEqual({ trialMode: false });
    expect(
      (await admin.agent.put('/api/v1/egov/settings').set('X-CSRF-Token', admin.csrf).send({ trialMode: true }).expect(200)).body,
    ).toEqual({
      trialMode: true,
    });
    expect((await admin.agent.get('/api/v1/egov/account').expect(200)).body).toMatchObject({ linked: true, trialMode: true });
    const changed = await t.ds.query(`SELECT details FROM audit_events WHERE tenant_id = $1 AND action = 'egov.trial_mode_changed'`, [
      a.tenantId,
    ]);
    expect(changed.map((r: { details: unknown }) => r.details)).toEqual([{ trialMode: true }]);
    try {
      const id = await readyApplication('試行');
      await submit(id, 'key-trial-0001').expect(202);
      await t.app.get(SubmissionsService).runDue();
      const row = await t.ds.query(`SELECT status, arrive_id, egov_status FROM applications WHERE id = $1`, [id]);
      expect(row[0]).toEqual({ status: 'arrived', arrive_id: null, egov_status: '試行（形式チェックのみ・申請されていません）' });
      expect((await t.ds.query(`SELECT trial FROM submissions WHERE application_id = $1`, [id]))[0].trial).toBe(true);
      const events = await t.ds.query(
        `SELECT details FROM application_events WHERE application_id = $1 AND to_status = 'arrived' ORDER BY id`,
        [id],
      );
      expect(events.at(-1).details).toMatchObject({ trial: true });
      now += 5000;
      await t.app.get(StatusTrackerService).pollAll();
      expect((await status(id)).status).toBe('arrived');
      // No case at e-Gov: nothing to withdraw.
      const wd = await admin.agent
        .post(`/api/v1/applications/${id}/withdraw`)
        .set('X-CSRF-Token', admin.csrf)
        .set('Idempotency-Key', 'wd-trial-0001')
        .send({ reason: '試行のため' })
        .expect(409);
      expect(wd.body.code).toBe('not_filed');
    } finally {
      await admin.agent.put('/api/v1/egov/settings').set('X-CSRF-Token', admin.csrf).send({ trialMode: false }).expect(200);
    }
  });

  it('correction (補正): the notice is shown, the form is editable again, one amendment reaches e-Gov, and the case finishes', async () => {
    sim.state.setFailurePlan([{ correctionFor: 'next' }]);
    const { id, arriveId } = await arrived('補正あり');
    expect(arriveId).toMatch(/^\d{16,18}$/);
    const tracker = t.app.get(StatusTrackerService);
    now += 1500;
    await tracker.pollAll();
    now += 1500;
    await tracker.pollAll();
    let s = await status(id);
    expect(s).toMatchObject({ status: 'correction_requested', egovStatus: '審査中（補正待ち）', lastAction: null });
    const correction = s.egovNotices.find((n: { type: string }) => n.type === '補正');
    expect(correction.body).toContain('補正');
    // e-Gov writes JST without a zone; the API answers it with its offset (a browser outside Japan read it 9 h late).
    expect(correction.date).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+09:00$/);
    expect((await admin.agent.get('/api/v1/notices').expect(200)).body.items.map((n: { kind: string }) => n.kind)).toContain(
      'correction_requested',
    );
    // The notice text is the government's wording about the case: sealed at rest.
    const stored = await t.ds.query(`SELECT title_sealed, body_sealed FROM egov_case_notices WHERE application_id = $1`, [id]);
    expect(stored.length).toBeGreaterThan(0);
    for (const r of stored) expect(Buffer.concat([r.title_sealed, r.body_sealed]).includes(Buffer.from('補正'))).toBe(false);

    // e-Gov's titles may carry the 到達番号 or a 手続ID: users see the title without them (issue 18).
    sim.state.addNotice(sim.state.cases.get(arriveId)!, 'お知らせ', `【到達番号：${arriveId}】 審査状況について\r\n`, '審査中です。', now);
    sim.state.addNotice(sim.state.cases.get(arriveId)!, 'お知らせ', '999X000000000001', '本文', now);
    await tracker.pollAll();
    s = await status(id);
    expect(s.egovNotices.map((n: { title: string }) => n.title)).toEqual(
      expect.arrayContaining(['申請内容の補正のお願い', '審査状況について', 'e-Govからのお知らせ']),
    );
    expect(JSON.stringify(s.egovNotices.map((n: { title: string }) => n.title))).not.toContain(arriveId);

    // Editable again, except the office.
    const other = (await admin.agent.post('/api/v1/offices').set('X-CSRF-Token', admin.csrf).send({ name: '別事業所' }).expect(201)).body
      .id;
    const locked = await admin.agent
      .patch(`/api/v1/applications/${id}`)
      .set('X-CSRF-Token', admin.csrf)
      .send({ version: s.version, officeId: other })
      .expect(409);
    expect(locked.body.code).toBe('office_locked');
    const edited = await admin.agent
      .patch(`/api/v1/applications/${id}`)
      .set('X-CSRF-Token', admin.csrf)
      .send({ version: s.version, form: { ...VALID_FORM, address: '東京都千代田区霞が関1-2-3' } })
      .expect(200);
    expect(edited.body.status).toBe('correction_requested');

    // Amend: key required, the version the user saw, an incomplete form is refused with every rule.
    expect((await action(id, 'amend', undefined, { version: edited.body.version }).expect(400)).body.code).toBe('validation_failed');
    expect((await action(id, 'amend', 'amend-key-stale', { version: s.version }).expect(409)).body.code).toBe('version_conflict');
    const broken = await admin.agent
      .patch(`/api/v1/applications/${id}`)
      .set('X-CSRF-Token', admin.csrf)
      .send({ version: edited.body.version, form: { ...VALID_FORM, familyName: undefined } })
      .expect(200);
    const incomplete = await action(id, 'amend', 'amend-key-incomplete', { version: broken.body.version }).expect(422);
    expect(incomplete.body.code).toBe('validation_failed');
    expect(incomplete.body.errors.map((e: { field: string }) => e.field)).toContain('form.familyName');
    const fixed = await admin.agent
      .patch(`/api/v1/applications/${id}`)
      .set('X-CSRF-Token', admin.csrf)
      .send({ version: broken.body.version, form: { ...VALID_FORM, address: '東京都千代田区霞が関1-2-3' } })
      .expect(200);
    expect(await t.ds.query(`SELECT count(*)::int AS n FROM egov_actions WHERE application_id = $1`, [id])).toEqual([{ n: 0 }]);
    // A 補正 often needs a document: attachments can be added again too (scanned as always).
    await admin.agent
      .post(`/api/v1/applications/${id}/attachments`)
      .set('X-CSRF-Token', admin.csrf)
      .attach('file', Buffer.from('%PDF-1.4\n% 補正資料\n%%EOF\n'), { filename: 'hosei.pdf' })
      .expect(201);

    const first = await action(id, 'amend', 'amend-key-0001', { version: fixed.body.version }).expect(202);
    expect(first.body).toMatchObject({ kind: 'amend', state: 'pending', status: 'correction_requested' });
    expect((await action(id, 'amend', 'amend-key-0001', { version: fixed.body.version }).expect(202)).body.actionId).toBe(
      first.body.actionId,
    );
    expect((await action(id, 'amend', 'amend-key-0002', { version: fixed.body.version }).expect(409)).body.code).toBe('action_in_progress');
    // While the 補正 is on its way the form stays as it is being sent.
    const busy = await admin.agent
      .patch(`/api/v1/applications/${id}`)
      .set('X-CSRF-Token', admin.csrf)
      .send({ version: fixed.body.version, title: 'x' })
      .expect(409);
    expect(busy.body.code).toBe('action_in_progress');

    expect(await t.app.get(EgovActionsService).runDue()).toBe(1);
    s = await status(id);
    expect(s).toMatchObject({
      status: 'under_review',
      egovStatus: '審査中',
      lastAction: { kind: 'amend', state: 'done', lastError: null },
    });
    const simCase = sim.state.cases.get(arriveId)!;
    expect(simCase.packages).toHaveLength(2);
    expect(simCase.packages[1].entries.some((e) => e.endsWith('hosei.pdf'))).toBe(true);
    expect(simCase.packages[0].entries.some((e) => e.endsWith('hosei.pdf'))).toBe(false);
    expect(
      s.timeline.some((e: { toStatus: string; details: { amended?: boolean } }) => e.toStatus === 'under_review' && e.details.amended),
    ).toBe(true);
    expect((await admin.agent.get('/api/v1/notices').expect(200)).body.items.map((n: { kind: string }) => n.kind)).toContain('amended');
    expect((await action(id, 'amend', 'amend-key-0003', { version: s.version }).expect(409)).body.code).toBe('not_correctable');
    const audit = await t.ds.query(`SELECT action FROM audit_events WHERE target_id = $1 ORDER BY seq`, [id]);
    expect(audit.map((r: { action: string }) => r.action)).toEqual(
      expect.arrayContaining(['application.amend_requested', 'application.amended']),
    );

    now += 1500;
    await tracker.pollAll();
    now += 10;
    await tracker.pollAll();
    expect((await status(id)).status).toBe('completed');
  });

  it('再提出: when e-Gov asks a resubmission, the correction is a new filing (申請種別 再提出, 初回受付番号) and the application follows the new case', async () => {
    // (casts: correctType and first_arrive_id come with the v2 simulator, issue 16 H1)
    sim.state.setFailurePlan([{ correctionFor: 'next', correctType: '再提出' } as unknown as { correctionFor: 'next' }]);
    const { id, arriveId } = await arrived('再提出あり');
    const tracker = t.app.get(StatusTrackerService);
    now += 1500;
    await tracker.pollAll();
    now += 1500;
    await tracker.pollAll();
    const s = await status(id);
    expect(s.status).toBe('correction_requested');
    const stored = await t.ds.query(`SELECT correct_type FROM egov_case_notices WHERE application_id = $1 AND correct_type IS NOT NULL`, [
      id,
    ]);
    expect(stored).toEqual([{ correct_type: '再提出' }]);
    const before = sim.state.cases.size;
    await action(id, 'amend', 'resubmit-key-0001', { version: s.version }).expect(202);
    expect(await t.app.get(EgovActionsService).runDue()).toBe(1);
    // Not POST /apply/amend on the first case: a new case, whose kousei names the first one.
    expect(sim.state.cases.get(arriveId)!.packages).toHaveLength(1);
    expect(sim.state.cases.size).toBe(before + 1);
    const after = await status(id);
    expect(after).toMatchObject({ status: 'under_review', lastAction: { kind: 'amend', state: 'done' } });
    expect(after.arriveId).not.toBe(arriveId);
    expect(after.arriveId).toMatch(/^\d{16,18}$/);
    expect((sim.state.cases.get(after.arriveId) as unknown as { first_arrive_id?: string }).first_arrive_id).toBe(arriveId);
    const entry = after.timeline.find((e: { details: { resubmitted?: boolean } }) => e.details.resubmitted);
    expect(entry.details).toMatchObject({ firstArriveId: arriveId, arriveId: after.arriveId });
  });

  it('an amendment whose answer was lost is not sent twice: the retry sees the case under review again', async () => {
    sim.state.setFailurePlan([{ correctionFor: 'next' }]);
    const { id, arriveId } = await arrived('補正 応答消失');
    const tracker = t.app.get(StatusTrackerService);
    now += 1500;
    await tracker.pollAll();
    now += 1500;
    await tracker.pollAll();
    const s = await status(id);
    expect(s.status).toBe('correction_requested');
    await action(id, 'amend', 'amend-lost-0001', { version: s.version }).expect(202);
    // The first attempt reached e-Gov, then the process died before storing the answer:
    const token = await t.app.get(EgovAccountsService).accessToken(a.tenantId);
    const pkg = await t.app.get(SubmissionsService).buildFor(a.tenantId, id, undefined, { partialAmendOf: arriveId });
    await t.app.get(EgovClient).amend(token, arriveId, pkg.zip, pkg.fileName);
    await t.ds.query(
      `UPDATE egov_actions SET state = 'sending', attempts = 1, sending_started_at = now(), next_attempt_at = now() WHERE application_id = $1`,
      [id],
    );
    await t.app.get(EgovActionsService).runDue();
    expect((await status(id)).status).toBe('under_review');
    expect(sim.state.cases.get(arriveId)!.packages).toHaveLength(2);
  });

  it("withdrawal (取下げ): a reason is required and sent once (sealed here), the application ends withdrawn with e-Gov's receipt", async () => {
    const { id, arriveId } = await arrived('取下げ');
    const reason = '取下げ理由カナリア-7c1e 被保険者の資格取得日の誤り';
    expect((await action(id, 'withdraw', 'wd-key-0001', {}).expect(400)).body.code).toBe('validation_failed');
    expect((await action(id, 'withdraw', 'wd-key-0001', { reason: 'x'.repeat(1001) }).expect(400)).body.code).toBe('validation_failed');
    expect((await action(id, 'withdraw', undefined, { reason }).expect(400)).body.code).toBe('validation_failed');
    const first = await action(id, 'withdraw', 'wd-key-0001', { reason }).expect(202);
    expect(first.body).toMatchObject({ kind: 'withdraw', state: 'pending', status: 'arrived' });
    expect((await action(id, 'amend', 'wd-key-0001', { version: 1 }).expect(409)).body.code).toBe('idempotency_key_reused');
    const row = await t.ds.query(`SELECT reason_sealed FROM egov_actions WHERE id = $1`, [first.body.actionId]);
    expect(row[0].reason_sealed.includes(Buffer.from('カナリア'))).toBe(false);

    expect(await t.app.get(EgovActionsService).runDue()).toBe(1);
    const s = await status(id);
    expect(s).toMatchObject({ status: 'withdrawn', lastAction: { kind: 'withdraw', state: 'done' } });
    expect(sim.state.cases.get(arriveId)!.withdrawn?.reason).toBe(reason);
    expect(s.egovNotices.map((n: { type: string }) => n.type)).toContain('取下げ');
    expect((await admin.agent.get('/api/v1/notices').expect(200)).body.items.map((n: { kind: string }) => n.kind)).toContain('withdrawn');
    // A replay answers the same; a new request is refused; the poll leaves a withdrawn application alone.
    expect((await action(id, 'withdraw', 'wd-key-0001', { reason }).expect(202)).body).toMatchObject({
      actionId: first.body.actionId,
      state: 'done',
      status: 'withdrawn',
    });
    expect((await action(id, 'withdraw', 'wd-key-0002', { reason }).expect(409)).body.code).toBe('not_withdrawable');
    now += 5000;
    await t.app.get(StatusTrackerService).pollAll();
    expect((await status(id)).status).toBe('withdrawn');
    // The reason is in no table in plain form.
    const tables: Array<{ tablename: string }> = await t.ds.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public'`);
    for (const { tablename } of tables)
      expect(JSON.stringify(await t.ds.query(`SELECT * FROM "${tablename}"`)).includes('カナリア-7c1e')).toBe(false);
  });

  it("a withdrawal e-Gov refuses (review already finished there) fails with the government's reason and keeps the status", async () => {
    const { id } = await arrived('取下げ 不可');
    now += 5000; // at e-Gov the review has finished; our poll has not run yet
    const res = await action(id, 'withdraw', 'wd-late-0001', { reason: '重複申請のため' }).expect(202);
    expect(await t.app.get(EgovActionsService).runDue()).toBe(1);
    const s = await status(id);
    expect(s.status).toBe('arrived');
    expect(s.lastAction).toMatchObject({ id: res.body.actionId, state: 'failed' });
    expect(s.lastAction.lastError).toContain('取り下げられません');
    expect((await admin.agent.get('/api/v1/notices').expect(200)).body.items.map((n: { kind: string }) => n.kind)).toContain(
      'withdraw_failed',
    );
    expect(
      (await t.ds.query(`SELECT outcome FROM audit_events WHERE target_id = $1 AND action = 'application.withdraw_failed'`, [id])).length,
    ).toBe(1);
    // Not at e-Gov any more as a withdrawable case; the poll catches up with the real state.
    await t.app.get(StatusTrackerService).pollAll();
    expect(['review_finished', 'completed']).toContain((await status(id)).status);
  });

  it("shows a user the notices addressed to them or to the whole tenant, never another user's", async () => {
    const member = await login(t, 'file-a', a.memberEmail);
    const mine: Array<{ kind: string; applicationId: string }> = (await member.agent.get('/api/v1/notices').expect(200)).body.items;
    // Everything so far was submitted by the admin: none of it is addressed to the member.
    const adminIds = new Set(((await admin.agent.get('/api/v1/notices').expect(200)).body.items as Array<{ id: string }>).map((n) => n.id));
    expect(adminIds.size).toBeGreaterThan(0);
    expect(mine.filter((n: { kind: string; applicationId: string } & { id?: string }) => adminIds.has(n.id as string))).toEqual([]);
    const adminNotice = [...adminIds][0];
    await member.agent.post(`/api/v1/notices/${adminNotice}/read`).set('X-CSRF-Token', member.csrf).expect(404);
    expect((await t.ds.query(`SELECT read_at FROM notices WHERE id = $1`, [adminNotice]))[0].read_at).toBeNull();
    // A notice for the whole tenant (no known submitter) reaches both.
    const app = (await member.agent.get('/api/v1/applications').expect(200)).body.items[0].id;
    await t.ds.query(`INSERT INTO notices (tenant_id, user_id, application_id, kind) VALUES ($1, NULL, $2, 'failed')`, [a.tenantId, app]);
    const both = await Promise.all([member, admin].map(async (u) => (await u.agent.get('/api/v1/notices').expect(200)).body.items));
    for (const items of both)
      expect(items.some((n: { kind: string; applicationId: string }) => n.kind === 'failed' && n.applicationId === app)).toBe(true);
  });

  it('one poll run reaches every open case, in batches, least recently polled first', async () => {
    const ids = [];
    for (const n of [1, 2, 3]) ids.push((await arrived(`一括ポーリング ${n}`)).id);
    now += 1500;
    const before = await t.ds.query(
      `SELECT count(*)::int AS n FROM applications WHERE arrive_id IS NOT NULL AND status NOT IN ('completed', 'withdrawn', 'failed')`,
    );
    expect(before[0].n).toBeGreaterThan(3);
    await t.app.get(StatusTrackerService).pollAll({ batch: 1, concurrency: 1 });
    for (const id of ids) expect((await status(id)).status).toBe('under_review');
    const polled = await t.ds.query(
      `SELECT count(*)::int AS n FROM applications WHERE arrive_id IS NOT NULL AND egov_polled_at IS NULL AND status NOT IN ('completed', 'withdrawn', 'failed')`,
    );
    expect(polled[0].n).toBe(0);
  });

  it('an official document e-Gov no longer hands out (410) does not hold the status back', async () => {
    const { id, arriveId } = await arrived('公文書 期限切れ');
    const tracker = t.app.get(StatusTrackerService);
    now += 1500;
    await tracker.pollAll();
    now += 1500;
    const c = sim.state.cases.get(arriveId)!;
    sim.state.advance(c); // 審査終了 at e-Gov, with its 公文書 offered …
    expect(c.officials).toHaveLength(1);
    // … and already past its download period (a JST day "YYYY-MM-DD", as e-Gov writes it)
    c.officials[0].doc_download_expired_date = egovApi.formatEgovDate(new Date(now - 86_400_000));
    await tracker.pollAll();
    const s = await status(id);
    expect(s.status).toBe('review_finished');
    expect((await admin.agent.get(`/api/v1/applications/${id}/documents`).expect(200)).body.items).toEqual([]);
  });

  it('keeps 補正 and 取下げ to their tenant and their states', async () => {
    const { id } = await arrived('他テナント');
    const c = await seedTenant(t, 'file-c');
    const adminC = await login(t, 'file-c', c.adminEmail);
    for (const kind of ['amend', 'withdraw'] as const)
      await adminC.agent
        .post(`/api/v1/applications/${id}/${kind}`)
        .set('X-CSRF-Token', adminC.csrf)
        .set('Idempotency-Key', 'other-tenant-1')
        .send(kind === 'amend' ? { version: 1 } : { reason: 'x' })
        .expect(404);
    await adminC.agent.post(`/api/v1/applications/${id}/reopen`).set('X-CSRF-Token', adminC.csrf).send({}).expect(404);
    // An API token needs applications:write for them; a read-only one is refused and changes nothing.
    const readOnly = (
      await admin.agent
        .post('/api/v1/api-tokens')
        .set('X-CSRF-Token', admin.csrf)
        .send({ name: '参照のみ', scopes: ['applications:read'] })
        .expect(201)
    ).body.token;
    for (const [kind, body] of [
      ['amend', { version: 1 }],
      ['withdraw', { reason: 'x' }],
      ['reopen', {}],
    ] as const)
      await request(t.http)
        .post(`/api/v1/applications/${id}/${kind}`)
        .set('Authorization', `Bearer ${readOnly}`)
        .set('Idempotency-Key', 'read-only-token-1')
        .send(body)
        .expect(403);
    // Amend is only for a case waiting for correction; withdraw only while at e-Gov.
    expect((await action(id, 'amend', 'amend-arrived-1', { version: (await status(id)).version }).expect(409)).body.code).toBe(
      'not_correctable',
    );
    const draft = await admin.agent
      .post('/api/v1/applications')
      .set('X-CSRF-Token', admin.csrf)
      .send({ procedureCode: 'shaho-shutoku', officeId, title: '下書き', form: {} })
      .expect(201);
    expect((await action(draft.body.id, 'withdraw', 'wd-draft-0001', { reason: 'x' }).expect(409)).body.code).toBe('not_withdrawable');
    expect(await t.ds.query(`SELECT count(*)::int AS n FROM egov_actions WHERE application_id = ANY($1)`, [[id, draft.body.id]])).toEqual([
      { n: 0 },
    ]);
  });

  it('a tenant key rotation re-encrypts the e-Gov tokens, case notices and official documents; filing goes on', async () => {
    const rotation = t.app.get(KeyRotationService);
    const before = await rotation.versionCounts(a.tenantId);
    expect(Object.keys(before)).toEqual(['1']);
    const job = await rotation.start(a.tenantId);
    expect((await rotation.run(job.id)).state).toBe('done');
    t.app.get(TenantKeysService).clearCache();
    expect(await rotation.versionCounts(a.tenantId)).toEqual({ 2: before[1] });
    const tokens = await t.ds.query(`SELECT tokens_sealed FROM egov_accounts WHERE tenant_id = $1`, [a.tenantId]);
    expect(tokens[0].tokens_sealed.readUInt32BE(4)).toBe(2);
    // Documents still download; e-Gov still answers with the re-encrypted token.
    const [doc] = await t.ds.query(
      `SELECT id, application_id FROM official_documents WHERE tenant_id = $1 AND content_type = 'application/pdf' LIMIT 1`,
      [a.tenantId],
    );
    const dl = await admin.agent
      .get(`/api/v1/applications/${doc.application_id}/documents/${doc.id}`)
      .buffer(true)
      .parse((r, cb) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => cb(null, Buffer.concat(chunks)));
      })
      .expect(200);
    expect((dl.body as Buffer).subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const { id } = await arrived('鍵の更新後');
    expect((await status(id)).egovNotices).toEqual([]);
  });
});
