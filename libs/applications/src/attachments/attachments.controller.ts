import { Controller, Delete, Get, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiConsumes,
  ApiCookieAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProperty,
  ApiTags,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Matches } from 'class-validator';
import { ApiProblems, Caller, CurrentCaller, Roles, Scopes, tenantOf, UUID_PATTERN } from '@charlotte/core';
import { AttachmentView } from '../applications/dto/application.dto';
import { AttachmentsService } from './attachments.service';

class AttachmentParams {
  @ApiProperty({ format: 'uuid' })
  @Matches(UUID_PATTERN, { message: 'id must be a UUID', context: { code: 'uuid' } })
  id: string;

  @ApiProperty({ format: 'uuid' })
  @Matches(UUID_PATTERN, { message: 'aid must be a UUID', context: { code: 'uuid' } })
  aid: string;
}

class ApplicationParam {
  @ApiProperty({ format: 'uuid' })
  @Matches(UUID_PATTERN, { message: 'id must be a UUID', context: { code: 'uuid' } })
  id: string;
}

/** Files attached to an application: scanned by ClamAV before they are accepted, stored sealed. */
@ApiTags('applications')
@ApiCookieAuth()
@ApiBearerAuth()
@Roles('admin', 'member')
@Controller('applications/:id/attachments')
export class AttachmentsController {
  constructor(private readonly attachments: AttachmentsService) {}

  @Post()
  @Scopes('applications:write')
  @ApiConsumes('multipart/form-data')
  @ApiBody({ schema: { type: 'object', properties: { file: { type: 'string', format: 'binary' } }, required: ['file'] } })
  @ApiOperation({
    summary: '添付書類を追加 / Attach a file',
    description: [
      '編集できる申請（下書き・提出準備完了・補正待ち）にファイルを添付します（multipart/form-data の file）。ファイルはウイルス検査の後に暗号化して保存します。種類は内容で判定し（PDF・JPEG・PNG・XML・CSV）、それ以外は 415 unsupported_file_type、上限を超えると 413 payload_too_large、マルウェアは 422 malware_detected（保存せず監査ログに記録）、検査できないときは 503 scanner_unavailable（保存しません）、ファイルがなければ 400 validation_failed、編集できない状態なら 409 not_editable です。管理者・メンバーのセッション、または applications:write スコープのAPIトークンで使えます。',
      'Attaches a file (multipart/form-data, field file) to an application that can be edited (draft, ready, correction_requested). The file is scanned for malware, then stored encrypted. Its type is decided by content (PDF, JPEG, PNG, XML, CSV): others answer 415 unsupported_file_type; 413 payload_too_large over the limit; 422 malware_detected (nothing stored, audited); 503 scanner_unavailable (nothing stored); 400 validation_failed without a file; 409 not_editable in other states. Administrators and members in a session, or API tokens with the applications:write scope.',
    ].join('\n\n'),
  })
  @ApiCreatedResponse({ type: AttachmentView })
  @ApiProblems({
    404: '`not_found`: the application.',
    409: '`not_editable`.',
    413: '`payload_too_large`.',
    415: '`unsupported_file_type` (PDF, JPEG, PNG, XML, CSV by content).',
    422: '`malware_detected`: nothing stored; a security audit event.',
    503: '`scanner_unavailable`: nothing stored (fail closed).',
  })
  upload(@CurrentCaller() c: Caller, @Param() { id }: ApplicationParam, @Req() req: Request): Promise<AttachmentView> {
    return this.attachments.upload(tenantOf(c), c, id, req);
  }

  @Get(':aid')
  @Scopes('applications:read')
  @ApiOperation({
    summary: '添付書類をダウンロード / Download an attachment',
    description: [
      '添付書類のファイルを、保存時に判定した種類（Content-Type）で返します。管理者・メンバーのセッション、または applications:read スコープのAPIトークンで使えます。他の契約や存在しない申請・添付書類は 404 not_found です。',
      'The attached file, with the media type decided at upload (Content-Type). Administrators and members in a session, or API tokens with the applications:read scope. 404 not_found for unknown applications or attachments and those of another tenant.',
    ].join('\n\n'),
  })
  @ApiOkResponse({
    description: 'The file (Content-Disposition: attachment).',
    content: Object.fromEntries(
      ['application/pdf', 'image/jpeg', 'image/png', 'application/xml', 'text/csv'].map((type) => [
        type,
        { schema: { type: 'string', format: 'binary' } },
      ]),
    ),
  })
  @ApiProblems({ 404: '`not_found`.' })
  async download(@CurrentCaller() c: Caller, @Param() p: AttachmentParams, @Res() res: Response): Promise<void> {
    await this.attachments.download(tenantOf(c), c, p.id, p.aid, res);
  }

  @ApiOperation({
    summary: '添付書類を削除 / Delete an attachment',
    description: [
      '編集できる申請から添付書類を削除します。編集できない状態なら 409 not_editable、他の契約や存在しない申請・添付書類は 404 not_found です。管理者・メンバーのセッション、または applications:write スコープのAPIトークンで使えます。',
      'Removes an attachment from an application that can be edited. 409 not_editable in other states, 404 not_found for unknown applications or attachments and those of another tenant. Administrators and members in a session, or API tokens with the applications:write scope.',
    ].join('\n\n'),
  })
  @Delete(':aid')
  @HttpCode(204)
  @Scopes('applications:write')
  @ApiNoContentResponse({ description: 'Deleted.' })
  @ApiProblems({ 404: '`not_found`.', 409: '`not_editable`.' })
  remove(@CurrentCaller() c: Caller, @Param() p: AttachmentParams): Promise<void> {
    return this.attachments.remove(tenantOf(c), c, p.id, p.aid);
  }
}
