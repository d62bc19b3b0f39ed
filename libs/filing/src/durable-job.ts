import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { countJobFailures, DomainError } from '@charlotte/core';
import { EgovError } from './egov-client';
import { EgovPackageError } from './package/errors';

/**
 * The mechanics the e-Gov jobs share (the submission, 補正 and 取下げ): one
 * row per job with `state` pending → sending → done/sent or failed,
 * `attempts`, `next_attempt_at`, `sending_started_at` and `last_error`. A job
 * is claimed with FOR UPDATE SKIP LOCKED under a lease, so several instances
 * work side by side and a crashed worker's job is taken up again when its
 * lease runs out.
 */

/** Attempts before a transient failure becomes permanent (about a day with the backoff below). */
export const MAX_ATTEMPTS = 10;
/** While one worker sends, the row is leased; a crashed worker's lease runs out and another resumes. */
export const LEASE_MS = 5 * 60_000;
export const backoffMs = (attempt: number) => Math.min(6 * 3600_000, 30_000 * 2 ** Math.max(0, attempt - 1));

export type JobTable = 'submissions' | 'egov_actions';

/**
 * Whether a failed send may succeed later: e-Gov's transient errors, and an
 * account an administrator must (re)link (unlinked meanwhile, or its tokens
 * refused): the job waits for the relink, within the attempts, rather than
 * failing at once. Anything unexpected is retried too; a package we cannot
 * build or a 4xx from e-Gov is final.
 */
export function retryable(e: unknown): boolean {
  if (e instanceof EgovError) return e.kind !== 'permanent';
  if (e instanceof DomainError) return e.code === 'egov_not_linked';
  return !(e instanceof EgovPackageError);
}

/**
 * Claims the next due job of `table` (or undefined), returning the `returning` columns.
 * `excludeTenants`: tenants whose jobs are not taken now (they have as many in flight as allowed).
 */
export async function claimDue<T>(
  ds: DataSource,
  table: JobTable,
  returning: string,
  excludeTenants: readonly string[] = [],
): Promise<T | undefined> {
  const r: [T[], number] = await ds.query(
    `UPDATE ${table} SET state = 'sending', attempts = attempts + 1, sending_started_at = COALESCE(sending_started_at, now()),
            next_attempt_at = now() + make_interval(secs => $1), updated_at = now()
      WHERE id = (SELECT id FROM ${table} WHERE state IN ('pending', 'sending') AND next_attempt_at <= now()
                     AND tenant_id <> ALL($2::uuid[])
                   ORDER BY next_attempt_at FOR UPDATE SKIP LOCKED LIMIT 1)
      RETURNING ${returning}`,
    [LEASE_MS / 1000, excludeTenants],
  );
  return r[0][0];
}

/** How many jobs one process sends at once: in all (`global`) and for one tenant (`perTenant`). */
export interface JobConcurrency {
  global: number;
  perTenant: number;
}

/**
 * Claims and handles due jobs until none is left; returns how many were handled.
 * Up to `limits.global` jobs are sent at once, at most `limits.perTenant` of one
 * tenant (default 1 and 1: one at a time). Each job row is claimed by exactly one
 * worker (claimDue: FOR UPDATE SKIP LOCKED under a lease), and a submission row
 * exists at most once per application (partial unique index), so running jobs side
 * by side never sends an application twice. A job for which `exclusive` answers
 * true (an attempt whose outcome is unknown: it looks for its case among the
 * tenant's recent arrivals) runs alone for its tenant: it waits until the
 * tenant's other jobs in this process are done, and none starts beside it, so
 * that it cannot take another job's case for its own. Claims are made one at a
 * time. Each failed attempt counts in `charlotte_job_failures_total{job=metric}`.
 */
