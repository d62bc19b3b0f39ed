import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put, Req } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiConsumes,
  ApiCookieAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import type { Request } from 'express';
import { ApiProblems, Caller, CurrentCaller, CurrentPrincipal, IdParam, Principal, Roles, Scopes, tenantOf } from '@charlotte/core';
import { IMPORT_MAX_BYTES } from './client-csv';
import { ClientsService } from './clients.service';
import {
  AssignmentsDto,
  AssignmentsView,
  ClientImportResultView,
  ClientListView,
  ClientView,
  CreateClientDto,
  UpdateClientDto,
} from './dto/client.dto';
import { readUpload } from './read-upload';

const ID = { name: 'id', format: 'uuid', description: '顧問先 (client) id / client id' } as const;

/** 顧問先 (client companies) of a sharoushi tenant. Admins manage them; staff see the ones assigned to them. */
@ApiTags('clients')
@ApiCookieAuth()
@ApiBearerAuth()
@Roles('admin', 'member')
@Controller('clients')
export class ClientsController {
  constructor(private readonly clients: ClientsService) {}

  @Get()
  @Scopes('applications:read')
  @ApiOperation({
    summary: '顧問先の一覧 / List clients',
    description:
      '顧問先の一覧です。担当者（member）には担当の顧問先だけが返ります。一般企業の契約では常に空です。\n\n' +
      'The clients the caller sees: staff (member) only their assigned ones; always empty in a company tenant.',
  })
  @ApiOkResponse({ type: ClientListView })
  async list(@CurrentCaller() c: Caller): Promise<ClientListView> {
    return { items: await this.clients.list(tenantOf(c), c) };
  }

  @Post()
  @Roles('admin')
  @ApiOperation({
    summary: '顧問先の登録 / Create a client',
    description:
      '顧問先を登録します（管理者のみ）。顧問先コードは契約内で一意です。一般企業の契約では 409 not_sharoushi です。\n\n' +
      'Creates a client (tenant admin). The code is unique in the tenant (409 client_code_taken); 409 not_sharoushi in a company tenant.',
  })
  @ApiCreatedResponse({ type: ClientView })
  create(@CurrentPrincipal() p: Principal, @Body() dto: CreateClientDto): Promise<ClientView> {
    return this.clients.create(tenantOf(p), p, dto);
  }

  @Post('import')
  @HttpCode(200)
  @Roles('admin')
  @ApiOperation({
    summary: '顧問先と事業所のCSV取込 / Import clients and offices from CSV',
    description:
      'CSV（UTF-8（BOMあり・なし）またはShift_JIS）から顧問先と事業所を一括登録します。見出し行は ' +
      'code,name,office_name,pension_office_code,pension_office_number,employment_office_number,labor_insurance_number。' +
      '1行でも誤りがあれば何も登録せず、422 import_invalid で行ごとの誤りを返します（row は見出しを除くデータ行の番号、1から）。' +
      '既存の顧問先コードの行は、その顧問先に事業所を追加します（顧問先名が一致すること）。すでに同じ内容の事業所がある行は追加しないため、同じファイルを取り込み直しても重複しません。1 MB・2,000行まで。\n\n' +
      'Creates clients and their offices from a CSV file (UTF-8 with or without BOM, or Shift_JIS; header ' +
      'code,name,office_name,pension_office_code,pension_office_number,employment_office_number,labor_insurance_number). ' +
      'Any bad row: nothing is created and 422 import_invalid lists {row, field, message} (row counts data rows from 1; row 0 is the file or header). ' +
      'A row naming an existing code adds its office to that client (the name must match); an office identical to one the client already has is not added again, so importing the same file twice duplicates nothing. At most 1 MB and 2,000 rows.',
  })
  @ApiConsumes('multipart/form-data')
  @ApiBody({ schema: { type: 'object', properties: { file: { type: 'string', format: 'binary' } }, required: ['file'] } })
  @ApiOkResponse({ type: ClientImportResultView })
  @ApiProblems({
    413: '`payload_too_large` (over 1 MB).',
    422: '`import_invalid`: `errors` [{row, field, code, message}]; nothing was created.',
  })
  async import(@CurrentPrincipal() p: Principal, @Req() req: Request): Promise<ClientImportResultView> {
    return this.clients.import(tenantOf(p), await readUpload(req, IMPORT_MAX_BYTES));
  }

