import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { ALERT_KINDS, AlertKind } from '../alert-kinds';

/** An operator alert as the console shows it: cause, fixed summary, ids and counts, never tenant content. */
export class AlertDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ description: 'The dedupe key: one open alert per cause (e.g. `health:scanner`, `backup.failed:<tenantId>`).' })
  cause: string;
  @ApiProperty({ enum: ALERT_KINDS }) kind: AlertKind;
  @ApiProperty({ description: 'Fixed text of the kind (English); the console shows the kind in Japanese.' }) summary: string;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'Ids, counts and error classes (e.g. ECONNREFUSED); never personal data or tenant content.',
  })
  details: Record<string, unknown>;
  @ApiProperty({
    description: 'Whether customers feel it: such an alert becomes an automatic minor incident after ALERT_INCIDENT_AFTER_MINUTES.',
  })
  customerImpact: boolean;
  @ApiProperty({ enum: ['open', 'resolved'] }) status: 'open' | 'resolved';
  @ApiProperty({ format: 'date-time' }) openedAt: string;
  @ApiProperty({ format: 'date-time' }) lastSeenAt: string;
  @ApiProperty({ description: 'How many times the cause was seen while the alert was open.' }) occurrences: number;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) resolvedAt: string | null;
  @ApiProperty({ format: 'uuid', nullable: true, type: String, description: 'The customer incident it became, if any.' })
  incidentId: string | null;
  @ApiProperty({ description: 'Whether the incident was created by the alert → incident rule (then it resolves with the alert).' })
  incidentAuto: boolean;
}

export class AlertListDto {
  @ApiProperty({ type: [AlertDto], description: 'Open alerts first (newest first), then resolved ones (newest first); at most 200.' })
  items: AlertDto[];
}

export class AlertListQuery {
  @ApiPropertyOptional({ enum: ['open', 'resolved'], description: 'Only open or only resolved alerts; both when omitted.' })
  @IsOptional()
  @IsIn(['open', 'resolved'])
  status?: 'open' | 'resolved';
}

export class PromoteAlertDto {
  @ApiProperty({
    enum: ['minor', 'serious'],
    description: 'minor: an お知らせ to every user of the affected tenants; serious: also an e-mail to their administrators.',
  })
  @IsIn(['minor', 'serious'])
  severity: 'minor' | 'serious';
}

export class PromotedAlertDto extends AlertDto {}
