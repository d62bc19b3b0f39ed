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

/** Claims the next due job of `table` (or undefined), returning the `returning` columns. */
export async function claimDue<T>(ds: DataSource, table: JobTable, returning: string): Promise<T | undefined> {
  const r: [T[], number] = await ds.query(
    `UPDATE ${table} SET state = 'sending', attempts = attempts + 1, sending_started_at = COALESCE(sending_started_at, now()),
            next_attempt_at = now() + make_interval(secs => $1), updated_at = now()
      WHERE id = (SELECT id FROM ${table} WHERE state IN ('pending', 'sending') AND next_attempt_at <= now()
                   ORDER BY next_attempt_at FOR UPDATE SKIP LOCKED LIMIT 1)
      RETURNING ${returning}`,
    [LEASE_MS / 1000],
  );
  return r[0][0];
}

/**
 * Claims and handles due jobs until none is left; returns how many were handled.
 * Each failed attempt counts in `charlotte_job_failures_total{job=metric}`.
 */
export async function runDueJobs<T>(
  claim: () => Promise<T | undefined>,
  send: (job: T) => Promise<void>,
  failed: (job: T, e: unknown) => Promise<void>,
  metric?: string,
): Promise<number> {
  let n = 0;
  for (;;) {
    const job = await claim();
    if (!job) return n;
    n++;
    try {
      await send(job);
    } catch (e) {
      if (metric) countJobFailures(metric);
      await failed(job, e);
    }
  }
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
