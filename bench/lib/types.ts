import type { NestExpressApplication } from '@nestjs/platform-express';
import type { BenchEgov } from './egov';

/** Everything a scenario may use: the running app and a logged-in tenant admin. */
export interface BenchContext {
  /** http://127.0.0.1:<port>, no trailing slash. */
  baseUrl: string;
  app: NestExpressApplication;
  /** Cookie header value of the seeded admin's session (`charlotte_session=...`). */
  adminCookie: string;
  /** CSRF token of that session, for unsafe methods. */
  adminCsrf: string;
  tenantCode: string;
  tenantId: string;
  /** The seeded admin's credentials, for scenarios that log in themselves. */
  admin: { email: string; password: string; key: { keyId: string; privateKeyJwk: import('node:crypto').JsonWebKey } };
  /** Load settings (BENCH_CONNECTIONS, BENCH_DURATION, BENCH_WORKERS). */
  load: LoadSettings;
  /** The in-process e-Gov simulator the app files with (lib/egov.ts). */
  egov: BenchEgov;
  /**
   * BENCH_QUICK=1: the same rows at smaller sizes (whole run < 3 min on 2 cores). Scenarios pick
   * their sizes with `sized(ctx, full, quick)`; env-configured sizes get quick defaults in lib/quick.ts.
   */
  quick: boolean;
}

/** `full` by default, `quick` under BENCH_QUICK=1. */
export const sized = <T>(ctx: Pick<BenchContext, 'quick'>, full: T, quick: T): T => (ctx.quick ? quick : full);

export interface LoadSettings {
  connections: number;
  durationSec: number;
  /** autocannon worker threads; 0 = generate the load on the app's own event loop. */
  workers: number;
}

/**
 * One row of the result table. Rates are "operations per second": HTTP requests
 * for HTTP scenarios, appends / hashes / ... for later non-HTTP ones.
 */
export interface ScenarioResult {
  name: string;
  /** Mean operations per second. */
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
  /** Operations completed during the measurement. */
  total: number;
  /** Free-form details (status code counts, settings), kept in the JSON line only. */
  details?: Record<string, unknown>;
  /**
   * The figure the goal is about when it is not one of the columns above (a ratio, MiB of RSS,
   * events/s...), with its unit. Default: the column the goal names.
   */
  figure?: { value: number; unit: string };
  /** What the same work costs without Charlotte, measured in the same run (raw AES-GCM, `clamdscan` alone, ...). */
  reference?: { label: string; value: number; unit: string };
  /** figure / reference (or reference / figure when the goal says so), as compared with the goal. */
  ratio?: number;
  /** The goal for this row; the report prints ✅/❌ against it. */
  goal?: Goal;
}

/**
 * A goal from an issue: `metric` names what is compared (`p99Ms`, `opsPerSec`, `ratio` or `figure`),
 * `op` and `value` the bound, `text` how the table prints it ("p99 < 50 ms", "≤ 1.5×").
 */
export interface Goal {
  metric: 'p99Ms' | 'opsPerSec' | 'ratio' | 'figure';
  op: '<' | '<=' | '>=' | '>';
  value: number;
  text: string;
}

export interface Scenario {
  /** Stable id, used in the table, in BENCH_RESULT and by BENCH_ONLY. */
  name: string;
  description: string;
  /**
   * Measures; must throw when the measurement is not valid (error answers, wrong payload).
   * A scenario that measures several figures of one sequence (e.g. submit, then the
   * worker) returns one row per figure.
   */
  run(ctx: BenchContext): Promise<ScenarioResult | ScenarioResult[]>;
}
