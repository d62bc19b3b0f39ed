import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { AuditService } from '@charlotte/audit';
import { NotFoundError } from '@charlotte/core';
import { KeyRotationService, SealingService } from '@charlotte/crypto';
import { PURPOSE } from '../sealing-purposes';
import { SigningCertificatesView, SigningCertificateView } from './dto/signing.dto';
import { readSmallUpload } from './multipart';
import { openPkcs12 } from './pkcs12';
import { SigningCertificateRow, SigningCertificatesRepository } from './signing-certificates.repository';
import { SigningErrors } from './signing-errors';

/** A .p12 holds a key and a few certificates: a few KiB. 64 KiB leaves room for long chains and stops abuse. */
export const MAX_PKCS12_BYTES = 64 * 1024;
/** The SPA warns this many days before expiry (the issue: "expiry shown and warned 30 days ahead"). */
export const EXPIRY_WARNING_DAYS = 30;
const DAY_MS = 24 * 3600 * 1000;

export function certificateView(r: SigningCertificateRow, now: Date = new Date()): SigningCertificateView {
  const notAfter = new Date(r.not_after);
  const expiresInDays = Math.floor((notAfter.getTime() - now.getTime()) / DAY_MS);
  return {
    id: r.id,
    status: r.status,
    subject: r.subject,
    subjectCommonName: r.subject_cn,
    subjectOrganization: r.subject_o,
    issuer: r.issuer,
    serialNumber: r.serial_number,
    notBefore: new Date(r.not_before).toISOString(),
    notAfter: notAfter.toISOString(),
    fingerprintSha256: r.fingerprint_sha256,
    keyBits: r.key_bits,
    expiresInDays,
    expiringSoon: expiresInDays <= EXPIRY_WARNING_DAYS,
    chainLength: (r.chain_pem.match(/-----BEGIN CERTIFICATE-----/g) ?? []).length,
    uploadedAt: new Date(r.created_at).toISOString(),
    revokedAt: r.revoked_at ? new Date(r.revoked_at).toISOString() : null,
  };
}

/**
 * The tenant's e-signature certificate: uploaded as PKCS#12 + PIN by an administrator, opened once,
 * the private key kept only sealed with the tenant key (purpose `filing.signing_key`). One active
 * certificate per tenant; replacing or removing it keeps the old row as revoked history without its key.
 */
@Injectable()
export class SigningCertificatesService {
  constructor(
    private readonly repo: SigningCertificatesRepository,
    private readonly sealing: SealingService,
    private readonly audit: AuditService,
    rotation: KeyRotationService,
  ) {
    // A tenant key rotation re-seals the private key under the new key version.
    rotation.register({ table: 'signing_certificates', column: 'private_key_sealed', purpose: PURPOSE.signingKey });
  }

  /** Recorded quietly (a refusal must never turn into a 500 of its own); the reason code only. */
  private refused(tenantId: string, reason: string) {
    return this.audit.recordQuietly({
      category: 'security',
      action: 'signing_certificate.refused',
      outcome: 'denied',
      tenantId,
      target: { type: 'tenant', id: tenantId },
      details: { reason },
    });
  }

  /**
   * multipart/form-data `file` (.p12/.pfx) + `pin`. The PIN and the file bytes stay in this call: the
   * PIN opens the file and is dropped; neither is stored, logged nor put in an audit event or error.
   */
  async upload(tenantId: string, userId: string, req: Request): Promise<SigningCertificateView> {
    let opened;
    try {
      const body = await readSmallUpload(req, MAX_PKCS12_BYTES, ['pin']);
      const pin = body.fields.pin;
      if (pin === undefined) throw SigningErrors.badUpload('pin', 'the PIN is required');
      opened = openPkcs12(body.file, pin);
      body.file.fill(0);
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      if (typeof code === 'string') await this.refused(tenantId, code);
      throw e;
    }
    const id = randomUUID();
    // Sealed before the transaction; bound (AAD) to tenant, purpose and this row's id.
    const privateKeySealed = await this.sealing.seal(tenantId, PURPOSE.signingKey, id, opened.privateKeyPem);
    const { row, replaced } = await this.repo.transaction(async (m) => {
      await this.repo.lockTenant(m, tenantId);
      const old = await this.repo.revokeActive(m, tenantId, userId);
      const inserted = await this.repo.insert(m, tenantId, { ...opened, id, privateKeySealed, uploadedBy: userId });
      return { row: inserted, replaced: old };
    });
    // Fingerprint and validity only: the subject may be a person's name (CN), so it stays out of the trail.
    await this.audit.record({
      category: 'security',
      action: 'signing_certificate.uploaded',
      outcome: 'success',
      tenantId,
      target: { type: 'signing_certificate', id },
      details: {
        fingerprintSha256: opened.fingerprintSha256,
        notBefore: opened.notBefore.toISOString(),
        notAfter: opened.notAfter.toISOString(),
        keyBits: opened.keyBits,
        ...(replaced ? { replacedId: replaced.id, replacedFingerprintSha256: replaced.fingerprint_sha256 } : {}),
      },
    });
    return certificateView(row);
  }

  async list(tenantId: string): Promise<SigningCertificatesView> {
    const now = new Date();
    const current = await this.repo.active(tenantId);
    return {
      current: current ? certificateView(current, now) : null,
      history: (await this.repo.history(tenantId)).map((r) => certificateView(r, now)),
    };
  }

  /** Revokes the active certificate and erases its sealed key (404 when there is none). */
  async removeCurrent(tenantId: string, userId: string): Promise<void> {
    const old = await this.repo.transaction(async (m) => {
      await this.repo.lockTenant(m, tenantId);
      return this.repo.revokeActive(m, tenantId, userId);
    });
    if (!old) throw new NotFoundError('signing certificate');
    await this.audit.record({
      category: 'security',
      action: 'signing_certificate.removed',
      outcome: 'success',
      tenantId,
      target: { type: 'signing_certificate', id: old.id },
      details: {
        fingerprintSha256: old.fingerprint_sha256,
        notBefore: new Date(old.not_before).toISOString(),
        notAfter: new Date(old.not_after).toISOString(),
      },
    });
  }
}
