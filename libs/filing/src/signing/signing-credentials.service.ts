import { Injectable } from '@nestjs/common';
import { SealingService } from '@charlotte/crypto';
import { createXmlDsigSigner, type PackageSigner } from '../package';
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
 * What the filing services ask when they build a package: the tenant's signer (key opened from its
 * seal only here, for the time of one package) and an office's 提出代行証明書.
 */
@Injectable()
export class SigningCredentialsService {
  constructor(
    private readonly repo: SigningCertificatesRepository,
    private readonly sealing: SealingService,
    private readonly proxies: ProxyCertificatesService,
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
    return createXmlDsigSigner({ privateKeyPem: c.privateKeyPem, certificatePem: c.certificatePem });
  }

  /** The office's 提出代行証明書 (file name as uploaded, bytes opened), or undefined. */
  proxyCertificateFor(tenantId: string, officeId: string): Promise<{ fileName: string; data: Buffer } | undefined> {
    return this.proxies.fileFor(tenantId, officeId);
  }
}
