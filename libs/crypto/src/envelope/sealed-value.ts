import { createCipheriv, createDecipheriv, randomFillSync } from 'node:crypto';
import { encodeSealContext, type SealContext } from './aad';
import { SealedArgumentError, SealedFormatError, SealedIntegrityError } from './errors';
import { assertDek, assertKeyVersion, FORMAT_VERSION, GCM_IV_BYTES, GCM_TAG_BYTES, VALUE_MAGIC } from './format';

export { peekKeyVersion } from './format';

/**
 * Sealed value, format version 1 (one buffer, for database columns):
 *
 *   offset  bytes  field
 *   0       3      magic 'CHV' (0x43 0x48 0x56)
 *   3       1      format version 0x01
 *   4       4      DEK version, uint32 big-endian
 *   8       12     IV, random per value
 *   20      n      AES-256-GCM ciphertext (n = plaintext length)
 *   20+n    16     GCM tag
 *
 * Associated data = bytes 0..20 (magic, version, DEK version, IV) followed by
 * encodeSealContext(ctx). The header is authenticated so that changing the
 * version or DEK-version bytes fails to open, and the context so that a value
 * copied to another tenant, purpose or record fails to open.
 *
 * The DEK is used directly as the AES-256-GCM key with a random 96-bit IV
 * (architecture.md). NIST SP 800-38D bounds random-IV use to 2^32 messages per
 * key; a tenant DEK version must be rotated well before that many writes.
 */
export const MAX_SEALED_VALUE_BYTES = 1024 * 1024;

const HEADER_BYTES = 8;
const PREFIX_BYTES = HEADER_BYTES + GCM_IV_BYTES;
/** Bytes a sealed value adds to its plaintext: sealed length = plaintext length + 36. */
export const SEALED_VALUE_OVERHEAD = PREFIX_BYTES + GCM_TAG_BYTES;

/** Returns the tenant's DEK of the given version; throws its own error when there is none. */
export type DekLookup = (keyVersion: number) => Buffer;
export type AsyncDekLookup = (keyVersion: number) => Buffer | Promise<Buffer>;

/** Seals `plaintext` (at most MAX_SEALED_VALUE_BYTES) under `dek`, recording `keyVersion` and binding `ctx`. */
export function sealValue(dek: Buffer, keyVersion: number, ctx: SealContext, plaintext: Buffer): Buffer {
  assertDek(dek);
  assertKeyVersion(keyVersion);
  const context = encodeSealContext(ctx);
  if (!Buffer.isBuffer(plaintext)) throw new SealedArgumentError('plaintext must be a Buffer');
  // Large values belong in a sealed stream: the whole value is held in memory here (twice).
  if (plaintext.length > MAX_SEALED_VALUE_BYTES)
    throw new SealedArgumentError(`a sealed value holds at most ${MAX_SEALED_VALUE_BYTES} bytes; use a sealed stream`);

  const out = Buffer.allocUnsafe(SEALED_VALUE_OVERHEAD + plaintext.length);
  VALUE_MAGIC.copy(out, 0);
  out[3] = FORMAT_VERSION;
  out.writeUInt32BE(keyVersion, 4);
  randomFillSync(out, HEADER_BYTES, GCM_IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', dek, out.subarray(HEADER_BYTES, PREFIX_BYTES), { authTagLength: GCM_TAG_BYTES });
  cipher.setAAD(Buffer.concat([out.subarray(0, PREFIX_BYTES), context]));
  const written = cipher.update(plaintext).copy(out, PREFIX_BYTES);
  cipher.final(); // GCM emits nothing here
  cipher.getAuthTag().copy(out, PREFIX_BYTES + written);
  return out;
}

interface ParsedValue {
  keyVersion: number;
  prefix: Buffer;
  iv: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
}

function parse(sealed: Buffer): ParsedValue {
  if (!Buffer.isBuffer(sealed)) throw new SealedArgumentError('sealed must be a Buffer');
  const m = Math.min(sealed.length, VALUE_MAGIC.length);
  if (m === 0 || !sealed.subarray(0, m).equals(VALUE_MAGIC.subarray(0, m))) throw new SealedFormatError('not a Charlotte sealed value');
  if (sealed.length > 3 && sealed[3] !== FORMAT_VERSION) throw new SealedFormatError(`unknown sealed value format version ${sealed[3]}`);
  if (sealed.length < SEALED_VALUE_OVERHEAD) throw new SealedFormatError('sealed value is too short');
  // Refuse before decrypting: nothing we wrote is larger, and a huge forged value would only cost memory and time.
  if (sealed.length > SEALED_VALUE_OVERHEAD + MAX_SEALED_VALUE_BYTES) throw new SealedFormatError('sealed value is too large');
  return {
    keyVersion: sealed.readUInt32BE(4),
    prefix: sealed.subarray(0, PREFIX_BYTES),
    iv: sealed.subarray(HEADER_BYTES, PREFIX_BYTES),
    ciphertext: sealed.subarray(PREFIX_BYTES, sealed.length - GCM_TAG_BYTES),
    tag: sealed.subarray(sealed.length - GCM_TAG_BYTES),
  };
}

function decrypt(dek: unknown, context: Buffer, p: ParsedValue): Buffer {
  assertDek(dek, 'the DEK returned by getDek');
  // authTagLength pins the tag to 16 bytes: without it Node accepts shorter tags, which are easier to forge.
  const decipher = createDecipheriv('aes-256-gcm', dek, p.iv, { authTagLength: GCM_TAG_BYTES });
  decipher.setAAD(Buffer.concat([p.prefix, context]));
  decipher.setAuthTag(p.tag);
  const plaintext = decipher.update(p.ciphertext);
  try {
    decipher.final();
  } catch {
    // OpenSSL's only failure here is a tag mismatch. Wipe the unauthenticated
    // plaintext so it cannot leak through a reused buffer, and say nothing more
    // specific than "integrity" (tamper, wrong context and wrong key look the same to GCM).
    plaintext.fill(0);
    throw new SealedIntegrityError('sealed value failed authentication (tampered, wrong context or wrong key)');
  }
  return plaintext;
}

/**
 * Opens a sealed value. `getDek` receives the DEK version written in the value
 * and returns that version of the tenant's DEK, looked up by `ctx.tenantId`
 * (never by anything read from the sealed bytes). Errors thrown by `getDek`
 * (e.g. "no such key version") propagate unchanged. For an asynchronous key
 * lookup use openValueAsync. Throws SealedFormatError, SealedIntegrityError or
 * SealedArgumentError; returns only authenticated plaintext.
 */
export function openValue(getDek: DekLookup, ctx: SealContext, sealed: Buffer): Buffer {
  const context = encodeSealContext(ctx);
  const parsed = parse(sealed);
  const dek: unknown = getDek(parsed.keyVersion);
  if (dek instanceof Promise) throw new SealedArgumentError('getDek returned a Promise: use openValueAsync');
  return decrypt(dek, context, parsed);
}

/** openValue with a key lookup that may be asynchronous (a key service, a cache in front of the KEK provider). */
export async function openValueAsync(getDek: AsyncDekLookup, ctx: SealContext, sealed: Buffer): Promise<Buffer> {
  const context = encodeSealContext(ctx);
  const parsed = parse(sealed);
  const dek = await getDek(parsed.keyVersion);
  return decrypt(dek, context, parsed);
}
