import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiCreatedResponse, ApiOkResponse, ApiQuery, ApiTags } from '@nestjs/swagger';
import { Caller, CurrentCaller, IdParam, Roles, Scopes, tenantOf } from '@charlotte/core';
import { ApplicationsService } from './applications.service';
import {
  ApplicationDetail,
  ApplicationListView,
  CreateApplicationDto,
  DeleteApplicationQuery,
  GetApplicationQuery,
  ListApplicationsQuery,
  UpdateApplicationDto,
  ValidationResultView,
} from './dto/application.dto';

/** Applications (申請) of the caller's tenant. */
@ApiTags('applications')
@ApiCookieAuth()
@ApiBearerAuth()
@Roles('admin', 'member')
@Controller('applications')
export class ApplicationsController {
  constructor(private readonly applications: ApplicationsService) {}

  @Get()
  @Scopes('applications:read')
  @ApiOkResponse({ type: ApplicationListView })
  list(@CurrentCaller() c: Caller, @Query() q: ListApplicationsQuery): Promise<ApplicationListView> {
    return this.applications.list(tenantOf(c), c, q);
  }

  @Post()
  @Scopes('applications:write')
  @ApiCreatedResponse({ type: ApplicationDetail })
  create(@CurrentCaller() c: Caller, @Body() dto: CreateApplicationDto): Promise<ApplicationDetail> {
    return this.applications.create(tenantOf(c), c, dto);
  }

  @Get(':id')
  @Scopes('applications:read')
  @ApiOkResponse({ type: ApplicationDetail })
  get(@CurrentCaller() c: Caller, @Param() { id }: IdParam, @Query() q: GetApplicationQuery): Promise<ApplicationDetail> {
    return this.applications.get(tenantOf(c), c, id, q.unmask === 'sensitive');
  }

  @Patch(':id')
  @Scopes('applications:write')
  @ApiOkResponse({ type: ApplicationDetail })
  update(@CurrentCaller() c: Caller, @Param() { id }: IdParam, @Body() dto: UpdateApplicationDto): Promise<ApplicationDetail> {
    return this.applications.update(tenantOf(c), c, id, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  @Scopes('applications:write')
  @ApiQuery({ name: 'version', required: false, type: String, description: 'when given, a stale version answers 409' })
  async remove(@CurrentCaller() c: Caller, @Param() { id }: IdParam, @Query() q: DeleteApplicationQuery): Promise<void> {
    await this.applications.delete(tenantOf(c), c, id, q.version);
  }

  @Post(':id/validate')
  @HttpCode(200)
  @Scopes('applications:write')
  @ApiOkResponse({ type: ValidationResultView })
  validate(@CurrentCaller() c: Caller, @Param() { id }: IdParam): Promise<ValidationResultView> {
    return this.applications.validate(tenantOf(c), c, id);
  }
}
