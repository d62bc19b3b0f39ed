import { Controller, Delete, Get, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiConsumes,
  ApiCookieAuth,
  ApiCreatedResponse,
  ApiProduces,
  ApiProperty,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Matches } from 'class-validator';
import { Caller, CurrentCaller, Roles, Scopes, tenantOf, UUID_PATTERN } from '@charlotte/core';
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
  @ApiCreatedResponse({ type: AttachmentView })
  @ApiResponse({ status: 413, description: 'payload_too_large' })
  @ApiResponse({ status: 415, description: 'unsupported_file_type (PDF, JPEG, PNG, XML, CSV by content)' })
  @ApiResponse({ status: 422, description: 'malware_detected: nothing stored; a security audit event' })
  @ApiResponse({ status: 503, description: 'scanner_unavailable: nothing stored (fail closed)' })
  upload(@CurrentCaller() c: Caller, @Param() { id }: ApplicationParam, @Req() req: Request): Promise<AttachmentView> {
    return this.attachments.upload(tenantOf(c), c, id, req);
  }

  @Get(':aid')
  @Scopes('applications:read')
  @ApiProduces('application/pdf', 'image/jpeg', 'image/png', 'application/xml', 'text/csv')
  async download(@CurrentCaller() c: Caller, @Param() p: AttachmentParams, @Res() res: Response): Promise<void> {
    await this.attachments.download(tenantOf(c), c, p.id, p.aid, res);
  }

  @Delete(':aid')
  @HttpCode(204)
  @Scopes('applications:write')
  remove(@CurrentCaller() c: Caller, @Param() p: AttachmentParams): Promise<void> {
    return this.attachments.remove(tenantOf(c), c, p.id, p.aid);
  }
}
