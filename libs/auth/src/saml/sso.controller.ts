import { Body, Controller, Get, Header, HttpCode, Param, Post, Put } from '@nestjs/common';
import {
  ApiBody,
  ApiConflictResponse,
  ApiCookieAuth,
  ApiForbiddenResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
} from '@nestjs/swagger';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { CurrentPrincipal, NotFoundError, Principal, Public, Roles, fieldErrorsOf, tenantOf, ValidationFailedError } from '@charlotte/core';
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

  @Get()
  @ApiOkResponse({ type: SsoSettingsView })
  get(@CurrentPrincipal() p: Principal): Promise<SsoSettingsView> {
    return this.sso.get(tenantOf(p));
  }

  @Put()
  @ApiOkResponse({ type: SsoSettingsView })
  put(@CurrentPrincipal() p: Principal, @Body() dto: SsoSettingsDto): Promise<SsoSettingsView> {
    return this.sso.put(tenantOf(p), dto, p.userId);
  }

  @Put('metadata')
  @ApiOperation({ summary: 'Imports IdP metadata XML: raw (application/xml, application/samlmetadata+xml, text/xml) or JSON {xml}.' })
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
    summary:
      "The calling administrator agrees that their next SSO login (within an hour) may link this account to the tenant's IdP. " +
      'Only from a session opened with password and key file.',
  })
  @ApiOkResponse({ type: SsoLinkConfirmationView })
  @ApiForbiddenResponse({ description: '`keyfile_session_required`: the session did not pass the key-file step' })
  @ApiConflictResponse({ description: '`sso_already_linked`: the account already signs in through SSO' })
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
  @ApiProduces('application/samlmetadata+xml')
  async metadata(@Param('tenant') tenant: string): Promise<string> {
    const xml = await this.sp.metadata(tenant);
    if (!xml) throw new NotFoundError('SSO configuration');
    return xml;
  }
}
