import { httpLoad } from '../lib/http-load';
import type { Scenario } from '../lib/types';

/** Session lookup on every request (cookie -> sessions + users) plus the session view. */
export const authSession: Scenario = {
  name: 'GET /api/v1/auth/session',
  description: 'authenticated session view (tenant admin)',
  run: (ctx) =>
    httpLoad(ctx, {
      name: 'GET /api/v1/auth/session',
      path: '/api/v1/auth/session',
      headers: { cookie: ctx.adminCookie },
      check: (_s, body) =>
        JSON.stringify(body).includes(ctx.tenantCode) ? undefined : `session view does not name tenant ${ctx.tenantCode}`,
    }),
};
