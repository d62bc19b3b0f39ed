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
 * $1 key, $2 throttler, $3 ttl ms, $4 limit, $5 block duration ms, $6 hits to add (≥ 1; more than
 * one when an instance sends the hits it counted locally, see PgThrottlerStorage).
 */
const INCREMENT_SQL = `
  INSERT INTO rate_limit_hits AS r (key, throttler, hits, window_start, expires_at, blocked_until)
  VALUES ($1, $2, $6::int, now(), now() + make_interval(secs => $3::float8 / 1000),
          CASE WHEN $6::int > $4::int AND $5::float8 > 0 THEN now() + make_interval(secs => $5::float8 / 1000) END)
  ON CONFLICT (key, throttler) DO UPDATE SET
    hits = CASE WHEN r.blocked_until > now() THEN r.hits
                WHEN r.expires_at <= now() OR r.blocked_until IS NOT NULL THEN $6::int
                ELSE r.hits + $6::int END,
    window_start = CASE WHEN r.blocked_until > now() THEN r.window_start
                        WHEN r.expires_at <= now() OR r.blocked_until IS NOT NULL THEN now()
                        ELSE r.window_start END,
    expires_at = CASE WHEN r.blocked_until > now() THEN r.expires_at
                      WHEN r.expires_at <= now() OR r.blocked_until IS NOT NULL THEN now() + make_interval(secs => $3::float8 / 1000)
                      ELSE r.expires_at END,
    blocked_until = CASE WHEN r.blocked_until > now() THEN r.blocked_until
                         WHEN r.expires_at <= now() OR r.blocked_until IS NOT NULL THEN
                           CASE WHEN $6::int > $4::int AND $5::float8 > 0 THEN now() + make_interval(secs => $5::float8 / 1000) END
                         WHEN r.hits + $6::int > $4::int AND $5::float8 > 0 THEN now() + make_interval(secs => $5::float8 / 1000)
                         END
  RETURNING hits,
            GREATEST(0, ceil(extract(epoch FROM expires_at - now())))::int AS time_to_expire,
            GREATEST(0, ceil(extract(epoch FROM blocked_until - now())))::int AS time_to_block_expire,
            GREATEST(0, extract(epoch FROM expires_at - now()) * 1000)::float8 AS expire_ms,
            GREATEST(0, COALESCE(extract(epoch FROM blocked_until - now()) * 1000, 0))::float8 AS block_ms,
            (COALESCE(blocked_until > now(), false) OR ($5::float8 <= 0 AND hits > $4::int)) AS blocked`;

const fallbacks = () =>
  metrics.counter(
    'charlotte_rate_limit_fallbacks_total',
    'Rate-limit checks counted in this instance only because PostgreSQL did not answer',
  );

/** How many hits an instance may count locally before it must send them (and read the shared total): 1 % of the limit. */
export function localBatchOf(limit: number): number {
  return Math.max(1, Math.floor(limit / 100));
}

/** How often the hits counted locally are sent, at the latest (ms). */
export const RATE_LIMIT_SYNC_MS = 1000;

interface Row {
  hits: number;
  time_to_expire: number;
  time_to_block_expire: number;
  expire_ms: number;
  block_ms: number;
  blocked: boolean;
}

/** What this instance knows of one shared counter, and the hits it counted since it last sent them. */
interface LocalCounter {
  key: string;
  throttler: string;
  ttl: number;
  limit: number;
  blockDuration: number;
  /** The shared total at the last answer of PostgreSQL. */
  hits: number;
  /** Local clock (ms) at which that window ends, and the block (0: none). */
  windowEnd: number;
  blockedUntil: number;
  /** Hits counted here and not yet sent. */
  pending: number;
}

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
 * Cost (issue 20): a round trip (and a commit on a row every request of one address queues on)
 * per request was the largest share of an authenticated GET. An instance therefore counts up
 * to `localBatchOf(limit)` − 1 hits of a counter it has already read (1 % of the limit) in
 * memory, then sends them in one statement (at once when the batch is full, when its local view
 * of the total passes the limit, or when the window it knows ends; else within
 * RATE_LIMIT_SYNC_MS). Every answer of PostgreSQL refreshes the instance's view of the
 * shared total. The bound: with N instances, at most N × (localBatchOf(limit) − 1) requests
 * beyond the limit are answered before the block (each instance sends at least every batch,
 * and learns the shared total when it does), and a block set by another instance is seen at
 * this instance's next send. Limits under 200 a window (the login limit) have a batch of 1:
 * every hit is counted in PostgreSQL as it happens, exactly as before. Hits counted locally and
 * not yet sent when the process stops are lost (at most a batch per counter).
 *
 * When PostgreSQL does not answer, the request is counted in this instance's
 * memory instead (logged, and counted in `charlotte_rate_limit_fallbacks_total`):
 * the limit then holds per instance, as before, rather than every request
 * failing with a 500, and /health/live keeps answering while the database is away.
 */
export class PgThrottlerStorage implements ThrottlerStorage, OnApplicationShutdown {
  private readonly logger = new Logger('RateLimits');
  private readonly local = new ThrottlerStorageService();
  private readonly counters = new Map<string, LocalCounter>();
  private readonly timer: NodeJS.Timeout;
  private lastWarning = 0;

