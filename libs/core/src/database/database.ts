import { DataSource, DataSourceOptions, MixedList } from 'typeorm';

export interface DataSourceParts {
  url: string;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entities: MixedList<Function | string>;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  migrations: MixedList<Function | string>;
  poolSize?: number;
  applicationName?: string;
}

/** TypeORM options shared by the app, the CLI and the tests. Schema by migrations only. */
export function dataSourceOptions(parts: DataSourceParts): DataSourceOptions {
  return {
    type: 'postgres',
    url: parts.url,
    entities: parts.entities,
    migrations: parts.migrations,
    migrationsTableName: 'schema_migrations',
    synchronize: false,
    migrationsRun: false,
    logging: false,
    extra: {
      max: parts.poolSize ?? 10,
      application_name: parts.applicationName ?? 'charlotte',
      // Every session runs in UTC so that timestamps never depend on the host.
      options: '-c TimeZone=UTC',
    },
  };
}

// Arbitrary but fixed: the key of the advisory lock that serialises migrations
// when several instances (or the CLI) start at once.
const MIGRATION_LOCK_KEY = 774_211_001;

/** Runs pending migrations under a PostgreSQL advisory lock; returns their names. */
export async function runMigrations(ds: DataSource): Promise<string[]> {
  const runner = ds.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    const done = await ds.runMigrations({ transaction: 'each' });
    return done.map((m) => m.name);
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await runner.release();
  }
}

/**
 * Runs `fn` only if this instance wins the PostgreSQL advisory lock `key`, so a
 * scheduled job runs once across N instances. Returns undefined when another
 * instance holds it.
 */
export async function withAdvisoryLock<T>(ds: DataSource, key: number, fn: () => Promise<T>): Promise<T | undefined> {
  const runner = ds.createQueryRunner();
  await runner.connect();
  try {
    const got: Array<{ ok: boolean }> = await runner.query('SELECT pg_try_advisory_lock($1) AS ok', [key]);
    if (!got[0].ok) return undefined;
    try {
      return await fn();
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [key]);
    }
  } finally {
    await runner.release();
  }
}

/** The cron slot of a tick: the minute it fired in (every instance's timer fires within that minute of its own clock). */
export function cronSlot(firedAt: Date): Date {
  return new Date(Math.floor(firedAt.getTime() / 60_000) * 60_000);
}

/**
 * Runs `fn` for the cron slot of `firedAt` only if no instance has run `job` for
 * that slot yet, so that a scheduled job fires once across N instances (an
 * advisory lock alone only stops two runs from overlapping: an instance whose
 * timer fires after the winner has finished would run it again). Returns false
 * when the slot was already taken. The claim is kept even when `fn` fails: the
 * job's own retries and the next slot take over, as with a single instance.
 */
export async function runOncePerSlot(ds: DataSource, job: string, firedAt: Date, fn: () => Promise<unknown>): Promise<boolean> {
  const slot = cronSlot(firedAt);
  const claimed: Array<{ job: string }> = await ds.query(
    `INSERT INTO scheduled_job_runs (job, slot) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING job`,
    [job, slot],
  );
  if (claimed.length === 0) return false;
  await ds.query(`DELETE FROM scheduled_job_runs WHERE job = $1 AND slot < now() - interval '90 days'`, [job]);
  await fn();
  return true;
}
