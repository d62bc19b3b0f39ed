import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { metricsRegistry } from './registry';

export interface MetricsServer {
  /** The bound port (useful with port 0 in tests). */
  port: number;
  host: string;
  close(): Promise<void>;
}

/**
 * The Prometheus endpoint on its own listener (METRICS_HOST:METRICS_PORT,
 * loopback by default). Not on the public port: the series reveal traffic,
 * routes and job health, which is for the operator's scraper only, and a
 * separate listener can be firewalled apart from the API (the deployment
 * publishes only 443). No authentication: bind it to loopback or a private
 * network. GET /metrics only; everything else answers 404.
 */
export async function startMetricsServer(host: string, port: number): Promise<MetricsServer> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if ((req.method === 'GET' || req.method === 'HEAD') && path === '/metrics') {
      metricsRegistry.metrics().then(
        (body) => {
          res.writeHead(200, { 'Content-Type': metricsRegistry.contentType, 'Cache-Control': 'no-store' });
          res.end(req.method === 'HEAD' ? undefined : body);
        },
        (e: unknown) => {
          res.writeHead(500, { 'Content-Type': 'text/plain' });
          res.end(`metrics collection failed: ${e instanceof Error ? e.name : 'error'}\n`);
        },
      );
      return;
    }
    res.writeHead(404, { 'Content-Type': 'text/plain' });
    res.end('not found\n');
  });
  // Scrapers keep connections alive; do not let them hold the process open at shutdown.
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  return {
    port: addr.port,
    host: addr.address,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
