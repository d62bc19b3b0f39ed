import { Body, Controller, Get, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Caller, CurrentCaller, IdParam, Roles, Scopes, tenantOf } from '@charlotte/core';
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

  @Get()
  @Scopes('applications:read')
  @ApiOkResponse({ type: OfficeListView })
  async list(@CurrentCaller() c: Caller, @Query() q: ListOfficesQuery): Promise<OfficeListView> {
    return { items: await this.offices.list(tenantOf(c), await this.access.of(c), q) };
  }

  @Post()
  @Scopes('applications:write')
  @ApiCreatedResponse({ type: OfficeView })
  create(@CurrentCaller() c: Caller, @Body() dto: CreateOfficeDto): Promise<OfficeView> {
    return this.offices.create(tenantOf(c), c, dto);
  }

  @Get(':id')
  @Scopes('applications:read')
  @ApiOkResponse({ type: OfficeView })
  async get(@CurrentCaller() c: Caller, @Param() { id }: IdParam): Promise<OfficeView> {
    return this.offices.get(tenantOf(c), id, await this.access.of(c));
  }

  @Patch(':id')
  @Scopes('applications:write')
  @ApiOkResponse({ type: OfficeView })
  update(@CurrentCaller() c: Caller, @Param() { id }: IdParam, @Body() dto: UpdateOfficeDto): Promise<OfficeView> {
    return this.offices.update(tenantOf(c), c, id, dto);
  }
}
