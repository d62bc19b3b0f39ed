import { Body, Controller, Get, Put } from '@nestjs/common';
import { ApiCookieAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Principal, Roles, tenantOf } from '@charlotte/core';
import { NotificationSettingsView, UpdateNotificationSettingsDto } from './dto/notification-settings.dto';
import { NotificationPreferencesService } from './notification-preferences.service';

/**
 * The logged-in user's mail settings (通知設定). Session only: an API token belongs to the tenant,
 * not to a user, so it has no "me" whose settings it could change.
 */
@ApiTags('notifications')
@ApiCookieAuth()
@Roles('admin', 'member')
@Controller('me/notification-settings')
export class NotificationPreferencesController {
  constructor(private readonly prefs: NotificationPreferencesService) {}

  @Get()
  @ApiOkResponse({ type: NotificationSettingsView })
  get(@CurrentPrincipal() p: Principal): Promise<NotificationSettingsView> {
    return this.prefs.get(tenantOf(p), p.userId);
  }

  @Put()
  @ApiOkResponse({ type: NotificationSettingsView })
  put(@CurrentPrincipal() p: Principal, @Body() dto: UpdateNotificationSettingsDto): Promise<NotificationSettingsView> {
    return this.prefs.set(tenantOf(p), p.userId, { filingMail: dto.filingMail, draftDigest: dto.draftDigest });
  }
}
