import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiCookieAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems, CurrentPrincipal, Principal, Roles, tenantOf } from '@charlotte/core';
import { CreatedTokenDto, CreateTokenDto, TokenIdParam, TokenListDto } from './dto/token.dto';
import { TokensService } from './tokens.service';

/** Tenant administrators manage API tokens (session only: a token cannot mint tokens). */
@ApiTags('api-tokens')
@ApiCookieAuth()
@Roles('admin')
@Controller('api-tokens')
export class TokensController {
  constructor(private readonly tokens: TokensService) {}

  @ApiOperation({
    summary: 'APIトークン一覧 / List API tokens',
    description: [
      '契約のAPIトークン（名前・スコープ・有効期限・最終使用日時・失効日時。トークン自体は含みません）を返します。テナント管理者のセッションのみです。',
      "The tenant's API tokens: name, scopes, expiry, last use and revocation (never the token itself). Tenant administrators in a session only.",
    ].join('\n\n'),
  })
  @Get()
  @ApiOkResponse({ type: TokenListDto })
  async list(@CurrentPrincipal() p: Principal): Promise<TokenListDto> {
    return { items: await this.tokens.list(tenantOf(p)) };
  }

  @ApiOperation({
    summary: 'APIトークンを発行 / Create an API token',
    description: [
      '名前・スコープ・有効期限（省略時は既定の期間、最長1年）を指定してトークンを発行します。トークンはこの応答で一度だけ返します。テナント管理者のセッションのみで、トークンでトークンは発行できません。期限が過去か1年より先なら 400 validation_failed（expiry_out_of_range）です。',
      'Creates a token with a name, scopes and an expiry (a default when omitted; at most one year). The token itself is in this answer only, once. Tenant administrators in a session only: a token cannot mint tokens. 400 validation_failed (expiry_out_of_range) for an expiry in the past or more than a year away.',
    ].join('\n\n'),
  })
  @Post()
  @ApiCreatedResponse({ type: CreatedTokenDto })
  create(@CurrentPrincipal() p: Principal, @Body() dto: CreateTokenDto): Promise<CreatedTokenDto> {
    return this.tokens.create(tenantOf(p), p.userId, dto);
  }

  @ApiOperation({
    summary: 'APIトークンを失効 / Revoke an API token',
    description: [
      'トークンを直ちに失効させます。テナント管理者のセッションのみです。他の契約のIDや存在しないIDは 404 not_found です。',
      'Revokes the token at once. Tenant administrators in a session only. 404 not_found for unknown ids and ids of another tenant.',
    ].join('\n\n'),
  })
  @Delete(':id')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Revoked.' })
  @ApiProblems({ 404: '`not_found`.' })
  revoke(@CurrentPrincipal() p: Principal, @Param() { id }: TokenIdParam): Promise<void> {
    return this.tokens.revoke(tenantOf(p), id);
  }
}
