import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { requestContext } from './request-context';

// Accept a caller's id only when it is short and harmless, so that it cannot
// inject content into log lines or headers.
const SAFE_ID = /^[A-Za-z0-9._-]{8,64}$/;

/** Gives every request an id (X-Request-Id), echoed in the answer and on every log line. */
export function requestIdMiddleware(req: Request, res: Response, next: NextFunction): void {
  const incoming = req.header('x-request-id');
  const requestId = incoming && SAFE_ID.test(incoming) ? incoming : randomUUID();
  res.setHeader('X-Request-Id', requestId);
  (req as Request & { id: string }).id = requestId;
  requestContext.run({ requestId, ip: req.ip, userAgent: req.header('user-agent')?.slice(0, 256), response: res }, () => next());
}
