import { CryptoError, isCryptoError, SealedArgumentError, SealedFormatError, SealedIntegrityError, SealedTruncatedError } from './errors';

describe('CryptoError', () => {
  it.each([
    [SealedFormatError, 'sealed_format'],
    [SealedIntegrityError, 'sealed_integrity'],
    [SealedTruncatedError, 'sealed_truncated'],
    [SealedArgumentError, 'sealed_argument'],
  ] as const)('%p carries a stable code and is recognised by the guard', (Ctor, code) => {
    const sut = new Ctor('boom');
    expect(sut).toBeInstanceOf(CryptoError);
    expect(sut).toBeInstanceOf(Error);
    expect(sut.code).toBe(code);
    expect(sut.name).toBe(Ctor.name);
    expect(sut.message).toBe('boom');
    expect(isCryptoError(sut)).toBe(true);
  });

  it('refuses plain errors and non-errors in the guard', () => {
    expect(isCryptoError(new Error('x'))).toBe(false);
    expect(isCryptoError({ code: 'sealed_integrity' })).toBe(false);
    expect(isCryptoError(undefined)).toBe(false);
  });
});
