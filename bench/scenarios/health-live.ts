import { httpLoad } from '../lib/http-load';
import type { Scenario } from '../lib/types';

/** Liveness probe: the HTTP stack alone (middleware, guards), no database. */
export const healthLive: Scenario = {
  name: 'GET /health/live',
  description: 'unauthenticated liveness probe',
  run: (ctx) =>
    httpLoad(ctx, {
      name: 'GET /health/live',
      path: '/health/live',
      check: (_s, body) => ((body as { status?: string }).status === 'ok' ? undefined : `unexpected body ${JSON.stringify(body)}`),
    }),
};
