import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsObject, IsOptional, IsString, Length, Matches, Max, Min } from 'class-validator';
import { UUID_PATTERN } from '@charlotte/core';

export const APPLICATION_STATUSES = [
  'draft',
  'ready',
  'submitting',
  'arrived',
  'under_review',
  'correction_requested',
  'review_finished',
  'completed',
  'withdrawn',
  'failed',
] as const;
export type ApplicationStatus = (typeof APPLICATION_STATUSES)[number];

export class CreateApplicationDto {
  @ApiProperty({ description: 'procedure code from GET /procedures, e.g. shaho-shutoku' })
  @IsString()
  @Matches(/^[a-z][a-z0-9-]{1,63}$/, { message: 'procedureCode must be a procedure code' })
  procedureCode: string;

  @ApiProperty({ description: 'office (事業所) of this tenant' })
  @Matches(UUID_PATTERN, { message: 'officeId must be a UUID' })
  officeId: string;

  @ApiProperty({ description: 'a title for the list (sealed)', maxLength: 200 })
  @IsString()
  @Length(1, 200)
  title: string;

  @ApiPropertyOptional({
    description: 'form data keyed by field name; a draft may be partial but must be type-correct',
    type: 'object',
    additionalProperties: true,
  })
  @IsOptional()
  @IsObject()
  form?: Record<string, unknown>;
}

export class UpdateApplicationDto {
  @ApiProperty({ description: 'the version read (optimistic concurrency: a stale one answers 409 version_conflict)' })
  @IsInt()
  @Min(1)
  version: number;

  @ApiPropertyOptional({ maxLength: 200 })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  title?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @Matches(UUID_PATTERN, { message: 'officeId must be a UUID' })
  officeId?: string;

  @ApiPropertyOptional({ description: 'the whole form (replaces the stored one)', type: 'object', additionalProperties: true })
  @IsOptional()
  @IsObject()
  form?: Record<string, unknown>;
}

export class ListApplicationsQuery {
  @ApiPropertyOptional({ enum: APPLICATION_STATUSES })
  @IsOptional()
  @IsIn(APPLICATION_STATUSES as unknown as string[])
  status?: ApplicationStatus;

  @ApiPropertyOptional()
  @IsOptional()
  @Matches(UUID_PATTERN, { message: 'officeId must be a UUID' })
  officeId?: string;

  @ApiPropertyOptional({ description: 'procedure code' })
  @IsOptional()
  @Matches(/^[a-z][a-z0-9-]{1,63}$/, { message: 'procedure must be a procedure code' })
  procedure?: string;

  @ApiPropertyOptional({ description: 'created on or after this date (YYYY-MM-DD, JST)' })
  @IsOptional()
  @Matches(/^\d{4}-\d{2}-\d{2}$/, { message: 'from must be YYYY-MM-DD' })
  from?: string;

  @ApiPropertyOptional({ description: 'created on or before this date (YYYY-MM-DD, JST)' })
  @IsOptional()
  @Matches(/^\d{4}-\d{2}-\d{2}$/, { message: 'to must be YYYY-MM-DD' })
  to?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 50 })
  @IsOptional()
  @Transform(({ value }) => (typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value))
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  @ApiPropertyOptional({ description: 'opaque cursor from the previous page' })
  @IsOptional()
  @IsString()
  @Length(1, 400)
  cursor?: string;
}

export class GetApplicationQuery {
  @ApiPropertyOptional({ description: 'sensitive: show 個人番号 unmasked (the form editor; sessions only; audited)', enum: ['sensitive'] })
  @IsOptional()
  @IsIn(['sensitive'])
  unmask?: 'sensitive';
}

export class ApplicationSummary {
  @ApiProperty() id: string;
  @ApiProperty() title: string;
  @ApiProperty() procedureCode: string;
  @ApiProperty() procedureVersion: number;
  @ApiProperty() officeId: string;
  @ApiProperty({ enum: APPLICATION_STATUSES }) status: ApplicationStatus;
  @ApiProperty() version: number;
  @ApiProperty() createdAt: string;
  @ApiProperty() updatedAt: string;
}

export class ApplicationListView {
  @ApiProperty({ type: [ApplicationSummary] }) items: ApplicationSummary[];
  @ApiPropertyOptional({ nullable: true }) nextCursor: string | null;
}

export class TimelineEntry {
  @ApiProperty() at: string;
  @ApiProperty({ description: 'created, updated, validated, status' }) kind: string;
  @ApiPropertyOptional({ nullable: true }) fromStatus: string | null;
  @ApiPropertyOptional({ nullable: true }) toStatus: string | null;
  @ApiPropertyOptional({ nullable: true, description: 'user:<id> or token:<id>' }) actor: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true }) details: Record<string, unknown>;
}

export class AttachmentView {
  @ApiProperty() id: string;
  @ApiProperty() fileName: string;
  @ApiProperty() contentType: string;
  @ApiProperty() size: number;
  @ApiProperty({ description: 'hex SHA-256 of the plaintext' }) sha256: string;
  @ApiProperty({ enum: ['clean'] }) scan: 'clean';
  @ApiProperty() createdAt: string;
}

export class ApplicationDetail extends ApplicationSummary {
  @ApiProperty({ type: 'object', additionalProperties: true, description: '個人番号 masked unless ?unmask=sensitive' })
  form: Record<string, unknown>;
  @ApiProperty() masked: boolean;
  @ApiProperty({ type: [TimelineEntry] }) timeline: TimelineEntry[];
  @ApiProperty({ type: [AttachmentView] }) attachments: AttachmentView[];
}

export class FieldErrorView {
  @ApiProperty() field: string;
  @ApiProperty() code: string;
  @ApiProperty({ description: 'Japanese' }) message: string;
  @ApiProperty() messageEn: string;
}

export class ValidationResultView {
  @ApiProperty() valid: boolean;
  @ApiProperty({ type: [FieldErrorView] }) errors: FieldErrorView[];
  @ApiProperty({ enum: APPLICATION_STATUSES }) status: ApplicationStatus;
  @ApiProperty() version: number;
}
