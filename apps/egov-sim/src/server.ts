import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { API_PREFIX, handleApi } from './api';
import type { SimContext } from './context';
import { parseFailurePlan } from './failures';
import { ClientGoneError, HttpError, json, problem, readBody, type Reply, type SimRequest } from './http';
import { handleAuth } from './oauth';
import { compileSpecSchemas } from './spec';
import { SimState } from './state';
import type { EgovSimOptions, FailureKind, SimClock } from './types';

export { SimState } from './state';
export type * from './types';
export { EGOV_STATUS, FAILURE_KINDS } from './types';

export interface EgovSim {
  /** API base, e.g. http://127.0.0.1:3100/shinsei/v2 */
  url: string;
  /** Account server base, e.g. http://127.0.0.1:3100/auth (GET /auth, POST /token, /token/introspect, /logout below it). */
  authUrl: string;
  /** Stops listening and drops every connection, hanging ones included. Safe to call twice. */
  close(): Promise<void>;
  /** The in-memory state, for tests: cases, tokens, failure plan (state.setFailurePlan / addFailurePlan). */
  state: SimState;
}

export const DEFAULT_CLOCK: SimClock = { arriveToReviewMs: 2000, reviewToFinishMs: 5000 };
/** Largest request body: a 20 MiB ZIP in base64 plus the JSON around it. */
const BODY_LIMIT = 28 * 1024 * 1024;

function resolveClock(clock: Partial<SimClock> = {}): SimClock {
  const out = { ...DEFAULT_CLOCK, ...clock };
  for (const [name, value] of Object.entries(out)) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new Error(`egov-sim: clock.${name} must be a number >= 0`);
  }
  return out;
}

/**
 * Starts the simulator on `options.port` (default: any free port) and resolves
 * once it listens. Throws on invalid options (empty client id or secret, bad
 * clock, bad failure plan).
 */
