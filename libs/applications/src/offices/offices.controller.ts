import { Body, Controller, Get, Param, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Caller, CurrentCaller, IdParam, Roles, Scopes, tenantOf } from '@charlotte/core';
import { CreateOfficeDto, OfficeListView, OfficeView, UpdateOfficeDto } from './dto/office.dto';
import { OfficesService } from './offices.service';

/** Offices (事業所) of the caller's tenant. */
@ApiTags('offices')
@ApiCookieAuth()
@ApiBearerAuth()
@Roles('admin', 'member')
@Controller('offices')
export class OfficesController {
  constructor(private readonly offices: OfficesService) {}

  @Get()
  @Scopes('applications:read')
  @ApiOkResponse({ type: OfficeListView })
  async list(@CurrentCaller() c: Caller): Promise<OfficeListView> {
    return { items: await this.offices.list(tenantOf(c)) };
  }

  @Post()
  @Scopes('applications:write')
  @ApiCreatedResponse({ type: OfficeView })
  create(@CurrentCaller() c: Caller, @Body() dto: CreateOfficeDto): Promise<OfficeView> {
    return this.offices.create(tenantOf(c), dto);
  }

  @Get(':id')
  @Scopes('applications:read')
  @ApiOkResponse({ type: OfficeView })
  get(@CurrentCaller() c: Caller, @Param() { id }: IdParam): Promise<OfficeView> {
    return this.offices.get(tenantOf(c), id);
  }

  @Patch(':id')
  @Scopes('applications:write')
  @ApiOkResponse({ type: OfficeView })
  update(@CurrentCaller() c: Caller, @Param() { id }: IdParam, @Body() dto: UpdateOfficeDto): Promise<OfficeView> {
    return this.offices.update(tenantOf(c), id, dto);
  }
}
