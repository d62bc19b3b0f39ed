import { Client } from 'pg';

/**
 * Counts the SQL statements sent to PostgreSQL (every round trip of the pg
 * driver, BEGIN / COMMIT included), the time spent waiting for their answers and
 * the failed ones, per statement text, while a counter runs. It wraps pg's
 * Client.prototype.query once, in this process only: TypeORM's pool uses the same
 * `pg` module, so every DataSource / EntityManager / QueryRunner query goes
 * through it. Cost per query: a Map lookup and two hrtime reads.
 *
 * `ms` is summed over statements: the wall time spent in the database only when
 * the code measured runs its queries one after another; with concurrent callers
 * (the HTTP submits, a concurrent poll) it exceeds the elapsed time and says how
 * much of the work is waiting for PostgreSQL.
 *
 * pg_stat_statements would be the server-side alternative, but it needs
 * shared_preload_libraries, which an ordinary server (and the embedded one) lacks.
 */
interface Tally {
  count: number;
  ns: bigint;
  errors: number;
}

interface Running {
  total: Tally;
  bySql: Map<string, Tally>;
}

const active = new Set<Running>();
let installed = false;

function add(r: Running, sql: string, ns: bigint, failed: boolean): void {
  for (const t of [r.total, r.bySql.get(sql) ?? r.bySql.set(sql, { count: 0, ns: 0n, errors: 0 }).get(sql)!]) {
    t.count++;
    t.ns += ns;
    if (failed) t.errors++;
  }
}

function install(): void {
  if (installed) return;
  installed = true;
  const proto = Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  proto.query = function (this: unknown, ...args: unknown[]) {
    if (active.size === 0) return original.apply(this, args);
    const first = args[0];
    const sql = typeof first === 'string' ? first : String((first as { text?: unknown } | null)?.text ?? '(query object)');
    const runs = [...active];
    const t0 = process.hrtime.bigint();
    const result = original.apply(this, args);
    // TypeORM uses the promise form; a callback-form call is counted with no time.
    if (result && typeof (result as Promise<unknown>).then === 'function') {
      const done = (failed: boolean) => () => {
        const ns = process.hrtime.bigint() - t0;
        for (const r of runs) add(r, sql, ns, failed);
      };
      (result as Promise<unknown>).then(done(false), done(true));
    } else {
      for (const r of runs) add(r, sql, 0n, false);
    }
    return result;
  };
}

export interface StatementFigures {
  /** The statement text, whitespace collapsed, cut at 160 characters. */
  sql: string;
  count: number;
  ms: number;
  errors: number;
}

export interface QueryFigures {
  count: number;
  ms: number;
  errors: number;
  /** Per statement text, most time first. */
  statements: StatementFigures[];
}

export interface QueryCounter {
  /** Stops counting (answers already in flight are still added); returns the figures so far. */
  stop(): QueryFigures;
  /** The figures so far. */
  figures(): QueryFigures;
}

export function countQueries(): QueryCounter {
  install();
  const r: Running = { total: { count: 0, ns: 0n, errors: 0 }, bySql: new Map() };
  active.add(r);
  const figures = (): QueryFigures => ({
    count: r.total.count,
    ms: Number(r.total.ns) / 1e6,
    errors: r.total.errors,
    statements: [...r.bySql]
      .map(([sql, t]) => ({ sql: sql.replace(/\s+/g, ' ').trim().slice(0, 160), count: t.count, ms: Number(t.ns) / 1e6, errors: t.errors }))
      .sort((a, b) => b.ms - a.ms),
  });
  return {
    stop() {
      active.delete(r);
      return figures();
    },
    figures,
  };
}
