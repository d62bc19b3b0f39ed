import type { AuditService } from '@charlotte/audit';
import { problem, requestContext } from '@charlotte/core';

/** What the safety net writes to: the process's winston logger (or anything with `error`). */
export interface CrashPolicyLogger {
  error(entry: Record<string, unknown>): unknown;
}

export interface CrashPolicyOptions {
  logger: CrashPolicyLogger;
  /** The audit trail, once the app is built (before that, errors are only logged). */
  audit?: () => AuditService | undefined;
  /** The emitter to listen on (tests pass their own; the server passes `process`). */
  target?: NodeJS.EventEmitter;
}

/**
 * What the process does with an error that escaped every handler (security
 * review, finding 1: one anonymous SAML request made an exception filter's
 * promise reject, and Node's default for an unhandled rejection is to exit,
 * so the request could stop the service at will).
 *
 * Policy, the same for `unhandledRejection` and `uncaughtException`:
 * 1. log it as an error with the request id of the request it belongs to
 *    (Node runs the handler in the async context of the failed promise);
 * 2. record a `system` audit event `system.unhandled_error` (the error's
 *    class only: its message may hold input);
 * 3. if a request is still open, answer it 500 problem+json `internal_error`
 *    with its request id, so the client is never left hanging;
 * 4. keep serving.
 * Why keep serving even after an uncaught exception, against Node's advice to
 * restart: every acknowledged write of this service is in PostgreSQL (a
 * transaction cut short rolls back) or in the blob store, and no in-memory
 * state outlives a request except caches that are rebuilt on demand; exiting
 * would hand every attacker who finds one such bug a denial of service.
 * Readiness (/health/ready) and the supervisor still catch a process that is
 * really broken. Errors raised while handling an error are logged only.
 */
export function installCrashPolicy(opts: CrashPolicyOptions): () => void {
  const target = opts.target ?? process;
  let handling = false;
  const handle = (kind: 'unhandledRejection' | 'uncaughtException') => (err: unknown) => {
    const ctx = requestContext.get();
    const errorClass = err instanceof Error ? err.name : typeof err;
    try {
      opts.logger.error({
        message: `${kind}: kept serving`,
        kind,
        requestId: ctx?.requestId,
        errorClass,
        err: err instanceof Error ? (err.stack ?? err.message) : String(err),
      });
    } catch {
      // The logger itself failed: nothing else can be told; keep serving.
    }
    const res = ctx?.response;
    if (res && !res.headersSent && !res.writableEnded && !res.destroyed) {
      try {
        const p = {
          ...problem(
            500,
            'internal_error',
            'Internal error',
            'An unexpected error occurred. Quote the request id when contacting support.',
          ),
          requestId: ctx?.requestId,
        };
        res.statusCode = 500;
        res.setHeader('Content-Type', 'application/problem+json; charset=utf-8');
        res.setHeader('Cache-Control', 'no-store');
        res.end(JSON.stringify(p));
      } catch (e) {
        opts.logger.error({ message: 'could not answer after an unhandled error', err: e instanceof Error ? e.message : String(e) });
      }
    }
    // No audit event for a failure of the audit trail itself, or we would loop.
    if (handling) return;
    const audit = opts.audit?.();
    if (!audit) return;
    handling = true;
    audit
      .recordQuietly({
        category: 'system',
        action: 'system.unhandled_error',
        outcome: 'failure',
        actor: { type: 'system' },
        details: { kind, errorClass: errorClass.slice(0, 64) },
      })
      .catch(() => undefined)
      .finally(() => {
        handling = false;
      });
  };
  const onRejection = handle('unhandledRejection');
  const onException = handle('uncaughtException');
  target.on('unhandledRejection', onRejection);
  target.on('uncaughtException', onException);
  return () => {
    target.off('unhandledRejection', onRejection);
    target.off('uncaughtException', onException);
  };
}
