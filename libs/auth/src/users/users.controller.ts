import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiCookieAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems, tenantOf } from '@charlotte/core';
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

  @ApiOperation({
    summary: 'ユーザー一覧 / List users',
    description: [
      '自分の契約のユーザーを登録順に返します（limit・cursor でページ送り、q でメールアドレスの前方一致）。テナント管理者のセッションのみで、APIトークンでは使えません。',
      "The users of the caller's tenant, oldest first, page by page (limit, cursor; q filters by e-mail prefix). Tenant administrators in a session only; not for API tokens.",
    ].join('\n\n'),
  })
  @Get()
  @ApiOkResponse({ type: UserPage })
  async list(@CurrentPrincipal() p: Principal, @Query() q: ListUsersQuery): Promise<UserPage> {
    const page = await this.users.list(tenantOf(p), q);
    return { items: page.items.map(UserView.of), nextCursor: page.nextCursor };
  }

  @ApiOperation({
    summary: 'ユーザーを追加 / Create a user',
    description: [
      'パスワードを指定すると有効なユーザーとして作成し、指定しなければ招待状態で作成して1回限りの招待リンク（invitation）を返します。テナント管理者のセッションのみです。同じメールアドレスのユーザーがいれば 409 email_taken です。',
      'With a password the user is active at once; without one the user is invited and the answer carries the one-time invitation link (invitation). Tenant administrators in a session only. 409 email_taken when a user of the tenant has the e-mail address.',
    ].join('\n\n'),
  })
  @Post()
  @ApiCreatedResponse({ type: CreatedUserView })
  @ApiProblems({ 409: '`email_taken`.' })
  async create(@CurrentPrincipal() p: Principal, @Body() dto: CreateUserDto): Promise<CreatedUserView> {
    const { user, invitation } = await this.users.create(tenantOf(p), dto);
    return {
      ...UserView.of(user),
      ...(invitation ? { invitation: { url: invitation.url, expiresAt: invitation.expiresAt.toISOString() } } : {}),
    };
  }

  @ApiOperation({
    summary: 'ユーザーを取得 / Get a user',
    description: [
      '自分の契約のユーザー1人を返します。テナント管理者のセッションのみです。他の契約のIDや存在しないIDは 404 not_found です。',
      "One user of the caller's tenant. Tenant administrators in a session only. 404 not_found for unknown ids and ids of another tenant.",
    ].join('\n\n'),
  })
  @Get(':id')
  @ApiOkResponse({ type: UserView })
  @ApiProblems({ 404: '`not_found`.' })
  async get(@CurrentPrincipal() p: Principal, @Param() { id }: UserIdParam): Promise<UserView> {
    return UserView.of(await this.users.get(tenantOf(p), id));
  }

  @ApiOperation({
    summary: 'ユーザーを変更 / Update a user',
    description: [
      '表示名・ロール・状態（active/disabled）を変更します。無効化やロール変更ではそのユーザーのセッションを終了します。テナント管理者のセッションのみです。最後の有効な管理者を外す変更は 409 last_admin、SSO必須の契約の唯一の緊急用管理者は 409 last_break_glass_admin、招待中のユーザーを active にすると 409 user_invited、顧問先ポータルのユーザーのロール変更は 409 client_user_role です。',
      "Changes display name, role or status (active/disabled); disabling a user or changing the role ends the user's sessions. Tenant administrators in a session only. 409 last_admin when the tenant would lose its last active administrator, 409 last_break_glass_admin for the only break-glass administrator of a tenant that enforces SSO, 409 user_invited to activate an invited user (they accept the invitation instead), 409 client_user_role to change the role of a client portal user.",
    ].join('\n\n'),
  })
  @Patch(':id')
  @ApiOkResponse({ type: UserView })
  @ApiProblems({ 404: '`not_found`.', 409: '`last_admin`, `last_break_glass_admin`, `user_invited`, `client_user_role`.' })
  async update(@CurrentPrincipal() p: Principal, @Param() { id }: UserIdParam, @Body() dto: UpdateUserDto): Promise<UserView> {
    return UserView.of(await this.users.update(tenantOf(p), id, dto));
  }

  @ApiOperation({
    summary: '招待リンクを再発行 / Issue a new invitation link',
    description: [
      '招待中のユーザーに新しい1回限りの招待リンクを発行します（以前のリンクは無効になります）。テナント管理者のセッションのみです。招待中でないユーザーは 409 user_not_invited です。',
      'Issues a new one-time invitation link for an invited user (the previous link stops working). Tenant administrators in a session only. 409 user_not_invited for a user who is not invited.',
    ].join('\n\n'),
  })
  @Post(':id/invite')
  @HttpCode(200)
  @ApiOkResponse({ type: InvitationView })
  @ApiProblems({ 404: '`not_found`.', 409: '`user_not_invited`.' })
  async invite(@CurrentPrincipal() p: Principal, @Param() { id }: UserIdParam): Promise<InvitationView> {
    const inv = await this.users.invite(tenantOf(p), id);
    return { url: inv.url, expiresAt: inv.expiresAt.toISOString() };
  }
}
