/**
 * Filing with e-Gov, against the in-process simulator (lib/egov.ts):
 *
 *   egov submissions end to end   N ready applications (BENCH_EGOV_SUBMISSIONS, default 200) are
 *                                 submitted over HTTP (POST /api/v1/applications/:id/submit, 202,
 *                                 BENCH_EGOV_CONCURRENCY clients, default 8), then the submission
 *                                 worker (SubmissionsService.runDue, one worker, as EgovJobs runs it)
 *                                 sends them until every one is `arrived`. Rows: end to end
 *                                 (N / (submit time + worker time)), the HTTP submit, the worker.
 *   egov status poll              BENCH_EGOV_POLL_CASES open cases (default 10,000; arrived or
 *                                 under_review, each with its case on the simulator), then
 *                                 StatusTrackerService.pollAll until every open case was asked about
 *                                 once (at least BENCH_EGOV_POLL_PASSES calls, default 1; stops early,
 *                                 with a warning, when a call reaches no case an earlier one had not),
 *                                 then one more call with BENCH_EGOV_POLL_CHANGING cases (default 500,
 *                                 0 = skip) moved on by the simulator: half 到達 → 審査中, half
 *                                 審査中 → 審査終了 with an official document. Rows: the calls in which
 *                                 nothing changes, and the one with changes.
 *
 * Both need the tenant's e-Gov account linked: the first one to run links it through the
 * HTTP flow (lib/egov.ts ensureEgovLinked). Validity: every submit must answer 202, every
 * application must end `arrived` with its case on the simulator, every simulator answer
 * during a poll must be 200; otherwise the scenario fails. Figures beyond the table
 * (p95, SQL statements and the time waiting for PostgreSQL, e-Gov calls and the time spent
 * inside the simulator, coverage, RSS/heap) are in each row's details (BENCH_RESULT) and on
 * stderr. The simulator shares this process (and its CPU) with the app: its handling time
 * is part of every figure and is reported so that it can be subtracted.
 */
import { randomUUID } from 'node:crypto';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { DataSource } from 'typeorm';
import { ApplicationsService, OfficesService } from '@charlotte/applications';
import { EGOV_PROCEDURES, StatusTrackerService, SubmissionsService } from '@charlotte/filing';
import { ProceduresService } from '@charlotte/procedures';
import type { Principal } from '@charlotte/core';
import { SealingService } from '@charlotte/crypto';
import { EGOV_STATUS, type RequestLogEntry } from '../../apps/egov-sim/src/server';
import { EGOV_SIM_CLOCK, ensureEgovLinked, request } from '../lib/egov';
import { countQueries, type QueryFigures, type StatementFigures } from '../lib/query-counter';
import type { BenchContext, Scenario, ScenarioResult } from '../lib/types';

const PROCEDURE = 'shaho-shutoku';
/** The e2e test's form (test/e2e/filing.e2e-spec.ts): complete, so `validate` makes it ready. */
const VALID_FORM = {
  familyName: '山田',
  givenName: '太郎',
  familyNameKana: 'ヤマダ',
  givenNameKana: 'タロウ',
  birthDate: '1990-04-01',
  insuredType: '1',
  acquisitionType: '1',
  basicPensionNumber: '1234-567890',
  acquisitionDate: '2026-04-01',
  hasDependents: '0',
  remunerationCash: 250000,
  remunerationTotal: 250000,
  postalCode: '100-0013',
  address: '東京都千代田区霞が関1-2-2',
};
const OFFICE = { name: 'Bench 本社', address: '東京都千代田区霞が関1-2-2', pensionOfficeCode: '01-イロハ', pensionOfficeNumber: '12345' };
/** Sealing purposes of ApplicationsService (AAD: tenant, purpose, application id). */
const TITLE_PURPOSE = 'application.title';
const FORM_PURPOSE = 'application.form';
const OPEN_SQL = `SELECT count(*)::int AS n FROM applications WHERE arrive_id IS NOT NULL AND status NOT IN ('completed', 'withdrawn', 'failed')`;

const log = (m: string) => process.stderr.write(`bench: ${m}\n`);
const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;
const msSince = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;
const MiB = 1024 * 1024;

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function intFromEnv(name: string, def: number, min: number): number {
  const raw = process.env[name]?.trim();
  if (!raw) return def;
  if (!/^\d+$/.test(raw) || Number(raw) < min) throw new Error(`${name} must be an integer >= ${min}, got "${raw}"`);
  return Number(raw);
}

/** Runs `fn` over `items` with at most `concurrency` calls in flight; the first error stops new calls and is thrown. */
async function inPool<T>(items: T[], concurrency: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (!failed && next < items.length) {
        const i = next++;
        try {
          await fn(items[i], i);
        } catch (e) {
          failed = true;
          throw e;
        }
      }
    }),
  );
}

