import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The one Prometheus registry of the process, served on the metrics port
 * (metrics-server.ts), never on the public one. Any lib records into it
 * through the helpers below.
 *
 * Label values must come from a small closed set (route templates, status
 * codes, job names, reason codes): never ids, tenant codes, e-mail addresses
 * or raw paths. Each label value is a new time series in Prometheus, and an
 * id in a label would also put personal or tenant data in the monitoring
 * system.
 */
export const metricsRegistry = new Registry();

let defaultsOn = false;

/** Node's process metrics (CPU, memory, event loop lag, GC, handles) under `charlotte_`; once per process. */
export function enableDefaultMetrics(): void {
  if (defaultsOn) return;
  defaultsOn = true;
  collectDefaultMetrics({ register: metricsRegistry, prefix: 'charlotte_' });
}

type Labels<T extends string> = readonly T[];

/**
 * Get-or-create: a metric is declared where it is recorded, and a second
 * declaration of the same name (two app instances in one test process, a
 * module loaded twice) answers the existing one instead of throwing.
 */
function existing<M>(name: string): M | undefined {
  return metricsRegistry.getSingleMetric(name) as M | undefined;
}

export const metrics = {
  counter<T extends string = never>(name: string, help: string, labelNames: Labels<T> = []): Counter<T> {
    return existing<Counter<T>>(name) ?? new Counter<T>({ name, help, labelNames, registers: [metricsRegistry] });
  },
  gauge<T extends string = never>(
    name: string,
    help: string,
    labelNames: Labels<T> = [],
    collect?: (this: Gauge<T>) => void | Promise<void>,
  ): Gauge<T> {
    return existing<Gauge<T>>(name) ?? new Gauge<T>({ name, help, labelNames, registers: [metricsRegistry], collect });
  },
  histogram<T extends string = never>(name: string, help: string, labelNames: Labels<T> = [], buckets?: number[]): Histogram<T> {
    return existing<Histogram<T>>(name) ?? new Histogram<T>({ name, help, labelNames, buckets, registers: [metricsRegistry] });
  },
};

/** Seconds; from a 10 ms request to a 30-minute backup of a large tenant. */
const JOB_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 900, 1800, 3600];

const jobDuration = () =>
  metrics.histogram('charlotte_job_duration_seconds', 'Duration of one run of a background job', ['job'] as const, JOB_BUCKETS);
const jobFailures = () =>
  metrics.counter('charlotte_job_failures_total', 'Failed runs or failed items of a background job', ['job'] as const);

/**
 * Runs a background job and records its duration in
 * `charlotte_job_duration_seconds{job}`; a run that throws also counts in
 * `charlotte_job_failures_total{job}` and the error goes on to the caller.
 * `job` is a fixed name (`backup_generation`, `mail_outbox`, …), never an id.
 */
export async function observeJob<T>(job: string, fn: () => Promise<T>): Promise<T> {
  const end = jobDuration().startTimer({ job });
  try {
    return await fn();
  } catch (e) {
    jobFailures().inc({ job });
    throw e;
  } finally {
    end();
  }
}

/**
 * Counts failures of a job that are handled inside a run (one tenant's backup
 * of the nightly run, one submission of the worker), so the run itself does not throw.
 */
export function countJobFailures(job: string, n = 1): void {
  // An increment by 0 still creates the series, so rate() has a zero to start from.
  jobFailures().inc({ job }, Math.max(0, n));
}
