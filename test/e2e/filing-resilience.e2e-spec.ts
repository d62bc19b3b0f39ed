import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { EgovAccountsService, EgovClient, EgovJobs, SubmissionsService } from '@charlotte/filing';
import { EgovSim, startEgovSim } from '../../apps/egov-sim/src/server';
import type { RequestLogEntry } from '../../apps/egov-sim/src/types';
import { login, LoggedIn, seedTenant, Seeded, startTestApp, TestApp } from '../support/app';
import { egovEnv, EgovProxy, Instance, linkEgovAccount, SIM_CLIENT, startAppOn, startEgovProxy, VALID_FORM } from '../support/egov';

/**
 * Filing when e-Gov misbehaves: every failure kind the simulator can inject
 * on POST /apply is retried and files exactly once; permanent refusals and
 * transient errors beyond the last attempt end as `failed` with the reason,
 * a notice and an audit event; a server killed while it sends resumes in a
 * new process without filing twice; two instances on one database poll once
 * and file each application once; the scheduled jobs run by themselves.
 */

/** As in libs/filing/src/submissions.service.ts. */
const MAX_ATTEMPTS = 10;
const backoffSeconds = (attempt: number) => Math.min(6 * 3600, 30 * 2 ** Math.max(0, attempt - 1));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs: number,
  diag?: () => string,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${diag ? `\n${diag()}` : ''}`);
    await sleep(200);
  }
}

/** A tenant with an admin logged in, an office, and its e-Gov account linked (code + PKCE through the simulator's login page). */
async function linkedTenant(t: TestApp, sim: EgovSim, code: string): Promise<{ seeded: Seeded; admin: LoggedIn; officeId: string }> {
  const seeded = await seedTenant(t, code);
  const admin = await login(t, code, seeded.adminEmail);
  const officeId = (
    await admin.agent
      .post('/api/v1/offices')
      .set('X-CSRF-Token', admin.csrf)
      .send({ name: '本社', address: '東京都千代田区霞が関1-2-2', pensionOfficeCode: '01-イロハ', pensionOfficeNumber: '12345' })
      .expect(201)
  ).body.id as string;
  await linkEgovAccount(t, admin, sim);
  return { seeded, admin, officeId };
}

/** Creates an application that passed the input check and submits it (202); returns its id. */
async function submitted(admin: LoggedIn, officeId: string, title: string): Promise<string> {
  const app = await admin.agent
    .post('/api/v1/applications')
    .set('X-CSRF-Token', admin.csrf)
    .send({ procedureCode: 'shaho-shutoku', officeId, title, form: VALID_FORM })
    .expect(201);
  const id = app.body.id as string;
  await admin.agent.post(`/api/v1/applications/${id}/validate`).set('X-CSRF-Token', admin.csrf).expect(200);
  const res = await admin.agent
    .post(`/api/v1/applications/${id}/submit`)
    .set('X-CSRF-Token', admin.csrf)
    .set('Idempotency-Key', `resilience-${id}`)
    .expect(202);
  expect(res.body.status).toBe('submitting');
  return id;
}

interface SubRow {
  state: string;
  attempts: number;
  last_error: string | null;
  /** Seconds between the last update and the next attempt (the wait chosen by the worker). */
  wait_s: number;
  /** Seconds from the database's now() to the next attempt. */
  due_in_s: number;
}
const submission = async (ds: TestApp['ds'], id: string): Promise<SubRow> =>
  (
    await ds.query(
      `SELECT state, attempts, last_error, extract(epoch FROM next_attempt_at - updated_at)::float8 AS wait_s,
              extract(epoch FROM next_attempt_at - now())::float8 AS due_in_s
         FROM submissions WHERE application_id = $1`,
      [id],
    )
  )[0];
const appRow = async (
  ds: TestApp['ds'],
  id: string,
): Promise<{ status: string; arrive_id: string | null; failure_reason: string | null }> =>
  (await ds.query(`SELECT status, arrive_id, failure_reason FROM applications WHERE id = $1`, [id]))[0];
/** The status changes of an application, in order, as the timeline shows them. */
const transitions = async (ds: TestApp['ds'], id: string): Promise<string[]> =>
  (await ds.query(`SELECT to_status FROM application_events WHERE application_id = $1 AND kind = 'status' ORDER BY id`, [id])).map(
    (r: { to_status: string }) => r.to_status,
  );
/** Skips the backoff (or an expired lease) as if the time had come. */
const makeDue = (ds: TestApp['ds'], id: string) =>
  ds.query(`UPDATE submissions SET next_attempt_at = now() WHERE application_id = $1`, [id]);

describe('Filing resilience: failures injected on POST /apply', () => {
  let sim: EgovSim;
  let proxy: EgovProxy;
  let t: TestApp;
  let admin: LoggedIn;
  let officeId: string;
  let seeded: Seeded;
  let runDue: () => Promise<number>;

  beforeAll(async () => {
    sim = await startEgovSim({ ...SIM_CLIENT, clock: { arriveToReviewMs: 3600_000, reviewToFinishMs: 3600_000 } });
    proxy = await startEgovProxy(sim);
    // A short client timeout so that a hanging e-Gov costs the test one second, not thirty.
    t = await startTestApp({ ...egovEnv(sim, proxy.url), EGOV_TIMEOUT_MS: '1000' });
    ({ seeded, admin, officeId } = await linkedTenant(t, sim, 'resil-a'));
    const service = t.app.get(SubmissionsService);
    runDue = () => service.runDue();
  });
  afterAll(async () => {
    await t?.close();
    await proxy?.close();
    await sim?.close();
  });
  afterEach(() => {
    // A rule left over would leak into the next test: each test consumes what it plans.
    expect(sim.state.failures.pending()).toEqual([]);
    expect(proxy.rules).toEqual([]);
  });

  it('retries 500s with exponential backoff, then files exactly once', async () => {
    const id = await submitted(admin, officeId, '500 three times');
    sim.state.setFailurePlan([{ path: '/apply', method: 'POST', times: 3, kind: '500' }]);
    const before = sim.state.cases.size;
    const posts = proxy.count('POST', '/apply');
    for (let attempt = 1; attempt <= 3; attempt++) {
      if (attempt > 1) {
        // Not due yet: the worker leaves it alone until the backoff has passed.
        expect(await runDue()).toBe(0);
        await makeDue(t.ds, id);
      }
      expect(await runDue()).toBe(1);
      const s = await submission(t.ds, id);
      expect(s).toMatchObject({ state: 'pending', attempts: attempt, last_error: 'e-Gov answered 500' });
      expect(s.wait_s).toBeCloseTo(backoffSeconds(attempt), 0);
      expect(await appRow(t.ds, id)).toMatchObject({ status: 'submitting', arrive_id: null });
      expect(sim.state.cases.size).toBe(before);
    }
    await makeDue(t.ds, id);
    expect(await runDue()).toBe(1);
    const a = await appRow(t.ds, id);
    expect(a.status).toBe('arrived');
    expect(sim.state.cases.size).toBe(before + 1);
    expect(sim.state.cases.get(a.arrive_id!)).toBeDefined();
    expect(proxy.count('POST', '/apply') - posts).toBe(4);
    expect(await submission(t.ds, id)).toMatchObject({ state: 'sent', attempts: 4, last_error: null });
    expect(await transitions(t.ds, id)).toEqual(['ready', 'submitting', 'arrived']);
  });

  it('honours Retry-After on 429: the next attempt is not scheduled sooner (1 s from the simulator, 120 s through the proxy)', async () => {
    // The simulator's 429 says Retry-After: 1, far below the 30 s first backoff: the worker waits 1 s, not 30 s.
    const id = await submitted(admin, officeId, '429');
    sim.state.setFailurePlan([{ path: '/apply', method: 'POST', times: 1, kind: '429' }]);
    const before = sim.state.cases.size;
    expect(await runDue()).toBe(1);
    let s = await submission(t.ds, id);
    expect(s).toMatchObject({ state: 'pending', attempts: 1, last_error: 'e-Gov rate limit' });
    expect(s.wait_s).toBeGreaterThanOrEqual(1);
    expect(s.wait_s).toBeLessThan(backoffSeconds(1));
    // No fast-forward: after the Retry-After the submission is simply due again.
    await sleep(Math.max(0, s.due_in_s * 1000) + 100);
    expect(await runDue()).toBe(1);
    expect((await appRow(t.ds, id)).status).toBe('arrived');
    expect(sim.state.cases.size).toBe(before + 1);

    // A longer Retry-After than the backoff is honoured too (and the attempt is not made before it).
    const id2 = await submitted(admin, officeId, '429 long');
    proxy.rules.push({
      method: 'POST',
      path: '/apply',
      times: 1,
      respond: {
        status: 429,
        headers: { 'retry-after': '120' },
        body: JSON.stringify({ title: 'Too Many Requests', status: 429, detail: 'slow down' }),
      },
    });
    expect(await runDue()).toBe(1);
    s = await submission(t.ds, id2);
    expect(s).toMatchObject({ state: 'pending', attempts: 1 });
    expect(s.wait_s).toBeGreaterThanOrEqual(120);
    expect(s.due_in_s).toBeGreaterThan(100);
    expect(await runDue()).toBe(0);
    await makeDue(t.ds, id2);
    expect(await runDue()).toBe(1);
    expect((await appRow(t.ds, id2)).status).toBe('arrived');
    expect(sim.state.cases.size).toBe(before + 2);
  });

  it('retries after a timeout (no answer within EGOV_TIMEOUT_MS; the simulator created nothing) and files once', async () => {
    const id = await submitted(admin, officeId, 'timeout');
    sim.state.setFailurePlan([{ path: '/apply', method: 'POST', times: 1, kind: 'timeout' }]);
    const before = sim.state.cases.size;
    const started = Date.now();
    expect(await runDue()).toBe(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900); // it waited for the client timeout (1 s)
    expect(await submission(t.ds, id)).toMatchObject({
      state: 'pending',
      attempts: 1,
      last_error: 'e-Gov unreachable or too slow: TimeoutError',
    });
    // The simulator's 'timeout' kind processes nothing: no case yet.
    expect(sim.state.cases.size).toBe(before);
    await makeDue(t.ds, id);
    expect(await runDue()).toBe(1);
    const a = await appRow(t.ds, id);
    expect(a.status).toBe('arrived');
    expect(sim.state.cases.size).toBe(before + 1);
    expect(sim.state.cases.get(a.arrive_id!)).toBeDefined();
  });

  it('after a timeout where e-Gov did create the case (answer lost), adopts that case: still exactly one case', async () => {
    const id = await submitted(admin, officeId, 'timeout after commit');
    sim.state.setFailurePlan([{ path: '/apply', method: 'POST', times: 1, kind: 'timeout-after-commit' }]);
    const before = new Set(sim.state.cases.keys());
    const posts = proxy.count('POST', '/apply');
    expect(await runDue()).toBe(1);
    expect(await submission(t.ds, id)).toMatchObject({
      state: 'pending',
      attempts: 1,
      last_error: 'e-Gov unreachable or too slow: TimeoutError',
    });
    const created = [...sim.state.cases.keys()].filter((k) => !before.has(k));
    expect(created).toHaveLength(1); // e-Gov has it; we do not know its arrive_id yet
    expect((await appRow(t.ds, id)).arrive_id).toBeNull();

    await makeDue(t.ds, id);
    expect(await runDue()).toBe(1);
    expect(await appRow(t.ds, id)).toMatchObject({ status: 'arrived', arrive_id: created[0] });
    expect(sim.state.cases.size).toBe(before.size + 1);
    expect(proxy.count('POST', '/apply') - posts).toBe(1); // not sent again
    const ev = await t.ds.query(`SELECT details FROM application_events WHERE application_id = $1 AND to_status = 'arrived'`, [id]);
    expect(ev).toHaveLength(1);
    expect(ev[0].details).toMatchObject({ arriveId: created[0], adopted: true });
  });

  it('an unknown outcome and an error answer in one run: each application ends with its own case', async () => {
    const first = await submitted(admin, officeId, 'lost answer');
    const second = await submitted(admin, officeId, 'error answer');
    sim.state.setFailurePlan([
      { path: '/apply', method: 'POST', times: 1, kind: 'timeout-after-commit' },
      { path: '/apply', method: 'POST', times: 1, kind: '500' },
    ]);
    const before = new Set(sim.state.cases.keys());
    expect(await runDue()).toBe(2);
    const lost = [...sim.state.cases.keys()].filter((k) => !before.has(k));
    expect(lost).toHaveLength(1); // the first application's case, answer lost
    // The second application is retried first: it must not take the first one's case.
    await t.ds.query(`UPDATE submissions SET next_attempt_at = now() - interval '1 second' WHERE application_id = $1`, [second]);
    await makeDue(t.ds, first);
    expect(await runDue()).toBe(2);
    expect((await appRow(t.ds, first)).arrive_id).toBe(lost[0]);
    const other = (await appRow(t.ds, second)).arrive_id;
    expect(other).not.toBeNull();
    expect(other).not.toBe(lost[0]);
    expect(sim.state.cases.size).toBe(before.size + 2);
  });

  it('retries a malformed answer (200 with broken JSON) and files once', async () => {
    const id = await submitted(admin, officeId, 'malformed');
    sim.state.setFailurePlan([{ path: '/apply', method: 'POST', times: 1, kind: 'malformed' }]);
    const before = sim.state.cases.size;
    expect(await runDue()).toBe(1);
    expect(await submission(t.ds, id)).toMatchObject({
      state: 'pending',
      attempts: 1,
      last_error: 'e-Gov answered something that is not JSON',
    });
    expect(sim.state.cases.size).toBe(before); // the simulator's 'malformed' processes nothing
    await makeDue(t.ds, id);
    expect(await runDue()).toBe(1);
    expect((await appRow(t.ds, id)).status).toBe('arrived');
    expect(sim.state.cases.size).toBe(before + 1);
    expect(await transitions(t.ds, id)).toEqual(['ready', 'submitting', 'arrived']);
  });

  it('a permanent refusal (400 from e-Gov) fails the application at once, with the government’s reason, a notice and an audit event', async () => {
    const id = await submitted(admin, officeId, 'refused');
    // The simulator has no "400" failure kind: the proxy changes proc_id on the way, and the
    // simulator's own package check refuses the filing with its problem+json 400.
    proxy.rules.push({ method: 'POST', path: '/apply', times: 1, rewriteJson: (b) => ({ ...b, proc_id: '900A000000000000' }) });
    const before = sim.state.cases.size;
    const logFrom = proxy.log.length;
    expect(await runDue()).toBe(1);

    const answer = proxy.log.slice(logFrom).find((e) => e.method === 'POST' && e.path === '/apply')!;
    expect(answer.status).toBe(400);
    // API v2 error body: {title, detail, type, instance, report_list?}; the reason kept is e-Gov's detail and, when
    // there is one, each report line (form / item / content) — e-Gov's wording only.
    const body = JSON.parse(answer.body!) as {
      detail: string;
      report_list?: Array<{ form_name?: string; item?: string; content?: string }>;
    };
    const lines = (body.report_list ?? [])
      .map((r) => [r.form_name, r.item, r.content].filter((x) => x && x !== '-').join(' / '))
      .filter((l) => l !== '');
    const detail = [body.detail, ...lines].join('\n').slice(0, 500);
    expect(detail).toContain('手続');

    const a = await appRow(t.ds, id);
    expect(a).toMatchObject({ status: 'failed', arrive_id: null, failure_reason: detail });
    expect(await submission(t.ds, id)).toMatchObject({ state: 'failed', attempts: 1, last_error: detail });
    expect(sim.state.cases.size).toBe(before);
    // Never retried.
    await makeDue(t.ds, id);
    expect(await runDue()).toBe(0);
    expect(sim.state.cases.size).toBe(before);

    // What the user sees: the detail (status and the reason on the timeline entry) and a notice.
    const detailView = (await admin.agent.get(`/api/v1/applications/${id}`).expect(200)).body;
    expect(detailView.status).toBe('failed');
    const failedEntry = detailView.timeline.find((e: { toStatus: string | null }) => e.toStatus === 'failed');
    expect(failedEntry).toMatchObject({ fromStatus: 'submitting', actor: 'system', details: { reason: detail } });
    expect(detailView.failureReason).toBe(detail);
    const notices = (await admin.agent.get('/api/v1/notices').expect(200)).body.items as Array<{ kind: string; applicationId: string }>;
    expect(notices.filter((n) => n.applicationId === id).map((n) => n.kind)).toEqual(['failed']);
    const notice = await t.ds.query(`SELECT user_id FROM notices WHERE application_id = $1`, [id]);
    expect(notice).toEqual([{ user_id: seeded.adminId }]); // to the submitter

    const audit = await t.ds.query(
      `SELECT outcome, actor_type, details FROM audit_events WHERE action = 'application.submission_failed' AND target_id = $1`,
      [id],
    );
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ outcome: 'failure', actor_type: 'system', details: { attempts: 1, kind: 'permanent' } });
    expect(await transitions(t.ds, id)).toEqual(['ready', 'submitting', 'failed']);

    // Fixed and filed again: reopened to draft, checked, submitted with a new key; the old key still answers the refused one.
    const reopen = (body: Record<string, unknown> = {}) =>
      admin.agent.post(`/api/v1/applications/${id}/reopen`).set('X-CSRF-Token', admin.csrf).send(body);
    const oldKey = `resilience-${id}`;
    const oldSubmission = (await t.ds.query(`SELECT id FROM submissions WHERE application_id = $1`, [id]))[0].id;
    expect((await reopen().expect(200)).body).toMatchObject({ status: 'draft' });
    expect(await appRow(t.ds, id)).toMatchObject({ status: 'draft', failure_reason: null });
    expect((await reopen().expect(409)).body.code).toBe('not_failed');
    await admin.agent.post(`/api/v1/applications/${id}/validate`).set('X-CSRF-Token', admin.csrf).expect(200);
    const again = await admin.agent
      .post(`/api/v1/applications/${id}/submit`)
      .set('X-CSRF-Token', admin.csrf)
      .set('Idempotency-Key', `${oldKey}-2`)
      .expect(202);
    expect(again.body.submissionId).not.toBe(oldSubmission);
    const replay = await admin.agent
      .post(`/api/v1/applications/${id}/submit`)
      .set('X-CSRF-Token', admin.csrf)
      .set('Idempotency-Key', oldKey)
      .expect(202);
    expect(replay.body.submissionId).toBe(oldSubmission);
    expect(await runDue()).toBe(1);
    expect((await appRow(t.ds, id)).status).toBe('arrived');
    expect(sim.state.cases.size).toBe(before + 1);
    expect(await transitions(t.ds, id)).toEqual(['ready', 'submitting', 'failed', 'draft', 'ready', 'submitting', 'arrived']);
    const reopened = await t.ds.query(
      `SELECT count(*)::int AS n FROM audit_events WHERE action = 'application.reopened' AND target_id = $1`,
      [id],
    );
    expect(reopened[0].n).toBe(1);
  });

  it('reopening a filing whose last attempt may have reached e-Gov needs the user to confirm it did not arrive', async () => {
    const id = await submitted(admin, officeId, 'unknown then failed');
    proxy.rules.push({ method: 'POST', path: '/apply', times: 1, rewriteJson: (b) => ({ ...b, proc_id: '900A000000000000' }) });
    expect(await runDue()).toBe(1);
    expect((await appRow(t.ds, id)).status).toBe('failed');
    // As if the attempts had ended on timeouts.
    await t.ds.query(`UPDATE submissions SET outcome_unknown_since = now() WHERE application_id = $1`, [id]);
    const reopen = (body: Record<string, unknown>) =>
      admin.agent.post(`/api/v1/applications/${id}/reopen`).set('X-CSRF-Token', admin.csrf).send(body);
    expect((await reopen({}).expect(409)).body.code).toBe('outcome_unknown');
    expect((await reopen({ confirmNotReceived: 'yes' }).expect(400)).body.code).toBe('validation_failed');
    expect((await appRow(t.ds, id)).status).toBe('failed');
    await reopen({ confirmNotReceived: true }).expect(200);
    expect((await appRow(t.ds, id)).status).toBe('draft');
  });

  it(`turns a transient error that lasts beyond ${MAX_ATTEMPTS} attempts into failed`, async () => {
    const id = await submitted(admin, officeId, 'always 500');
    sim.state.setFailurePlan([{ path: '/apply', method: 'POST', times: MAX_ATTEMPTS, kind: '500' }]);
    const before = sim.state.cases.size;
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      await makeDue(t.ds, id);
      expect(await runDue()).toBe(1);
      const s = await submission(t.ds, id);
      if (attempt < MAX_ATTEMPTS) {
        expect(s).toMatchObject({ state: 'pending', attempts: attempt });
        expect(s.wait_s).toBeCloseTo(backoffSeconds(attempt), 0);
        expect((await appRow(t.ds, id)).status).toBe('submitting');
      } else expect(s).toMatchObject({ state: 'failed', attempts: MAX_ATTEMPTS, last_error: 'e-Gov answered 500' });
    }
    expect(await appRow(t.ds, id)).toMatchObject({ status: 'failed', arrive_id: null, failure_reason: 'e-Gov answered 500' });
    expect(sim.state.cases.size).toBe(before);
    await makeDue(t.ds, id);
    expect(await runDue()).toBe(0);
    const audit = await t.ds.query(`SELECT details FROM audit_events WHERE action = 'application.submission_failed' AND target_id = $1`, [
      id,
    ]);
    expect(audit).toEqual([{ details: { attempts: MAX_ATTEMPTS, kind: 'transient' } }]);
    expect(await t.ds.query(`SELECT kind FROM notices WHERE application_id = $1`, [id])).toEqual([{ kind: 'failed' }]);
    expect(await transitions(t.ds, id)).toEqual(['ready', 'submitting', 'failed']);
  });

  it('a retry after an error answer never adopts another filing of the same procedure: it sends its own', async () => {
    const id = await submitted(admin, officeId, 'no adoption after 500');
    sim.state.setFailurePlan([{ path: '/apply', method: 'POST', times: 1, kind: '500' }]);
    expect(await runDue()).toBe(1);
    // Meanwhile the same e-Gov account files the same procedure from elsewhere (another software, the e-Gov web form).
    const pkg = await t.app.get(SubmissionsService).buildFor(seeded.tenantId, id);
    const token = await t.app.get(EgovAccountsService).accessToken(seeded.tenantId);
    const { arriveId: foreign } = await t.app.get(EgovClient).apply(token, pkg.procId, pkg.zip, pkg.fileName);
    const posts = proxy.count('POST', '/apply');
    await makeDue(t.ds, id);
    expect(await runDue()).toBe(1);
    const a = await appRow(t.ds, id);
    expect(a.status).toBe('arrived');
    expect(a.arrive_id).not.toBe(foreign);
    expect(sim.state.cases.get(a.arrive_id!)).toBeDefined();
    expect(proxy.count('POST', '/apply') - posts).toBe(1);
  });

  // Last of this block: the two orphan cases it leaves at e-Gov would make any later recovery within the minute ambiguous too.
  it('after a lost answer, two unknown cases of the same procedure in the window: no guess, the outcome stays unknown and the user is told', async () => {
    const id = await submitted(admin, officeId, 'ambiguous recovery');
    sim.state.setFailurePlan([{ path: '/apply', method: 'POST', times: 1, kind: 'timeout-after-commit' }]);
    const before = new Set(sim.state.cases.keys());
    expect(await runDue()).toBe(1);
    // Meanwhile the same e-Gov account files the same procedure from elsewhere (the list has no proc_id and no data of ours).
    const pkg = await t.app.get(SubmissionsService).buildFor(seeded.tenantId, id);
    const token = await t.app.get(EgovAccountsService).accessToken(seeded.tenantId);
    await t.app.get(EgovClient).apply(token, pkg.procId, pkg.zip, pkg.fileName);
    expect([...sim.state.cases.keys()].filter((k) => !before.has(k))).toHaveLength(2);
    const posts = proxy.count('POST', '/apply');

    await makeDue(t.ds, id);
    expect(await runDue()).toBe(1);
    expect(proxy.count('POST', '/apply') - posts).toBe(0); // not sent a third time
    const a = await appRow(t.ds, id);
    expect(a).toMatchObject({ status: 'failed', arrive_id: null });
    expect(a.failure_reason).toContain('判断できません');
    expect(a.failure_reason).toContain('cannot be told');
    // Still "maybe arrived": reopening asks the user to confirm after looking at e-Gov.
    const reopen = await admin.agent.post(`/api/v1/applications/${id}/reopen`).set('X-CSRF-Token', admin.csrf).send({}).expect(409);
    expect(reopen.body.code).toBe('outcome_unknown');
  });
});

describe('Filing resilience: two instances on one database', () => {
  let sim: EgovSim;
  let skew = 0;
  let proxy: EgovProxy;
  let t: TestApp;
  let other: Instance;
  let admin: LoggedIn;
  let officeId: string;

  beforeAll(async () => {
    sim = await startEgovSim({
      ...SIM_CLIENT,
      now: () => Date.now() + skew,
      clock: { arriveToReviewMs: 60_000, reviewToFinishMs: 3600_000 },
    });
    proxy = await startEgovProxy(sim);
    t = await startTestApp(egovEnv(sim, proxy.url));
    other = await startAppOn(t, egovEnv(sim, proxy.url));
    ({ admin, officeId } = await linkedTenant(t, sim, 'resil-b'));
  });
  afterAll(async () => {
    await other?.close();
    await t?.close();
    await proxy?.close();
    await sim?.close();
  });

  it('polls on one instance only (advisory lock); each status change is recorded once', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await submitted(admin, officeId, `poll ${i}`));
    expect(await t.app.get(SubmissionsService).runDue()).toBe(5);
    for (const id of ids) expect((await appRow(t.ds, id)).status).toBe('arrived');
    skew += 61_000; // every case is now 審査中 at e-Gov
    // Each case read takes 500 ms, so the first poll still holds the lock when the second one asks.
    proxy.rules.push({ method: 'GET', path: '/apply/{id}', times: 5, delayMs: 500 });
    const results = await Promise.all([t.app.get(EgovJobs).poll(), other.app.get(EgovJobs).poll()]);
    expect(results.filter((r) => r === undefined)).toHaveLength(1);
    expect(results.filter((r) => r !== undefined)).toEqual([5]);
    for (const id of ids) {
      expect((await appRow(t.ds, id)).status).toBe('under_review');
      expect(await transitions(t.ds, id)).toEqual(['ready', 'submitting', 'arrived', 'under_review']);
      const audit = await t.ds.query(
        `SELECT count(*)::int AS n FROM audit_events WHERE action = 'application.status_changed' AND target_id = $1`,
        [id],
      );
      expect(audit).toEqual([{ n: 1 }]);
    }
    // The lock was released: either instance can poll again (nothing changed since).
    expect(await other.app.get(EgovJobs).poll()).toBe(0);
    expect(await t.app.get(EgovJobs).poll()).toBe(0);
  });

  it('two workers running at once file each of 5 pending submissions exactly once', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await submitted(admin, officeId, `worker ${i}`));
    const before = new Set(sim.state.cases.keys());
    const posts = proxy.count('POST', '/apply');
    // Slow e-Gov: while one worker waits for an answer the other claims the next row.
    proxy.rules.push({ method: 'POST', path: '/apply', times: 5, delayMs: 300 });
    const [n1, n2] = await Promise.all([t.app.get(SubmissionsService).runDue(), other.app.get(SubmissionsService).runDue()]);
    expect(n1 + n2).toBe(5);
    expect(n1).toBeGreaterThanOrEqual(1);
    expect(n2).toBeGreaterThanOrEqual(1);
    expect(proxy.count('POST', '/apply') - posts).toBe(5);
    const created = [...sim.state.cases.keys()].filter((k) => !before.has(k));
    expect(created).toHaveLength(5);
    const arriveIds: string[] = [];
    for (const id of ids) {
      const a = await appRow(t.ds, id);
      expect(a.status).toBe('arrived');
      arriveIds.push(a.arrive_id!);
      expect(await submission(t.ds, id)).toMatchObject({ state: 'sent', attempts: 1 });
      expect(await transitions(t.ds, id)).toEqual(['ready', 'submitting', 'arrived']);
    }
    expect([...arriveIds].sort()).toEqual([...created].sort());
  });
});

/**
 * The built server as real processes (like process.e2e-spec.ts), on this
 * file's database and data directory (same master key as the TestApp that
 * seeds it), with scheduling on: the submission worker every 5 s and the
 * status poll on EGOV_POLL_CRON (every second here).
 */
describe('Filing resilience: the server is killed while it sends', () => {
  const root = path.resolve(__dirname, '../..');
  const mainJs = path.join(root, 'dist/apps/api/apps/api/src/main.js');
  let sim: EgovSim;
  let skew = 0;
  const simLog: RequestLogEntry[] = [];
  let t: TestApp;
  let admin: LoggedIn;
  let officeId: string;
  let appId: string;
  let child: { proc: ChildProcess; out: () => string } | undefined;

  async function freePort(): Promise<number> {
    const s = net.createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const port = (s.address() as net.AddressInfo).port;
    await new Promise((r) => s.close(r));
    return port;
  }

  async function startServer(): Promise<{ proc: ChildProcess; out: () => string }> {
    const port = await freePort();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...egovEnv(sim),
      NODE_ENV: 'test',
      DATABASE_URL: t.db.url,
      DATA_DIR: t.config.dataDir,
      PORT: String(port),
      LOG_LEVEL: 'info',
      LOG_STDOUT: 'true',
      LOG_FILES: 'false',
      EGOV_POLL_CRON: '* * * * * *',
    };
    const proc = spawn(process.execPath, [mainJs], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    await waitFor(
      'the server to be ready',
      async () => {
        if (proc.exitCode !== null) throw new Error(`server exited with ${proc.exitCode}:\n${out}`);
        return fetch(`http://127.0.0.1:${port}/health/ready`).then(
          (r) => r.ok,
          () => false,
        );
      },
      60_000,
      () => out.slice(-3000),
    );
    return { proc, out: () => out };
  }

  async function stop(c: { proc: ChildProcess } | undefined, signal: NodeJS.Signals) {
    if (!c || c.proc.exitCode !== null || c.proc.signalCode !== null) return;
    const exited = new Promise((r) => c.proc.once('exit', r));
    c.proc.kill(signal);
    await exited;
  }

  beforeAll(async () => {
    expect(fs.existsSync(mainJs)).toBe(true);
    sim = await startEgovSim({
      ...SIM_CLIENT,
      now: () => Date.now() + skew,
      // Below the access token's 1 h lifetime, so that moving the clock past it does not expire the token.
      clock: { arriveToReviewMs: 600_000, reviewToFinishMs: 600_000 },
      log: (e) => simLog.push(e),
    });
    // This in-process instance (no scheduling) seeds the database and submits; the child processes do the work.
    t = await startTestApp(egovEnv(sim));
    ({ admin, officeId } = await linkedTenant(t, sim, 'resil-c'));
  }, 120_000);
  afterAll(async () => {
    await stop(child, 'SIGTERM');
    await t?.close();
    await sim?.close();
  });

  it('SIGKILL while POST /apply is in flight: a new process resumes after the lease and files exactly once', async () => {
    appId = await submitted(admin, officeId, 'killed mid-send');
    // e-Gov takes the filing, then holds the answer: the request stays in flight until the process dies.
    sim.state.setFailurePlan([{ path: '/apply', method: 'POST', times: 1, kind: 'timeout-after-commit' }]);
    const before = new Set(sim.state.cases.keys());
    const first = await startServer();
    child = first;
    await waitFor('the first process to send the filing', () => sim.state.cases.size > before.size, 30_000, first.out);
    expect(sim.state.failures.pending()).toEqual([]);
    const sending = await submission(t.ds, appId);
    expect(sending).toMatchObject({ state: 'sending', attempts: 1 });
    await stop(first, 'SIGKILL');
    expect(first.proc.signalCode).toBe('SIGKILL');

    const created = [...sim.state.cases.keys()].filter((k) => !before.has(k));
    expect(created).toHaveLength(1);
    expect(await appRow(t.ds, appId)).toMatchObject({ status: 'submitting', arrive_id: null });
    // The dead worker's lease (5 min) still holds the row; the test lets it run out instead of waiting.
    expect((await submission(t.ds, appId)).due_in_s).toBeGreaterThan(4 * 60);
    await makeDue(t.ds, appId);

    const second = await startServer();
    child = second;
    await waitFor(
      'the application to arrive',
      async () => (await appRow(t.ds, appId)).status === 'arrived',
      60_000,
      () => second.out().slice(-3000),
    );
    expect(await appRow(t.ds, appId)).toMatchObject({ status: 'arrived', arrive_id: created[0] });
    expect(sim.state.cases.size).toBe(before.size + 1);
    expect(simLog.filter((e) => e.method === 'POST' && e.path === '/shinsei/v2/apply')).toHaveLength(1);
    expect(await submission(t.ds, appId)).toMatchObject({ state: 'sent', attempts: 2 });
    const detail = (await admin.agent.get(`/api/v1/applications/${appId}`).expect(200)).body;
    const statuses = detail.timeline.filter((e: { kind: string }) => e.kind === 'status');
    expect(statuses.map((e: { fromStatus: string; toStatus: string }) => `${e.fromStatus}→${e.toStatus}`)).toEqual([
      'draft→ready',
      'ready→submitting',
      'submitting→arrived',
    ]);
    expect(statuses[2].details).toMatchObject({ arriveId: created[0], adopted: true });
  }, 180_000);

  it('the scheduled status poll (EGOV_POLL_CRON every second) moves the application to under_review by itself', async () => {
    expect((await appRow(t.ds, appId)).status).toBe('arrived');
    // Nothing calls pollAll here; only the child process's cron job can notice.
    skew += 600_000 + 1000;
    await waitFor(
      'the scheduled poll',
      async () => (await appRow(t.ds, appId)).status === 'under_review',
      20_000,
      () => child!.out().slice(-3000),
    );
    expect(await transitions(t.ds, appId)).toEqual(['ready', 'submitting', 'arrived', 'under_review']);
  }, 60_000);
});

