import type { NextFunction, Request, Response } from 'express';
import { metrics } from './registry';

/** Seconds; the SLO-relevant range of an API call up to a slow upload. */
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

const requests = () =>
  metrics.histogram(
    'charlotte_http_request_duration_seconds',
    'HTTP requests on the public port by method, route template and status',
    ['method', 'route', 'status'] as const,
    HTTP_BUCKETS,
  );

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/**
 * The route label: the template Express matched (`/api/v1/applications/:id`,
 * with the global prefix), never the raw path, which holds ids and whatever a
 * scanner throws at us. Requests that matched no route (404s, the SPA and its
 * static files, requests refused before routing) share `unmatched`.
 */
export function routeLabel(req: Request): string {
  const p = (req.route as { path?: unknown } | undefined)?.path;
  if (typeof p !== 'string') return 'unmatched';
  const base = typeof req.baseUrl === 'string' ? req.baseUrl : '';
  return `${base}${p}` || 'unmatched';
}

/** Express middleware (mount first): times every request until its response is finished or the client went away. */
export function httpMetricsMiddleware(req: Request, res: Response, next: NextFunction): void {
  const end = requests().startTimer();
  let done = false;
  const record = () => {
    if (done) return;
    done = true;
    end({ method: METHODS.has(req.method) ? req.method : 'OTHER', route: routeLabel(req), status: String(res.statusCode) });
  };
  res.once('finish', record);
  res.once('close', record);
  next();
}
