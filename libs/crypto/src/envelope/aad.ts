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
  const head = headOf(ctx.tenantId, ctx.purpose);
  const record = lengthPrefixed([field('recordId', ctx.recordId)]);
  return Buffer.concat([head, record]);
}

/**
 * The encoded (domain, tenantId, purpose) part, which a page of 50 values shares: validated and
 * encoded once per pair (issue 20; the list opened 50 titles with 50 identical encodings). Only
 * pairs that passed the checks are kept, keyed by the exact strings, so a hit gives the bytes
 * the checks would have produced. Bounded: emptied when full.
 */
const HEADS = new Map<string, Buffer>();
const MAX_HEADS = 1000;

function headOf(tenantId: unknown, purpose: unknown): Buffer {
  // Length-prefixed: no (tenant, purpose) pair, valid or not, shares its key with another.
  const k = typeof tenantId === 'string' && typeof purpose === 'string' ? `${purpose.length}:${purpose}${tenantId}` : undefined;
  const hit = k === undefined ? undefined : HEADS.get(k);
  if (hit) return hit;
  const tenant = field('tenantId', tenantId);
  if (typeof purpose !== 'string' || !SEAL_PURPOSE_PATTERN.test(purpose))
    throw new SealedArgumentError(`SealContext.purpose must match ${SEAL_PURPOSE_PATTERN}`);
  const head = lengthPrefixed([Buffer.from(SEAL_AAD_DOMAIN, 'ascii'), tenant, Buffer.from(purpose, 'ascii')]);
  if (HEADS.size >= MAX_HEADS) HEADS.clear();
  HEADS.set(k as string, head);
  return head;
}
