import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '@charlotte/core';
import { BackupErrors } from '../errors';
import { DeletionCertificate } from './certificate';
import { renderCertificatePdf } from './certificate-pdf';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Issued deletion certificates (deletion_certificates): the signed JSON as issued, and its Japanese PDF rendering. */
@Injectable()
export class CertificatesService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async get(id: string): Promise<DeletionCertificate> {
    if (!UUID.test(id)) throw BackupErrors.certificateNotFound();
    const r: Array<{ body: DeletionCertificate }> = await this.ds.query(`SELECT body FROM deletion_certificates WHERE id = $1`, [id]);
    if (!r[0]) throw BackupErrors.certificateNotFound();
    return r[0].body;
  }

  async ofTenant(tenantId: string): Promise<DeletionCertificate | undefined> {
    const r: Array<{ body: DeletionCertificate }> = await this.ds.query(`SELECT body FROM deletion_certificates WHERE tenant_id = $1`, [
      tenantId,
    ]);
    return r[0]?.body;
  }

  /**
   * The administrators' e-mail addresses read before the deletion, kept in plain text beside the
   * certificate (the tenant's keys no longer exist to open a sealed copy) so that the operations
   * issue can mail them the certificate.
   */
  async recipients(id: string): Promise<string[]> {
    const r: Array<{ admin_emails: string[] }> = await this.ds.query(`SELECT admin_emails FROM deletion_certificates WHERE id = $1`, [id]);
    return r[0]?.admin_emails ?? [];
  }

  async pdf(id: string): Promise<Buffer> {
    return renderCertificatePdf(await this.get(id), this.config.certificateFontFile);
  }
}
