import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiCookieAuth, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems, ClientPortal, CurrentPrincipal, IdParam, Principal, Roles, tenantOf } from '@charlotte/core';
import { ListNoticesQuery, NoticeListView, NoticesReadAllView } from './dto/notice.dto';
import { NoticesService } from './notices.service';

/**
 * お知らせ of the logged-in user. A client portal user gets only the notices addressed to them
 * (never the tenant-wide ones, which are about the office's applications of every client).
 */
const ownOnly = (p: Principal) => p.role === 'client';

@ApiTags('notices')
@ApiCookieAuth()
@Roles('admin', 'member')
@Controller('notices')
export class NoticesController {
  constructor(private readonly notices: NoticesService) {}

  @ApiOperation({
    summary: 'お知らせ一覧 / List my notices',
    description: [
      'ログイン中のユーザー宛てと契約全体宛てのお知らせを、未読を先に、新しい順に返します（limit・cursor でページ送り。unread は未読の総数）。お知らせの文面は kind からクライアントが組み立てます。テナントの管理者・メンバー・顧問先ポータルのユーザー（自分宛てのみ）のセッションで使え、APIトークンでは使えません。',
      'The notices (お知らせ) of the logged-in user and those addressed to the whole tenant, unread first, then newest first, page by page (limit, cursor; unread counts all unread notices). Clients word a notice from its kind. Administrators, members and client portal users (their own notices only) in a session; not for API tokens.',
    ].join('\n\n'),
  })
  @Get()
  @ClientPortal()
  @ApiOkResponse({ type: NoticeListView })
  list(@CurrentPrincipal() p: Principal, @Query() q: ListNoticesQuery): Promise<NoticeListView> {
    return this.notices.list(tenantOf(p), p.userId, { ...q, ownOnly: ownOnly(p) });
  }

  // Declared before ':id/read' so that "read-all" is never taken for an id.
  @Post('read-all')
  @ClientPortal()
  @HttpCode(200)
  @ApiOperation({
    summary: 'すべて既読にする / Mark all my notices read',
    description: [
      'ログイン中のユーザーの未読のお知らせ（契約全体宛てを含む）をすべて既読にし、既読にした件数を返します。テナントの管理者・メンバーのセッションのみです。',
      'Marks every unread notice of the logged-in user read (those addressed to the whole tenant included) and answers how many changed. Administrators and members in a session only.',
    ].join('\n\n'),
  })
  @ApiOkResponse({ type: NoticesReadAllView })
  async readAll(@CurrentPrincipal() p: Principal): Promise<NoticesReadAllView> {
    return { marked: await this.notices.markAllRead(tenantOf(p), p.userId, ownOnly(p)) };
  }

  @Post(':id/read')
  @ClientPortal()
  @ApiOperation({
    summary: 'お知らせを既読にする / Mark a notice read',
    description: [
      'お知らせを1件既読にします（既読でも 204）。テナントの管理者・メンバーのセッションのみです。自分宛てでないお知らせや存在しないIDは 404 not_found です。',
      'Marks one notice read (204 also when it already was). Administrators and members in a session only. 404 not_found for notices not addressed to the user and unknown ids.',
    ].join('\n\n'),
  })
  @ApiNoContentResponse({ description: 'Read (also when it already was).' })
  @ApiProblems({ 404: '`not_found`.' })
  @HttpCode(204)
  read(@CurrentPrincipal() p: Principal, @Param() { id }: IdParam): Promise<void> {
    return this.notices.markRead(tenantOf(p), p.userId, id, ownOnly(p));
  }
}
