import { Body, Controller, Get, Put } from '@nestjs/common';
import { ApiCookieAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
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

  @ApiOperation({
    summary: '通知設定を取得 / Get my notification settings',
    description: [
      'ログイン中のユーザーのメール通知の設定（申請の状況のメール、下書きのまとめメール）を返します。テナントの管理者・メンバーのセッションのみです。',
      "The logged-in user's mail settings (filing mail, draft digest). Administrators and members in a session only.",
    ].join('\n\n'),
  })
  @Get()
  @ApiOkResponse({ type: NotificationSettingsView })
  get(@CurrentPrincipal() p: Principal): Promise<NotificationSettingsView> {
    return this.prefs.get(tenantOf(p), p.userId);
  }

  @ApiOperation({
    summary: '通知設定を保存 / Save my notification settings',
    description: [
      'ログイン中のユーザーのメール通知の設定を保存し、保存後の設定を返します。テナントの管理者・メンバーのセッションのみです。',
      "Saves the logged-in user's mail settings and answers them. Administrators and members in a session only.",
    ].join('\n\n'),
  })
  @Put()
  @ApiOkResponse({ type: NotificationSettingsView })
  put(@CurrentPrincipal() p: Principal, @Body() dto: UpdateNotificationSettingsDto): Promise<NotificationSettingsView> {
    return this.prefs.set(tenantOf(p), p.userId, { filingMail: dto.filingMail, draftDigest: dto.draftDigest });
  }
}
