import { Controller, Delete, Get, HttpCode, Param, Post, Put, Req } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiConsumes,
  ApiCookieAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { Request } from 'express';
import { ApiProblems, Caller, CurrentCaller, CurrentPrincipal, IdParam, Principal, Roles, Scopes, tenantOf } from '@charlotte/core';
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
  @ApiOperation({
    summary: '電子証明書の一覧 / List the signing certificates',
    description: [
      '契約の電子署名用証明書（PKCS#12）の情報（現在の証明書と失効済みの履歴。秘密鍵は含みません）を返します。管理者・メンバーのセッション、または applications:write スコープのAPIトークンで使えます。',
      "The tenant's e-signature certificates (PKCS#12): the current one and the revoked history, metadata only, never the key. Administrators and members in a session, or API tokens with the applications:write scope.",
    ].join('\n\n'),
  })
  @ApiOkResponse({ type: SigningCertificatesView })
  list(@CurrentCaller() c: Caller): Promise<SigningCertificatesView> {
    return this.certificates.list(tenantOf(c));
  }

  @Post()
  @Roles('admin')
  @ApiConsumes('multipart/form-data')
  @ApiBody({ type: SigningCertificateUploadDto })
  @ApiOperation({
    summary: '電子証明書を登録 / Upload the signing certificate',
    description: [
      '電子署名用の PKCS#12 ファイル（.p12/.pfx、64 KiB まで）と PIN を multipart/form-data で受け取り、秘密鍵を暗号化して保存します。以前の証明書は失効させ、履歴として残します。テナント管理者のセッションのみです。ファイルや PIN がなければ 400 validation_failed、大きすぎれば 413 payload_too_large、PIN 違い・読めないファイル・期限切れ・対応しない鍵（RSA 2048 ビット以上のみ）・鍵と証明書の不一致は 422 です。',
      'Takes the PKCS#12 file (.p12/.pfx, at most 64 KiB) and its PIN as multipart/form-data and stores the key encrypted; the previous certificate is revoked and kept as history. Tenant administrators in a session only. 400 validation_failed without file or PIN, 413 payload_too_large, 422 for a wrong PIN, an unreadable file, an expired certificate, an unsupported key (RSA of 2048 bits or more only) or a key that does not match the certificate.',
    ].join('\n\n'),
  })
  @ApiCreatedResponse({ type: SigningCertificateView, description: 'Stored; any previous certificate is revoked (kept as history)' })
  @ApiProblems({
    400: 'Not multipart, no file, no PIN.',
    413: '`payload_too_large`: more than 64 KiB.',
    422:
      '`signing_certificate_bad_pin`, `signing_certificate_unreadable`, `signing_certificate_expired`, ' +
      '`signing_certificate_key_unsupported` (RSA ≥ 2048 bits only), `signing_certificate_mismatch`.',
  })
  upload(@CurrentPrincipal() p: Principal, @Req() req: Request): Promise<SigningCertificateView> {
    return this.certificates.upload(tenantOf(p), p.userId, req);
  }

  @Delete('current')
  @Roles('admin')
  @HttpCode(204)
  @ApiOperation({
    summary: '電子証明書を削除 / Remove the signing certificate',
    description: [
      '現在の電子証明書を失効させ、暗号化して保存していた秘密鍵を消去します。テナント管理者のセッションのみです。有効な証明書がなければ 404 not_found です。',
      'Revokes the current certificate and erases its sealed key. Tenant administrators in a session only. 404 not_found when there is no active certificate.',
    ].join('\n\n'),
  })
  @ApiNoContentResponse({ description: 'Revoked; its sealed key erased' })
  @ApiProblems({ 404: '`not_found`: no active certificate.' })
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
  @ApiOperation({
    summary: "提出代行証明書の状態 / The office's proxy certificate",
    description: [
      '事業所の提出代行証明書（社労士が顧問先の代わりに提出するときの証明書）の情報を返します（なければ certificate: null）。管理者・メンバーのセッション、または applications:read スコープのAPIトークンで使えます。他の契約や存在しない事業所は 404 not_found です。',
      "The office's 提出代行証明書 (the certificate a 社労士 files with on behalf of a client), or certificate: null. Administrators and members in a session, or API tokens with the applications:read scope. 404 not_found for unknown offices and offices of another tenant.",
    ].join('\n\n'),
  })
  @ApiOkResponse({ type: ProxyCertificateStatusView })
  @ApiProblems({ 404: '`not_found`.' })
  async get(@CurrentCaller() c: Caller, @Param() { id }: IdParam): Promise<ProxyCertificateStatusView> {
    return { certificate: await this.proxies.get(tenantOf(c), c, id) };
  }

  @Put()
  @Roles('admin')
  @ApiConsumes('multipart/form-data')
  @ApiBody({ schema: { type: 'object', properties: { file: { type: 'string', format: 'binary' } }, required: ['file'] } })
  @ApiOperation({
    summary: "提出代行証明書を登録 / Upload the office's proxy certificate",
    description: [
      '事業所の提出代行証明書（PDF または XML、2 MiB まで）を multipart/form-data の file で受け取り、ウイルス検査の後に暗号化して保存します（既存のものは置き換えます）。テナント管理者のセッションのみです。大きすぎれば 413 payload_too_large、PDF・XML 以外は 415 unsupported_file_type、マルウェアは 422 malware_detected、検査できないときは 503 scanner_unavailable（いずれも保存しません）、存在しない事業所は 404 not_found です。',
      "Takes the office's 提出代行証明書 (PDF or XML, at most 2 MiB) as multipart/form-data (field file), scans it for malware and stores it encrypted, replacing any previous one. Tenant administrators in a session only. 413 payload_too_large, 415 unsupported_file_type, 422 malware_detected, 503 scanner_unavailable (nothing stored in each case), 404 not_found for an unknown office.",
    ].join('\n\n'),
  })
  @ApiOkResponse({ type: ProxyCertificateView })
  @ApiProblems({
    404: '`not_found`: the office.',
    413: '`payload_too_large`: more than 2 MiB.',
    415: '`unsupported_file_type` (PDF or XML, by content).',
    422: '`malware_detected`: nothing stored.',
    503: '`scanner_unavailable`: nothing stored (fail closed).',
  })
  put(@CurrentPrincipal() p: Principal, @Param() { id }: IdParam, @Req() req: Request): Promise<ProxyCertificateView> {
    return this.proxies.put(tenantOf(p), p.userId, id, req);
  }

  @Delete()
  @Roles('admin')
  @HttpCode(204)
  @ApiOperation({
    summary: "提出代行証明書を削除 / Remove the office's proxy certificate",
    description: [
      '事業所の提出代行証明書を削除します。テナント管理者のセッションのみです。証明書がない場合や存在しない事業所は 404 not_found です。',
      "Removes the office's 提出代行証明書. Tenant administrators in a session only. 404 not_found when the office has none, or for an unknown office.",
    ].join('\n\n'),
  })
  @ApiNoContentResponse({ description: 'Removed.' })
  @ApiProblems({ 404: '`not_found`.' })
  remove(@CurrentPrincipal() p: Principal, @Param() { id }: IdParam): Promise<void> {
    return this.proxies.remove(tenantOf(p), id);
  }
}
