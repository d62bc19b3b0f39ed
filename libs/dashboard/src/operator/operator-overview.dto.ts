import { ApiProperty } from '@nestjs/swagger';

export class TenantCountsDto {
  @ApiProperty({ description: '契約中' }) active: number;
  @ApiProperty({ description: '解約済み（消去待ち）' }) cancelled: number;
  @ApiProperty({ description: '消去済み' }) deleted: number;
}

export class JobFailureDto {
  @ApiProperty({ enum: ['backup', 'restore', 'deletion'] }) kind: 'backup' | 'restore' | 'deletion';
  @ApiProperty({ description: 'the job (generation, restore or deletion job) id' }) id: string;
  @ApiProperty({ type: String, nullable: true, description: 'the tenant (契約コード)' }) tenantCode: string | null;
  @ApiProperty({ description: 'when it failed' }) at: string;
}

export class OperatorOverviewDto {
  @ApiProperty({ type: TenantCountsDto }) tenants: TenantCountsDto;
  @ApiProperty({ description: 'operator alerts not resolved yet (GET /operator/alerts?status=open)' }) openAlerts: number;
  @ApiProperty({ description: 'incidents (運用からのお知らせ) not resolved yet' }) openIncidents: number;
  @ApiProperty({ description: 'failures are listed from this time on (7 days back)' }) failuresSince: string;
  @ApiProperty({
    type: [JobFailureDto],
    description: 'failed backups, restores and deletions since failuresSince, newest first, at most 10',
  })
  jobFailures: JobFailureDto[];
}
