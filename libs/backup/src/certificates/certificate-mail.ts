import { Injectable, OnModuleInit } from '@nestjs/common';
import { DELETION_CERTIFICATE_PDF, MailAttachmentRegistry } from '@charlotte/notifications';
import { CertificatesService } from './certificates.service';

/**
 * The PDF attached to the deletion certificate mail, made when the mail is sent from the stored
 * certificate (the outbox keeps the certificate id only).
 */
@Injectable()
export class CertificateMailAttachment implements OnModuleInit {
  constructor(
    private readonly attachments: MailAttachmentRegistry,
    private readonly certificates: CertificatesService,
  ) {}

  onModuleInit(): void {
    this.attachments.register(DELETION_CERTIFICATE_PDF, async (vars) => {
      const id = String(vars.certificateId);
      return { filename: `deletion-certificate-${id}.pdf`, contentType: 'application/pdf', content: await this.certificates.pdf(id) };
    });
  }
}
