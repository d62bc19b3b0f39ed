import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Caller, CurrentCaller, Roles, Scopes, tenantOf } from '@charlotte/core';
import { DashboardService } from './dashboard.service';
import { DashboardView } from './dto/dashboard.dto';

/** The tenant's home: what to do next. Members and administrators alike; API tokens with applications:read. */
@ApiTags('dashboard')
@ApiCookieAuth()
@ApiBearerAuth()
@Roles('admin', 'member')
@Controller('dashboard')
export class DashboardController {
  constructor(private readonly dashboard: DashboardService) {}

  @Get()
  @Scopes('applications:read')
  @ApiOperation({
    summary: 'ホーム（件数・提出期限・手続終了・はじめにやること） / Dashboard (counts, deadlines, completed, onboarding)',
    description:
      '自テナントの申請の状態別件数（下書き・提出準備完了・審査中・補正待ち・送信エラー）、提出期限が過ぎた申請と14日以内に期限が来る申請、直近の手続終了5件（公文書の件数つき）、新しいテナント向けのチェックリスト（社労士事務所では顧問先を登録から・事業所を登録・e-Govと連携・申請を作成・キーファイルを安全に保管）を返します。期限の判定は日本時間の今日が基準です。\n\n' +
      "The caller's tenant: application counts by status (draft, ready, in review, correction requested, failed), the applications past their filing deadline and those due in the next 14 days, the latest 5 completed ones with their number of official documents, and the onboarding checklist of a new tenant (for a sharoushi office first its clients, then office, e-Gov link, first application, key files kept safe). Deadlines are judged against today in Japan (JST).",
  })
  @ApiOkResponse({ type: DashboardView })
  get(@CurrentCaller() c: Caller): Promise<DashboardView> {
    return this.dashboard.get(tenantOf(c), c);
  }
}