/** The seeded admin as a session principal, for calling the services directly (setup only). */
async function adminPrincipal(ctx: BenchContext): Promise<Principal> {
  const rows: Array<{ id: string }> = await ctx.app
    .get(DataSource)
    .query('SELECT id FROM users WHERE tenant_id = $1 AND email = $2', [ctx.tenantId, ctx.admin.email]);
  if (!rows[0]) throw new Error(`admin ${ctx.admin.email} not found`);
  return { kind: 'session', userId: rows[0].id, tenantId: ctx.tenantId, role: 'admin', sessionId: 'bench', csrfToken: 'bench' };
}

/** `/shinsei/v2/apply/2026…/3` → `/shinsei/v2/apply/{arrive_id}/{n}`: simulator calls grouped by route. */
function routeOf(e: RequestLogEntry): string {
  return `${e.method} ${e.path.replace(/\/\d{16,18}(?=\/|$)/g, '/{arrive_id}').replace(/(\{arrive_id\})\/\d+$/, '$1/{n}')}`;
}

function perCase(calls: Record<string, number>, cases: number): Record<string, number> {
  return Object.fromEntries(Object.entries(calls).map(([k, v]) => [k, round(v / Math.max(1, cases), 3)]));
}

/** The statements that took most of the database time, per case (or job). */
function top(statements: StatementFigures[], per: number, n = 6): Array<{ sql: string; perCase: number; msPerCase: number }> {
  return statements.slice(0, n).map((st) => ({ sql: st.sql, perCase: round(st.count / per, 2), msPerCase: round(st.ms / per, 3) }));
}

// ---------------------------------------------------------------- submissions

