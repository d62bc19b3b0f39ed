import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The per-IP request counters of @nestjs/throttler, shared by every API
 * instance (issue 17): before, each instance counted in its own memory and N
 * instances allowed N times the limit.
 *
 * One row per throttler key (a SHA-256 of route, throttler name and client
 * address, made by the guard: the address itself is not stored) and named
 * throttler: the hits of the current fixed window, when the window ends, and
 * when a block ends. Rows are rewritten on every request and live about a
 * minute, so the table is UNLOGGED: no WAL for a counter, at the price that a
 * database crash or a failover to a standby forgets the counters (everyone
 * starts a fresh window), which a rate limit can afford. Expired rows are
 * removed by RateLimitCleanupJob.
 */
export class RateLimitHits1765000000630 implements MigrationInterface {
  name = 'RateLimitHits1765000000630';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE UNLOGGED TABLE rate_limit_hits (
        key text NOT NULL,
        throttler text NOT NULL,
        hits int NOT NULL,
        window_start timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        blocked_until timestamptz,
        PRIMARY KEY (key, throttler)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE rate_limit_hits');
  }
}
