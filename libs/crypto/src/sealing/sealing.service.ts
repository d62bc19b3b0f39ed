import type { Transform } from 'node:stream';
import { Injectable } from '@nestjs/common';
import { createOpenStream, createSealStream, openValueAsync, peekKeyVersion, sealValue, SealStreamOptions } from '../envelope';
import { TenantKeysService } from '../tenant-keys/tenant-keys.service';

/**
 * The sealing API for the rest of the code: values and streams encrypted with
 * the tenant's current data key, bound (AAD) to tenant, purpose and record id.
 * A ciphertext moved to another row, purpose or tenant, tampered with, or cut
 * short fails with a typed error (envelope/errors.ts); a tenant whose keys were
 * destroyed fails with `tenant_keys_destroyed`.
 */
@Injectable()
export class SealingService {
  constructor(private readonly keys: TenantKeysService) {}

  async seal(tenantId: string, purpose: string, recordId: string, plaintext: Buffer | string): Promise<Buffer> {
    const { version, dek } = await this.keys.current(tenantId);
    return sealValue(
      dek,
      version,
      { tenantId, purpose, recordId },
      typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext,
    );
  }

  open(tenantId: string, purpose: string, recordId: string, sealed: Buffer): Promise<Buffer> {
    return openValueAsync((v) => this.keys.get(tenantId, v), { tenantId, purpose, recordId }, sealed);
  }

  async openString(tenantId: string, purpose: string, recordId: string, sealed: Buffer): Promise<string> {
    return (await this.open(tenantId, purpose, recordId, sealed)).toString('utf8');
  }

  /** Which data-key version sealed this value (rotation re-encrypts older ones). */
  keyVersionOf(sealed: Buffer): number {
    return peekKeyVersion(sealed);
  }

  /**
   * A Transform that seals what is written to it (attachments, documents). The
   * stream derives its own per-stream key at once and keeps no DEK, so the
   * key cache may evict while a long upload is still running.
   */
  async sealStream(tenantId: string, purpose: string, recordId: string, options?: SealStreamOptions): Promise<Transform> {
    const { version, dek } = await this.keys.current(tenantId);
    return createSealStream(dek, version, { tenantId, purpose, recordId }, options);
  }

  /** A Transform that opens a sealed stream; it errors (typed) on tampering or truncation: discard what it wrote then. */
  openStream(tenantId: string, purpose: string, recordId: string): Transform {
    return createOpenStream((v) => this.keys.get(tenantId, v), { tenantId, purpose, recordId });
  }
}