export const egovSubmissions: Scenario = {
  name: 'egov submissions end to end',
  description: 'HTTP submit (202) of N ready applications, then the submission worker until all are arrived (simulator)',
  async run(ctx: BenchContext): Promise<ScenarioResult[]> {
    const n = intFromEnv('BENCH_EGOV_SUBMISSIONS', 200, 1);
    const concurrency = intFromEnv('BENCH_EGOV_CONCURRENCY', 8, 1);
    const ds = ctx.app.get(DataSource);
    const { sim } = ctx.egov;

    // ---- setup (not timed): link, one office, N ready applications through the services
    await ensureEgovLinked(ctx);
    const caller = await adminPrincipal(ctx);
    const office = await ctx.app.get(OfficesService).create(ctx.tenantId, caller, OFFICE);
    const applications = ctx.app.get(ApplicationsService);
    const ids: string[] = new Array<string>(n);
    let t0 = process.hrtime.bigint();
    await inPool(ids, 4, async (_, i) => {
      const a = await applications.create(ctx.tenantId, caller, {
        procedureCode: PROCEDURE,
        officeId: office.id,
        title: `Bench 資格取得 ${i + 1}`,
        form: VALID_FORM,
      });
      const v = await applications.validate(ctx.tenantId, caller, a.id);
      if (!v.valid || v.status !== 'ready') throw new Error(`application ${a.id} is not ready after validation: ${JSON.stringify(v)}`);
      ids[i] = a.id;
    });
    log(`egov: ${n} ready applications created in ${Math.round(msSince(t0))} ms`);

    // ---- 1. HTTP submit, `concurrency` clients
    const runId = randomUUID().slice(0, 8);
    const submitMs: number[] = [];
    let simCallsDuringSubmit = 0;
    ctx.egov.tap(() => simCallsDuringSubmit++);
    const submitQueries = countQueries();
    t0 = process.hrtime.bigint();
    try {
      await inPool(ids, concurrency, async (id, i) => {
        const t = process.hrtime.bigint();
        const res = await request(`submit ${id}`, `${ctx.baseUrl}/api/v1/applications/${id}/submit`, {
          method: 'POST',
          headers: {
            accept: 'application/json',
            cookie: ctx.adminCookie,
            'x-csrf-token': ctx.adminCsrf,
            'idempotency-key': `bench-${runId}-${i}`,
          },
        });
        const text = await res.text();
        submitMs.push(msSince(t));
        if (res.status !== 202) throw new Error(`submit ${id} answered ${res.status}: ${text.slice(0, 300)}`);
        const body = JSON.parse(text) as { status?: string; submissionId?: string };
        if (body.status !== 'submitting' || !body.submissionId) throw new Error(`submit ${id}: unexpected answer ${text.slice(0, 300)}`);
      });
    } finally {
      ctx.egov.tap();
    }
    const submitSec = msSince(t0) / 1000;
    const submitSql = submitQueries.stop();
    const queriesSubmit = submitSql.count;

    // ---- 2. the worker: one SubmissionsService.runDue (it loops until nothing is due)
    const simCalls: Record<string, number> = {};
    let simNon200 = 0;
    let simMs = 0;
    const applyDone: bigint[] = [];
    ctx.egov.tap((e) => {
      const route = routeOf(e);
      simCalls[route] = (simCalls[route] ?? 0) + 1;
      simMs += e.duration_ms;
      if (e.status !== 200) simNon200++;
      if (route === 'POST /shinsei/v2/apply') applyDone.push(process.hrtime.bigint());
    });
    const workerQueries = countQueries();
    const workerStart = process.hrtime.bigint();
    let handled: number;
    try {
      handled = await ctx.app.get(SubmissionsService).runDue();
    } finally {
      ctx.egov.tap();
    }
    const workerSec = msSince(workerStart) / 1000;
    const workerSql = workerQueries.stop();
    const queriesWorker = workerSql.count;
    const workerDbMs = workerSql.ms;
    if (submitSql.errors || workerSql.errors)
      throw new Error(`${submitSql.errors + workerSql.errors} SQL statements failed during the submissions (see the app's logs)`);

    // ---- validity: every application arrived, its submission sent, its case on the simulator
    const states: Array<{ status: string; state: string; n: number; err: string | null }> = await ds.query(
      `SELECT a.status, s.state, count(*)::int AS n, max(s.last_error) AS err
         FROM applications a JOIN submissions s ON s.application_id = a.id WHERE a.id = ANY($1) GROUP BY 1, 2`,
      [ids],
    );
    if (states.length !== 1 || states[0].status !== 'arrived' || states[0].state !== 'sent' || states[0].n !== n)
      throw new Error(`after the worker (${handled} handled), expected ${n} arrived/sent, got ${JSON.stringify(states)}`);
    const arrived: Array<{ arrive_id: string }> = await ds.query(`SELECT arrive_id FROM applications WHERE id = ANY($1)`, [ids]);
    const missing = arrived.filter((r) => sim.state.cases.get(r.arrive_id)?.account !== ctx.egov.accountId);
    if (missing.length) throw new Error(`${missing.length} arrive_ids have no case of our account on the simulator`);
    if (simNon200) throw new Error(`the simulator answered ${simNon200} non-200 during the worker run`);

    // Per application: submitting → arrived, from the timeline (DB time of each transaction).
    const e2e: Array<{ ms: number }> = await ds.query(
      `SELECT extract(epoch FROM max(at) FILTER (WHERE to_status = 'arrived') - max(at) FILTER (WHERE to_status = 'submitting')) * 1000 AS ms
         FROM application_events WHERE tenant_id = $1 AND application_id = ANY($2) GROUP BY application_id`,
      [ctx.tenantId, ids],
    );
    const e2eMs = e2e.map((r) => Number(r.ms)).sort((a, b) => a - b);
    // Per job: the worker is sequential, so a job's cycle ends with its POST /apply answer.
    const jobMs = applyDone.map((t, i) => Number(t - (i === 0 ? workerStart : applyDone[i - 1])) / 1e6).sort((a, b) => a - b);
    submitMs.sort((a, b) => a - b);

    const totalSec = submitSec + workerSec;
    const e2eRate = n / totalSec;
    const submitRate = n / submitSec;
    const workerRate = n / workerSec;
    log(
      `egov: ${n} submissions end to end in ${round(totalSec)} s = ${round(e2eRate, 1)}/s ` +
        `(submit→arrived per application p50 ${round(percentile(e2eMs, 50), 0)} ms, p95 ${round(percentile(e2eMs, 95), 0)} ms)`,
    );
    log(
      `egov: HTTP submit ${round(submitRate, 1)}/s with ${concurrency} clients: p50 ${round(percentile(submitMs, 50))} ms, ` +
        `p95 ${round(percentile(submitMs, 95))} ms, p99 ${round(percentile(submitMs, 99))} ms; ${round(queriesSubmit / n, 1)} SQL statements per submit`,
    );
    log(
      `egov: worker ${round(workerRate, 1)} jobs/s (one runDue): per job p50 ${round(percentile(jobMs, 50))} ms, ` +
        `p95 ${round(percentile(jobMs, 95))} ms; per job ${round(queriesWorker / n, 1)} SQL statements ` +
        `(${round(workerDbMs / n, 1)} ms waiting for PostgreSQL), ` +
        `${round(Object.values(simCalls).reduce((a, b) => a + b, 0) / n, 2)} e-Gov calls (${round(simMs / n, 1)} ms in the simulator)`,
    );

    const common = { applications: n, submitConcurrency: concurrency, workers: 1 };
    return [
      {
        name: `egov submit→arrived end to end (${n} applications)`,
        opsPerSec: e2eRate,
        p50Ms: percentile(e2eMs, 50),
        p99Ms: percentile(e2eMs, 99),
        non2xx: 0,
        errors: 0,
        total: n,
        details: {
          unit: 'applications/s from the first submit to the last arrived; p50/p99: submitting→arrived per application',
          ...common,
          seconds: round(totalSec, 3),
          submitSeconds: round(submitSec, 3),
          workerSeconds: round(workerSec, 3),
          p95Ms: round(percentile(e2eMs, 95)),
        },
      },
      {
        name: `egov POST /applications/:id/submit (${concurrency} clients)`,
        opsPerSec: submitRate,
        p50Ms: percentile(submitMs, 50),
        p99Ms: percentile(submitMs, 99),
        non2xx: 0,
        errors: 0,
        total: n,
        details: {
          unit: 'HTTP submits answered 202 per second',
          ...common,
          seconds: round(submitSec, 3),
          p95Ms: round(percentile(submitMs, 95)),
          maxMs: round(submitMs[submitMs.length - 1] ?? 0),
          sqlPerSubmit: round(queriesSubmit / n, 2),
          topStatements: top(submitSql.statements, n),
          egovCallsDuringSubmit: simCallsDuringSubmit,
        },
      },
      {
        name: `egov worker runDue → arrived (1 worker)`,
        opsPerSec: workerRate,
        p50Ms: percentile(jobMs, 50),
        p99Ms: percentile(jobMs, 99),
        non2xx: 0,
        errors: 0,
        total: handled,
        details: {
          unit: 'submission jobs sent and stored as arrived per second; p50/p99 per job',
          ...common,
          seconds: round(workerSec, 3),
          p95Ms: round(percentile(jobMs, 95)),
          msPerJob: round((workerSec * 1000) / n, 2),
          sqlPerJob: round(queriesWorker / n, 2),
          dbMsPerJob: round(workerDbMs / n, 2),
          topStatements: top(workerSql.statements, n),
          egovCallsPerJob: perCase(simCalls, n),
          simulatorMsPerJob: round(simMs / n, 2),
        },
      },
    ];
  },
};

