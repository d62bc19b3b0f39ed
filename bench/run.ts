/**
 * Charlotte HTTP benchmark.
 *
 *   npm run bench                       # embedded PostgreSQL in a temporary DATA_DIR
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npm run bench
 *                                       # fresh database charlotte_bench_<random> on that server, dropped at the end
 *
 * which is:
 *
 *   tsc -p bench/tsconfig.json && node dist/bench/bench/run.js
 *
 * No ts-node here: bench/tsconfig.json compiles the benchmark together with
 * apps/api/src and libs/<name>/src into dist/bench/, and ./lib/aliases (the first
 * import below) maps @charlotte/core and @charlotte/auth to those compiled copies.
 *
 * Settings (environment):
 *   BENCH_CONNECTIONS  autocannon connections              (default 32)
 *   BENCH_DURATION     seconds per scenario                (default 10)
 *   BENCH_WORKERS      autocannon worker threads; 0 = run the load generator on the
 *                      app's own event loop                 (default 1)
 *   BENCH_ONLY         comma-separated substrings of scenario names to run (default all)
 *   BENCH_QUICK=1      the same rows at smaller sizes, whole run < 3 min on 2 cores (everyday use);
 *                      default: the full sizes the goals are stated for. Scenarios see it as
 *                      `ctx.quick` (sized(ctx, full, quick) in lib/types.ts); the env sizes below
 *                      get quick defaults from lib/quick.ts (QUICK_DEFAULTS: 2 s per measurement,
 *                      100,000 audit events, 20 submissions, 1,000 poll cases, 10,000 applications
 *                      + 64 MiB backup, 2 × 20,000 applications for the list); explicit values win.
 *   DATABASE_URL       external PostgreSQL server (see above); DATABASE_POOL_SIZE is passed on
 *   BENCH_EGOV_SUBMISSIONS   applications submitted in "egov submissions end to end" (default 200)
 *   BENCH_EGOV_CONCURRENCY   HTTP clients submitting them                             (default 8)
 *   BENCH_EGOV_POLL_CASES    open cases for "egov status poll"                         (default 10000)
 *   BENCH_EGOV_POLL_PASSES   at least this many pollAll calls with nothing changing    (default 1)
 *   BENCH_EGOV_POLL_CHANGING cases changing status in the last pollAll call; 0 = skip (default 500)
 *
 * The app runs in this process (createApp, NODE_ENV=production, no stdout logging,
 * rate limits at their maximum) on a free 127.0.0.1 port; it files with the e-Gov
 * simulator (apps/egov-sim), also in this process, on another port (lib/egov.ts).
 * Seed: tenant `bench` with one admin and 10,000 members. Scenarios
 * (scenarios/index.ts) run one after another; any non-2xx answer, error or timeout
 * fails the run. A scenario may report several rows. Output: the goals table (per row
 * its figure, the reference measured in the same run, the ratio, the goal and ✅/❌;
 * "—" for rows without a goal), the raw measurements, and one line
 * `BENCH_RESULT {json}` with the same (goal, met, figure, reference, ratio per row).
 * Exit code 0 only when every scenario succeeded (a missed goal is reported, ❌, not
 * an error); everything
 * started (app, e-Gov simulator, embedded PostgreSQL, database, temp dir) is
 * stopped/removed in all cases.
 */
import './lib/aliases';
import * as os from 'node:os';
import { QUICK } from './lib/quick';
import { startEnvironment, type BenchEnvironment } from './lib/environment';
import { type Failure, machineInfo, renderJson, renderTable, type RunInfo } from './lib/report';
import { login, seedTenant } from './lib/seed';
import type { BenchContext, LoadSettings, ScenarioResult } from './lib/types';
import { SCENARIOS } from './scenarios';

const MEMBERS = 10_000;

const isResult = (x: unknown): x is ScenarioResult => typeof x === 'object' && x !== null && 'opsPerSec' in x && 'non2xx' in x;

const log = (m: string) => process.stderr.write(`bench: ${m}\n`);

function intFromEnv(name: string, def: number, min: number): number {
  const raw = process.env[name]?.trim();
  if (!raw) return def;
  if (!/^\d+$/.test(raw) || Number(raw) < min) throw new Error(`${name} must be an integer >= ${min}, got "${raw}"`);
  return Number(raw);
}

function loadSettings(): LoadSettings {
  return {
    connections: intFromEnv('BENCH_CONNECTIONS', 32, 1),
    durationSec: intFromEnv('BENCH_DURATION', 10, 1),
    workers: intFromEnv('BENCH_WORKERS', 1, 0),
  };
}

function selectedScenarios() {
  const only = (process.env.BENCH_ONLY ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  const list = only.length ? SCENARIOS.filter((s) => only.some((o) => s.name.toLowerCase().includes(o))) : SCENARIOS;
  if (list.length === 0)
    throw new Error(`BENCH_ONLY=${process.env.BENCH_ONLY} matches no scenario (${SCENARIOS.map((s) => s.name).join(', ')})`);
  return list;
}

async function main(): Promise<number> {
  const load = loadSettings();
  const loadAtStart = os.loadavg()[0];
  const scenarios = selectedScenarios();
  let env: BenchEnvironment | undefined;

  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = true;
    log(`${signal}: stopping`);
    void (env?.stop() ?? Promise.resolve()).finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    log('starting the app');
    env = await startEnvironment(log);
    log(`app listening on ${env.baseUrl} (${env.database.description})`);

    const t0 = Date.now();
    const seeded = await seedTenant(env.app, MEMBERS);
    log(`seeded tenant ${seeded.tenantCode}: 1 admin + ${seeded.members} members in ${Date.now() - t0} ms`);
    const session = await login(env.baseUrl, seeded.tenantCode, seeded.adminEmail, seeded.adminPassword, seeded.adminKey);

    const ctx: BenchContext = {
      baseUrl: env.baseUrl,
      app: env.app,
      adminCookie: session.cookie,
      adminCsrf: session.csrf,
      tenantCode: seeded.tenantCode,
      tenantId: seeded.tenantId,
      admin: { email: seeded.adminEmail, password: seeded.adminPassword, key: seeded.adminKey },
      load,
      egov: env.egov,
      quick: QUICK,
    };
    const results: ScenarioResult[] = [];
    const failures: Failure[] = [];
    for (const s of scenarios) {
      log(`measuring ${s.name} (${load.connections} connections, ${load.durationSec} s)`);
      try {
        const measured = await s.run(ctx);
        results.push(...(Array.isArray(measured) ? measured : [measured]));
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        // A BenchFailure from httpLoad carries the (invalid) measurement as its cause.
        const measured = e instanceof Error && isResult(e.cause) ? e.cause : undefined;
        failures.push({ name: s.name, message, ...(measured ? { measured } : {}) });
        log(`FAILED ${s.name}: ${message}`);
      }
    }

    const info: RunInfo = {
      machine: machineInfo(),
      node: process.version,
      database: env.database,
      load,
      seededUsers: seeded.members + 1,
      quick: QUICK,
      loadAverage: { start: loadAtStart, end: os.loadavg()[0] },
    };
    process.stdout.write(`\n${renderTable(info, results, failures)}\n\n${renderJson(info, results, failures)}\n`);
    if (failures.length) {
      process.stderr.write(`\nBENCH FAILED: ${failures.length} scenario(s) did not measure valid (2xx, error-free) answers:\n`);
      for (const f of failures) process.stderr.write(`  - ${f.message}\n`);
      return 1;
    }
    return 0;
  } finally {
    if (env) {
      log('stopping');
      await env.stop();
    }
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`\nBENCH FAILED: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
