import { Controller, Delete, Get, HttpCode, Param, Post, Put, Req } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiConsumes,
  ApiCookieAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { Request } from 'express';
import { Caller, CurrentCaller, CurrentPrincipal, IdParam, Principal, Roles, Scopes, tenantOf } from '@charlotte/core';
import {
  ProxyCertificateStatusView,
  ProxyCertificateView,
  SigningCertificatesView,
  SigningCertificateUploadDto,
  SigningCertificateView,
} from './dto/signing.dto';
import { ProxyCertificatesService } from './proxy-certificates.service';
import { SigningCertificatesService } from './signing-certificates.service';

/** The tenant's e-signature certificate (PKCS#12). Changing it is for administrators in a session only. */
@ApiTags('signing')
@ApiCookieAuth()
@Controller('signing-certificates')
export class SigningCertificatesController {
  constructor(private readonly certificates: SigningCertificatesService) {}

  /** Metadata only (never the key): administrators, and members or tokens that may file (applications:write). */
  @Get()
  @ApiBearerAuth()
  @Roles('admin', 'member')
  @Scopes('applications:write')
  @ApiOkResponse({ type: SigningCertificatesView })
  list(@CurrentCaller() c: Caller): Promise<SigningCertificatesView> {
    return this.certificates.list(tenantOf(c));
  }

  @Post()
  @Roles('admin')
  @ApiConsumes('multipart/form-data')
  @ApiBody({ type: SigningCertificateUploadDto })
  @ApiCreatedResponse({ type: SigningCertificateView, description: 'Stored; any previous certificate is revoked (kept as history)' })
  @ApiResponse({ status: 400, description: 'validation_failed: not multipart, no file, no PIN' })
  @ApiResponse({ status: 413, description: 'payload_too_large: more than 64 KiB' })
  @ApiResponse({
    status: 422,
    description:
      'signing_certificate_bad_pin, signing_certificate_unreadable, signing_certificate_expired, ' +
      'signing_certificate_key_unsupported (RSA ≥ 2048 bits only), signing_certificate_mismatch',
  })
  upload(@CurrentPrincipal() p: Principal, @Req() req: Request): Promise<SigningCertificateView> {
    return this.certificates.upload(tenantOf(p), p.userId, req);
  }

  @Delete('current')
  @Roles('admin')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Revoked; its sealed key erased' })
  @ApiResponse({ status: 404, description: 'No active certificate' })
  remove(@CurrentPrincipal() p: Principal): Promise<void> {
    return this.certificates.removeCurrent(tenantOf(p), p.userId);
  }
}

/** An office's 提出代行証明書 (社労士 filing for a client). */
@ApiTags('offices')
@ApiCookieAuth()
@Controller('offices/:id/proxy-certificate')
export class ProxyCertificateController {
  constructor(private readonly proxies: ProxyCertificatesService) {}

  @Get()
  @ApiBearerAuth()
  @Roles('admin', 'member')
  @Scopes('applications:read')
  @ApiOkResponse({ type: ProxyCertificateStatusView })
  async get(@CurrentCaller() c: Caller, @Param() { id }: IdParam): Promise<ProxyCertificateStatusView> {
    return { certificate: await this.proxies.get(tenantOf(c), c, id) };
  }

  @Put()
  @Roles('admin')
  @ApiConsumes('multipart/form-data')
  @ApiBody({ schema: { type: 'object', properties: { file: { type: 'string', format: 'binary' } }, required: ['file'] } })
  @ApiOkResponse({ type: ProxyCertificateView })
  @ApiResponse({ status: 413, description: 'payload_too_large: more than 2 MiB' })
  @ApiResponse({ status: 415, description: 'unsupported_file_type (PDF or XML, by content)' })
  @ApiResponse({ status: 422, description: 'malware_detected: nothing stored' })
  @ApiResponse({ status: 503, description: 'scanner_unavailable: nothing stored (fail closed)' })
  put(@CurrentPrincipal() p: Principal, @Param() { id }: IdParam, @Req() req: Request): Promise<ProxyCertificateView> {
    return this.proxies.put(tenantOf(p), p.userId, id, req);
  }

  @Delete()
  @Roles('admin')
  @HttpCode(204)
  @ApiNoContentResponse()
  remove(@CurrentPrincipal() p: Principal, @Param() { id }: IdParam): Promise<void> {
    return this.proxies.remove(tenantOf(p), id);
  }
}