describe('Filing resilience: jobs sent side by side (EGOV_SEND_CONCURRENCY, _PER_TENANT)', () => {
  let sim: EgovSim;
  let proxy: EgovProxy;
  let t: TestApp;
  let other: Instance;
  const tenants: Array<{ admin: LoggedIn; officeId: string }> = [];

  beforeAll(async () => {
    sim = await startEgovSim({ ...SIM_CLIENT, clock: { arriveToReviewMs: 3600_000, reviewToFinishMs: 3600_000 } });
    proxy = await startEgovProxy(sim);
    const env = { ...egovEnv(sim, proxy.url), EGOV_SEND_CONCURRENCY: '3', EGOV_SEND_CONCURRENCY_PER_TENANT: '2' };
    t = await startTestApp(env);
    other = await startAppOn(t, env);
    for (const code of ['conc-a', 'conc-b']) {
      const { admin, officeId } = await linkedTenant(t, sim, code);
      tenants.push({ admin, officeId });
    }
  });
  afterAll(async () => {
    await other?.close();
    await t?.close();
    await proxy?.close();
    await sim?.close();
  });

  it('sends up to 3 at once, 2 per tenant, on two instances at once, and files each application exactly once', async () => {
    const ids: string[] = [];
    for (const [i, { admin, officeId }] of tenants.entries())
      for (let k = 0; k < 6; k++) ids.push(await submitted(admin, officeId, `side by side ${i}-${k}`));
    // Every POST /apply answers after 400 ms, so that the sends overlap when they may.
    proxy.rules.push({ method: 'POST', path: '/apply', times: 100, delayMs: 400 });
    // In-flight e-Gov calls of each instance, in all and per access token (one per tenant), and their peaks.
    const peaks: Array<{ all: number; tenant: number }> = [];
    const restore: Array<() => void> = [];
    for (const app of [t.app, other.app]) {
      const client = app.get(EgovClient);
      const apply = client.apply.bind(client);
      const running = new Map<string, number>();
      let all = 0;
      const peak = { all: 0, tenant: 0 };
      peaks.push(peak);
      client.apply = (async (token: string, ...rest: unknown[]) => {
        all++;
        running.set(token, (running.get(token) ?? 0) + 1);
        peak.all = Math.max(peak.all, all);
        peak.tenant = Math.max(peak.tenant, running.get(token)!);
        try {
          return await (apply as (...a: unknown[]) => Promise<unknown>)(token, ...rest);
        } finally {
          all--;
          running.set(token, running.get(token)! - 1);
        }
      }) as typeof client.apply;
      restore.push(() => (client.apply = apply));
    }
    try {
      // Both instances work the same queue at the same time (as two servers would).
      const handled = await Promise.all([t.app.get(SubmissionsService).runDue(), other.app.get(SubmissionsService).runDue()]);
      expect(handled[0] + handled[1]).toBe(12);
    } finally {
      for (const r of restore) r();
    }
    // The bounds hold per instance, and they are reached (the sends did overlap).
    for (const p of peaks) {
      expect(p.all).toBeLessThanOrEqual(3);
      expect(p.tenant).toBeLessThanOrEqual(2);
    }
    expect(Math.max(...peaks.map((p) => p.all))).toBe(3);
    expect(Math.max(...peaks.map((p) => p.tenant))).toBe(2);
    // Exactly once: one POST /apply per application, one case each at e-Gov, one submission row each.
    expect(proxy.count('POST', '/apply')).toBe(12);
    const arriveIds = new Set<string>();
    for (const id of ids) {
      const row = await appRow(t.ds, id);
      expect(row.status).toBe('arrived');
      arriveIds.add(row.arrive_id!);
      expect(await transitions(t.ds, id)).toEqual(['ready', 'submitting', 'arrived']);
      const subs = await t.ds.query(`SELECT state, attempts FROM submissions WHERE application_id = $1`, [id]);
      expect(subs).toEqual([{ state: 'sent', attempts: 1 }]);
    }
    expect(arriveIds.size).toBe(12);
  });
});