export async function runDueJobs<T extends { tenant_id: string }>(
  claim: (excludeTenants: readonly string[]) => Promise<T | undefined>,
  send: (job: T) => Promise<void>,
  failed: (job: T, e: unknown) => Promise<void>,
  metric?: string,
  limits: JobConcurrency = { global: 1, perTenant: 1 },
  exclusive: (job: T) => boolean = () => false,
): Promise<number> {
  const inFlight = new Map<string, number>();
  /** Tenants with an exclusive job claimed (waiting or running): nothing else of theirs is claimed. */
  const exclusiveTenants = new Set<string>();
  /** Resolvers waiting for a tenant's in-flight count to fall to zero. */
  const drained = new Map<string, Array<() => void>>();
  let claiming: Promise<unknown> = Promise.resolve();
  let n = 0;
  /** Jobs claimed and not finished; and the workers waiting for one of them to finish. */
  let active = 0;
  let finished: Array<() => void> = [];

  const done = (tenant: string) => {
    const left = (inFlight.get(tenant) ?? 1) - 1;
    if (left > 0) return void inFlight.set(tenant, left);
    inFlight.delete(tenant);
    for (const wake of drained.get(tenant) ?? []) wake();
    drained.delete(tenant);
  };

  /** One claim at a time, so the exclusions it is given are exact in this process. */
  const claimNext = (): Promise<T | undefined> => {
    const next = claiming.then(async () => {
      const excluded = new Set(exclusiveTenants);
      for (const [tenant, count] of inFlight) if (count >= limits.perTenant) excluded.add(tenant);
      const job = await claim([...excluded]);
      if (job && exclusive(job)) exclusiveTenants.add(job.tenant_id);
      else if (job) inFlight.set(job.tenant_id, (inFlight.get(job.tenant_id) ?? 0) + 1);
      return job;
    });
    claiming = next.catch(() => undefined);
    return next;
  };

  const worker = async () => {
    for (;;) {
      const job = await claimNext();
      if (!job) {
        // Nothing that may start now. While jobs are still running, what they held back (their
        // tenant's limit, an exclusive job) may start when one ends: wait for that, then look again.
        if (active === 0) return;
        await new Promise<void>((wake) => finished.push(wake));
        continue;
      }
      n++;
      active++;
      const tenant = job.tenant_id;
      const alone = exclusive(job);
      if (alone) {
        if (inFlight.has(tenant)) await new Promise<void>((wake) => drained.set(tenant, [...(drained.get(tenant) ?? []), wake]));
        inFlight.set(tenant, 1);
      }
      try {
        await send(job);
      } catch (e) {
        if (metric) countJobFailures(metric);
        await failed(job, e);
      } finally {
        if (alone) exclusiveTenants.delete(tenant);
        done(tenant);
        active--;
        const waiting = finished;
        finished = [];
        for (const wake of waiting) wake();
      }
    }
  };

  await Promise.all(Array.from({ length: Math.max(1, limits.global) }, worker));
  return n;
}

const jobLogger = new Logger('EgovJobs');

/** What users see when our own code failed: fixed words and a code, never the raw error. */
export const INTERNAL_FAILURE_REASON =
  'internal_error: Charlotte の内部エラーのため処理できませんでした。サポートにお問い合わせください。 / An internal error stopped this attempt; please contact support.';

/**
 * The reason kept with a failed attempt and shown to the user
 * (`failureReason`, `lastAction.lastError`). Only words that are meant for
 * users: e-Gov's own wording and our client's fixed texts (EgovError), our
 * domain errors (code and fixed detail), and the package builder's code.
 * Anything else (SQL, file system, sealing, a bug) is an internal error: its
 * message may name tables, paths or input, so it goes to the error log only
 * and the stored reason is a fixed text (security review, finding 10).
 */
export function failureReason(e: unknown): string {
  if (e instanceof EgovError) return e.message.slice(0, 500);
  if (e instanceof DomainError) return `${e.code}: ${e.detail ?? e.title}`.slice(0, 500);
  if (e instanceof EgovPackageError) {
    jobLogger.error({ message: 'e-Gov package could not be built', code: e.code, path: e.path, err: e.stack });
    return `${e.code}: e-Gov に送るデータを作成できませんでした。 / The e-Gov package could not be built.`;
  }
  jobLogger.error({ message: 'e-Gov job failed with an internal error', err: e instanceof Error ? e.stack : String(e) });
  return INTERNAL_FAILURE_REASON;
}

/**
 * Schedules the next attempt when the error may pass (Retry-After, else the
 * backoff) and answers true; false when the job must fail now.
 */
export async function retryLater(
  ds: DataSource,
  table: JobTable,
  job: { id: string; attempts: number },
  e: unknown,
  logger: Logger,
  what: string,
): Promise<boolean> {
  if (!retryable(e) || job.attempts >= MAX_ATTEMPTS) return false;
  const wait = e instanceof EgovError && e.retryAfterMs ? Math.max(e.retryAfterMs, 1000) : backoffMs(job.attempts);
  await ds.query(
    `UPDATE ${table} SET state = 'pending', last_error = $2, next_attempt_at = now() + make_interval(secs => $3), updated_at = now() WHERE id = $1`,
    [job.id, failureReason(e), wait / 1000],
  );
  logger.warn({ message: `e-Gov ${what} will be retried`, job: job.id, attempt: job.attempts, waitMs: wait });
  return true;
}
