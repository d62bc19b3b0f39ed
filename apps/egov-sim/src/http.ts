import type { IncomingMessage } from 'node:http';

/**
 * Small HTTP helpers. Handlers do not write to the response themselves: they
 * return a Reply (or throw an HttpError carrying one), so that the server can
 * decide to drop the answer (failure kind 'timeout-after-commit') and log the
 * status in one place.
 */
export interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export class HttpError extends Error {
  constructor(readonly reply: Reply) {
    super(`HTTP ${reply.status}`);
  }
}

/** The parsed request handed to handlers. */
export interface SimRequest {
  method: string;
  url: URL;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

/** `type` of the simulator's errors: the spec calls it 「APIドキュメントURI」. */
export const PROBLEM_BASE = 'urn:egov-sim:problem:';

export function json(status: number, value: unknown, headers: Record<string, string> = {}): Reply {
  return { status, headers: { 'content-type': 'application/json; charset=utf-8', ...headers }, body: JSON.stringify(value) };
}

/** The spec caps title/detail/type/instance at 256 characters. */
function cap(value: string): string {
  return value.length <= 256 ? value : `${value.slice(0, 255)}…`;
}

/**
 * An error in the spec's shape (components/responses/BadRequest etc.):
 * `{title, detail, type, instance}`, plus `extra` members (report_list).
 * `instance` is the endpoint URI (the request path); pass it in `extra.instance`.
 */
export function problem(
  status: number,
  slug: string,
  title: string,
  detail: string,
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Reply {
  const { instance, ...rest } = extra;
  return {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
    body: JSON.stringify({
      title: cap(title),
      detail: cap(detail),
      type: PROBLEM_BASE + slug,
      instance: cap(typeof instance === 'string' && instance ? instance : '/'),
      ...rest,
    }),
  };
}

export function problemError(status: number, slug: string, title: string, detail: string, extra?: Record<string, unknown>): HttpError {
  return new HttpError(problem(status, slug, title, detail, extra));
}

/** 404 as the spec defines it: the status only, no body. */
export function notFound(): HttpError {
  return new HttpError({ status: 404, headers: {}, body: '' });
}

/** OAuth 2.0 error response (RFC 6749 §5.2). Token responses are never cached. */
export function oauthError(status: 400 | 401, error: string, description: string, headers: Record<string, string> = {}): HttpError {
  return new HttpError(
    json(status, { error, error_description: description }, { 'cache-control': 'no-store', pragma: 'no-cache', ...headers }),
  );
}

export function html(status: number, body: string): Reply {
  return {
    status,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      // The login page must not be framed (clickjacking) and runs no script.
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
      'x-frame-options': 'DENY',
    },
    body,
  };
}

export function redirect(location: string): Reply {
  return { status: 302, headers: { location, 'cache-control': 'no-store' }, body: '' };
}

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

export function escapeXml(value: string): string {
  return escapeHtml(value);
}

export function mediaType(req: SimRequest): string {
  return (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
}

/** Parses a JSON object body; anything else is a 400/415 problem. */
export function jsonBody(req: SimRequest): Record<string, unknown> {
  if (mediaType(req) !== 'application/json') {
    throw problemError(415, 'unsupported-media-type', 'Unsupported Media Type', 'Content-Type は application/json にしてください。');
  }
  let value: unknown;
  try {
    value = JSON.parse(req.body.toString('utf8'));
  } catch {
    throw problemError(400, 'invalid-json', 'Invalid JSON', 'リクエスト本文が JSON として解析できません。');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw problemError(400, 'invalid-json', 'Invalid JSON', 'リクエスト本文は JSON オブジェクトにしてください。');
  }
  return value as Record<string, unknown>;
}

/**
 * Parses an application/x-www-form-urlencoded body. A parameter given twice is
 * refused (RFC 6749 §3.1: "MUST NOT be included more than once"), so that two
 * components never read different values of the same field.
 */
export function formBody(req: SimRequest): Map<string, string> | { duplicate: string } {
  const params = new URLSearchParams(req.body.toString('utf8'));
  const out = new Map<string, string>();
  for (const [key, value] of params) {
    if (out.has(key)) return { duplicate: key };
    out.set(key, value);
  }
  return out;
}

/** The client closed the connection before its request was complete: nobody to answer. */
export class ClientGoneError extends Error {
  constructor() {
    super('client closed the connection');
  }
}

/**
 * Reads the whole body, up to `limit` bytes. Beyond the limit the rest is
 * drained and discarded (so that the 413 can still be answered on the same
 * connection) and `tooLarge` is set.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<{ body: Buffer; tooLarge: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        tooLarge = true;
        chunks.length = 0;
      } else if (!tooLarge) {
        chunks.push(chunk);
      }
    });
    req.on('end', () => resolve({ body: Buffer.concat(chunks), tooLarge }));
    req.on('error', () => reject(new ClientGoneError()));
    // A client that goes away mid-body may emit neither 'end' nor 'error'.
    req.on('close', () => {
      if (!req.complete) reject(new ClientGoneError());
    });
  });
}
