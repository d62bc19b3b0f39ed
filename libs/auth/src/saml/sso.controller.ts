import { Body, Controller, Get, Header, HttpCode, Param, Post, Put } from '@nestjs/common';
import { ApiBody, ApiCookieAuth, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import {
  ApiProblems,
  CurrentPrincipal,
  NotFoundError,
  Principal,
  Public,
  Roles,
  fieldErrorsOf,
  tenantOf,
  ValidationFailedError,
} from '@charlotte/core';
import { SsoLinkConfirmationView, SsoMetadataDto, SsoSettingsDto, SsoSettingsView } from './dto/sso.dto';
import { SpMetadataService } from './sp-metadata.service';
import { SsoSettingsService } from './sso-settings.service';

/** Tenant administrators configure their IdP (session only). */
@ApiTags('sso')
@ApiCookieAuth()
@Roles('admin')
@Controller('tenant/sso')
export class SsoSettingsController {
  constructor(private readonly sso: SsoSettingsService) {}

  @ApiOperation({
    summary: 'SSO設定を取得 / Get the SSO settings',
    description: [
      '契約のIdP設定（エンティティID・SSO URL・証明書の要約・属性マッピング・JIT・SSO必須・緊急用管理者）と、IdPに登録するSPのURLを返します。テナント管理者のセッションのみです。',
      "The tenant's IdP settings (entity id, SSO URL, certificate summaries, attribute mapping, JIT, SSO enforcement, break-glass administrators) and the SP URLs to register at the IdP. Tenant administrators in a session only.",
    ].join('\n\n'),
  })
  @Get()
  @ApiOkResponse({ type: SsoSettingsView })
  get(@CurrentPrincipal() p: Principal): Promise<SsoSettingsView> {
    return this.sso.get(tenantOf(p));
  }

  @ApiOperation({
    summary: 'SSO設定を保存 / Save the SSO settings',
    description: [
      'IdP設定を保存します（監査ログに記録）。テナント管理者のセッションのみです。証明書や緊急用管理者が不正なら 400 validation_failed です。SSO必須にするには、緊急用管理者を1人以上指定し（409 break_glass_required）、この設定で管理者が一度SSOログインに成功している必要があります（409 sso_not_tested）。',
      'Saves the IdP settings (audited). Tenant administrators in a session only. 400 validation_failed for unusable certificates or break-glass administrators who are not active administrators. Requiring SSO needs at least one break-glass administrator (409 break_glass_required) and one successful SSO login of an administrator with these IdP settings (409 sso_not_tested).',
    ].join('\n\n'),
  })
  @Put()
  @ApiOkResponse({ type: SsoSettingsView })
  @ApiProblems({ 409: '`break_glass_required`, `sso_not_tested`.' })
  put(@CurrentPrincipal() p: Principal, @Body() dto: SsoSettingsDto): Promise<SsoSettingsView> {
    return this.sso.put(tenantOf(p), dto, p.userId);
  }

  @Put('metadata')
  @ApiOperation({
    summary: 'IdPメタデータを取り込む / Import IdP metadata',
    description: [
      'IdPのメタデータXMLからエンティティID・SSO URL・署名証明書を読み取り、他の設定はそのままで保存します。本文はXMLそのもの（application/xml、application/samlmetadata+xml、text/xml）か JSON {xml} です。テナント管理者のセッションのみです。読み取れないXMLは 400 validation_failed です。エンティティIDが変わるとSSO必須は解除されます。',
      'Reads entity id, SSO URL and signing certificates from IdP metadata XML and saves them, keeping the other settings. The body is the XML itself (application/xml, application/samlmetadata+xml, text/xml) or JSON {xml}. Tenant administrators in a session only. 400 validation_failed for XML that cannot be read; a new entity id turns SSO enforcement off.',
    ].join('\n\n'),
  })
  @ApiBody({ type: SsoMetadataDto })
  @ApiOkResponse({ type: SsoSettingsView })
  async metadata(@CurrentPrincipal() p: Principal, @Body() body: unknown): Promise<SsoSettingsView> {
    let xml: string;
    if (typeof body === 'string') xml = body;
    else {
      const dto = plainToInstance(SsoMetadataDto, body ?? {});
      const errors = await validate(dto, { whitelist: true, forbidNonWhitelisted: true });
      if (errors.length) throw new ValidationFailedError(fieldErrorsOf(errors));
      xml = dto.xml;
    }
    return this.sso.importMetadata(tenantOf(p), xml, p.userId);
  }

  @Post('link-confirmation')
  @HttpCode(200)
  @ApiOperation({
    summary: 'SSOとの連携を承認 / Confirm linking my account to SSO',
    description: [
      '呼び出した管理者が、1時間以内の次回SSOログインで自分のアカウントを契約のIdPに連携することに同意します。パスワードとキーファイルで開いた管理者のセッションのみです。キーファイルを通っていないセッションは 403 keyfile_session_required、連携済みのアカウントは 409 sso_already_linked です。',
      "The calling administrator agrees that their next SSO login (within an hour) may link this account to the tenant's IdP. Only from an administrator's session opened with password and key file: 403 keyfile_session_required otherwise; 409 sso_already_linked when the account already signs in through SSO.",
    ].join('\n\n'),
  })
  @ApiOkResponse({ type: SsoLinkConfirmationView })
  @ApiProblems({
    403: '`keyfile_session_required`: the session did not pass the key-file step.',
    409: '`sso_already_linked`: the account already signs in through SSO.',
  })
  confirmLink(@CurrentPrincipal() p: Principal): Promise<SsoLinkConfirmationView> {
    return this.sso.confirmLink(tenantOf(p), p.userId, p.sessionId);
  }
}

/** The per-tenant SP metadata that the IdP administrator imports. */
@ApiTags('sso')
@Controller('auth/saml')
export class SamlMetadataController {
  constructor(private readonly sp: SpMetadataService) {}

  @Public()
  @Get(':tenant/metadata')
  @Header('Content-Type', 'application/samlmetadata+xml; charset=utf-8')
  @ApiOperation({
    summary: 'SPメタデータ / SP metadata',
    description: [
      '契約ごとのSP（Charlotte）のメタデータXMLで、IdPの管理者が取り込みます。認証は不要です。SSOが設定されていない契約は 404 not_found です。',
      "The tenant's SP (Charlotte) metadata XML for the IdP administrator to import. No authentication. 404 not_found when the tenant has no SSO configuration.",
    ].join('\n\n'),
  })
  @ApiParam({ name: 'tenant', description: 'the tenant code (契約コード)' })
  @ApiOkResponse({ description: 'SAML SP metadata.', content: { 'application/samlmetadata+xml': { schema: { type: 'string' } } } })
  @ApiProblems({ 404: '`not_found`: no SSO configuration for this tenant.' })
  async metadata(@Param('tenant') tenant: string): Promise<string> {
    const xml = await this.sp.metadata(tenant);
    if (!xml) throw new NotFoundError('SSO configuration');
    return xml;
  }
}
