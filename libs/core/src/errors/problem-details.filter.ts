import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { DomainError } from './domain-error';
import { bodyParserProblem, Problem, problem, sendProblem } from './problem';
import { requestContext } from '../http/request-context';

/** Hook for later modules (audit) to record unhandled errors. */
export type UnhandledErrorHook = (err: unknown, req: Request) => void | Promise<void>;

const STATUS_CODES: Record<number, [string, string]> = {
  400: ['bad_request', 'Bad request'],
  401: ['unauthenticated', 'Unauthenticated'],
  403: ['forbidden', 'Forbidden'],
  404: ['not_found', 'Not found'],
  405: ['method_not_allowed', 'Method not allowed'],
  406: ['not_acceptable', 'Not acceptable'],
  409: ['conflict', 'Conflict'],
  413: ['payload_too_large', 'Payload too large'],
  415: ['unsupported_media_type', 'Unsupported media type'],
  422: ['unprocessable', 'Unprocessable'],
  429: ['rate_limited', 'Too many requests'],
};

/**
 * The single exception filter: every error leaves as application/problem+json
 * with a stable `code`. Unknown errors become 500 `internal_error` (never a 4xx,
 * never a stack trace in the answer) and are logged with their stack.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  constructor(private readonly onUnhandled?: UnhandledErrorHook) {}

  /**
   * Never rejects: Nest does not await an exception filter, so a rejection
   * here would be unhandled (security review, finding 1). Whatever fails
   * while answering, the client still gets a problem+json.
   */
  async catch(exception: unknown, host: ArgumentsHost): Promise<void> {
    const ctx = host.switchToHttp();
    const res = ctx.getResponse<Response>();
    try {
      const req = ctx.getRequest<Request>();
      const { p, headers, unhandled } = this.toProblem(exception, req);
      p.requestId = requestContext.get()?.requestId;
      if (unhandled) {
        // Recorded before answering, so the event exists when the client sees the 500.
        await Promise.resolve()
          .then(() => this.onUnhandled?.(exception, req))
          .catch((e: unknown) => this.logger.error({ message: 'recording an unhandled error failed', err: String(e) }));
      }
      sendProblem(res, p, headers);
    } catch (e) {
      this.logger.error({ message: 'exception filter failed', err: e instanceof Error ? e.stack : String(e) });
      try {
        sendProblem(res, {
          ...problem(
            500,
            'internal_error',
            'Internal error',
            'An unexpected error occurred. Quote the request id when contacting support.',
          ),
          requestId: requestContext.get()?.requestId,
        });
      } catch {
        // The connection is gone: nothing left to answer.
      }
    }
  }

  private toProblem(exception: unknown, req: Request): { p: Problem; headers?: Record<string, string>; unhandled?: boolean } {
    if (exception instanceof DomainError) {
      return {
        p: problem(exception.status, exception.code, exception.title, exception.detail, exception.errors),
        headers: exception.headers,
      };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      if (status === HttpStatus.TOO_MANY_REQUESTS) {
        return { p: problem(429, 'rate_limited', 'Too many requests', 'Too many requests; try again later.') };
      }
      if (status === HttpStatus.SERVICE_UNAVAILABLE) {
        // Readiness (terminus): name the dependencies that are down, nothing else of their details.
        const body = exception.getResponse() as { error?: Record<string, unknown> } | string;
        const down = typeof body === 'object' && body.error ? Object.keys(body.error) : [];
        return {
          p: problem(
            503,
            'not_ready',
            'Service unavailable',
            down.length ? `Not ready: ${down.join(', ')} down.` : 'The service is not ready.',
          ),
        };
      }
      if (status < 500) {
        const [code, title] = STATUS_CODES[status] ?? ['bad_request', 'Bad request'];
        // A fixed text for 404: the path is the caller's own input and is not echoed back.
        const detail = status === 404 ? 'No route for this method and path.' : exception.message;
        return { p: problem(status, code, title, detail) };
      }
    }
    const bodyProblem = bodyParserProblem(exception);
    if (bodyProblem) return { p: bodyProblem };

    this.logger.error({
      message: 'unhandled error',
      method: req.method,
      path: req.path,
      err: exception instanceof Error ? exception.stack : String(exception),
    });
    return {
      p: problem(500, 'internal_error', 'Internal error', 'An unexpected error occurred. Quote the request id when contacting support.'),
      unhandled: true,
    };
  }
}