  constructor(
    private readonly ds: DataSource,
    syncMs = RATE_LIMIT_SYNC_MS,
  ) {
    this.timer = setInterval(() => void this.flushAll(), syncMs);
    this.timer.unref();
  }

  async increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): Promise<ThrottlerStorageRecord> {
    const id = `${throttlerName}\u0000${key}`;
    const now = Date.now();
    const c = this.counters.get(id);
    const batch = localBatchOf(limit);
    if (c && c.ttl === ttl && c.limit === limit && c.blockDuration === blockDuration && now < c.windowEnd) {
      if (c.blockedUntil > now) {
        // Blocked: nothing changes (as in PostgreSQL, requests while blocked do not extend the block).
        return {
          totalHits: c.hits + c.pending,
          timeToExpire: secs(c.windowEnd - now),
          isBlocked: true,
          timeToBlockExpire: secs(c.blockedUntil - now),
        };
      }
      if (c.pending + 1 < batch && c.hits + c.pending + 1 <= limit) {
        c.pending++;
        return { totalHits: c.hits + c.pending, timeToExpire: secs(c.windowEnd - now), isBlocked: false, timeToBlockExpire: 0 };
      }
    }
    // Sent now: the first hit of a counter, a full batch, past the limit, or a window that ended here.
    const carried = c && now < c.windowEnd ? c.pending : 0;
    if (c) c.pending = 0;
    return this.send(id, { key, throttler: throttlerName, ttl, limit, blockDuration }, carried + 1);
  }

  private async send(
    id: string,
    k: Pick<LocalCounter, 'key' | 'throttler' | 'ttl' | 'limit' | 'blockDuration'>,
    hits: number,
    fallBack = true,
  ): Promise<ThrottlerStorageRecord> {
    let rows: Row[];
    try {
      rows = await this.ds.query(INCREMENT_SQL, [k.key, k.throttler, k.ttl, k.limit, k.blockDuration, hits]);
    } catch (e) {
      // A background send that fails drops its hits (the requests were answered; the database is away).
      if (!fallBack) throw e;
      fallbacks().inc();
      if (Date.now() - this.lastWarning > 60_000) {
        this.lastWarning = Date.now();
        this.logger.warn({
          message: 'rate limits counted per instance: PostgreSQL did not answer',
          err: e instanceof Error ? e.message : String(e),
        });
      }
      this.counters.delete(id);
      return this.local.increment(k.key, k.ttl, k.limit, k.blockDuration, k.throttler);
    }
    // TypeORM answers an INSERT … RETURNING with the rows.
    const r = rows[0];
    const now = Date.now();
    const known = this.counters.get(id);
    const pending = known ? known.pending : 0;
    // Bounded: a flood of addresses cannot grow it (the oldest counters are sent and forgotten).
    if (!known && this.counters.size >= MAX_COUNTERS) this.evictOldest();
    this.counters.set(id, {
      ...k,
      hits: r.hits,
      // now() is the transaction's start: a window opened by a concurrent transaction that started
      // later can look up to a few ms longer than the window itself. Never more than one window.
      windowEnd: now + Math.min(Number(r.expire_ms), k.ttl),
      blockedUntil: r.blocked && Number(r.block_ms) > 0 ? now + Number(r.block_ms) : 0,
      pending,
    });
    return {
      totalHits: r.hits,
      timeToExpire: Math.min(r.time_to_expire, secs(k.ttl)),
      isBlocked: r.blocked,
      timeToBlockExpire: r.blocked ? r.time_to_block_expire : 0,
    };
  }

  private evictOldest(): void {
    for (const [id, c] of this.counters) {
      this.counters.delete(id);
      if (c.pending > 0 && Date.now() < c.windowEnd) void this.send(id, c, c.pending, false).catch(() => undefined);
      if (this.counters.size < MAX_COUNTERS) return;
    }
  }

  /** Sends the hits counted locally (the timer), and forgets counters whose window ended here. */
  async flushAll(): Promise<void> {
    const now = Date.now();
    const sends: Array<Promise<unknown>> = [];
    for (const [id, c] of this.counters) {
      if (now >= c.windowEnd) {
        // Hits of a window that is over are not carried into the next one.
        if (c.blockedUntil <= now) this.counters.delete(id);
        else c.pending = 0;
        continue;
      }
      if (c.pending === 0) continue;
      const hits = c.pending;
      c.pending = 0;
      sends.push(this.send(id, c, hits, false).catch(() => undefined));
    }
    await Promise.all(sends);
  }

  /** Stops the timers (the fallback's sweep and the sends). */
  onApplicationShutdown(): void {
    clearInterval(this.timer);
    this.local.onApplicationShutdown();
  }
}

const MAX_COUNTERS = 10_000;
const secs = (ms: number) => Math.max(0, Math.ceil(ms / 1000));

/** Removes windows and blocks that are over; returns how many rows went. */
export async function purgeExpiredRateLimits(ds: DataSource): Promise<number> {
  const r: [unknown[], number] = await ds.query(
    `DELETE FROM rate_limit_hits WHERE expires_at < now() AND (blocked_until IS NULL OR blocked_until < now())`,
  );
  return r[1];
}