// ---------------------------------------------------------------- status poll

/**
 * Open cases until there are `target` in total: rows inserted in SQL in batches (title and
 * form sealed per row with the tenant's SealingService: the AAD binds the application id),
 * each with its submission (sent), its timeline, and its case on the simulator (created in
 * sim.state, half of them moved on to 審査中). created_at/updated_at are spread one minute apart.
 */
async function seedOpenCases(ctx: BenchContext, target: number): Promise<{ seeded: number; open: number; ms: number }> {
  const ds = ctx.app.get(DataSource);
  const t0 = process.hrtime.bigint();
  const existing = (await ds.query(OPEN_SQL))[0].n as number;
  const toSeed = Math.max(0, target - existing);
  if (toSeed === 0) return { seeded: 0, open: existing, ms: 0 };

  const caller = await adminPrincipal(ctx);
  const office = await ctx.app.get(OfficesService).create(ctx.tenantId, caller, OFFICE);
  const procedures = ctx.app.get(ProceduresService);
  const def = procedures.get(PROCEDURE);
  const formJson = JSON.stringify(procedures.normalize(def, VALID_FORM));
  const procId = EGOV_PROCEDURES[PROCEDURE].procId;
  const sealing = ctx.app.get(SealingService);
  const { sim, accountId } = ctx.egov;
  const actor = `user:${caller.userId}`;
  const now = Date.now();
  const BATCH = 1000;
  const seededIds: string[] = [];
  for (let from = 0; from < toSeed; from += BATCH) {
    const size = Math.min(BATCH, toSeed - from);
    const ids: string[] = [];
    const titles: string[] = [];
    const statuses: string[] = [];
    const arriveIds: string[] = [];
    const egovStatuses: string[] = [];
    const updatedAt: string[] = [];
    for (let k = 0; k < size; k++) {
      const i = from + k;
      ids.push(randomUUID());
      titles.push(`Bench 資格取得 (poll) ${i + 1}`);
      const c = sim.state.createCase(
        accountId,
        procId,
        {
          procName: '健康保険・厚生年金保険被保険者資格取得届',
          applicantName: 'ベンチ　太郎',
          corporationName: 'ベンチ株式会社',
          submissionDestination: '日本年金機構',
          ministryName: '厚生労働省',
        },
        {
          file_name: 'bench.zip',
          size: 1024,
          entries: [`${procId}/kousei.xml`, `${procId}/495013521019030837_01.xml`],
          apply_type: '新規申請',
          signed: false,
        },
      );
      if (i % 2 === 1) {
        sim.state.setStatus(c, EGOV_STATUS.underReview, now);
        c.reviewStartedAtMs = now;
      }
      statuses.push(i % 2 === 1 ? 'under_review' : 'arrived');
      egovStatuses.push(c.status);
      arriveIds.push(c.arrive_id);
      updatedAt.push(new Date(now - (toSeed - i) * 60_000).toISOString());
    }
    const sealed = await Promise.all(
      ids.map(async (id, k) =>
        Promise.all([sealing.seal(ctx.tenantId, TITLE_PURPOSE, id, titles[k]), sealing.seal(ctx.tenantId, FORM_PURPOSE, id, formJson)]),
      ),
    );
    await ds.transaction(async (m) => {
      await m.query(
        `INSERT INTO applications (id, tenant_id, office_id, procedure_code, procedure_version, status, title_sealed, form_sealed, version,
                                   created_by, updated_by, created_at, updated_at, arrive_id, egov_status)
         SELECT x.id, $1, $2, $3, $4, x.status, x.title, x.form, 5, $5, 'system', x.upd - interval '1 hour', x.upd, x.arrive, x.egov
           FROM unnest($6::uuid[], $7::text[], $8::bytea[], $9::bytea[], $10::timestamptz[], $11::text[], $12::text[])
             AS x(id, status, title, form, upd, arrive, egov)`,
        [
          ctx.tenantId,
          office.id,
          def.code,
          def.version,
          actor,
          ids,
          statuses,
          sealed.map((s) => s[0]),
          sealed.map((s) => s[1]),
          updatedAt,
          arriveIds,
          egovStatuses,
        ],
      );
      await m.query(
        `INSERT INTO submissions (id, tenant_id, application_id, idempotency_key, state, attempts, next_attempt_at, sending_started_at,
                                  submitted_by, created_at, updated_at)
         SELECT gen_random_uuid(), tenant_id, id, 'bench-seed-' || id, 'sent', 1, created_at + interval '2 minutes',
                created_at + interval '2 minutes', $2, created_at + interval '2 minutes', created_at + interval '3 minutes'
           FROM applications WHERE id = ANY($1)`,
        [ids, actor],
      );
      await m.query(
        `INSERT INTO application_events (tenant_id, application_id, at, kind, from_status, to_status, actor, details)
         SELECT a.tenant_id, a.id, a.created_at + e.off, e.kind, e.f, e.t, CASE WHEN e.by_user THEN $2 ELSE 'system' END, '{}'::jsonb
           FROM applications a
           CROSS JOIN (VALUES ('created', NULL, 'draft', interval '0', true),
                              ('status', 'draft', 'ready', interval '1 minute', true),
                              ('status', 'ready', 'submitting', interval '2 minutes', true),
                              ('status', 'submitting', 'arrived', interval '3 minutes', false),
                              ('status', 'arrived', 'under_review', interval '59 minutes', false)) AS e(kind, f, t, off, by_user)
          WHERE a.id = ANY($1) AND (e.t <> 'under_review' OR a.status = 'under_review')`,
        [ids, actor],
      );
    });
    seededIds.push(ids[0], ids[ids.length - 1]);
  }
  // As in a system that has been running: visibility map and hint bits set, statistics
  // fresh, the bulk load's dirty pages written, so the first pass does not pay for them.
  await ds.query('VACUUM (ANALYZE) applications, submissions, application_events');
  await ds.query('CHECKPOINT').catch(() => undefined); // needs superuser or pg_checkpoint; optional
  // The rows are what the app would have written: open some through ApplicationsService.
  const applications = ctx.app.get(ApplicationsService);
  for (const id of [seededIds[0], seededIds[seededIds.length - 1]]) {
    const a = await applications.get(ctx.tenantId, caller, id, true);
    if (!a.title.startsWith('Bench 資格取得 (poll)') || a.form.familyName !== VALID_FORM.familyName)
      throw new Error(`seeded application ${id} does not open as written`);
  }
  const open = (await ds.query(OPEN_SQL))[0].n as number;
  if (open < target) throw new Error(`seeding: expected ${target} open cases, found ${open}`);
  return { seeded: toSeed, open, ms: msSince(t0) };
}

