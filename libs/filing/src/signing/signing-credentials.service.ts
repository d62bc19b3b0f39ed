import { Inject, Injectable, Optional } from '@nestjs/common';
import { SealingService } from '@charlotte/crypto';
import type { PackageSigner } from '../package/types';
import { PURPOSE } from '../sealing-purposes';
import { ProxyCertificatesService } from './proxy-certificates.service';
import { SigningCertificatesRepository } from './signing-certificates.repository';
import { SigningErrors } from './signing-errors';

/** What a package signer is built from: the opened private key and the signer's certificate (PEM). */
export interface SigningCredentials {
  privateKeyPem: string;
  certificatePem: string;
  /** Intermediate CA certificates from the PKCS#12 file ('' when none). */
  chainPem: string;
  fingerprintSha256: string;
  notAfter: Date;
}

/**
 * Builds the package signer from credentials: `createXmlDsigSigner` of libs/filing/src/package (H3).
 * Until it lands, the lead provides it: `{ provide: PACKAGE_SIGNER_FACTORY, useValue: createXmlDsigSigner }`.
 */
export type PackageSignerFactory = (c: { privateKeyPem: string; certificatePem: string }) => PackageSigner;
export const PACKAGE_SIGNER_FACTORY = Symbol('PACKAGE_SIGNER_FACTORY');

/**
 * What the filing services ask when they build a package: the tenant's signer (key opened from its
 * seal only here, for the time of one package) and an office's 提出代行証明書.
 */
@Injectable()
export class SigningCredentialsService {
  constructor(
    private readonly repo: SigningCertificatesRepository,
    private readonly sealing: SealingService,
    private readonly proxies: ProxyCertificatesService,
    @Optional() @Inject(PACKAGE_SIGNER_FACTORY) private readonly factory?: PackageSignerFactory,
  ) {}

  /**
   * The tenant's active certificate and its opened key, or undefined when the tenant has none.
   * An expired (or not yet valid) certificate is refused with `signing_certificate_expired`: a
   * signature e-Gov would reject is not made, and the filer learns why.
   */
  async credentialsFor(tenantId: string, now: Date = new Date()): Promise<SigningCredentials | undefined> {
    const row = await this.repo.activeWithKey(tenantId);
    if (!row) return undefined;
    const notBefore = new Date(row.not_before);
    const notAfter = new Date(row.not_after);
    if (!(notBefore.getTime() <= now.getTime() && now.getTime() < notAfter.getTime())) throw SigningErrors.expired(notBefore, notAfter);
    const privateKeyPem = await this.sealing.openString(tenantId, PURPOSE.signingKey, row.id, row.private_key_sealed);
    return {
      privateKeyPem,
      certificatePem: row.certificate_pem,
      chainPem: row.chain_pem,
      fingerprintSha256: row.fingerprint_sha256,
      notAfter,
    };
  }

  /** The package signer for the tenant (undefined when it has no certificate; refused when expired). */
  async signerFor(tenantId: string, now: Date = new Date()): Promise<PackageSigner | undefined> {
    const c = await this.credentialsFor(tenantId, now);
    if (!c) return undefined;
    // A wiring error, not a user's: without the factory a package would silently go unsigned.
    if (!this.factory) throw new Error('PACKAGE_SIGNER_FACTORY is not provided (createXmlDsigSigner of libs/filing/src/package)');
    return this.factory({ privateKeyPem: c.privateKeyPem, certificatePem: c.certificatePem });
  }

  /** The office's 提出代行証明書 (file name as uploaded, bytes opened), or undefined. */
  proxyCertificateFor(tenantId: string, officeId: string): Promise<{ fileName: string; data: Buffer } | undefined> {
    return this.proxies.fileFor(tenantId, officeId);
  }
}
