import type { IncomingMessage, ServerResponse } from 'node:http';
import * as express from 'express';
import { problem, Problem } from '../errors/problem';

/**
 * Shape limits for JSON request bodies, checked on the raw bytes before
 * JSON.parse builds anything.
 *
 * Why: a 1 MB body of `[[[[…]]]]` (depth ~500 000) parses, but everything
 * after the parser that walks it recursively (class-transformer, class-validator,
 * JSON.stringify in logs, our own form validation) either blocks the event loop
 * for seconds or overflows the stack and answered 500, before authentication and
 * on any path (issue 13, finding 6). No request of ours needs more than a few
 * levels: the deepest legitimate body is a procedure form (object → array of
 * rows → row object → value), so 32 leaves room and stops the attack.
 */
export interface JsonShapeLimits {
  /** Deepest nesting of objects/arrays accepted (the top-level value is depth 1). */
  maxDepth: number;
  /** Most values (members, array elements, containers) accepted in the whole body. */
  maxValues: number;
}

export const DEFAULT_JSON_LIMITS: JsonShapeLimits = { maxDepth: 32, maxValues: 20_000 };

export type JsonShapeViolation = 'depth' | 'values' | 'nul' | 'surrogate';

/** Raised by the pre-scan; turned into a 400 problem by {@link jsonShapeProblem}. */
export class JsonShapeError extends Error {
  readonly status = 400;
  readonly type = 'entity.shape.refused';
  constructor(readonly violation: JsonShapeViolation) {
    super(`JSON body refused: ${violation}`);
    this.name = 'JsonShapeError';
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJ = 0x7b;
const OPEN_ARR = 0x5b;
const CLOSE_OBJ = 0x7d;
const CLOSE_ARR = 0x5d;
const COMMA = 0x2c;
const U = 0x75;

/** The value of 4 hex digits at `at`, or -1 (JSON.parse reports the syntax error later). */
function hex4(buf: Uint8Array, at: number): number {
  let v = 0;
  for (let k = at; k < at + 4; k++) {
    const c = buf[k];
    const d = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x41 && c <= 0x46 ? c - 0x37 : c >= 0x61 && c <= 0x66 ? c - 0x57 : -1;
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

/**
 * One linear pass over UTF-8 JSON text (multi-byte sequences are all ≥ 0x80, so
 * they never look like structure). Throws {@link JsonShapeError} when the body
 * nests deeper than allowed, holds too many values, contains an escaped NUL
 * (`\u0000`: PostgreSQL cannot store NUL in text or jsonb and answered 500 for it)
 * or an unpaired surrogate escape.
 * Syntax errors are left to JSON.parse, which runs next.
 */
export function scanJsonShape(buf: Uint8Array, limits: JsonShapeLimits = DEFAULT_JSON_LIMITS): void {
  let depth = 0;
  let values = 0;
  let inString = false;
  for (let i = 0; i < buf.length; i++) {
    const b = buf[i];
    if (inString) {
      if (b === BACKSLASH) {
        if (buf[i + 1] === U) {
          const unit = hex4(buf, i + 2);
          // \u0000: refused, see above.
          if (unit === 0) throw new JsonShapeError('nul');
          if (unit >= 0xd800 && unit <= 0xdbff) {
            // A high surrogate must be followed by an escaped low one. A lone surrogate is not
            // text: validator's isEmail/isByteLength throw URIError on it (500), and PostgreSQL
            // stores it as U+FFFD, silently changing the value (found by the OpenAPI fuzz test).
            const next = buf[i + 6] === BACKSLASH && buf[i + 7] === U ? hex4(buf, i + 8) : -1;
            if (next < 0xdc00 || next > 0xdfff) throw new JsonShapeError('surrogate');
            i += 11;
            continue;
          }
          if (unit >= 0xdc00 && unit <= 0xdfff) throw new JsonShapeError('surrogate');
          i += 5;
          continue;
        }
        i++;
      } else if (b === QUOTE) inString = false;
      continue;
    }
    switch (b) {
      case QUOTE:
        inString = true;
        break;
      case OPEN_OBJ:
      case OPEN_ARR:
        if (++depth > limits.maxDepth) throw new JsonShapeError('depth');
        if (++values > limits.maxValues) throw new JsonShapeError('values');
        break;
      case CLOSE_OBJ:
      case CLOSE_ARR:
        depth--;
        break;
      case COMMA:
        if (++values > limits.maxValues) throw new JsonShapeError('values');
        break;
      default:
        break;
    }
  }
}

/**
 * The JSON body parser of the API: express.json (size limit, strict mode) with
 * the shape pre-scan as its `verify` step, which body-parser runs on the raw
 * bytes before JSON.parse.
 */
export function jsonBodyParser(sizeLimit: string, limits: JsonShapeLimits = DEFAULT_JSON_LIMITS): express.RequestHandler {
  return express.json({
    limit: sizeLimit,
    strict: true,
    verify: (_req: IncomingMessage, _res: ServerResponse, buf: Buffer, encoding: string) => {
      // The byte scan is only sound for UTF-8; the SPA and integrators send UTF-8
      // (RFC 8259 requires it between systems), so other charsets are refused.
      if (encoding.toLowerCase().replace('-', '') !== 'utf8') {
        throw Object.assign(new Error('unsupported charset'), { status: 415, type: 'charset.unsupported' });
      }
      scanJsonShape(buf, limits);
    },
  });
}

/** The 400 answer for a body refused by the pre-scan (undefined for any other error). */
export function jsonShapeProblem(err: unknown): Problem | undefined {
  if (!(err instanceof JsonShapeError)) return undefined;
  switch (err.violation) {
    case 'depth':
      return problem(400, 'body_too_complex', 'Body too complex', 'The JSON body is nested too deeply.');
    case 'values':
      return problem(400, 'body_too_complex', 'Body too complex', 'The JSON body has too many values.');
    case 'nul':
      return problem(400, 'malformed_body', 'Malformed body', 'The JSON body contains a NUL character.');
    case 'surrogate':
      return problem(400, 'malformed_body', 'Malformed body', 'The JSON body contains an unpaired UTF-16 surrogate.');
  }
}
