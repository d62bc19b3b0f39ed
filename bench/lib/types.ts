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
}

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
