/**
 * Typed failures of the sealed formats (sealed-value.ts, sealed-stream.ts).
 *
 * Opening either returns authenticated plaintext or throws one of these; it
 * never returns unauthenticated bytes. They extend Error, not DomainError, on
 * purpose: a value that fails to open is a server-side fault (tampered storage,
 * wrong key, a bug), not something the client can fix, so the problem filter
 * answers 500 `internal_error` and logs it. Messages never contain key bytes or
 * plaintext.
 */
export type CryptoErrorCode = 'sealed_format' | 'sealed_integrity' | 'sealed_truncated' | 'sealed_argument';

export abstract class CryptoError extends Error {
  abstract readonly code: CryptoErrorCode;

  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Not our format: wrong magic, unknown format version, too short, impossible header fields or framing. */
export class SealedFormatError extends CryptoError {
  readonly code = 'sealed_format' as const;
}

/**
 * Authentication failed: a changed byte, a ciphertext moved to another
 * tenant/purpose/record, reordered or missing chunks, the wrong key or key version.
 * Deliberately one error for all of these: GCM cannot tell them apart, and
 * telling an attacker which guess was "closer" would only help them.
 */
export class SealedIntegrityError extends CryptoError {
  readonly code = 'sealed_integrity' as const;
}

/** A sealed stream ended before its final chunk, or carried data after it. */
export class SealedTruncatedError extends CryptoError {
  readonly code = 'sealed_truncated' as const;
}

/**
 * The caller passed something unusable: a DEK that is not 32 bytes, a key
 * version outside uint32, an invalid SealContext, a value over the size limit,
 * a chunk size out of range. A programming error, never caused by stored data.
 */
export class SealedArgumentError extends CryptoError {
  readonly code = 'sealed_argument' as const;
}

export function isCryptoError(e: unknown): e is CryptoError {
  return e instanceof CryptoError;
}
