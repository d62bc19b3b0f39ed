import { ValidationFailedError } from '../errors/domain-error';
import { decodeCursor, encodeCursor } from './cursor';

describe('cursor', () => {
  it('round-trips the sort key', () => {
    const c = encodeCursor({ c: '2026-01-01T00:00:00.123456Z', i: 'abc' });
    expect(decodeCursor(c, ['c', 'i'] as const)).toEqual({ c: '2026-01-01T00:00:00.123456Z', i: 'abc' });
  });

  it('treats no cursor as the first page', () => {
    expect(decodeCursor(undefined, ['c'] as const)).toBeUndefined();
  });

  it.each(['garbage', Buffer.from('{"c":1}').toString('base64url'), Buffer.from('[]').toString('base64url')])(
    'refuses a tampered cursor %s with validation_failed',
    (bad) => {
      expect(() => decodeCursor(bad, ['c', 'i'] as const)).toThrow(ValidationFailedError);
    },
  );
});
