import { Body, Controller, Delete, Get, HttpCode, Param, Post, Res } from '@nestjs/common';
import { ApiCookieAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { CurrentPrincipal, Principal, Roles, tenantOf } from '@charlotte/core';
import { UserIdParam } from '../users/dto/user.dto';
import { IssueKeyfileDto, KeyfileResetView, KeyListDto, KeyParams, OwnKeyParam } from './dto/keyfile.dto';
import { KeyfilesService } from './keyfiles.service';

/** Every user (and operator) lists and revokes their own keys. */
@ApiTags('keyfiles')
@ApiCookieAuth()
@Controller('me/keyfiles')
export class MyKeyfilesController {
  constructor(private readonly keys: KeyfilesService) {}

  @Get()
  @ApiOkResponse({ type: KeyListDto })
  async list(@CurrentPrincipal() p: Principal): Promise<KeyListDto> {
    return { items: await this.keys.list(p.tenantId, p.userId) };
  }

  @Delete(':keyId')
  @HttpCode(204)
  revoke(@CurrentPrincipal() p: Principal, @Param() { keyId }: OwnKeyParam): Promise<void> {
    return this.keys.revoke(p.tenantId, p.userId, keyId, p.userId);
  }
}

/** Tenant administrators issue, list, revoke and reset the keys of their tenant's users. */
@ApiTags('keyfiles')
@ApiCookieAuth()
@Roles('admin')
@Controller('users/:id')
export class UserKeyfilesController {
  constructor(private readonly keys: KeyfilesService) {}

  @Get('keyfiles')
  @ApiOkResponse({ type: KeyListDto })
  async list(@CurrentPrincipal() p: Principal, @Param() { id }: UserIdParam): Promise<KeyListDto> {
    return { items: await this.keys.list(tenantOf(p), id) };
  }

  @Post('keyfiles')
  @ApiCreatedResponse({ description: 'The key file itself (shown once): {type: "charlotte-keyfile", version: 1, …}' })
  async issue(
    @CurrentPrincipal() p: Principal,
    @Param() { id }: UserIdParam,
    @Body() dto: IssueKeyfileDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<object> {
    const file = await this.keys.issue(tenantOf(p), id, dto.label, dto.passphrase, p.userId);
    const name = `${file.tenant}-${file.email}.charlotte-key.json`.replace(/[^A-Za-z0-9@._-]/g, '_');
    res.setHeader('Content-Disposition', `attachment; filename="${name}"`);
    res.setHeader('Cache-Control', 'no-store');
    return file;
  }

  @Delete('keyfiles/:keyId')
  @HttpCode(204)
  revoke(@CurrentPrincipal() p: Principal, @Param() { id, keyId }: KeyParams): Promise<void> {
    return this.keys.revoke(tenantOf(p), id, keyId, p.userId);
  }

  @Post('keyfile-reset')
  @HttpCode(200)
  @ApiOkResponse({ type: KeyfileResetView })
  async reset(@CurrentPrincipal() p: Principal, @Param() { id }: UserIdParam): Promise<{ ok: true }> {
    await this.keys.reset(tenantOf(p), id, p.userId);
    return { ok: true };
  }
}
