import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsString, Matches, MaxLength, ValidateBy, ValidationOptions } from 'class-validator';
import { IsInstant, IsOptionalNonNull } from '@charlotte/core';

export const INCIDENT_SEVERITIES = ['minor', 'serious'] as const;
export type IncidentSeverity = (typeof INCIDENT_SEVERITIES)[number];

export const INCIDENT_TITLE_MAX = 200;
export const INCIDENT_BODY_MAX = 5000;
/** More would be a list of every tenant: use "all". */
export const INCIDENT_TENANTS_MAX = 500;
const TENANT_CODE = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?$/;

/** `"all"` or a non-empty list of tenant codes (each a valid code, at most {@link INCIDENT_TENANTS_MAX}). */
function IsTenantSelection(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isTenantSelection',
      validator: {
        validate: (v: unknown) =>
          v === 'all' ||
          (Array.isArray(v) &&
            v.length > 0 &&
            v.length <= INCIDENT_TENANTS_MAX &&
            v.every((c) => typeof c === 'string' && TENANT_CODE.test(c))),
        defaultMessage: () => `tenants must be "all" or a list of 1–${INCIDENT_TENANTS_MAX} tenant codes`,
      },
    },
    options,
  );
}

/** Body of POST /operator/incidents. */
export class CreateIncidentDto {
  @ApiProperty({ enum: INCIDENT_SEVERITIES, description: 'minor: お知らせ only; serious: also an e-mail to every administrator.' })
  @IsIn(INCIDENT_SEVERITIES)
  severity: IncidentSeverity;

  @ApiProperty({ minLength: 1, maxLength: INCIDENT_TITLE_MAX, example: '電子申請の送信が遅延しています' })
  @IsString()
  @Matches(/\S/, { message: 'title must not be blank', context: { code: 'not_blank' } })
  @MaxLength(INCIDENT_TITLE_MAX)
  title: string;

  @ApiProperty({ minLength: 1, maxLength: INCIDENT_BODY_MAX, description: 'What customers are told (no personal data).' })
  @IsString()
  @Matches(/\S/, { message: 'body must not be blank', context: { code: 'not_blank' } })
  @MaxLength(INCIDENT_BODY_MAX)
  body: string;

  @ApiProperty({
    description: 'The affected tenants: "all", or their codes (unknown codes answer 422 incident_unknown_tenants).',
    oneOf: [
      { type: 'string', enum: ['all'] },
      { type: 'array', items: { type: 'string', example: 'acme' }, minItems: 1, maxItems: INCIDENT_TENANTS_MAX },
    ],
  })
  @IsTenantSelection()
  tenants: 'all' | string[];

  @ApiPropertyOptional({
    description: 'When the incident began (ISO 8601 with Z or ±HH:MM); default now; never in the future.',
    example: '2026-12-03T09:30:00+09:00',
  })
  @IsOptionalNonNull()
  @IsInstant()
  // A date alone would mean midnight UTC: the time and its zone must be explicit.
  @Matches(/T\d{2}:\d{2}/, {
    message: 'startedAt must be a date-time with a time zone (Z or ±HH:MM)',
    context: { code: 'datetime_with_offset' },
  })
  startedAt?: string;
}

/** Body of POST /operator/incidents/:id/updates. */
export class AddIncidentUpdateDto {
  @ApiProperty({ minLength: 1, maxLength: INCIDENT_BODY_MAX })
  @IsString()
  @Matches(/\S/, { message: 'body must not be blank', context: { code: 'not_blank' } })
  @MaxLength(INCIDENT_BODY_MAX)
  body: string;

  @ApiPropertyOptional({ description: 'true: this update resolves the incident (復旧); no update is accepted after it.' })
  @IsOptionalNonNull()
  @IsBoolean()
  resolved?: boolean;
}

export class IncidentUpdateDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() body: string;
  @ApiProperty({ description: 'This update resolved the incident.' }) resolved: boolean;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
}

/** An incident as the users of an affected tenant see it (never the other tenants it affects). */
export class IncidentDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ enum: INCIDENT_SEVERITIES }) severity: IncidentSeverity;
  @ApiProperty() title: string;
  @ApiProperty() body: string;
  @ApiProperty({ enum: ['open', 'resolved'] }) status: 'open' | 'resolved';
  @ApiProperty({ format: 'date-time' }) startedAt: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) resolvedAt: string | null;
  @ApiProperty({ format: 'date-time', description: 'Last change (creation or latest update).' }) updatedAt: string;
  @ApiProperty({ type: [IncidentUpdateDto], description: 'Oldest first.' }) updates: IncidentUpdateDto[];
}

/** 200 of GET /incidents. */
export class IncidentListDto {
  @ApiProperty({ type: [IncidentDto], description: 'Open incidents (newest first), then those resolved in the last 90 days.' })
  items: IncidentDto[];
}

export class IncidentTenantDto {
  @ApiProperty() code: string;
  @ApiProperty() name: string;
}

/** How many were told by the last change: お知らせ rows written and e-mails queued (counts only, never addresses). */
export class IncidentNotifiedDto {
  @ApiProperty() notices: number;
  @ApiProperty() mails: number;
}

/** An incident as platform operators see it. */
export class OperatorIncidentDto extends IncidentDto {
  @ApiProperty() allTenants: boolean;
  @ApiProperty({ type: [IncidentTenantDto], description: 'The affected tenants when not allTenants (empty otherwise).' })
  tenants: IncidentTenantDto[];
  @ApiProperty({
    type: String,
    format: 'uuid',
    nullable: true,
    description: 'The operator who created it; null for an automatic incident.',
  })
  createdBy: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'The operator alert that raised it (automatic incidents).' })
  alertId: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiPropertyOptional({ type: IncidentNotifiedDto, description: 'Only in the answer of a creation or an update.' })
  notified?: IncidentNotifiedDto;
}

/** 200 of GET /operator/incidents. */
export class OperatorIncidentListDto {
  @ApiProperty({
    type: [OperatorIncidentDto],
    description: 'Open incidents first (newest first), then resolved ones (newest first), at most 200.',
  })
  items: OperatorIncidentDto[];
}
