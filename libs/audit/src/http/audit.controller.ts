import { Readable } from 'node:stream';
import { Controller, Get, Param, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { ApiProblems, Caller, CurrentCaller, jstCalendarDate, NotFoundError, Public, Roles, Scopes, tenantOf } from '@charlotte/core';
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
@ApiBearerAuth()
@Roles('admin')
@Scopes('audit:read')
@Controller('audit-events')
export class AuditController {
  constructor(
    private readonly audit: AuditService,
    private readonly views: AuditViewsService,
  ) {}

  @ApiOperation({
    summary: '監査ログ一覧 / List audit events',
    description: [
      '自分の契約の監査イベントを新しい順に返します（category・action・actor・from・to で絞り込み、limit・cursor でページ送り）。対象と実行者の名前（申請のタイトル、ユーザー名など）は閲覧時に閲覧者の契約の中で解決し、記録そのものには含まれません。テナント管理者のセッション、または audit:read スコープのAPIトークンで使えます。',
      "The audit events of the caller's tenant, newest first, filtered by category, action, actor, from and to, page by page (limit, cursor). Names of targets and actors (application title, user name, …) are resolved when read, within the caller's tenant; they are not part of the hashed events. Tenant administrators in a session, or API tokens with the audit:read scope.",
    ].join('\n\n'),
  })
  @Get()
  @ApiOkResponse({ type: AuditPageDto })
  list(@CurrentCaller() p: Caller, @Query() q: AuditQueryDto): Promise<AuditPageDto> {
    return this.views.list(p, { ...q, from: q.from ? new Date(q.from) : undefined, to: q.to ? new Date(q.to) : undefined });
  }

  @Get('verify')
  @ApiOperation({
    summary: '監査ログの改ざん検証 / Verify the audit chain',
    description: [
      '契約の監査ログのハッシュチェーンを計算し直し、署名付きチェックポイントを確かめます。応答は ok、検証した件数、最初に壊れている連番（なければ null）、先頭のハッシュです。テナント管理者のセッション、または audit:read スコープのAPIトークンで使えます。',
      "Recomputes the tenant's audit hash chain and checks the signed checkpoints; answers ok, how many events were checked, the first broken sequence number (or null) and the head hash. Tenant administrators in a session, or API tokens with the audit:read scope.",
    ].join('\n\n'),
  })
  @ApiOkResponse({ type: VerifyResultDto })
  verify(@CurrentCaller() p: Caller): Promise<VerifyResultDto> {
    return this.audit.verify(tenantOf(p));
  }

  @Get('export')
  @ApiOperation({
    summary: '監査ログを書き出す / Export the audit chain',
    description: [
      '契約の監査ログ全体を、ハッシュとチェックポイント付きのファイル（format=jsonl または csv、ファイル名は日本時間の日付）として返します。jsonl は公開鍵（/.well-known/charlotte-signing-key.json）でオフライン検証できます。書き出しは監査ログに記録します。テナント管理者のセッション、または audit:read スコープのAPIトークンで使えます。',
      "The tenant's whole audit chain with hashes and checkpoints as a file (format=jsonl or csv, named by the date in Japan); jsonl verifies offline with the public key of /.well-known/charlotte-signing-key.json. The export itself is audited. Tenant administrators in a session, or API tokens with the audit:read scope.",
    ].join('\n\n'),
  })
  @ApiOkResponse({
    description: 'The file (Content-Disposition: attachment).',
    content: { 'application/x-ndjson': { schema: { type: 'string' } }, 'text/csv': { schema: { type: 'string' } } },
  })
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

  @ApiOperation({
    summary: '監査イベントを取得 / Get an audit event',
    description: [
      '自分の契約の監査イベント1件を返します。テナント管理者のセッション、または audit:read スコープのAPIトークンで使えます。他の契約のIDや存在しないIDは 404 not_found です。',
      "One audit event of the caller's tenant. Tenant administrators in a session, or API tokens with the audit:read scope. 404 not_found for unknown ids and ids of another tenant.",
    ].join('\n\n'),
  })
  @Get(':id')
  @ApiOkResponse({ type: AuditEventDto })
  @ApiProblems({ 404: '`not_found`.' })
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
  @ApiOperation({
    summary: '署名検証用の公開鍵 / The public signing key',
    description: [
      '監査ログのチェックポイントと消去証明書の署名を検証する公開鍵（Ed25519）を JWK Set で返します。認証は不要です。',
      'The public key (Ed25519) that verifies the signatures of audit checkpoints and deletion certificates, as a JWK Set. No authentication.',
    ].join('\n\n'),
  })
  @Get('charlotte-signing-key.json')
  @ApiOkResponse({ type: SigningKeySetDto })
  key(): { keys: PublicJwk[] } {
    return { keys: [this.signing.publicJwk()] };
  }
}
