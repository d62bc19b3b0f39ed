/** Size of a tenant data-encryption key: AES-256. */
export const DEK_BYTES = 32;

/**
 * A DEK as stored in PostgreSQL: opaque bytes plus the KEK version that wrapped
 * them. `wrapped` is self-describing (format byte | IV | ciphertext | tag), see
 * wrap-format.ts.
 */
export interface WrappedKey {
  kekVersion: number;
  wrapped: Buffer;
}

/**
 * Port to the key-encryption keys (KEKs) that wrap tenant DEKs. The KEK never
 * leaves the provider: `local` keeps it in a master key file outside the
 * database, `pkcs11` inside an HSM token where it cannot be extracted.
 *
 * `aad` binds a wrapped DEK to where it belongs (the caller passes e.g.
 * `${tenantId}|${dekVersion}`): a wrapped DEK copied to another tenant or
 * version fails to unwrap with KeyIntegrityError instead of silently giving
 * that tenant someone else's key. It must not be empty.
 *
 * Failures throw KeyUnavailableError (store unusable) or KeyIntegrityError
 * (wrapped key does not open), see errors.ts.
 */
export interface KeyProvider {
  readonly kind: 'local' | 'pkcs11';
  /** Opens the store and creates KEK version 1 on first start if none exists. */
  init(): Promise<void>;
  /** The KEK version `wrap` uses now (the highest present). */
  currentKekVersion(): number;
  /** Wraps a DEK_BYTES-long DEK with the current KEK. */
  wrap(dek: Buffer, aad: Buffer): Promise<WrappedKey>;
  /** Unwraps with the KEK version named in `w`; any version still present works. */
  unwrap(w: WrappedKey, aad: Buffer): Promise<Buffer>;
  /**
   * Creates a new KEK version and makes it current. Older versions are kept so
   * existing wrapped DEKs still open; the caller re-wraps them and may retire
   * old versions later (out of scope here). Returns the new version.
   */
  rotateKek(): Promise<number>;
  /** Ed25519 signature by a key held in the provider (pkcs11 with `signingKey` only). */
  signEd25519?(message: Buffer): Promise<Buffer>;
  /** The raw 32-byte Ed25519 public key matching signEd25519. */
  ed25519PublicKeyRaw?(): Buffer;
  /** Releases the store (wipes in-memory KEKs, closes the HSM session). */
  close(): Promise<void>;
}
