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

export type JsonShapeViolation = 'depth' | 'values' | 'nul';

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
const ZERO = 0x30;

/**
 * One linear pass over UTF-8 JSON text (multi-byte sequences are all ≥ 0x80, so
 * they never look like structure). Throws {@link JsonShapeError} when the body
 * nests deeper than allowed, holds too many values, or contains an escaped NUL
 * (`\u0000`): PostgreSQL cannot store NUL in text or jsonb and answered 500 for it.
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
        // \u0000 (any hex case is the same digits): refused, see above. Other escapes are skipped whole.
        if (buf[i + 1] === U && buf[i + 2] === ZERO && buf[i + 3] === ZERO && buf[i + 4] === ZERO && buf[i + 5] === ZERO) {
          throw new JsonShapeError('nul');
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
  }
}
