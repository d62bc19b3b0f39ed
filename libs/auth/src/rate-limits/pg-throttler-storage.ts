import { Logger, OnApplicationShutdown } from '@nestjs/common';
import { ThrottlerStorage, ThrottlerStorageService } from '@nestjs/throttler';
import { DataSource } from 'typeorm';
import { metrics } from '@charlotte/core';

type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/**
 * One statement per request, atomic under concurrency (the row is locked by
 * the upsert, so parallel requests on any instance queue on it and each sees
 * its own count). All arithmetic on PostgreSQL's clock, so instances with
 * skewed clocks still share one window. The cases, on the old row:
 * - blocked and the block still runs: nothing changes (requests while blocked
 *   do not extend it, as in the in-memory storage);
 * - the window is over, or a block has ended: a new window with this hit;
 * - otherwise one more hit, and a block starts when the hits pass the limit.
 * $1 key, $2 throttler, $3 ttl ms, $4 limit, $5 block duration ms.
 */
const INCREMENT_SQL = `
  INSERT INTO rate_limit_hits AS r (key, throttler, hits, window_start, expires_at, blocked_until)
  VALUES ($1, $2, 1, now(), now() + make_interval(secs => $3::float8 / 1000),
          CASE WHEN 1 > $4::int AND $5::float8 > 0 THEN now() + make_interval(secs => $5::float8 / 1000) END)
  ON CONFLICT (key, throttler) DO UPDATE SET
    hits = CASE WHEN r.blocked_until > now() THEN r.hits
                WHEN r.expires_at <= now() OR r.blocked_until IS NOT NULL THEN 1
                ELSE r.hits + 1 END,
    window_start = CASE WHEN r.blocked_until > now() THEN r.window_start
                        WHEN r.expires_at <= now() OR r.blocked_until IS NOT NULL THEN now()
                        ELSE r.window_start END,
    expires_at = CASE WHEN r.blocked_until > now() THEN r.expires_at
                      WHEN r.expires_at <= now() OR r.blocked_until IS NOT NULL THEN now() + make_interval(secs => $3::float8 / 1000)
                      ELSE r.expires_at END,
    blocked_until = CASE WHEN r.blocked_until > now() THEN r.blocked_until
                         WHEN r.expires_at <= now() OR r.blocked_until IS NOT NULL THEN
                           CASE WHEN 1 > $4::int AND $5::float8 > 0 THEN now() + make_interval(secs => $5::float8 / 1000) END
                         WHEN r.hits + 1 > $4::int AND $5::float8 > 0 THEN now() + make_interval(secs => $5::float8 / 1000)
                         END
  RETURNING hits,
            GREATEST(0, ceil(extract(epoch FROM expires_at - now())))::int AS time_to_expire,
            GREATEST(0, ceil(extract(epoch FROM blocked_until - now())))::int AS time_to_block_expire,
            (COALESCE(blocked_until > now(), false) OR ($5::float8 <= 0 AND hits > $4::int)) AS blocked`;

const fallbacks = () =>
  metrics.counter(
    'charlotte_rate_limit_fallbacks_total',
    'Rate-limit checks counted in this instance only because PostgreSQL did not answer',
  );

/**
 * @nestjs/throttler's storage in PostgreSQL (`rate_limit_hits`), so that N API
 * instances enforce one per-IP limit per named throttler instead of N times
 * it (issue 17). Same contract as the in-memory ThrottlerStorageService: a
 * window of `ttl` ms, blocked for `blockDuration` ms once the hits exceed
 * `limit`; times answered in seconds (the guard puts them in Retry-After and
 * X-RateLimit-Reset).
 *
 * Differences, on purpose: a fixed window (the in-memory one expires each hit
 * on its own), which is one row per key instead of one timestamp per request.
 *
 * When PostgreSQL does not answer, the request is counted in this instance's
 * memory instead (logged, and counted in `charlotte_rate_limit_fallbacks_total`):
 * the limit then holds per instance, as before, rather than every request
 * failing with a 500, and /health/live keeps answering while the database is away.
 */
export class PgThrottlerStorage implements ThrottlerStorage, OnApplicationShutdown {
  private readonly logger = new Logger('RateLimits');
  private readonly local = new ThrottlerStorageService();
  private lastWarning = 0;

  constructor(private readonly ds: DataSource) {}

  async increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): Promise<ThrottlerStorageRecord> {
    let rows: Array<{ hits: number; time_to_expire: number; time_to_block_expire: number; blocked: boolean }>;
    try {
      rows = await this.ds.query(INCREMENT_SQL, [key, throttlerName, ttl, limit, blockDuration]);
    } catch (e) {
      fallbacks().inc();
      if (Date.now() - this.lastWarning > 60_000) {
        this.lastWarning = Date.now();
        this.logger.warn({
          message: 'rate limits counted per instance: PostgreSQL did not answer',
          err: e instanceof Error ? e.message : String(e),
        });
      }
      return this.local.increment(key, ttl, limit, blockDuration, throttlerName);
    }
    // TypeORM answers an INSERT … RETURNING with the rows.
    const r = rows[0];
    return {
      totalHits: r.hits,
      timeToExpire: r.time_to_expire,
      isBlocked: r.blocked,
      timeToBlockExpire: r.blocked ? r.time_to_block_expire : 0,
    };
  }

  /** Stops the fallback's sweep timer. */
  onApplicationShutdown(): void {
    this.local.onApplicationShutdown();
  }
}

/** Removes windows and blocks that are over; returns how many rows went. */
export async function purgeExpiredRateLimits(ds: DataSource): Promise<number> {
  const r: [unknown[], number] = await ds.query(
    `DELETE FROM rate_limit_hits WHERE expires_at < now() AND (blocked_until IS NULL OR blocked_until < now())`,
  );
  return r[1];
}
