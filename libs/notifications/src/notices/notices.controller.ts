import { Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiCookieAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, IdParam, Principal, Roles, tenantOf } from '@charlotte/core';
import { NoticeListView } from './dto/notice.dto';
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

  @Post(':id/read')
  @HttpCode(204)
  read(@CurrentPrincipal() p: Principal, @Param() { id }: IdParam): Promise<void> {
    return this.notices.markRead(tenantOf(p), p.userId, id);
  }
}
