import { Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiCookieAuth, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, IdParam, Principal, Roles, tenantOf } from '@charlotte/core';
import { NoticeListView, NoticesReadAllView } from './dto/notice.dto';
import { NoticesService } from './notices.service';

/** お知らせ of the logged-in user. */
@ApiTags('notices')
@ApiCookieAuth()
@Roles('admin', 'member')
@Controller('notices')
export class NoticesController {
  constructor(private readonly notices: NoticesService) {}

  @Get()
  @ApiOkResponse({ type: NoticeListView })
  list(@CurrentPrincipal() p: Principal) {
    return this.notices.list(tenantOf(p), p.userId);
  }

  // Declared before ':id/read' so that "read-all" is never taken for an id.
  @Post('read-all')
  @HttpCode(200)
  @ApiOperation({ summary: 'すべて既読にする / Marks every unread notice of the user read.' })
  @ApiOkResponse({ type: NoticesReadAllView })
  async readAll(@CurrentPrincipal() p: Principal): Promise<NoticesReadAllView> {
    return { marked: await this.notices.markAllRead(tenantOf(p), p.userId) };
  }

  @Post(':id/read')
  @ApiNoContentResponse({ description: 'Read (also when it already was).' })
  @HttpCode(204)
  read(@CurrentPrincipal() p: Principal, @Param() { id }: IdParam): Promise<void> {
    return this.notices.markRead(tenantOf(p), p.userId, id);
  }
}
