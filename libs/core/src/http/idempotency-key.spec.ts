import { ValidationFailedError } from '../errors/domain-error';
import { parseIdempotencyKey } from './idempotency-key';

describe(parseIdempotencyKey.name, () => {
  it('accepts 8-100 letters, digits and _ . : -', () => {
    expect(parseIdempotencyKey('abc_DEF.1:2-3')).toBe('abc_DEF.1:2-3');
    expect(parseIdempotencyKey('x'.repeat(100))).toBe('x'.repeat(100));
  });

  it.each([undefined, '', 'short', 'x'.repeat(101), 'has space!', 'a,b,c,d,e,f', ['abcdefgh', 'abcdefgh']])(
    'refuses %p with 400 validation_failed on the Idempotency-Key field',
    (raw) => {
      const e = (() => {
        try {
          parseIdempotencyKey(raw);
        } catch (err) {
          return err;
        }
        return undefined;
      })();
      expect(e).toBeInstanceOf(ValidationFailedError);
      expect((e as ValidationFailedError).errors).toEqual([expect.objectContaining({ field: 'Idempotency-Key' })]);
    },
  );
});
