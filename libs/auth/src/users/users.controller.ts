import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiCookieAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { tenantOf } from '@charlotte/core';
import { CurrentPrincipal, Principal, Roles } from '../guards/principal';
import {
  CreatedUserView,
  CreateUserDto,
  InvitationView,
  ListUsersQuery,
  UpdateUserDto,
  UserIdParam,
  UserPage,
  UserView,
} from './dto/user.dto';
import { UsersService } from './users.service';

/** Tenant administrators manage the users of their own tenant. */
@ApiTags('users')
@ApiCookieAuth()
@Roles('admin')
@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get()
  @ApiOkResponse({ type: UserPage })
  async list(@CurrentPrincipal() p: Principal, @Query() q: ListUsersQuery): Promise<UserPage> {
    const page = await this.users.list(tenantOf(p), q);
    return { items: page.items.map(UserView.of), nextCursor: page.nextCursor };
  }

  @Post()
  @ApiCreatedResponse({ type: CreatedUserView })
  async create(@CurrentPrincipal() p: Principal, @Body() dto: CreateUserDto): Promise<CreatedUserView> {
    const { user, invitation } = await this.users.create(tenantOf(p), dto);
    return {
      ...UserView.of(user),
      ...(invitation ? { invitation: { url: invitation.url, expiresAt: invitation.expiresAt.toISOString() } } : {}),
    };
  }

  @Get(':id')
  @ApiOkResponse({ type: UserView })
  async get(@CurrentPrincipal() p: Principal, @Param() { id }: UserIdParam): Promise<UserView> {
    return UserView.of(await this.users.get(tenantOf(p), id));
  }

  @Patch(':id')
  @ApiOkResponse({ type: UserView })
  async update(@CurrentPrincipal() p: Principal, @Param() { id }: UserIdParam, @Body() dto: UpdateUserDto): Promise<UserView> {
    return UserView.of(await this.users.update(tenantOf(p), id, dto));
  }

  @Post(':id/invite')
  @HttpCode(200)
  @ApiOkResponse({ type: InvitationView })
  async invite(@CurrentPrincipal() p: Principal, @Param() { id }: UserIdParam): Promise<InvitationView> {
    const inv = await this.users.invite(tenantOf(p), id);
    return { url: inv.url, expiresAt: inv.expiresAt.toISOString() };
  }
}
