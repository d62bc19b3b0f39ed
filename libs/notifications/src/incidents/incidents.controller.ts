import { Body, Controller, Get, Param, Post } from '@nestjs/common';
import { ApiCookieAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, IdParam, Principal, Roles, tenantOf } from '@charlotte/core';
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
    summary:
      'Creates an incident; every active user of the affected tenants gets an お知らせ, and for serious ones every administrator an e-mail.',
  })
  @ApiCreatedResponse({ type: OperatorIncidentDto })
  create(@CurrentPrincipal() p: Principal, @Body() dto: CreateIncidentDto): Promise<OperatorIncidentDto> {
    return this.incidents.create({ type: 'user', id: p.userId }, dto);
  }

  @Get()
  @ApiOkResponse({ type: OperatorIncidentListDto })
  async list(): Promise<OperatorIncidentListDto> {
    return { items: await this.incidents.listForOperator() };
  }

  @Get(':id')
  @ApiOkResponse({ type: OperatorIncidentDto })
  get(@Param() { id }: IdParam): Promise<OperatorIncidentDto> {
    return this.incidents.getForOperator(id);
  }

  @Post(':id/updates')
  @ApiOperation({ summary: 'Adds an update (resolved: true resolves it); told like a creation. 409 incident_resolved once resolved.' })
  @ApiCreatedResponse({ type: OperatorIncidentDto })
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

  @Get()
  @ApiOkResponse({ type: IncidentListDto })
  async list(@CurrentPrincipal() p: Principal): Promise<IncidentListDto> {
    return { items: await this.incidents.listForTenant(tenantOf(p)) };
  }

  @Get(':id')
  @ApiOkResponse({ type: IncidentDto })
  get(@CurrentPrincipal() p: Principal, @Param() { id }: IdParam): Promise<IncidentDto> {
    return this.incidents.getForTenant(tenantOf(p), id);
  }
}
