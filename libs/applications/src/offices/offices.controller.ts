import { Body, Controller, Get, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems, Caller, CurrentCaller, IdParam, Roles, Scopes, tenantOf } from '@charlotte/core';
import { CreateOfficeDto, ListOfficesQuery, OfficeListView, OfficeView, UpdateOfficeDto } from './dto/office.dto';
import { OfficesService } from './offices.service';
import { ClientAccessService } from '../clients/client-access.service';

/** Offices (事業所) of the caller's tenant. */
@ApiTags('offices')
@ApiCookieAuth()
@ApiBearerAuth()
@Roles('admin', 'member')
@Controller('offices')
export class OfficesController {
  constructor(
    private readonly offices: OfficesService,
    private readonly access: ClientAccessService,
  ) {}

  @ApiOperation({
    summary: '事業所一覧 / List offices',
    description: [
      '自分の契約の事業所（事業所整理記号・事業所番号・雇用保険事業所番号・労働保険番号を含む）を返します。管理者・メンバーのセッション、または applications:read スコープのAPIトークンで使えます。',
      "The offices (事業所) of the caller's tenant with their registration numbers (pension office code and number, employment insurance office number, labour insurance number). Administrators and members in a session, or API tokens with the applications:read scope.",
    ].join('\n\n'),
  })
  @Get()
  @Scopes('applications:read')
  @ApiOkResponse({ type: OfficeListView })
  async list(@CurrentCaller() c: Caller, @Query() q: ListOfficesQuery): Promise<OfficeListView> {
    return { items: await this.offices.list(tenantOf(c), await this.access.of(c), q) };
  }

  @ApiOperation({
    summary: '事業所を登録 / Create an office',
    description: [
      '事業所を登録します。必須は名称のみで、各番号は入力されたときに形式を確かめます（全角数字やハイフンは整えて保存します）。形式の合わない番号は 400 validation_failed です。管理者・メンバーのセッション、または applications:write スコープのAPIトークンで使えます。',
      'Creates an office. Only the name is required; the numbers are checked by format when present (full-width digits and hyphens are normalised). 400 validation_failed for a number of the wrong format. Administrators and members in a session, or API tokens with the applications:write scope.',
    ].join('\n\n'),
  })
  @Post()
  @Scopes('applications:write')
  @ApiCreatedResponse({ type: OfficeView })
  create(@CurrentCaller() c: Caller, @Body() dto: CreateOfficeDto): Promise<OfficeView> {
    return this.offices.create(tenantOf(c), c, dto);
  }

  @ApiOperation({
    summary: '事業所を取得 / Get an office',
    description: [
      '事業所1件を返します。管理者・メンバーのセッション、または applications:read スコープのAPIトークンで使えます。他の契約のIDや存在しないIDは 404 not_found です。',
      'One office. Administrators and members in a session, or API tokens with the applications:read scope. 404 not_found for unknown ids and ids of another tenant.',
    ].join('\n\n'),
  })
  @Get(':id')
  @Scopes('applications:read')
  @ApiOkResponse({ type: OfficeView })
  @ApiProblems({ 404: '`not_found`.' })
  async get(@CurrentCaller() c: Caller, @Param() { id }: IdParam): Promise<OfficeView> {
    return this.offices.get(tenantOf(c), id, await this.access.of(c));
  }

  @ApiOperation({
    summary: '事業所を変更 / Update an office',
    description: [
      '事業所の名称・所在地・各番号を変更します（version が必要）。version が古ければ 409 version_conflict、形式の合わない番号は 400 validation_failed、他の契約のIDや存在しないIDは 404 not_found です。管理者・メンバーのセッション、または applications:write スコープのAPIトークンで使えます。',
      'Changes the name, address or numbers of an office (version required). 409 version_conflict for a stale version, 400 validation_failed for a number of the wrong format, 404 not_found for unknown ids and ids of another tenant. Administrators and members in a session, or API tokens with the applications:write scope.',
    ].join('\n\n'),
  })
  @Patch(':id')
  @Scopes('applications:write')
  @ApiOkResponse({ type: OfficeView })
  @ApiProblems({ 404: '`not_found`.', 409: '`version_conflict`.' })
  update(@CurrentCaller() c: Caller, @Param() { id }: IdParam, @Body() dto: UpdateOfficeDto): Promise<OfficeView> {
    return this.offices.update(tenantOf(c), c, id, dto);
  }
}
