import { Readable } from 'node:stream';
import { Controller, Get, Param, Query, Res } from '@nestjs/common';
import { ApiCookieAuth, ApiOkResponse, ApiOperation, ApiParam, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Caller, CurrentCaller, jstCalendarDate, NotFoundError, Public, Roles, Scopes, tenantOf } from '@charlotte/core';
import { PublicJwk, SigningKeyService } from '@charlotte/crypto';
import { AuditService } from '../events/audit.service';
import { AuditViewsService } from '../targets/audit-views.service';
import { exportChain } from '../events/audit-export';
import {
  AuditEventDto,
  AuditEventIdParam,
  AuditExportQueryDto,
  AuditPageDto,
  AuditQueryDto,
  SigningKeySetDto,
  VerifyResultDto,
} from './audit.dto';

/** Tenant administrators (or API tokens with audit:read) read, verify and export their tenant's audit trail. */
@ApiTags('audit')
@ApiCookieAuth()
@Roles('admin')
@Scopes('audit:read')
@Controller('audit-events')
export class AuditController {
  constructor(
    private readonly audit: AuditService,
    private readonly views: AuditViewsService,
  ) {}

  @Get()
  @ApiOperation({
    summary: '監査ログの一覧 / List audit events',
    description:
      "新しい順。対象と実行者の名前（申請のタイトル、ユーザー名など）は閲覧時に解決し、記録そのものには含まれません。\n\nNewest first. Names of targets and actors (application title, user name, …) are resolved when read, within the caller's tenant; they are not part of the hashed events.",
  })
  @ApiOkResponse({ type: AuditPageDto })
  list(@CurrentCaller() p: Caller, @Query() q: AuditQueryDto): Promise<AuditPageDto> {
    return this.views.list(p, { ...q, from: q.from ? new Date(q.from) : undefined, to: q.to ? new Date(q.to) : undefined });
  }

  @Get('verify')
  @ApiOperation({ summary: 'Recomputes the hash chain and checks the signed checkpoints.' })
  @ApiOkResponse({ type: VerifyResultDto })
  verify(@CurrentCaller() p: Caller): Promise<VerifyResultDto> {
    return this.audit.verify(tenantOf(p));
  }

  @Get('export')
  @ApiOperation({ summary: 'The whole chain with hashes and checkpoints (jsonl verifies offline with the public key).' })
  @ApiProduces('application/x-ndjson', 'text/csv')
  async export(@CurrentCaller() p: Caller, @Query() q: AuditExportQueryDto, @Res() res: Response): Promise<void> {
    const tenantId = tenantOf(p);
    await this.audit.record({
      category: 'access',
      action: 'audit.exported',
      outcome: 'success',
      target: { type: 'audit_chain', id: tenantId },
      details: { format: q.format },
    });
    // Named by the day in Japan, as the audit page shows its times (JST), not by the UTC day.
    const stamp = jstCalendarDate(new Date());
    res.setHeader('Content-Type', q.format === 'jsonl' ? 'application/x-ndjson; charset=utf-8' : 'text/csv; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="audit-${stamp}.${q.format}"`);
    res.setHeader('Cache-Control', 'no-store');
    Readable.from(exportChain(this.audit, tenantId, q.format, this.audit.signingKey())).pipe(res);
  }

  @Get(':id')
  @ApiOperation({
    summary: '監査ログの1件 / One audit event',
    description: '対象と実行者の名前は閲覧時に解決します。\n\nNames of target and actor are resolved when read, as in the list.',
  })
  @ApiParam({ name: 'id', format: 'uuid', description: 'イベントID / event id' })
  @ApiOkResponse({ type: AuditEventDto })
  async get(@CurrentCaller() p: Caller, @Param() { id }: AuditEventIdParam): Promise<AuditEventDto> {
    const e = await this.views.get(p, id);
    if (!e) throw new NotFoundError('audit event');
    return e;
  }
}

/** The public key that verifies checkpoints (and later deletion certificates), as a JWK Set. */
@ApiTags('audit')
@Controller('.well-known')
export class WellKnownController {
  constructor(private readonly signing: SigningKeyService) {}

  @Public()
  @Get('charlotte-signing-key.json')
  @ApiOkResponse({ type: SigningKeySetDto })
  key(): { keys: PublicJwk[] } {
    return { keys: [this.signing.publicJwk()] };
  }
}
