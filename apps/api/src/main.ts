import 'reflect-metadata';
import type { Server } from 'node:http';
import { OperatorBootstrapService } from '@charlotte/auth';
import { AuditService, createLogging } from '@charlotte/audit';
import { ConfigError, loadConfig, MetricsServer, openDatabase, startMetricsServer } from '@charlotte/core';
import { createApp } from './app.factory';
import { installCrashPolicy } from './crash-policy';
import { tlsServerOptions } from './tls';

async function main(): Promise<void> {
  let config;
  let https;
  try {
    config = loadConfig();
    https = tlsServerOptions(config);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`Charlotte cannot start.\n${e.message}\nSee README.md, "Configuration".\n`);
      process.exit(78); // EX_CONFIG
    }
    throw e;
  }
  const logging = createLogging(config);
  const winston = logging.app;
  // An error that escaped every handler is logged, audited and answered; the process keeps serving (crash-policy.ts).
  const built: { audit?: AuditService } = {};
  installCrashPolicy({ logger: winston, audit: () => built.audit });
  const db = await openDatabase(config, (m) => winston.debug(m.trim()));
  if (db.owned) winston.info({ message: 'embedded PostgreSQL started', dataDir: config.dataDir });

  const app = await createApp(config, db.url, { logging, https });
  built.audit = app.get(AuditService);
  const bootstrap = app.get(OperatorBootstrapService);
  const setupUrl = await bootstrap.ensureFirstOperator();
  await app.listen(config.port, config.host);
  const server = app.getHttpServer() as Server;
  winston.info({ message: 'Charlotte is listening', url: config.publicUrl, port: config.port, tls: !!https });
  let metrics: MetricsServer | undefined;
  if (config.metricsPort) {
    metrics = await startMetricsServer(config.metricsHost, config.metricsPort);
    winston.info({ message: 'Prometheus metrics', url: `http://${config.metricsHost}:${metrics.port}/metrics` });
    // The listener has no authentication: say so when it is reachable from beyond this host.
    if (!['127.0.0.1', '::1', 'localhost'].includes(config.metricsHost))
      winston.warn({ message: 'the metrics listener is not on loopback: restrict it to the scraper (firewall, private network)' });
  }
  // Last of the start-up output, so that the one-time setup link is what the person who ran `npm start` sees.
  if (setupUrl) bootstrap.printSetupBanner(setupUrl);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    winston.info({ message: 'shutting down', signal });
    // 1. Stop accepting connections and let in-flight requests finish (Node closes idle
    //    keep-alive sockets); after the timeout, cut what is left.
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    const timer = setTimeout(() => server.closeAllConnections(), config.shutdownTimeoutMs);
    await closed;
    clearTimeout(timer);
    await metrics?.close();
    // 2. Then the modules (database pool, schedulers), 3. then the embedded database.
    await app.close();
    await db.stop();
    winston.info({ message: 'stopped' });
    await logging.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((e: unknown) => {
  process.stderr.write(`Charlotte failed to start: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
