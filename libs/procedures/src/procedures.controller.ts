import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiOkResponse, ApiProperty, ApiTags } from '@nestjs/swagger';
import { Roles, Scopes } from '@charlotte/core';
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
  @Scopes('applications:read')
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
