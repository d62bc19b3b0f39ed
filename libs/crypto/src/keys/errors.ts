/**
 * Failures of a KeyProvider. Both are server-side faults, not something the
 * client can act on, so they deliberately do not extend core's DomainError:
 * the problem+json filter turns them into a 500 `internal_error`, logs the
 * stack and hands them to the unhandled-error hook (audit). `code` is stable so
 * callers and jobs can branch on it without parsing messages.
 *
 * Messages never carry key material, PINs or the associated data.
 */
export type KeyErrorCode = 'key_unavailable' | 'key_integrity';

export abstract class KeyProviderError extends Error {
  abstract readonly code: KeyErrorCode;
}

/**
 * The key store cannot be used: master key file missing or unreadable, HSM
 * token absent, wrong PIN, KEK version no longer present, provider not
 * initialised or already closed. Retrying may help once an operator fixes it.
 */
export class KeyUnavailableError extends KeyProviderError {
  readonly code = 'key_unavailable' as const;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KeyUnavailableError';
  }
}

/**
 * A wrapped key did not open: wrong associated data (moved to another tenant or
 * DEK version), tampered or truncated bytes, or a different KEK (other key
 * file, other HSM token). Never retried: it signals corruption or an attack.
 */
export class KeyIntegrityError extends KeyProviderError {
  readonly code = 'key_integrity' as const;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KeyIntegrityError';
  }
}
