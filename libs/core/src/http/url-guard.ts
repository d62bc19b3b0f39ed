import type { NextFunction, Request, Response } from 'express';
import { problem, sendProblem } from '../errors/problem';

/**
 * Refuses a request whose path or query string holds an encoded NUL (`%00`),
 * before any route sees it.
 *
 * Why: PostgreSQL cannot store or compare NUL in text; a `?q=%00` on the users
 * list or `?actor=%00` on the audit list reached the query and answered 500
 * (found by the OpenAPI fuzz test). No identifier, code or search term of ours
 * contains NUL, so one check at the edge covers every route, present and future,
 * like the JSON parser's check for `\u0000` does for bodies.
 */
export function refuseNulInUrl(req: Request, res: Response, next: NextFunction): void {
  const url = req.originalUrl ?? req.url;
  if (!url.includes('%00')) return next();
  const q = url.indexOf('?');
  const pathPart = q < 0 ? url : url.slice(0, q);
  let field = 'path';
  if (!pathPart.includes('%00')) {
    // Name the query parameter (as validation_failed does), never echoing its value.
    const pair = url
      .slice(q + 1)
      .split('&')
      .find((p) => p.includes('%00'));
    const rawName = (pair ?? '').split('=')[0].replace(/%00/g, '');
    field = /^[A-Za-z0-9_.[\]-]{1,64}$/.test(rawName) ? rawName.replace(/\[.*$/, '') : 'query';
  }
  sendProblem(
    res,
    problem(400, 'validation_failed', 'Validation failed', 'The request has invalid fields.', [
      { field, code: 'nul_character', message: `${field} must not contain NUL characters` },
    ]),
  );
}
