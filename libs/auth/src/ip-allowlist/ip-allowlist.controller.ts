import { Body, Controller, Get, Put, Req } from '@nestjs/common';
import { ApiCookieAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { ApiProblems, CurrentPrincipal, Principal, Roles, tenantOf } from '@charlotte/core';
import { IpAllowlistDto, IpAllowlistView } from './dto/ip-allowlist.dto';
import { IpAllowlistService } from './ip-allowlist.service';

/** Tenant administrators restrict where their users and API tokens may connect from (session only). */
@ApiTags('ip-allowlist')
@ApiCookieAuth()
@Roles('admin')
@Controller('tenant/ip-allowlist')
export class IpAllowlistController {
  constructor(private readonly allowlist: IpAllowlistService) {}

  @Get()
  @ApiOperation({
    summary: 'IPアドレス制限の取得 / Get the IP allow-list',
    description:
      'ご契約のIPアドレス制限（有効/無効、許可するネットワーク、対象）と、このリクエストの送信元アドレスを返します。\n\n' +
      "The tenant's IP allow-list (enabled, allowed networks, whom it applies to) and the address this request came from.",
  })
  @ApiOkResponse({ type: IpAllowlistView })
  get(@CurrentPrincipal() p: Principal, @Req() req: Request): Promise<IpAllowlistView> {
    return this.allowlist.get(tenantOf(p), req.ip);
  }

  @Put()
  @ApiOperation({
    summary: 'IPアドレス制限の保存 / Save the IP allow-list',
    description:
      'IPアドレス制限を保存します。CIDRは正規化して保存します。現在のアドレスを含まない一覧は、confirmOwnAddress: true がなければ 409 would_lock_out になります。\n\n' +
      'Saves the IP allow-list; CIDRs are stored canonical. A list that excludes the caller’s own address answers 409 would_lock_out ' +
      'unless confirmOwnAddress is true; a malformed CIDR answers 400 validation_failed (invalid_cidr) and nothing changes.',
  })
  @ApiOkResponse({ type: IpAllowlistView })
  @ApiProblems({
    400: '`validation_failed`: a malformed CIDR (`invalid_cidr` on `cidrs[i]`), or an enabled empty list.',
    409: '`would_lock_out`: the list excludes your current address; send confirmOwnAddress: true.',
  })
  put(@CurrentPrincipal() p: Principal, @Body() dto: IpAllowlistDto, @Req() req: Request): Promise<IpAllowlistView> {
    return this.allowlist.put(tenantOf(p), dto, req.ip, p.userId);
  }
}
