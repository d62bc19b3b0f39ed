import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiCookieAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Principal, Roles, tenantOf } from '@charlotte/core';
import { CreatedTokenDto, CreateTokenDto, TokenIdParam, TokenListDto } from './dto/token.dto';
import { TokensService } from './tokens.service';

/** Tenant administrators manage API tokens (session only: a token cannot mint tokens). */
@ApiTags('api-tokens')
@ApiCookieAuth()
@Roles('admin')
@Controller('api-tokens')
export class TokensController {
  constructor(private readonly tokens: TokensService) {}

  @Get()
  @ApiOkResponse({ type: TokenListDto })
  async list(@CurrentPrincipal() p: Principal): Promise<TokenListDto> {
    return { items: await this.tokens.list(tenantOf(p)) };
  }

  @Post()
  @ApiCreatedResponse({ type: CreatedTokenDto })
  create(@CurrentPrincipal() p: Principal, @Body() dto: CreateTokenDto): Promise<CreatedTokenDto> {
    return this.tokens.create(tenantOf(p), p.userId, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  revoke(@CurrentPrincipal() p: Principal, @Param() { id }: TokenIdParam): Promise<void> {
    return this.tokens.revoke(tenantOf(p), id);
  }
}
