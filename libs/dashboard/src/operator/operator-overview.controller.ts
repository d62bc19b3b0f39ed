import { Controller, Get } from '@nestjs/common';
import { ApiCookieAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '@charlotte/core';
import { OperatorOverviewDto } from './operator-overview.dto';
import { OperatorOverviewService } from './operator-overview.service';

/** Platform operators' home. Never tenant content: counts, codes and job ids. */
@ApiTags('operator')
@ApiCookieAuth()
@Roles('operator')
@Controller('operator/overview')
export class OperatorOverviewController {
  constructor(private readonly overview: OperatorOverviewService) {}

  @Get()
  @ApiOperation({
    summary: '運用ホーム（契約数・アラート・障害・ジョブ失敗） / Operator home (tenants, alerts, incidents, job failures)',
    description:
      'プラットフォーム運用者向け。契約状態ごとのテナント数、未解決のアラート数と障害（運用からのお知らせ）数、直近7日間に失敗したバックアップ・リストア・消去ジョブ（最大10件）を返します。テナントの内容は含みません。\n\n' +
      'Platform operators only: tenants by contract status, open operator alerts and incidents, and the backups, restores and deletions that failed in the last 7 days (at most 10). No tenant content.',
  })
  @ApiOkResponse({ type: OperatorOverviewDto })
  get(): Promise<OperatorOverviewDto> {
    return this.overview.get();
  }
}
