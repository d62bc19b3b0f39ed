import { createParamDecorator, ExecutionContext, Headers } from '@nestjs/common';
import { ValidationFailedError } from '../errors/domain-error';

/** Letters, digits and `_ . : -`, 8 to 100 characters: long enough to be unique per client, short enough to index. */
export const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9_.:-]{8,100}$/;

/** The Idempotency-Key header, checked; 400 validation_failed when missing or malformed. */
export function parseIdempotencyKey(raw: unknown): string {
  if (typeof raw !== 'string' || !IDEMPOTENCY_KEY_PATTERN.test(raw))
    throw new ValidationFailedError([
      {
        field: 'Idempotency-Key',
        code: 'invalid_idempotency_key',
        message: 'send an Idempotency-Key header (8-100 characters: letters, digits, _ . : -)',
      },
    ]);
  return raw;
}

const CheckedIdempotencyKey = createParamDecorator((_data: unknown, ctx: ExecutionContext): string =>
  parseIdempotencyKey(ctx.switchToHttp().getRequest<{ headers: Record<string, unknown> }>().headers['idempotency-key']),
);

/**
 * `@IdempotencyKey() key: string`: the request's Idempotency-Key header, checked before the
 * handler runs (one rule for every route that records a durable intent: submit, 補正, 取下げ).
 * Nest runs no pipes on `@Headers`, so the check is a custom parameter decorator; `@Headers` is
 * applied to the same parameter as well, only so that the OpenAPI document declares the header
 * under its canonical name, once with the routes' @ApiHeader (both yield the same string; an invalid key rejects the request first).
 */
export const IdempotencyKey =
  (): ParameterDecorator =>
  (target, key, index): void => {
    Headers('Idempotency-Key')(target, key, index);
    CheckedIdempotencyKey()(target, key, index);
  };
