import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { ClientPortal, Roles, Scopes } from '@charlotte/core';
import { ProceduresService } from './procedures.service';

class ProcedureView {
  @ApiProperty() code: string;
  @ApiProperty({ description: 'official Japanese name' }) name: string;
  @ApiProperty() nameEn: string;
  @ApiProperty() version: number;
  @ApiProperty({ description: 'filing deadline rule' }) dueRule: string;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'JSON Schema with x- extensions (sections, era dates, codes)' })
  schema: Record<string, unknown>;
}

class ProcedureListView {
  @ApiProperty({ type: [ProcedureView] }) items: ProcedureView[];
}

/** The supported procedures with their form schemas (the SPA renders the editor from them). */
@ApiTags('procedures')
@ApiCookieAuth()
@ApiBearerAuth()
@Roles('admin', 'member')
@Controller('procedures')
export class ProceduresController {
  constructor(private readonly procedures: ProceduresService) {}

  @Get()
  @ClientPortal()
  @Scopes('applications:read')
  @ApiOperation({
    summary: '手続の一覧 / List the procedures',
    description: [
      '対応している手続（コード・正式名称・英語名・版・提出期限の規則）と、その入力フォームのスキーマ（JSON Schema と x- 拡張）を返します。SPAはこのスキーマから入力画面を作り、サーバーも同じスキーマで検証します。管理者・メンバーのセッション、または applications:read スコープのAPIトークンで使えます。',
      'The supported procedures (code, official Japanese name, English name, version, filing deadline rule) with their form schemas (JSON Schema with x- extensions). The SPA renders the editor from them and the server validates with the same schema. Administrators and members in a session, or API tokens with the applications:read scope.',
    ].join('\n\n'),
  })
  @ApiOkResponse({ type: ProcedureListView })
  list(): ProcedureListView {
    return {
      items: this.procedures.list().map((d) => ({
        code: d.code,
        name: d.name,
        nameEn: d.nameEn,
        version: d.version,
        dueRule: d.dueRule,
        schema: this.procedures.schema(d) as unknown as Record<string, unknown>,
      })),
    };
  }
}
