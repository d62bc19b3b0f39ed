import { ValidationFailedError } from '../errors/domain-error';
import { decodeCursor, encodeCursor } from './cursor';

describe('cursor', () => {
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const id = '00000000-0000-4000-8000-000000000000';

  it('round-trips the sort key', () => {
    const c = encodeCursor({ c: '2026-01-01T00:00:00.123456Z', i: id });
    expect(decodeCursor(c, ['c', 'i'] as const)).toEqual({ c: '2026-01-01T00:00:00.123456Z', i: id });
    expect(decodeCursor(encodeCursor({ s: '42' }), ['s'] as const)).toEqual({ s: '42' });
  });

  it('treats no cursor as the first page', () => {
    expect(decodeCursor(undefined, ['c'] as const)).toBeUndefined();
  });

  it.each(['garbage!', Buffer.from('{"c":1}').toString('base64url'), Buffer.from('[]').toString('base64url'), b64(null)])(
    'refuses a tampered cursor %s with validation_failed',
    (bad) => {
      expect(() => decodeCursor(bad, ['c', 'i'] as const)).toThrow(ValidationFailedError);
    },
  );

  // These reached SQL casts (::timestamptz, ::uuid, bigint) and answered 500 (issue 13, finding 12).
  it.each([
    { c: '2026-02-30T00:00:00Z', i: id },
    { c: '99999-01-01T00:00:00Z', i: id },
    { c: '0000-01-01T00:00:00Z', i: id },
    { c: '2026-01-01T00:00:00Z', i: 'not-a-uuid' },
    { c: '2026-01-01T00:00:00Z\u0000', i: id },
  ])('refuses a timestamp/id cursor with a value the database would refuse: %j', (key) => {
    expect(() => decodeCursor(b64(key), ['c', 'i'] as const)).toThrow(ValidationFailedError);
  });

  it.each(['NaN', '-1', '1e400', '1.5', '9'.repeat(20), ''])('refuses a sequence cursor %j', (s) => {
    expect(() => decodeCursor(b64({ s }), ['s'] as const)).toThrow(ValidationFailedError);
  });

  it('round-trips a flag field and refuses anything but 0 or 1', () => {
    expect(decodeCursor(encodeCursor({ u: '1', c: '2026-01-01T00:00:00.123456Z', i: id }), ['u', 'c', 'i'] as const)).toEqual({
      u: '1',
      c: '2026-01-01T00:00:00.123456Z',
      i: id,
    });
    for (const u of ['2', 'true', '', '01']) {
      expect(() => decodeCursor(b64({ u, c: '2026-01-01T00:00:00Z', i: id }), ['u', 'c', 'i'] as const)).toThrow(ValidationFailedError);
    }
  });
});
