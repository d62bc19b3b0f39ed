import { Body, Controller, Get, Param, Post } from '@nestjs/common';
import { ApiCookieAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { CreatedUserView } from '@charlotte/auth';
import { ApiProblems, CurrentPrincipal, IdParam, Principal, Roles, tenantOf } from '@charlotte/core';
import { ClientUsersService } from './client-users.service';
import { ClientUserListView, InviteClientUserDto } from './dto/client-user.dto';

const ID = { name: 'id', format: 'uuid', description: '顧問先 (client) id / client id' } as const;

/** Users of a 顧問先's portal, managed by the office (sessions only). */
@ApiTags('clients')
@ApiCookieAuth()
@Roles('admin', 'member')
@Controller('clients/:id/users')
export class ClientUsersController {
  constructor(private readonly clientUsers: ClientUsersService) {}

  @Post()
  @ApiOperation({
    summary: '顧問先ポータルのユーザーを招待 / Invite a client portal user',
    description: [
      '顧問先の担当者をポータルのユーザー（ロール client）として招待し、1回限りの招待リンクを返します（POST /users の招待と同じ。初回にパスワードを設定してキーファイルを登録します）。' +
        'このユーザーは自分の顧問先の申請（下書きを含む、閲覧のみ）と公文書だけを見られ、依頼を送れます。管理者、またはその顧問先の offices 権限を持つ担当者が使えます。' +
        'ポータルが無効の顧問先は 409 portal_disabled、同じメールアドレスのユーザーがいれば 409 email_taken、担当外の顧問先は 404 not_found、offices 権限がなければ 403 right_missing です。',
      'Invites a person of the client company as a portal user (role client) and answers the one-time invitation link (as POST /users without a password: a password and a key file are set at first login). ' +
        "That user sees only this client's applications (read-only, drafts included) and 公文書, and sends requests (依頼). Tenant admins, or staff with the offices right on the client. " +
        '409 portal_disabled while the portal is off, 409 email_taken when a user of the tenant has the address, 404 not_found for a client not visible to the caller, 403 right_missing without the offices right.',
    ].join('\n\n'),
  })
  @ApiParam(ID)
  @ApiCreatedResponse({ type: CreatedUserView })
  @ApiProblems({
    403: '`right_missing`.',
    404: '`not_found`.',
    409: '`portal_disabled`, `email_taken`.',
  })
  invite(@CurrentPrincipal() p: Principal, @Param() { id }: IdParam, @Body() dto: InviteClientUserDto): Promise<CreatedUserView> {
    return this.clientUsers.invite(tenantOf(p), p, id, dto);
  }

  @Get()
  @ApiOperation({
    summary: '顧問先ポータルのユーザー一覧 / List a client’s portal users',
    description: [
      '顧問先のポータルのユーザーを登録順に返します（1顧問先あたり数名）。管理者と、その顧問先の担当者が使えます。担当外の顧問先は 404 not_found です。',
      "The client's portal users, oldest first (a few per client). Tenant admins and the staff who see the client. 404 not_found for a client not visible to the caller.",
    ].join('\n\n'),
  })
  @ApiParam(ID)
  @ApiOkResponse({ type: ClientUserListView })
  @ApiProblems({ 404: '`not_found`.' })
  async list(@CurrentPrincipal() p: Principal, @Param() { id }: IdParam): Promise<ClientUserListView> {
    return { items: await this.clientUsers.list(tenantOf(p), p, id) };
  }
}