  @Get(':id')
  @Scopes('applications:read')
  @ApiOperation({
    summary: '顧問先の詳細 / Get a client',
    description:
      '担当外の顧問先は 404 です（他の契約と同じ）。\n\nA client not assigned to the calling staff member answers 404, like another tenant’s.',
  })
  @ApiParam(ID)
  @ApiOkResponse({ type: ClientView })
  get(@CurrentCaller() c: Caller, @Param() { id }: IdParam): Promise<ClientView> {
    return this.clients.get(tenantOf(c), c, id);
  }

  @Patch(':id')
  @Roles('admin')
  @ApiOperation({
    summary: '顧問先の変更 / Update a client',
    description:
      '顧問先名・コード・メモ・顧問先ポータルの利用を変更します（管理者のみ）。version を送ると、古い場合は 409 version_conflict です。\n\n' +
      'Changes name, code, notes or the client portal (tenant admin). With `version`, a stale one answers 409 version_conflict.',
  })
  @ApiParam(ID)
  @ApiOkResponse({ type: ClientView })
  update(@CurrentPrincipal() p: Principal, @Param() { id }: IdParam, @Body() dto: UpdateClientDto): Promise<ClientView> {
    return this.clients.update(tenantOf(p), p, id, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  @Roles('admin')
  @ApiOperation({
    summary: '顧問先の削除 / Delete a client',
    description:
      '事業所または顧問先ポータルのユーザーが残っている顧問先は削除できません（409 client_in_use）。担当の割り当てと依頼も削除されます。\n\n' +
      'Refused with 409 client_in_use while the client has offices or portal users; its staff assignments and requests (依頼) go with it.',
  })
  @ApiParam(ID)
  @ApiNoContentResponse({ description: 'deleted' })
  remove(@CurrentPrincipal() p: Principal, @Param() { id }: IdParam): Promise<void> {
    return this.clients.delete(tenantOf(p), p, id);
  }
}

/** Which clients a staff member sees, with which rights (tenant admin). */
@ApiTags('users')
@ApiCookieAuth()
@Roles('admin')
@Controller('users/:id/assignments')
export class AssignmentsController {
  constructor(private readonly clients: ClientsService) {}

  @Get()
  @ApiOperation({
    summary: '担当顧問先の取得 / Get a user’s client assignments',
    description:
      '担当者が扱える顧問先と権限（draft: 申請の作成・編集、submit: 提出・補正・取下げ、documents: 公文書、offices: 事業所の管理）です。' +
      'all が true なら全顧問先をすべての権限で扱えます。管理者は割り当てに関係なく全顧問先を扱えます。\n\n' +
      'The clients a staff member works on and the rights on each (draft, submit, documents, offices); `all`: every client with every right. ' +
      'Admins see every client whatever is stored here. 409 not_sharoushi in a company tenant.',
  })
  @ApiParam({ name: 'id', format: 'uuid', description: 'ユーザーID / user id' })
  @ApiOkResponse({ type: AssignmentsView })
  get(@CurrentPrincipal() p: Principal, @Param() { id }: IdParam): Promise<AssignmentsView> {
    return this.clients.assignments(tenantOf(p), id);
  }

  @Put()
  @ApiOperation({
    summary: '担当顧問先の設定 / Set a user’s client assignments',
    description:
      '担当顧問先と権限をまとめて置き換えます。割り当てのない担当者はどの顧問先も見られません。\n\n' +
      'Replaces the assignments. A staff member without any sees no client (default deny). Unknown clients answer 400 unknown_client.',
  })
  @ApiParam({ name: 'id', format: 'uuid', description: 'ユーザーID / user id' })
  @ApiOkResponse({ type: AssignmentsView })
  put(@CurrentPrincipal() p: Principal, @Param() { id }: IdParam, @Body() dto: AssignmentsDto): Promise<AssignmentsView> {
    return this.clients.setAssignments(tenantOf(p), id, dto);
  }
}
