import { Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiCookieAuth, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ApiProblems, Roles } from '@charlotte/core';
import { IpAllowlistResetDto, IpAllowlistTenantParam } from './ip-allowlist-reset.dto';
import { IpAllowlistResetService } from './ip-allowlist-reset.service';

/** Platform operators: the break-glass reset of a tenant's IP allow-list (never its content). */
@ApiTags('operator')
@ApiCookieAuth()
@Roles('operator')
@Controller('operator/tenants')
export class OperatorIpAllowlistController {
  constructor(private readonly reset: IpAllowlistResetService) {}

  @Post(':code/ip-allowlist/disable')
  @HttpCode(200)
  @ApiOperation({
    summary: 'IPアドレス制限の解除（緊急時） / Switch a tenant’s IP allow-list off (break-glass)',
    description:
      'ご契約のIPアドレス制限を無効にします（登録済みのアドレスは残ります）。操作はプラットフォームとご契約の監査ログに記録し、ご契約の管理者全員にお知らせを送ります。\n\n' +
      "Switches the tenant's IP allow-list off, keeping its entries, for a tenant that locked itself out. Recorded on the platform's " +
      "and the tenant's audit chain; every administrator of the tenant gets an お知らせ.",
  })
  @ApiParam({ name: 'code', description: '契約コード / tenant code', example: 'acme' })
  @ApiOkResponse({ type: IpAllowlistResetDto })
  @ApiProblems({ 404: '`not_found`: no tenant with this code.', 409: '`tenant_deleted`: the tenant was deleted.' })
  disable(@Param() { code }: IpAllowlistTenantParam): Promise<IpAllowlistResetDto> {
    return this.reset.disable(code);
  }
}
