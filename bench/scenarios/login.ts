import { login } from '../lib/seed';
import type { BenchContext, Scenario, ScenarioResult } from '../lib/types';

function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : 0;
}

/**
 * Full login (password step with argon2id at the configured cost, then the
 * ES256 key-file step) in a closed loop with `concurrency` clients. Goal
 * (issues 4 and 20): p99 < 300 ms with 1 and with 4 clients, OWASP's minimum argon2id parameters.
 */
function loginScenario(concurrency: number): Scenario {
  const name = `login password + key file (${concurrency} client${concurrency > 1 ? 's' : ''})`;
  return {
    name,
    description: 'full two-step login',
    async run(ctx: BenchContext): Promise<ScenarioResult> {
      const seconds = Math.max(2, Math.min(ctx.load.durationSec, 10));
      const deadline = Date.now() + seconds * 1000;
      const latencies: number[] = [];
      const start = Date.now();
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (Date.now() < deadline) {
            const t0 = process.hrtime.bigint();
            await login(ctx.baseUrl, ctx.tenantCode, ctx.admin.email, ctx.admin.password, ctx.admin.key);
            latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
          }
        }),
      );
      const elapsed = (Date.now() - start) / 1000;
      latencies.sort((a, b) => a - b);
      return {
        name,
        opsPerSec: latencies.length / elapsed,
        p50Ms: percentile(latencies, 50),
        p99Ms: percentile(latencies, 99),
        non2xx: 0,
        errors: 0,
        total: latencies.length,
        goal: { metric: 'p99Ms', op: '<', value: 300, text: 'p99 < 300 ms' },
      };
    },
  };
}

export const loginScenarios: Scenario[] = [loginScenario(1), loginScenario(4)];
