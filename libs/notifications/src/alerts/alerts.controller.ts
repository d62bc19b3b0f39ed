import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiConflictResponse, ApiCookieAuth, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, IdParam, Principal, Roles } from '@charlotte/core';
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
  @ApiOperation({ summary: 'Operator alerts, open ones first (`?status=open|resolved` to filter).' })
  @ApiOkResponse({ type: AlertListDto })
  async list(@Query() q: AlertListQuery): Promise<AlertListDto> {
    return { items: await this.console.list(q.status) };
  }

  @Get(':id')
  @ApiOkResponse({ type: AlertDto })
  @ApiNotFoundResponse({ description: 'not_found' })
  get(@Param() { id }: IdParam): Promise<AlertDto> {
    return this.console.get(id);
  }

  @Post(':id/incident')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Promotes an open alert to a customer incident for the affected tenants (serious: their administrators get an e-mail).',
  })
  @ApiOkResponse({ type: AlertDto, description: 'The alert, now linked to the incident.' })
  @ApiNotFoundResponse({ description: 'not_found' })
  @ApiConflictResponse({ description: 'alert_has_incident, alert_resolved' })
  promote(@CurrentPrincipal() p: Principal, @Param() { id }: IdParam, @Body() dto: PromoteAlertDto): Promise<AlertDto> {
    return this.console.promote(p, id, dto.severity);
  }
}
