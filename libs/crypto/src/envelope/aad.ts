import { SealedArgumentError } from './errors';

/**
 * Where a sealed value belongs. Bound into the GCM associated data of every
 * sealed value and stream chunk, so a ciphertext copied to another tenant, used
 * for another purpose (e.g. an attachment name pasted into a form field) or
 * moved to another row fails to open (architecture.md, "Encryption at rest").
 */
export interface SealContext {
  /** The owning tenant's id. */
  tenantId: string;
  /** What the value is, e.g. `application.form_data`, `attachment.content`. */
  purpose: string;
  /** The row (or row + field) the value is stored in. */
  recordId: string;
}

/** Domain separation: these bytes start every encoded context, so our AAD never equals another protocol's. */
export const SEAL_AAD_DOMAIN = 'charlotte-seal-v1';

export const SEAL_PURPOSE_PATTERN = /^[a-z][a-z0-9_.-]{0,63}$/;

/** Upper bound of tenantId and recordId in UTF-8 bytes: keeps the AAD (repeated per stream chunk) small. */
export const MAX_SEAL_CONTEXT_FIELD_BYTES = 1024;

function field(name: 'tenantId' | 'recordId', value: unknown): Buffer {
  if (typeof value !== 'string' || value.length === 0) throw new SealedArgumentError(`SealContext.${name} must be a non-empty string`);
  const bytes = Buffer.from(value, 'utf8');
  // Lone UTF-16 surrogates all encode to U+FFFD, so two different strings would
  // give the same AAD bytes; refuse them instead of letting them collide.
  if (bytes.toString('utf8') !== value) throw new SealedArgumentError(`SealContext.${name} is not well-formed Unicode`);
  if (bytes.length > MAX_SEAL_CONTEXT_FIELD_BYTES)
    throw new SealedArgumentError(`SealContext.${name} is longer than ${MAX_SEAL_CONTEXT_FIELD_BYTES} bytes`);
  return bytes;
}

function lengthPrefixed(parts: Buffer[]): Buffer {
  const out: Buffer[] = [];
  for (const p of parts) {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(p.length, 0);
    out.push(len, p);
  }
  return Buffer.concat(out);
}

/** Throws SealedArgumentError unless `ctx` is a usable SealContext. */
export function assertSealContext(ctx: SealContext): void {
  encodeSealContext(ctx);
}

/**
 * Canonical bytes of a SealContext for GCM associated data:
 *
 *   for each of [SEAL_AAD_DOMAIN, tenantId, purpose, recordId]: uint32 BE byte length | UTF-8 bytes
 *
 * Every field carries its length, so the encoding is injective: ('a','bc') and
 * ('ab','c') give different bytes, and no field can borrow bytes from the next.
 * Strings are compared byte for byte (no trimming, no Unicode normalisation): a
 * caller that writes 'é' precomposed and reads it decomposed fails closed.
 */
export function encodeSealContext(ctx: SealContext): Buffer {
  if (typeof ctx !== 'object' || ctx === null) throw new SealedArgumentError('SealContext is required');
  const tenant = field('tenantId', ctx.tenantId);
  if (typeof ctx.purpose !== 'string' || !SEAL_PURPOSE_PATTERN.test(ctx.purpose))
    throw new SealedArgumentError(`SealContext.purpose must match ${SEAL_PURPOSE_PATTERN}`);
  const record = field('recordId', ctx.recordId);
  return lengthPrefixed([Buffer.from(SEAL_AAD_DOMAIN, 'ascii'), tenant, Buffer.from(ctx.purpose, 'ascii'), record]);
}
