import type { Response } from 'express';
import type { FieldError } from './domain-error';

/** RFC 9457 problem details, with our stable `code`. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  code: string;
  errors?: FieldError[];
  requestId?: string;
}

export function problem(status: number, code: string, title: string, detail?: string, errors?: FieldError[]): Problem {
  return { type: `urn:charlotte:problem:${code}`, title, status, detail, code, ...(errors ? { errors } : {}) };
}

export function sendProblem(res: Response, p: Problem, headers?: Record<string, string>): void {
  if (res.headersSent) return;
  for (const [k, v] of Object.entries(headers ?? {})) res.setHeader(k, v);
  res.status(p.status).type('application/problem+json').send(JSON.stringify(p));
}

/** Maps errors raised by body parsers (size, JSON syntax, charset) to problems. */
export function bodyParserProblem(err: unknown): Problem | undefined {
  const e = err as { type?: string; status?: number };
  switch (e?.type) {
    case 'entity.too.large':
      return problem(413, 'payload_too_large', 'Payload too large', 'The request body exceeds the size limit.');
    case 'entity.parse.failed':
      return problem(400, 'malformed_body', 'Malformed body', 'The request body is not valid JSON.');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return problem(415, 'unsupported_encoding', 'Unsupported encoding', 'Only UTF-8 bodies are accepted.');
    case 'request.aborted':
      return problem(400, 'request_aborted', 'Request aborted');
    default:
      if (e?.status && e.status >= 400 && e.status < 500) {
        return problem(e.status, 'bad_request', 'Bad request');
      }
      return undefined;
  }
}
