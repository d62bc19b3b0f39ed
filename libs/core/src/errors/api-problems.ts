import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiProperty, ApiPropertyOptional, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import type { OpenAPIObject } from '@nestjs/swagger';

/** One entry of problem+json `errors[]` (see README, "Errors"). */
export class ProblemFieldErrorView {
  @ApiProperty({ description: 'the field, as a path in the request (`title`, `attributeMapping.email`, `form.birthDate`)' })
  field: string;
  @ApiProperty({ description: 'stable code of the rule broken (`too_short`, `https_url`…); clients translate it', example: 'too_short' })
  code: string;
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { oneOf: [{ type: 'string' }, { type: 'number' }] },
    description: 'what a translation of the code needs (`min`, `max`, `date`…); never the value sent',
    example: { min: 1 },
  })
  params?: Record<string, string | number>;
  @ApiProperty({ description: 'English text for integrators (procedure form errors: Japanese, with messageEn)' })
  message: string;
  @ApiPropertyOptional({ description: 'procedure form errors only: the English text of the rule' })
  messageEn?: string;
  @ApiPropertyOptional({
    description: 'bulk imports only (POST /clients/import): the data row, from 1 (the header excluded); 0 for the file itself',
  })
  row?: number;
}

/** application/problem+json (RFC 9457) with our stable `code`: every 4xx and 5xx of the API. */
export class ProblemView {
  @ApiProperty({ example: 'urn:charlotte:problem:validation_failed' }) type: string;
  @ApiProperty() title: string;
  @ApiProperty() status: number;
  @ApiPropertyOptional() detail?: string;
  @ApiProperty({ description: 'stable machine code (`validation_failed`, `not_found`, …); clients branch and translate on it' })
  code: string;
  @ApiPropertyOptional({ type: [ProblemFieldErrorView] })
  errors?: ProblemFieldErrorView[];
  @ApiPropertyOptional({ description: 'quote it when contacting support' }) requestId?: string;
}

export const PROBLEM_MEDIA_TYPE = 'application/problem+json';

/** The error statuses an operation can declare. */
export type ProblemStatus = 400 | 401 | 403 | 404 | 409 | 410 | 413 | 415 | 422 | 423 | 429 | 500 | 502 | 503;

/**
 * Declares the problem+json answers particular to an operation: status → the
 * codes it answers and when. What every authenticated route can answer (401,
 * 403 of the guards, 400 of the validation pipe, 429 of the rate limit) is
 * added to the document once by {@link addCommonProblems}; a status declared
 * here too gets both texts.
 */
export function ApiProblems(problems: Partial<Record<ProblemStatus, string>>): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiExtraModels(ProblemView),
    ...Object.entries(problems).map(([status, description]) =>
      ApiResponse({
        status: Number(status),
        description,
        content: { [PROBLEM_MEDIA_TYPE]: { schema: { $ref: getSchemaPath(ProblemView) } } },
      }),
    ),
  );
}

type Op = {
  parameters?: Array<{ in: string; name: string; schema?: Record<string, unknown> } | { $ref: string }>;
  requestBody?: unknown;
  security?: Array<Record<string, string[]>>;
  responses: Record<string, { description?: string; content?: Record<string, unknown> }>;
};

const METHODS = ['get', 'put', 'post', 'patch', 'delete'] as const;
const UNSAFE = new Set(['put', 'post', 'patch', 'delete']);

/** Schema keywords that mean the value is checked: a parameter declaring one can be refused with 400. */
const CONSTRAINTS = ['format', 'pattern', 'enum', 'minimum', 'maximum', 'minLength', 'maxLength'];

/** Paths the rate limit skips (the liveness probe must not depend on the database). */
const NOT_RATE_LIMITED = new Set(['/health/live']);

/**
 * Adds to every operation of the document the problems the shared machinery
 * can answer, so that each controller declares only its own:
 * - 400 `validation_failed` where the operation takes a body or a parameter
 *   whose schema constrains it (the global ValidationPipe; `malformed_body` for
 *   a body that is no JSON); the browser steps' free strings (SAML tenant,
 *   relay values) are not validated and get none;
 * - 401 and 403 where the operation has a security requirement (it is not
 *   @Public): the session guard, CSRF, the role or scope check, a closed contract;
 * - 429 `rate_limited` everywhere the per-IP limit applies.
 */
export function addCommonProblems(doc: OpenAPIObject): OpenAPIObject {
  const ref = { $ref: getSchemaPath(ProblemView) };
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of METHODS) {
      const op = (item as Record<string, Op | undefined>)[method];
      if (!op) continue;
      const add = (status: number, text: string) => {
        const mine = op.responses[status];
        op.responses[status] = {
          description: mine?.description ? `${text} ${mine.description}` : text,
          content: { [PROBLEM_MEDIA_TYPE]: { schema: ref } },
        };
      };
      const security = op.security ?? [];
      const authenticated = security.length > 0;
      const bearer = security.some((s) => 'bearer' in s);
      const cookie = security.some((s) => 'cookie' in s);
      const checked = (op.parameters ?? []).some((p) => 'in' in p && CONSTRAINTS.some((k) => p.schema && k in p.schema));
      if (checked || op.requestBody !== undefined) {
        add(400, op.requestBody !== undefined ? '`validation_failed`, `malformed_body`.' : '`validation_failed`.');
      }
      if (authenticated) {
        add(
          401,
          bearer
            ? '`unauthenticated` (no or expired session), `token_invalid` (unknown, expired or revoked token).'
            : '`unauthenticated` (no or expired session).',
        );
        const codes = [
          cookie ? '`forbidden` (the role of the user does not allow it)' : undefined,
          cookie && UNSAFE.has(method) ? '`csrf_invalid` (X-CSRF-Token missing or wrong)' : undefined,
          bearer ? '`scope_missing` (the token lacks the scope)' : '`token_not_allowed` (an API token cannot use this route)',
          '`contract_cancelled`',
        ].filter(Boolean);
        add(403, `${codes.join(', ')}.`);
      }
      if (!NOT_RATE_LIMITED.has(path)) add(429, '`rate_limited` (too many requests from this address; see Retry-After).');
    }
  }
  return doc;
}
