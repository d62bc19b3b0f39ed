import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { Public } from '../http/public.decorator';
import { HealthRegistry } from './health.registry';

/** 200 of GET /health/live (OpenAPI only). */
class LivenessView {
  @ApiProperty({ enum: ['ok'] }) status: 'ok';
}

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly registry: HealthRegistry,
  ) {}

  @Public()
  @Get('live')
  @ApiOperation({
    summary: '死活監視 / Liveness',
    description: [
      'プロセスが応答するかだけを返します（データベースには触れず、レート制限もありません）。認証は不要です。',
      'Whether the process answers, nothing more (no database, no rate limit). No authentication.',
    ].join('\n\n'),
  })
  @ApiOkResponse({ type: LivenessView })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Public()
  @Get('ready')
  @HealthCheck()
  @ApiOperation({
    summary: '稼働準備の確認 / Readiness',
    description: [
      'データベースと登録されたすべての依存先（ClamAV など）が応答するかを確かめます。どれかが応答しなければ 503 で、その内訳を返します。認証は不要です。',
      'Checks that the database and every registered dependency (ClamAV…) answer; 503 with the details when one does not. No authentication.',
    ].join('\n\n'),
  })
  ready() {
    return this.health.check([() => this.db.pingCheck('database', { timeout: 2000 }), ...this.registry.all()]);
  }
}
