/**
 * BENCH_QUICK=1: the same rows at smaller sizes, for everyday use (the whole run in under
 * 3 minutes on 2 cores). Imported by run.ts before the scenarios, so that sizes the scenarios
 * read from the environment (at load time or when they run) get their quick defaults here;
 * a size set explicitly in the environment always wins. Scenarios written since read
 * `ctx.quick` (lib/types.ts `sized`) instead.
 */
export const QUICK = /^(1|true|yes)$/i.test(process.env.BENCH_QUICK?.trim() ?? '');

/** Quick defaults of the env-configured sizes (full defaults: in each scenario). */
export const QUICK_DEFAULTS: Record<string, string> = {
  BENCH_DURATION: '2', // seconds per measurement (full: 10)
  BENCH_AUDIT_VERIFY_EVENTS: '100000', // full: 1,000,000
  BENCH_EGOV_SUBMISSIONS: '20', // full: 200
  BENCH_EGOV_POLL_CASES: '1000', // full: 10,000
  BENCH_EGOV_POLL_CHANGING: '50', // full: 500
  BENCH_BACKUP_APPS: '10000', // full: 100,000
  BENCH_BACKUP_MB: '64', // full: 1,024
};

if (QUICK) for (const [k, v] of Object.entries(QUICK_DEFAULTS)) if (!process.env[k]?.trim()) process.env[k] = v;