export async function startEgovSim(options: EgovSimOptions): Promise<EgovSim> {
  if (!options.clientId) throw new Error('egov-sim: clientId is required');
  if (!options.clientSecret) throw new Error('egov-sim: clientSecret is required');
  const plan = parseFailurePlan(options.failures ?? []);
  compileSpecSchemas();
  const state = new SimState(resolveClock(options.clock), options.now ?? Date.now);
  state.setFailurePlan(plan);
  const ctx: SimContext = {
    state,
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    redirectUris: options.redirectUris,
    accessTokenTtlSec: options.accessTokenTtlSec ?? 3600,
    refreshTokenTtlSec: options.refreshTokenTtlSec ?? 180 * 86400,
    issuer: '',
    apiBase: '',
    requireSignature: options.requireSignature === true,
  };
  const admin = options.admin === true;
  const log = options.log;

  const server = http.createServer((req, res) => {
    const started = process.hrtime.bigint();
    let injected: FailureKind | undefined;
    if (log) {
      res.on('close', () => {
        const path = (req.url ?? '').split('?')[0];
        log({
          time: new Date().toISOString(),
          method: req.method ?? '',
          path,
          status: res.headersSent ? res.statusCode : null,
          duration_ms: Math.round(Number(process.hrtime.bigint() - started) / 1e6),
          ...(injected ? { injected } : {}),
        });
      });
    }
    handle(req, res, (kind) => (injected = kind)).catch((err: unknown) => {
      if (err instanceof ClientGoneError) return res.destroy();
      // Last resort: an error while writing. Never let it take the process down.
      console.error('egov-sim: unhandled error', err);
      if (!res.headersSent) send(res, problem(500, 'internal', 'Internal Server Error', 'simulator error'));
      else res.destroy();
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse, markInjected: (k: FailureKind) => void): Promise<void> {
    const { body, tooLarge } = await readBody(req, BODY_LIMIT);
    let url: URL;
    try {
      url = new URL(`http://sim.invalid${req.url ?? '/'}`);
    } catch {
      return send(res, problem(400, 'invalid-request', 'Bad Request', 'unparsable request target'));
    }
    if (tooLarge) {
      return send(
        res,
        problem(
          413,
          'payload-too-large',
          'Request Entity Too Large',
          `リクエストが大きすぎます（上限 ${BODY_LIMIT} バイト）/ request too large`,
          { instance: url.pathname },
        ),
      );
    }
    const sreq: SimRequest = { method: (req.method ?? 'GET').toUpperCase(), url, headers: req.headers, body };
    const path = url.pathname;

    if (path === '/__sim' || path.startsWith('/__sim/')) return send(res, await run(() => handleAdmin(sreq, path)));

    const apiPath = path.startsWith(`${API_PREFIX}/`) ? path.slice(API_PREFIX.length) : undefined;
    const authPath = path.startsWith('/auth/') ? path.slice('/auth'.length) : undefined;
    const processRequest = (): Promise<Reply> =>
      run(async () => {
        if (apiPath !== undefined) return handleApi(ctx, sreq, apiPath);
        if (authPath !== undefined) return handleAuth(ctx, sreq, authPath);
        if (path === '/' && sreq.method === 'GET') {
          return json(200, { name: 'egov-sim', api: `${base}${API_PREFIX}`, auth: `${base}/auth`, admin });
        }
        return { status: 404, headers: {}, body: '' };
      });

    const failurePath = apiPath ?? (authPath !== undefined ? path : undefined);
    const kind = failurePath !== undefined ? state.failures.take(sreq.method, failurePath) : undefined;
    if (kind) markInjected(kind);
    switch (kind) {
      case undefined:
        return send(res, await processRequest());
      case '500':
        return send(
          res,
          problem(500, 'internal', 'Internal Server Error', 'サーバ内部でエラーが発生しました / injected failure (500)', {
            instance: path,
          }),
        );
      case '503':
        return send(
          res,
          problem(503, 'unavailable', 'Service Unavailable', 'サービス利用不可（メンテナンス中等）/ injected failure (503)', {
            instance: path,
          }),
        );
      case '429':
        return send(
          res,
          problem(
            429,
            'too-many-requests',
            'Too Many Requests',
            'リクエストが多すぎます / injected failure (429)',
            { instance: path },
            { 'retry-after': '1' },
          ),
        );
      case 'malformed':
        return send(res, { status: 200, headers: { 'content-type': 'application/json; charset=utf-8' }, body: '{"arrive_id": "2026' });
      case 'timeout':
        return hang(res);
      case 'timeout-after-commit':
        await processRequest();
        return hang(res);
    }
  }

  function handleAdmin(req: SimRequest, path: string): Reply {
    // Admin routes have no authentication at all: they exist only when asked for.
    if (!admin) return problem(404, 'not-found', 'Not Found', `no such endpoint: ${path}`);
    if (path === '/__sim/state' && req.method === 'GET') return json(200, state.snapshot());
    if (path === '/__sim/failures' && req.method === 'GET') {
      return json(200, { failures: state.failures.pending(), corrections: state.snapshot().corrections });
    }
    if (path === '/__sim/failures' && req.method === 'POST') {
      // Body: the plan itself (a JSON array, replaces the current plan) or {plan, mode: 'replace' | 'append'}.
      let raw: unknown;
      try {
        raw = JSON.parse(req.body.toString('utf8'));
      } catch {
        return problem(400, 'invalid-json', 'Invalid JSON', 'the body must be a JSON failure plan');
      }
      const body = (Array.isArray(raw) ? { plan: raw } : raw) as { plan?: unknown; mode?: unknown } | null;
      if (body === null || typeof body !== 'object' || (body.mode !== undefined && body.mode !== 'append' && body.mode !== 'replace')) {
        return problem(400, 'invalid-failure-plan', 'Bad Request', "send an array of rules or {plan: [...], mode: 'replace' | 'append'}");
      }
      let parsed;
      try {
        parsed = parseFailurePlan(body.plan);
      } catch (err) {
        return problem(400, 'invalid-failure-plan', 'Bad Request', (err as Error).message);
      }
      try {
        if (body.mode === 'append') state.addFailurePlan(parsed);
        else state.setFailurePlan(parsed);
      } catch (err) {
        return problem(409, 'invalid-failure-plan', 'Conflict', (err as Error).message);
      }
      return json(200, { failures: state.failures.pending(), corrections: state.snapshot().corrections });
    }
    return problem(404, 'not-found', 'Not Found', `no such endpoint: ${path}`);
  }

  const hanging = new Set<http.ServerResponse>();
  /** Never answers: the socket stays open until the client gives up or the simulator closes. */
  function hang(res: http.ServerResponse): void {
    hanging.add(res);
    res.on('close', () => hanging.delete(res));
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = ['0.0.0.0', '::'].includes(address.address) ? '127.0.0.1' : address.address;
  const base = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
  ctx.issuer = `${base}/auth`;
  ctx.apiBase = `${base}${API_PREFIX}`;

  let closing: Promise<void> | undefined;
  return {
    url: `${base}${API_PREFIX}`,
    authUrl: `${base}/auth`,
    state,
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

async function run(fn: () => Promise<Reply> | Reply): Promise<Reply> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof HttpError) return err.reply;
    // An unexpected error is a 500, never a 400: it is the simulator's bug, not the client's.
    console.error('egov-sim: handler error', err);
    return problem(500, 'internal', 'Internal Server Error', 'サーバ内部でエラーが発生しました / simulator error');
  }
}

function send(res: http.ServerResponse, reply: Reply): void {
  const body = reply.body ?? '';
  res.writeHead(reply.status, { ...reply.headers, 'content-length': String(Buffer.byteLength(body)) });
  res.end(body);
}
