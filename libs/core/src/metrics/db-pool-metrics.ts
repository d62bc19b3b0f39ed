import { Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { metrics } from './registry';

/** What we read of node-postgres' Pool (TypeORM's postgres driver keeps it as `master`). */
interface PgPoolCounts {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
}

const pools = new Set<() => PgPoolCounts | undefined>();

function sum(pick: (p: PgPoolCounts) => number): number {
  let n = 0;
  for (const read of pools) {
    const p = read();
    if (p) n += pick(p);
  }
  return n;
}

/** Read at scrape time, so the numbers are current and cost nothing between scrapes. */
function declare(): void {
  metrics.gauge('charlotte_db_pool_connections', 'PostgreSQL pool connections open (idle and in use)', [], function () {
    this.set(sum((p) => p.totalCount));
  });
  metrics.gauge('charlotte_db_pool_idle_connections', 'PostgreSQL pool connections open and idle', [], function () {
    this.set(sum((p) => p.idleCount));
  });
  metrics.gauge('charlotte_db_pool_waiting_clients', 'Queries waiting for a PostgreSQL pool connection (pool exhausted)', [], function () {
    this.set(sum((p) => p.waitingCount));
  });
}

/** Registers the application's TypeORM pool with the DB pool gauges for as long as the module lives. */
@Injectable()
export class DbPoolMetrics implements OnModuleInit, OnModuleDestroy {
  private readonly read = (): PgPoolCounts | undefined => {
    const pool = (this.ds.driver as unknown as { master?: Partial<PgPoolCounts> }).master;
    if (!this.ds.isInitialized || !pool || typeof pool.totalCount !== 'number') return undefined;
    return { totalCount: pool.totalCount, idleCount: pool.idleCount ?? 0, waitingCount: pool.waitingCount ?? 0 };
  };

  constructor(private readonly ds: DataSource) {}

  onModuleInit(): void {
    declare();
    pools.add(this.read);
  }

  onModuleDestroy(): void {
    pools.delete(this.read);
  }
}
