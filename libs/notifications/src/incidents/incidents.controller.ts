import { Body, Controller, Get, Param, Post } from '@nestjs/common';
import { ApiCookieAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems, ClientPortal, CurrentPrincipal, IdParam, Principal, Roles, tenantOf } from '@charlotte/core';
import {
  AddIncidentUpdateDto,
  CreateIncidentDto,
  IncidentDto,
  IncidentListDto,
  OperatorIncidentDto,
  OperatorIncidentListDto,
} from './dto/incident.dto';
import { IncidentsService } from './incidents.service';

/** Platform operators: incidents (運用からのお知らせ) — create, update, resolve, read. */
@ApiTags('operator')
@ApiCookieAuth()
@Roles('operator')
@Controller('operator/incidents')
export class OperatorIncidentsController {
  constructor(private readonly incidents: IncidentsService) {}

  @Post()
  @ApiOperation({
    summary: '障害情報を登録 / Create an incident',
    description: [
      '運用からのお知らせ（障害情報）を登録します。対象の契約（all または契約コードの一覧）の有効なユーザー全員にお知らせを出し、serious の場合は管理者全員にメールも送ります。プラットフォーム運用者のセッションのみです。存在しない契約コードは 422 incident_unknown_tenants、開始日時が未来なら 422 incident_start_in_future、本文にメールアドレスを含むと 400 validation_failed です。',
      'Creates an incident (運用からのお知らせ): every active user of the affected tenants (all, or a list of tenant codes) gets a notice, and for a serious one every administrator an e-mail. Platform operators in a session only. 422 incident_unknown_tenants for tenant codes that do not exist, 422 incident_start_in_future for a start in the future, 400 validation_failed for text that contains an e-mail address.',
    ].join('\n\n'),
  })
  @ApiCreatedResponse({ type: OperatorIncidentDto })
  @ApiProblems({ 422: '`incident_unknown_tenants`, `incident_start_in_future`.' })
  create(@CurrentPrincipal() p: Principal, @Body() dto: CreateIncidentDto): Promise<OperatorIncidentDto> {
    return this.incidents.create({ type: 'user', id: p.userId }, dto);
  }

  @ApiOperation({
    summary: '障害情報一覧（運用者） / List incidents (operators)',
    description: [
      '障害情報を、未解決を先に、新しい順に最大200件返します。プラットフォーム運用者のセッションのみです。',
      'Incidents, open ones first, then newest first (at most 200). Platform operators in a session only.',
    ].join('\n\n'),
  })
  @Get()
  @ApiOkResponse({ type: OperatorIncidentListDto })
  async list(): Promise<OperatorIncidentListDto> {
    return { items: await this.incidents.listForOperator() };
  }

  @ApiOperation({
    summary: '障害情報を取得（運用者） / Get an incident (operators)',
    description: [
      '障害情報1件を、更新履歴と対象の契約とともに返します。プラットフォーム運用者のセッションのみです。存在しないIDは 404 not_found です。',
      'One incident with its updates and affected tenants. Platform operators in a session only. 404 not_found for an unknown id.',
    ].join('\n\n'),
  })
  @Get(':id')
  @ApiOkResponse({ type: OperatorIncidentDto })
  @ApiProblems({ 404: '`not_found`.' })
  get(@Param() { id }: IdParam): Promise<OperatorIncidentDto> {
    return this.incidents.getForOperator(id);
  }

  @Post(':id/updates')
  @ApiOperation({
    summary: '障害情報を更新 / Add an update to an incident',
    description: [
      '障害情報に経過を追加します（resolved: true で解決）。登録時と同じく対象のユーザーにお知らせを出し、serious の場合は管理者にメールも送ります。プラットフォーム運用者のセッションのみです。存在しないIDは 404 not_found、解決済みの障害情報は 409 incident_resolved です。',
      'Adds an update to an incident (resolved: true resolves it); told like a creation: a notice for the affected users and, when serious, an e-mail to their administrators. Platform operators in a session only. 404 not_found for an unknown id, 409 incident_resolved once resolved.',
    ].join('\n\n'),
  })
  @ApiCreatedResponse({ type: OperatorIncidentDto })
  @ApiProblems({ 404: '`not_found`.', 409: '`incident_resolved`.' })
  addUpdate(@CurrentPrincipal() p: Principal, @Param() { id }: IdParam, @Body() dto: AddIncidentUpdateDto): Promise<OperatorIncidentDto> {
    return this.incidents.addUpdate({ type: 'user', id: p.userId }, id, { body: dto.body, resolved: dto.resolved });
  }
}

/** Users of a tenant: the incidents that affect their tenant (the status page 運用状況). */
@ApiTags('incidents')
@ApiCookieAuth()
@Roles('admin', 'member')
@Controller('incidents')
export class IncidentsController {
  constructor(private readonly incidents: IncidentsService) {}

  @ApiOperation({
    summary: '障害情報一覧 / List incidents affecting my tenant',
    description: [
      '自分の契約に影響する障害情報（運用状況）を、未解決を先に、新しい順に最大100件返します。テナントの管理者・メンバーのセッションのみです。',
      "The incidents that affect the caller's tenant (運用状況), open ones first, then newest first (at most 100). Administrators and members in a session only.",
    ].join('\n\n'),
  })
  @Get()
  @ClientPortal()
  @ApiOkResponse({ type: IncidentListDto })
  async list(@CurrentPrincipal() p: Principal): Promise<IncidentListDto> {
    return { items: await this.incidents.listForTenant(tenantOf(p)) };
  }

  @ApiOperation({
    summary: '障害情報を取得 / Get an incident affecting my tenant',
    description: [
      '自分の契約に影響する障害情報1件を返します。テナントの管理者・メンバーのセッションのみです。自分の契約に影響しない障害情報や存在しないIDは 404 not_found です。',
      "One incident that affects the caller's tenant. Administrators and members in a session only. 404 not_found for incidents that do not affect the tenant and unknown ids.",
    ].join('\n\n'),
  })
  @Get(':id')
  @ClientPortal()
  @ApiOkResponse({ type: IncidentDto })
  @ApiProblems({ 404: '`not_found`.' })
  get(@CurrentPrincipal() p: Principal, @Param() { id }: IdParam): Promise<IncidentDto> {
    return this.incidents.getForTenant(tenantOf(p), id);
  }
}
