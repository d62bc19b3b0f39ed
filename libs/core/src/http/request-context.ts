import { AsyncLocalStorage } from 'node:async_hooks';
import type { ServerResponse } from 'node:http';

/**
 * Per-request context carried through async calls: the request id for log
 * lines, and the authenticated principal once a guard has resolved it.
 */
export interface RequestContext {
  requestId: string;
  ip?: string;
  userAgent?: string;
  tenantId?: string | null;
  userId?: string;
  tokenId?: string;
  principal?: string; // e.g. "user:<uuid>"; never an e-mail or a name
  /**
   * The request's response, so that the process-level safety net can still
   * answer (500 problem+json) when an error escaped every handler. Never logged.
   */
  response?: ServerResponse;
}

const storage = new AsyncLocalStorage<RequestContext>();

export const requestContext = {
  run<T>(ctx: RequestContext, fn: () => T): T {
    return storage.run(ctx, fn);
  },
  get(): RequestContext | undefined {
    return storage.getStore();
  },
  /** Adds fields to the current context (no-op outside a request). */
  assign(fields: Partial<RequestContext>): void {
    const ctx = storage.getStore();
    if (ctx) Object.assign(ctx, fields);
  },
};
