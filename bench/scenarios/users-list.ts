import { httpLoad } from '../lib/http-load';
import type { Scenario } from '../lib/types';

const LIMIT = 50;

/** First page of the users list of a tenant with 10,000 users (keyset pagination). */
export const usersList: Scenario = {
  name: `GET /api/v1/users?limit=${LIMIT}`,
  description: 'authenticated users list, first page, tenant with 10,000 users',
  run: (ctx) =>
    httpLoad(ctx, {
      name: `GET /api/v1/users?limit=${LIMIT}`,
      path: `/api/v1/users?limit=${LIMIT}`,
      headers: { cookie: ctx.adminCookie },
      check: (_s, body) => {
        const page = body as { items?: unknown[]; nextCursor?: string | null };
        if (!Array.isArray(page.items) || page.items.length !== LIMIT)
          return `expected ${LIMIT} items, got ${JSON.stringify(body).slice(0, 200)}`;
        if (!page.nextCursor) return 'expected a nextCursor (the tenant has more users than one page)';
        return undefined;
      },
    }),
};
