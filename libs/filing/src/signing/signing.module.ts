import { Module } from '@nestjs/common';
import { ApplicationsModule } from '@charlotte/applications';
import { StorageModule } from '@charlotte/storage';
import { ProxyCertificatesService } from './proxy-certificates.service';
import { SigningCertificatesRepository } from './signing-certificates.repository';
import { SigningCertificatesService } from './signing-certificates.service';
import { SigningCredentialsService } from './signing-credentials.service';
import { ProxyCertificateController, SigningCertificatesController } from './signing.controller';

/**
 * The tenant's e-signature certificate and the offices' 提出代行証明書 (issue 16). Imported by
 * FilingModule; SigningCredentialsService is what the package builder's callers use.
 */
@Module({
  imports: [ApplicationsModule, StorageModule],
  controllers: [SigningCertificatesController, ProxyCertificateController],
  providers: [SigningCertificatesRepository, SigningCertificatesService, ProxyCertificatesService, SigningCredentialsService],
  exports: [SigningCredentialsService, SigningCertificatesService],
})
export class SigningModule {}
