import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { SAML } from '@node-saml/node-saml';
import { DataSource } from 'typeorm';
import { CONTRACT_CLOSED_SQL } from '../tenants/tenant.entity';
import { TENANT_CODE_PATTERN } from '../tenants/tenants.service';
import { SsoSettingsService } from './sso-settings.service';

/** Builds the SP side with node-saml (never hand-written XML): metadata now, login and ACS next. */
@Injectable()
export class SpMetadataService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly sso: SsoSettingsService,
  ) {}

  /** The tenant's SP metadata, or undefined when the tenant has no active SSO configuration. */
  async metadata(tenantCode: string): Promise<string | undefined> {
    const code = tenantCode.toLowerCase();
    if (!TENANT_CODE_PATTERN.test(code)) return undefined;
    // Served while the contract is open (a cancellation with a future effective time included).
    const t: Array<{ id: string }> = await this.ds.query(`SELECT t.id FROM tenants t WHERE t.code = $1 AND NOT ${CONTRACT_CLOSED_SQL}`, [
      code,
    ]);
    if (!t[0]) return undefined;
    const s = await this.sso.find(t[0].id);
    if (!s) return undefined;
    const urls = this.sso.spUrls(code);
    const saml = new SAML({
      issuer: urls.spEntityId,
      callbackUrl: urls.acsUrl,
      entryPoint: s.sso_url,
      idpCert: s.certificates,
      identifierFormat: s.name_id_format,
      wantAssertionsSigned: true,
      signatureAlgorithm: 'sha256',
      digestAlgorithm: 'sha256',
    });
    return saml.generateServiceProviderMetadata(null, null);
  }
}