/** global.gc when node runs with --expose-gc, else the same function exposed at run time; undefined if neither works. */
function gcFunction(): (() => void) | undefined {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (existing) return existing;
  try {
    v8.setFlagsFromString('--expose-gc');
    return vm.runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  }
}

interface PassFigures {
  ms: number;
  /** Cases the pass asked e-Gov about (GET /apply/{arrive_id}). */
  cases: number;
  /** Of those, cases no earlier pass had asked about. */
  newCases: number;
  changed: number;
  sql: QueryFigures;
  /** Summed handling time inside the (in-process) simulator. */
  simMs: number;
  egovCalls: Record<string, number>;
}

export const egovStatusPoll: Scenario = {
  name: 'egov status poll',
  description:
    'StatusTrackerService.pollAll over N open cases (simulator): per pass, per case, coverage, memory; then one pass with changes',
  async run(ctx: BenchContext): Promise<ScenarioResult[]> {
    const target = intFromEnv('BENCH_EGOV_POLL_CASES', 10_000, 1);
    const minPasses = intFromEnv('BENCH_EGOV_POLL_PASSES', 1, 1);
    const changing = intFromEnv('BENCH_EGOV_POLL_CHANGING', 500, 0);
    const ds = ctx.app.get(DataSource);
    const { sim } = ctx.egov;
    await ensureEgovLinked(ctx);
    const seed = await seedOpenCases(ctx, target);
    const open = seed.open;
    log(`egov: ${open} open cases (${seed.seeded} seeded in ${Math.round(seed.ms)} ms, with their simulator cases)`);

    const tracker = ctx.app.get(StatusTrackerService);
    const polled = new Set<string>();
    let calls: Record<string, number> = {};
    let casesThisPass = 0;
    let simMs = 0;
    let simNon200 = 0;
    ctx.egov.tap((e) => {
      const route = routeOf(e);
      calls[route] = (calls[route] ?? 0) + 1;
      simMs += e.duration_ms;
      if (e.status !== 200) simNon200++;
      const m = /^\/shinsei\/v2\/apply\/(\d{16,18})$/.exec(e.path);
      if (e.method === 'GET' && m) {
        polled.add(m[1]);
        casesThisPass++;
      }
    });
    const pass = async (label: string): Promise<PassFigures> => {
      const before = polled.size;
      casesThisPass = 0;
      simMs = 0;
      calls = {};
      const q = countQueries();
      const t = process.hrtime.bigint();
      const changed = await tracker.pollAll();
      const ms = msSince(t);
      const sql = q.stop();
      const f: PassFigures = { ms, cases: casesThisPass, newCases: polled.size - before, changed, sql, simMs, egovCalls: calls };
      log(`egov: ${label}: ${Math.round(ms)} ms, ${f.cases} cases (${f.newCases} not polled before), ${changed} changed`);
      // pollAll logs and swallows per-case failures: they show here as failed SQL or non-200 e-Gov answers.
      if (simNon200) throw new Error(`${label}: the simulator answered ${simNon200} non-200`);
      if (sql.errors) throw new Error(`${label}: ${sql.errors} SQL statements failed`);
      if (f.cases === 0) throw new Error(`${label}: pollAll asked e-Gov about no case`);
      return f;
    };

    const gc = gcFunction();
    const mib = (b: number) => round(b / MiB, 1);
    gc?.();
    const mem0 = process.memoryUsage();
    let peakRss = mem0.rss;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 20);

    const passes: PassFigures[] = [];
    let stalled = false;
    let changingPass: PassFigures | undefined;
    let moved = { toReview: 0, toFinished: 0, documents: 0 };
    let memSteady: NodeJS.MemoryUsage;
    let peakSteady: number;
    try {
      // ---- nothing changes on e-Gov: pass after pass until every open case was polled
      for (let p = 1; ; p++) {
        const before = polled.size;
        const f = await pass(`poll pass ${p}`);
        passes.push(f);
        if (f.changed !== 0) throw new Error(`poll pass ${p} changed ${f.changed} applications, but nothing changed on the simulator`);
        const covered = polled.size >= open;
        if (covered && p >= minPasses) break;
        if (!covered && polled.size === before) {
          stalled = true; // a pass that reaches no case it has not seen before never will
          break;
        }
        if (p >= Math.max(minPasses, Math.ceil(open / passes[0].cases) + 1)) break;
      }
      gc?.();
      memSteady = process.memoryUsage();
      peakSteady = peakRss;

      // ---- the same, with `changing` cases moved on by the simulator's own transitions (made due now):
      // half 到達 → 審査中, half 審査中 → 審査終了 (an official document to fetch, store sealed and acknowledge)
      if (changing > 0) {
        const pick = (status: string, limit: number): Promise<Array<{ arrive_id: string }>> =>
          ds.query(
            `SELECT arrive_id FROM applications WHERE tenant_id = $1 AND status = $2 AND arrive_id IS NOT NULL ORDER BY id LIMIT $3`,
            [ctx.tenantId, status, limit],
          );
        const nowMs = sim.state.now();
        for (const r of await pick('arrived', Math.ceil(changing / 2))) {
          const c = sim.state.cases.get(r.arrive_id);
          if (c?.status !== EGOV_STATUS.arrived) throw new Error(`case ${r.arrive_id} is not 到達 on the simulator`);
          c.arrivedAtMs = nowMs - EGOV_SIM_CLOCK.arriveToReviewMs;
          moved.toReview++;
        }
        for (const r of await pick('under_review', changing - moved.toReview)) {
          const c = sim.state.cases.get(r.arrive_id);
          if (c?.status !== EGOV_STATUS.underReview) throw new Error(`case ${r.arrive_id} is not 審査中 on the simulator`);
          c.reviewStartedAtMs = nowMs - EGOV_SIM_CLOCK.reviewToFinishMs;
          moved.toFinished++;
        }
        const docs = async () =>
          (await ds.query(`SELECT count(*)::int AS n FROM official_documents WHERE tenant_id = $1`, [ctx.tenantId]))[0].n as number;
        const docs0 = await docs();
        changingPass = await pass(`poll pass with ${moved.toReview + moved.toFinished} cases changing`);
        moved = { ...moved, documents: (await docs()) - docs0 };
        if (changingPass.changed !== moved.toReview + moved.toFinished)
          throw new Error(
            `the pass with changes changed ${changingPass.changed} applications, expected ${moved.toReview + moved.toFinished} ` +
              `(it asked e-Gov about ${changingPass.cases} of ${open} open cases)`,
          );
      }
    } finally {
      clearInterval(sampler);
      ctx.egov.tap();
    }
    gc?.();
    const mem1 = process.memoryUsage();

    // ---- figures
    const passMs = passes.map((p) => p.ms).sort((a, b) => a - b);
    const cases = passes.reduce((s, p) => s + p.cases, 0);
    const sec = passes.reduce((s, p) => s + p.ms, 0) / 1000;
    const sqlCount = passes.reduce((s, p) => s + p.sql.count, 0);
    const dbMs = passes.reduce((s, p) => s + p.sql.ms, 0);
    const simTotalMs = passes.reduce((s, p) => s + p.simMs, 0);
    const msPerCase = (sec * 1000) / cases;
    const egovCalls: Record<string, number> = {};
    for (const p of passes) for (const [k, v] of Object.entries(p.egovCalls)) egovCalls[k] = (egovCalls[k] ?? 0) + v;
    const casesPerPass = passes[0].cases;
    const coverage = {
      openCases: open,
      casesPerPass,
      passesRun: passes.length,
      distinctCasesPolled: Math.min(polled.size, open),
      coveredAll: passes.length > 0 && polled.size >= open,
      stalled,
      // What asking e-Gov about every open case once takes, at the measured pace.
      passesToCoverAll: Math.ceil(open / casesPerPass),
      secondsToCoverAll: round((open * msPerCase) / 1000, 2),
    };
    // RSS is the process's (app, simulator, pg driver alike); heap readings follow a full GC when available.
    const memory = {
      gc: gc ? 'full GC before each reading' : 'not available',
      heapUsedMiB: { before: mib(mem0.heapUsed), afterNothingChanging: mib(memSteady.heapUsed), afterChanges: mib(mem1.heapUsed) },
      heapGrowthMiB: { nothingChanging: mib(memSteady.heapUsed - mem0.heapUsed), total: mib(mem1.heapUsed - mem0.heapUsed) },
      rssMiB: {
        before: mib(mem0.rss),
        peakNothingChanging: mib(peakSteady),
        afterNothingChanging: mib(memSteady.rss),
        peakTotal: mib(peakRss),
        after: mib(mem1.rss),
      },
    };
    const signed = (x: number) => `${x >= 0 ? '+' : ''}${x}`;
    const topSteady = top(mergeStatements(passes.map((p) => p.sql.statements)), cases);

    log(
      `egov: pollAll over ${open} open cases, nothing changing: ${passes.length} pass(es) of ${casesPerPass} cases, ` +
        `p50 ${Math.round(percentile(passMs, 50))} ms per pass = ${Math.round(cases / sec)} cases/s; per case ${round(msPerCase)} ms wall, ` +
        `${round(sqlCount / cases, 1)} SQL statements (${round(dbMs / cases)} ms summed waiting for PostgreSQL), ` +
        `${round(simTotalMs / cases, 2)} ms in the simulator; every open case once: ${coverage.passesToCoverAll} pass(es), ≈ ${coverage.secondsToCoverAll} s`,
    );
    for (const st of topSteady.slice(0, 4)) log(`egov:   ${st.perCase}×/case ${st.msPerCase} ms/case  ${st.sql.slice(0, 110)}`);
    if (stalled)
      log(
        `egov: WARNING pollAll does not advance: after ${passes.length} passes only ${coverage.distinctCasesPolled} of ${open} open cases ` +
          `were ever polled; the others are never polled while these stay unchanged`,
      );
    log(
      `egov: memory (${memory.gc}): heap ${memory.heapUsedMiB.before} MiB before, ${memory.heapUsedMiB.afterNothingChanging} MiB ` +
        `after the calls with nothing changing (${signed(memory.heapGrowthMiB.nothingChanging)}); RSS ${memory.rssMiB.before} MiB before, ` +
        `peak ${memory.rssMiB.peakNothingChanging} MiB, ${memory.rssMiB.afterNothingChanging} MiB after`,
    );
    const results: ScenarioResult[] = [
      {
        name: `egov poll pass, ${open.toLocaleString('en')} open cases, none changing`,
        opsPerSec: cases / sec,
        p50Ms: percentile(passMs, 50),
        p99Ms: percentile(passMs, 99),
        non2xx: 0,
        errors: 0,
        total: cases,
        details: {
          unit: 'cases polled per second; p50/p99: one pollAll call',
          msPerCase: round(msPerCase, 3),
          sqlPerCase: round(sqlCount / cases, 2),
          dbMsPerCase: round(dbMs / cases, 3),
          topStatements: topSteady,
          egovCallsPerCase: perCase(egovCalls, cases),
          simulatorMsPerCase: round(simTotalMs / cases, 3),
          passes: passes.map((p) => ({
            ms: round(p.ms, 1),
            cases: p.cases,
            newCases: p.newCases,
            sql: p.sql.count,
            dbMs: round(p.sql.ms, 1),
            simulatorMs: round(p.simMs, 1),
          })),
          coverage,
          memory,
          seeding: { seeded: seed.seeded, ms: Math.round(seed.ms) },
        },
      },
    ];
    if (changingPass) {
      const n = moved.toReview + moved.toFinished;
      // What the changes added, over a pass of the same cases in which nothing changes.
      const extraMs = changingPass.ms - msPerCase * changingPass.cases;
      const extraSql = changingPass.sql.count - (sqlCount / cases) * changingPass.cases;
      log(
        `egov: pollAll with ${n} of ${changingPass.cases} cases changing (${moved.toReview} 到達→審査中, ${moved.toFinished} 審査中→審査終了, ` +
          `${moved.documents} documents stored): ${Math.round(changingPass.ms)} ms = ${Math.round(changingPass.cases / (changingPass.ms / 1000))} cases/s; ` +
          `each change adds ≈ ${round(extraMs / n, 1)} ms and ${round(extraSql / n, 1)} SQL statements`,
      );
      log(
        `egov: memory after it: heap ${memory.heapUsedMiB.afterChanges} MiB (${signed(memory.heapGrowthMiB.total)} over the start); ` +
          `RSS peak ${memory.rssMiB.peakTotal} MiB, ${memory.rssMiB.after} MiB after`,
      );
      results.push({
        name: `egov poll pass, ${changingPass.cases.toLocaleString('en')} open cases, ${n} changing`,
        opsPerSec: changingPass.cases / (changingPass.ms / 1000),
        p50Ms: changingPass.ms,
        p99Ms: changingPass.ms,
        non2xx: 0,
        errors: 0,
        total: changingPass.cases,
        details: {
          unit: 'cases polled per second; p50/p99: the one pollAll call',
          changing: n,
          toUnderReview: moved.toReview,
          toReviewFinished: moved.toFinished,
          documentsStored: moved.documents,
          extraMsPerChange: round(extraMs / n, 2),
          extraSqlPerChange: round(extraSql / n, 2),
          sqlPerCase: round(changingPass.sql.count / changingPass.cases, 2),
          dbMsPerCase: round(changingPass.sql.ms / changingPass.cases, 3),
          topStatements: top(changingPass.sql.statements, changingPass.cases),
          egovCallsPerChange: perCase(
            Object.fromEntries(Object.entries(changingPass.egovCalls).filter(([k]) => k !== 'GET /shinsei/v2/apply/{arrive_id}')),
            n,
          ),
          simulatorMsPerCase: round(changingPass.simMs / changingPass.cases, 3),
          memory,
        },
      });
    }
    return results;
  },
};

/** Per-statement figures of several runs added up, most time first. */
function mergeStatements(lists: StatementFigures[][]): StatementFigures[] {
  const out = new Map<string, StatementFigures>();
  for (const list of lists)
    for (const st of list) {
      const o = out.get(st.sql) ?? { sql: st.sql, count: 0, ms: 0, errors: 0 };
      out.set(st.sql, { sql: st.sql, count: o.count + st.count, ms: o.ms + st.ms, errors: o.errors + st.errors });
    }
  return [...out.values()].sort((a, b) => b.ms - a.ms);
}

export const egovScenarios: Scenario[] = [egovSubmissions, egovStatusPoll];
