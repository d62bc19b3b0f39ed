export * from './db-pool-metrics';
export * from './http-metrics';
export * from './metrics-server';
export * from './metrics.module';
export * from './registry';
