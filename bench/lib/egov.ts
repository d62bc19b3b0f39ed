import { type EgovSim, type RequestLogEntry, startEgovSim } from '../../apps/egov-sim/src/server';
import type { BenchContext } from './types';

/**
 * The e-Gov side of the benchmark: apps/egov-sim started in this process
 * (startEgovSim, the same server the e2e tests use) before the app, so that the
 * app's EGOV_API_BASE / EGOV_AUTH_BASE point at it.
 *
 * The simulator's clock is one day per step (到達 → 審査中 → 審査終了): no case
 * moves on its own during a run, so a poll pass measures what the scenario set
 * up; scenarios that want status changes move cases on purpose.
 */
export const EGOV_CLIENT_ID = 'charlotte-bench';
export const EGOV_CLIENT_SECRET = 'charlotte-bench-secret';
/** The e-Gov account (token subject) the bench tenant links; every case of the run belongs to it. */
export const EGOV_ACCOUNT = 'bench-sharoushi-001';
export const EGOV_SIM_CLOCK = { arriveToReviewMs: 86_400_000, reviewToFinishMs: 86_400_000 };

export interface BenchEgov {
  sim: EgovSim;
  accountId: string;
  /** What loadConfig needs to talk to this simulator. */
  env: Record<string, string>;
  /**
   * Receives one entry per simulator request (method, path without query, status,
   * duration) while set; `tap()` stops. Costs one callback per request.
   */
  tap(listener?: (e: RequestLogEntry) => void): void;
}

export async function startBenchEgov(): Promise<BenchEgov> {
  let listener: ((e: RequestLogEntry) => void) | undefined;
  const sim = await startEgovSim({
    clientId: EGOV_CLIENT_ID,
    clientSecret: EGOV_CLIENT_SECRET,
    clock: EGOV_SIM_CLOCK,
    log: (e) => listener?.(e),
  });
  return {
    sim,
    accountId: EGOV_ACCOUNT,
    env: {
      EGOV_API_BASE: sim.url,
      EGOV_AUTH_BASE: sim.authUrl,
      EGOV_CLIENT_ID,
      EGOV_CLIENT_SECRET,
    },
    tap: (l) => void (listener = l),
  };
}

/**
 * fetch, with what was being done and the network error's cause in the message ("fetch failed"
 * alone says nothing), retried once when a kept-alive connection turns out to be closed:
 * scenarios that block the event loop (crypto's synchronous loops) let the app's keep-alive
 * timeout close idle pooled sockets unseen. Every call made through here may be repeated
 * (reads, starting a link, and submit, which is idempotent by its Idempotency-Key).
 */
export async function request(what: string, url: string | URL, init?: RequestInit): Promise<Response> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fetch(url, init);
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      if (attempt === 1 && ['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET'].includes(cause?.code ?? '')) continue;
      const why = cause ? ` (${[cause.code, cause.message].filter(Boolean).join(' ')})` : '';
      throw new Error(`${what}: ${(e as Error).message}${why}`, { cause: e });
    }
  }
}

/**
 * Links the tenant's e-Gov account the way an administrator does (idempotent):
 * POST /api/v1/egov/link, the simulator's login page and form (as the browser),
 * then the callback on the app with the admin's session.
 */
export async function ensureEgovLinked(ctx: BenchContext): Promise<void> {
  const headers = { cookie: ctx.adminCookie, accept: 'application/json' };
  const status = await request('GET /api/v1/egov/account', `${ctx.baseUrl}/api/v1/egov/account`, { headers });
  const linked = ((await status.json()) as { linked?: boolean }).linked;
  if (status.status !== 200) throw new Error(`GET /api/v1/egov/account answered ${status.status}`);
  if (linked) return;

  const start = await request('POST /api/v1/egov/link', `${ctx.baseUrl}/api/v1/egov/link`, {
    method: 'POST',
    headers: { ...headers, 'x-csrf-token': ctx.adminCsrf },
  });
  const { authorizeUrl } = (await start.json()) as { authorizeUrl?: string };
  // The cookie that binds the link to the browser that started it (checked at the callback).
  const binding = start.headers.getSetCookie().map((c) => c.split(';')[0]);
  if (start.status !== 200 || !authorizeUrl) throw new Error(`POST /api/v1/egov/link answered ${start.status}`);
  const page = await request('e-Gov login page', authorizeUrl, { redirect: 'manual' });
  const requestId = /name="request_id" value="([^"]+)"/.exec(await page.text())?.[1];
  if (page.status !== 200 || !requestId) throw new Error(`e-Gov login page answered ${page.status} without a request_id`);
  const login = await request('e-Gov login', `${ctx.egov.sim.authUrl}/auth`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ request_id: requestId, account_id: ctx.egov.accountId, action: 'login' }),
    redirect: 'manual',
  });
  const location = login.headers.get('location');
  if (login.status !== 302 || !location) throw new Error(`e-Gov login answered ${login.status}`);
  const back = new URL(location);
  // The redirect names the app's PUBLIC_URL; the callback itself goes to the app we started.
  const cb = await request('e-Gov link callback', `${ctx.baseUrl}${back.pathname}${back.search}`, {
    headers: { cookie: [ctx.adminCookie, ...binding].join('; ') },
    redirect: 'manual',
  });
  const to = cb.headers.get('location') ?? '';
  if (cb.status !== 302 || !to.includes('linked=1')) throw new Error(`e-Gov link callback answered ${cb.status} -> ${to}`);
}
