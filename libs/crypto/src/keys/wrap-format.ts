import { KeyIntegrityError } from './errors';
import { DEK_BYTES } from './key-provider';

/**
 * The wrapped-DEK format shared by both providers (AES-256-GCM, SP 800-38D):
 *
 *   byte 0       format: 0x01 = local AES-256-GCM, 0x02 = PKCS#11 AES-256-GCM
 *   bytes 1..12  96-bit random IV
 *   then         ciphertext (DEK_BYTES) followed by the 16-byte GCM tag
 *
 * The GCM associated data is not the caller's aad alone but
 *   "charlotte-kek-wrap/1\0" | format byte | KEK version (uint32 BE) | caller aad
 * so the header that is stored outside the blob (kekVersion) and the format
 * byte are authenticated too, and a KEK could never be tricked into opening a
 * GCM blob made for another purpose (domain separation). The prefix and the
 * fixed-width fields come first, so the concatenation is unambiguous.
 *
 * Random IVs are safe here: a KEK wraps a few DEKs per tenant, far below the
 * 2^32 messages per key that random 96-bit IVs allow.
 */
export const FORMAT_LOCAL_GCM = 0x01;
export const FORMAT_PKCS11_GCM = 0x02;
export const IV_BYTES = 12;
export const TAG_BYTES = 16;

const AAD_PREFIX = Buffer.from('charlotte-kek-wrap/1\0', 'latin1');

export function kekAad(format: number, kekVersion: number, aad: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.writeUInt8(format, 0);
  header.writeUInt32BE(kekVersion, 1);
  return Buffer.concat([AAD_PREFIX, header, aad]);
}

/** Programmer errors (not key-store failures): wrong DEK size, missing binding. */
export function checkWrapArgs(dek: Buffer, aad: Buffer): void {
  if (!Buffer.isBuffer(dek) || dek.length !== DEK_BYTES) throw new TypeError(`a DEK must be ${DEK_BYTES} bytes`);
  // An empty aad would wrap the DEK without binding it to its tenant.
  if (!Buffer.isBuffer(aad) || aad.length === 0) throw new TypeError('aad must bind the DEK to its tenant and version');
}

export function isKekVersion(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 1 && v <= 0xffffffff;
}

export function encodeWrapped(format: number, iv: Buffer, ciphertextAndTag: Buffer): Buffer {
  return Buffer.concat([Buffer.from([format]), iv, ciphertextAndTag]);
}

/** Splits a wrapped blob; anything malformed is an integrity failure, never a partial parse. */
export function decodeWrapped(format: number, wrapped: Buffer): { iv: Buffer; ciphertext: Buffer; tag: Buffer } {
  if (!Buffer.isBuffer(wrapped) || wrapped.length !== 1 + IV_BYTES + DEK_BYTES + TAG_BYTES) {
    throw new KeyIntegrityError('wrapped key has the wrong length');
  }
  if (wrapped[0] !== format) {
    throw new KeyIntegrityError(`wrapped key format 0x${wrapped[0].toString(16)} was not made by this key provider`);
  }
  const iv = wrapped.subarray(1, 1 + IV_BYTES);
  const ciphertext = wrapped.subarray(1 + IV_BYTES, wrapped.length - TAG_BYTES);
  const tag = wrapped.subarray(wrapped.length - TAG_BYTES);
  return { iv, ciphertext, tag };
}

/**
 * Runs tasks one after another. PKCS#11 sessions must not be used by two
 * operations at once (an EncryptInit of one call would meet the Decrypt of
 * another), and the master key file must not be rewritten by two rotations at
 * once; a failed task does not block the ones queued after it.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T> | T): Promise<T> {
    const next = this.tail.then(task);
    // The caller gets the rejection through `next`; the queue itself only needs to know the task ended.
    this.tail = next.then(
      () => undefined,
      () => undefined,
    );
    return next;
  }
}
