import type { Caller } from '@charlotte/core';

/** How a caller is named in timelines and jobs: `user:<id>` or `token:<id>`. */
export const actorOf = (c: Caller): string => (c.kind === 'token' ? `token:${c.tokenId}` : `user:${c.userId}`);
