import autocannon from 'autocannon';
import type { BenchContext, ScenarioResult } from './types';

export interface HttpLoadOptions {
  name: string;
  /** Path below the base URL, e.g. `/health/live`. */
  path: string;
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  headers?: Record<string, string>;
  body?: unknown;
  /** Optional check of one response made before the measurement (shape, size ...). */
  check?: (status: number, body: unknown) => string | undefined;
}

export class BenchFailure extends Error {
  override name = 'BenchFailure';
}

/**
 * Sends one request first (it must be 2xx and pass `check`), then measures with
 * autocannon. Any non-2xx answer, error or timeout during the measurement makes the
 * scenario fail: a benchmark of error answers is worthless.
 */
export async function httpLoad(ctx: BenchContext, o: HttpLoadOptions): Promise<ScenarioResult> {
  const url = `${ctx.baseUrl}${o.path}`;
  const method = o.method ?? 'GET';
  const headers: Record<string, string> = { accept: 'application/json', ...(o.headers ?? {}) };
  const body = o.body === undefined ? undefined : JSON.stringify(o.body);
  if (body !== undefined) headers['content-type'] = 'application/json';

  const probe = await fetch(url, { method, headers, body });
  const text = await probe.text();
  if (probe.status < 200 || probe.status > 299) {
    throw new BenchFailure(`${o.name}: probe ${method} ${o.path} answered ${probe.status}: ${text.slice(0, 300)}`);
  }
  if (o.check) {
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: the check gets the text
    }
    const problem = o.check(probe.status, parsed);
    if (problem) throw new BenchFailure(`${o.name}: probe ${method} ${o.path}: ${problem}`);
  }

  const r = await autocannon({
    url,
    method,
    headers,
    body,
    connections: ctx.load.connections,
    duration: ctx.load.durationSec,
    ...(ctx.load.workers > 0 ? { workers: ctx.load.workers } : {}),
    title: o.name,
  });
  const statusCodes = Object.fromEntries(Object.entries(r.statusCodeStats ?? {}).map(([code, s]) => [code, s.count]));
  const result: ScenarioResult = {
    name: o.name,
    opsPerSec: r.requests.mean,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
    total: r['2xx'] + r.non2xx,
    details: { method, path: o.path, statusCodes, timeouts: r.timeouts, resets: r.resets, latencyMaxMs: r.latency.max },
  };
  const problems: string[] = [];
  if (r.non2xx !== 0) problems.push(`${r.non2xx} non-2xx responses (status codes: ${JSON.stringify(statusCodes)})`);
  if (r.errors !== 0) problems.push(`${r.errors} errors`);
  if (r.timeouts !== 0) problems.push(`${r.timeouts} timeouts`);
  if (r['2xx'] === 0) problems.push('no 2xx response at all');
  if (problems.length) throw new BenchFailure(`${o.name}: ${problems.join(', ')}`, { cause: result });
  return result;
}
