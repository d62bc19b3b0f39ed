import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiCookieAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems, CurrentPrincipal, IdParam, Principal, Roles } from '@charlotte/core';
import { AlertConsoleService } from './alert-console.service';
import { AlertDto, AlertListDto, AlertListQuery, PromoteAlertDto } from './dto/alert.dto';

/** Platform operators see the operator alerts and promote one to a customer incident. */
@ApiTags('operator')
@ApiCookieAuth()
@Roles('operator')
@Controller('operator/alerts')
export class AlertsController {
  constructor(private readonly console: AlertConsoleService) {}

  @Get()
  @ApiOperation({
    summary: '運用アラート一覧 / List operator alerts',
    description: [
      '運用アラートを、未解決を先に、新しい順に最大200件返します（status=open または resolved で絞り込み）。プラットフォーム運用者のセッションのみです。',
      'Operator alerts, open ones first, then newest first (at most 200; status=open or resolved filters). Platform operators in a session only.',
    ].join('\n\n'),
  })
  @ApiOkResponse({ type: AlertListDto })
  async list(@Query() q: AlertListQuery): Promise<AlertListDto> {
    return { items: await this.console.list(q.status) };
  }

  @Get(':id')
  @ApiOperation({
    summary: '運用アラートを取得 / Get an operator alert',
    description: [
      '運用アラート1件を返します。プラットフォーム運用者のセッションのみです。存在しないIDは 404 not_found です。',
      'One operator alert. Platform operators in a session only. 404 not_found for an unknown id.',
    ].join('\n\n'),
  })
  @ApiOkResponse({ type: AlertDto })
  @ApiProblems({ 404: '`not_found`.' })
  get(@Param() { id }: IdParam): Promise<AlertDto> {
    return this.console.get(id);
  }

  @Post(':id/incident')
  @HttpCode(200)
  @ApiOperation({
    summary: '運用アラートを障害情報にする / Promote an alert to an incident',
    description: [
      '未解決の運用アラートから、影響する契約向けの障害情報を作ります（serious の場合は管理者にメールも送ります）。プラットフォーム運用者のセッションのみです。存在しないIDは 404 not_found、すでに障害情報がある場合は 409 alert_has_incident、解決済みのアラートは 409 alert_resolved です。',
      'Promotes an open alert to a customer incident for the affected tenants (serious: their administrators get an e-mail). Platform operators in a session only. 404 not_found for an unknown id, 409 alert_has_incident when it already has one, 409 alert_resolved for a resolved alert.',
    ].join('\n\n'),
  })
  @ApiOkResponse({ type: AlertDto, description: 'The alert, now linked to the incident.' })
  @ApiProblems({ 404: '`not_found`.', 409: '`alert_has_incident`, `alert_resolved`.' })
  promote(@CurrentPrincipal() p: Principal, @Param() { id }: IdParam, @Body() dto: PromoteAlertDto): Promise<AlertDto> {
    return this.console.promote(p, id, dto.severity);
  }
}
