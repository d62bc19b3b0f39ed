import { SealedArgumentError, SealedFormatError } from './errors';

/** Both sealed formats start with 3 magic bytes and a format version byte, then the DEK version (uint32 BE). */
export const VALUE_MAGIC = Buffer.from('CHV', 'ascii');
export const STREAM_MAGIC = Buffer.from('CHS', 'ascii');
export const FORMAT_VERSION = 1;
const KEY_VERSION_OFFSET = 4;

export const DEK_BYTES = 32;
export const GCM_IV_BYTES = 12;
export const GCM_TAG_BYTES = 16;
export const MAX_KEY_VERSION = 0xffffffff;

/** A key of any other length would silently select AES-128/192 or fail deep inside OpenSSL; refuse it up front. */
export function assertDek(dek: unknown, what = 'DEK'): asserts dek is Buffer {
  if (!Buffer.isBuffer(dek) || dek.length !== DEK_BYTES) throw new SealedArgumentError(`${what} must be a ${DEK_BYTES}-byte Buffer`);
}

export function assertKeyVersion(keyVersion: number): void {
  if (!Number.isInteger(keyVersion) || keyVersion < 0 || keyVersion > MAX_KEY_VERSION)
    throw new SealedArgumentError('keyVersion must be an integer in 0..2^32-1');
}

/**
 * The DEK version a sealed value or sealed stream was written with, read from
 * its header without decrypting: callers fetch that DEK version, and the
 * rotation job finds rows whose version is old. Accepts a whole sealed value or
 * at least the first 8 bytes of a sealed stream.
 *
 * The header is not authenticated yet at this point: a forged version only makes
 * the caller fetch another of the same tenant's DEKs, and opening then fails
 * (the version is part of the associated data).
 */
export function peekKeyVersion(sealed: Buffer): number {
  if (!Buffer.isBuffer(sealed) || sealed.length < KEY_VERSION_OFFSET + 4) throw new SealedFormatError('sealed data is too short');
  const magic = sealed.subarray(0, 3);
  if (!magic.equals(VALUE_MAGIC) && !magic.equals(STREAM_MAGIC)) throw new SealedFormatError('not a Charlotte sealed value or stream');
  if (sealed[3] !== FORMAT_VERSION) throw new SealedFormatError(`unknown sealed format version ${sealed[3]}`);
  return sealed.readUInt32BE(KEY_VERSION_OFFSET);
}
