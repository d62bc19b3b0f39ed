import { Global, Module } from '@nestjs/common';
import { DbPoolMetrics } from './db-pool-metrics';
import { enableDefaultMetrics } from './registry';

/** The process-wide series that need the application: default process metrics and the DB pool. */
@Global()
@Module({ providers: [DbPoolMetrics] })
export class MetricsModule {
  constructor() {
    enableDefaultMetrics();
  }
}
