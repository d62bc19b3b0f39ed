import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsObject, IsOptional, IsString, Length, Matches, Max, Min } from 'class-validator';
import { IsCalendarDate, IsOptionalNonNull, UUID_PATTERN } from '@charlotte/core';

export const APPLICATION_STATUSES = [
  'draft',
  'ready',
  // 承認待ち: submitted while an approval route (承認フロー) applies; nothing has gone to e-Gov yet.
  'awaiting_approval',
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
  @Matches(/^[a-z][a-z0-9-]{1,63}$/, { message: 'procedureCode must be a procedure code', context: { code: 'procedure_code' } })
  procedureCode: string;

  @ApiProperty({ description: 'office (事業所) of this tenant' })
  @Matches(UUID_PATTERN, { message: 'officeId must be a UUID', context: { code: 'uuid' } })
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
  @IsOptionalNonNull()
  @IsObject()
  form?: Record<string, unknown>;
}

/** Absent fields are left as they are; null is refused (IsOptionalNonNull), never passed to the service. */
export class UpdateApplicationDto {
  @ApiProperty({ description: 'the version read (optimistic concurrency: a stale one answers 409 version_conflict)' })
  @IsInt()
  @Min(1)
  version: number;

  @ApiPropertyOptional({ maxLength: 200 })
  @IsOptionalNonNull()
  @IsString()
  @Length(1, 200)
  title?: string;

  @ApiPropertyOptional()
  @IsOptionalNonNull()
  @Matches(UUID_PATTERN, { message: 'officeId must be a UUID', context: { code: 'uuid' } })
  officeId?: string;

  @ApiPropertyOptional({ description: 'the whole form (replaces the stored one)', type: 'object', additionalProperties: true })
  @IsOptionalNonNull()
  @IsObject()
  form?: Record<string, unknown>;
}

/** `?due=`: not filed yet and past its deadline, or due within the next 7 days (JST). */
export const DUE_FILTERS = ['overdue', 'week'] as const;
export type DueFilter = (typeof DUE_FILTERS)[number];

export class ListApplicationsQuery {
  // Several statuses, comma-separated, for the dashboard's 審査中 (submitting,arrived,under_review,review_finished).
  @ApiPropertyOptional({
    type: String,
    description: `a status (${APPLICATION_STATUSES.join(', ')}), or several separated by commas`,
    example: 'draft',
  })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' && value.includes(',') ? value.split(',') : value))
  @IsIn(APPLICATION_STATUSES as unknown as string[], { each: true })
  status?: ApplicationStatus | ApplicationStatus[];

  @ApiPropertyOptional({
    enum: DUE_FILTERS,
    description: 'overdue: not filed yet and its 提出期限 has passed (JST); week: not filed yet and due today or in the next 7 days',
  })
  @IsOptional()
  @IsIn(DUE_FILTERS as unknown as string[])
  due?: DueFilter;

  @ApiPropertyOptional()
  @IsOptional()
  @Matches(UUID_PATTERN, { message: 'officeId must be a UUID', context: { code: 'uuid' } })
  officeId?: string;

  @ApiPropertyOptional({ description: 'procedure code' })
  @IsOptional()
  @Matches(/^[a-z][a-z0-9-]{1,63}$/, { message: 'procedure must be a procedure code', context: { code: 'procedure_code' } })
  procedure?: string;

  @ApiPropertyOptional({ format: 'uuid', description: '顧問先 (client): the applications of its offices (sharoushi tenants)' })
  @IsOptional()
  @Matches(UUID_PATTERN, { message: 'clientId must be a UUID', context: { code: 'uuid' } })
  clientId?: string;

  // A day that exists, checked here: '2026-02-30' or '0000-00-00' reached the SQL ::date cast and answered 500 (issue 13, finding 12).
  @ApiPropertyOptional({ description: 'created on or after this date (YYYY-MM-DD, JST; years 1900–9999)' })
  @IsOptional()
  @IsCalendarDate()
  from?: string;

  @ApiPropertyOptional({ description: 'created on or before this date (YYYY-MM-DD, JST; years 1900–9999)' })
  @IsOptional()
  @IsCalendarDate()
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
  @ApiPropertyOptional({
    description:
      "sensitive: show 個人番号 unmasked (the editor, on the user's 表示 only; sessions only; each request audited). A PATCH may send the masked value back unchanged: the stored number is kept.",
    enum: ['sensitive'],
  })
  @IsOptional()
  @IsIn(['sensitive'])
  unmask?: 'sensitive';
}

/**
 * `DELETE /applications/{id}?version=`: digits make a stale version answer 409 version_conflict;
 * any other value is ignored, as before this DTO replaced the controller's regex. (The parameter is
 * documented by the route's @ApiQuery, so the OpenAPI document is unchanged.)
 */
export class DeleteApplicationQuery {
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : undefined))
  @IsInt()
  version?: number;
}

export class ApplicationSummary {
  @ApiProperty() id: string;
  @ApiProperty() title: string;
  @ApiProperty() procedureCode: string;
  @ApiProperty() procedureVersion: number;
  @ApiProperty() officeId: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: '顧問先 (client) of the office; null in a company tenant' })
  clientId: string | null;
  @ApiProperty({ type: String, nullable: true, description: '顧問先名 (client name); null in a company tenant' })
  clientName: string | null;
  @ApiProperty({ enum: APPLICATION_STATUSES }) status: ApplicationStatus;
  @ApiProperty() version: number;
  @ApiProperty() createdAt: string;
  @ApiProperty() updatedAt: string;
  @ApiProperty({
    type: String,
    nullable: true,
    description:
      '提出期限 (YYYY-MM-DD, JST) computed from the form when it was last saved or checked (e.g. 資格取得日 + 5日, moved past 行政機関の休日); null while the date it counts from is empty, and for applications not saved since the deadline was introduced',
    example: '2026-04-06',
  })
  dueDate: string | null;
  @ApiProperty({ description: 'the 提出期限 has passed (before today, JST) and the application is not filed yet (draft, ready, failed)' })
  overdue: boolean;
}

export class ApplicationListView {
  @ApiProperty({ type: [ApplicationSummary] }) items: ApplicationSummary[];
  @ApiProperty({ type: String, nullable: true, description: 'cursor of the next page; null on the last page' }) nextCursor: string | null;
}

export class TimelineEntry {
  @ApiProperty() at: string;
  @ApiProperty({ description: 'created, updated, validated, status' }) kind: string;
  @ApiPropertyOptional({ type: String, nullable: true }) fromStatus: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) toStatus: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, description: 'user:<id> or token:<id>' }) actor: string | null;
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

// The next two shapes are part of the application detail's contract (GET /applications/{id}); libs/filing
// fills them through a DetailPart (extensions.ts), so this lib declares them but never reads e-Gov data.
export class EgovCaseNoticeDto {
  @ApiProperty() noticeSubId: string;
  @ApiProperty({ description: "the government's notice type: 補正, 取下げ, お知らせ, …" }) type: string;
  @ApiProperty() title: string;
  @ApiProperty({ description: 'for 補正: what to correct' }) body: string;
  @ApiPropertyOptional({
    type: String,
    nullable: true,
    description: 'when e-Gov issued it: ISO 8601 with +09:00 (e.g. 2026-04-01T09:30:00+09:00), or a calendar day YYYY-MM-DD',
  })
  date: string | null;
}

export class EgovActionDto {
  @ApiProperty() id: string;
  @ApiProperty({ enum: ['amend', 'withdraw'] }) kind: 'amend' | 'withdraw';
  @ApiProperty({ enum: ['pending', 'sending', 'done', 'failed'] }) state: 'pending' | 'sending' | 'done' | 'failed';
  @ApiPropertyOptional({
    type: String,
    nullable: true,
    description: "why e-Gov refused it (the government's wording), or the last transient error while retrying",
  })
  lastError: string | null;
  @ApiProperty() createdAt: string;
  @ApiProperty() updatedAt: string;
}

export class FieldErrorView {
  @ApiProperty() field: string;
  @ApiProperty() code: string;
  @ApiProperty({ description: 'Japanese' }) message: string;
  @ApiProperty() messageEn: string;
}

export class ApplicationDetail extends ApplicationSummary {
  @ApiPropertyOptional({ type: String, nullable: true, description: '到達番号 once e-Gov accepted the filing' }) arriveId: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, description: "e-Gov's own status string (到達, 審査中, 審査中（補正待ち）, …)" })
  egovStatus: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, description: 'why the submission failed (status failed)' }) failureReason:
    string | null;
  @ApiProperty({ type: [EgovCaseNoticeDto], description: 'notices e-Gov sent about this case (sealed at rest)' })
  egovNotices: EgovCaseNoticeDto[];
  @ApiPropertyOptional({ type: EgovActionDto, nullable: true, description: 'the latest 補正 (amend) or 取下げ (withdraw) request' })
  lastAction: EgovActionDto | null;
  @ApiProperty({ type: 'object', additionalProperties: true, description: '個人番号 masked unless ?unmask=sensitive' })
  form: Record<string, unknown>;
  @ApiProperty() masked: boolean;
  @ApiProperty({
    type: [FieldErrorView],
    description:
      'Fields of the saved draft whose typed value does not fit its type (kept as typed so the user finds it again; 入力チェック refuses it). Empty when every saved value has the right type.',
  })
  fieldErrors: FieldErrorView[];
  @ApiProperty({ type: [TimelineEntry] }) timeline: TimelineEntry[];
  @ApiProperty({ type: [AttachmentView] }) attachments: AttachmentView[];
}

export class ValidationResultView {
  @ApiProperty() valid: boolean;
  @ApiProperty({ type: [FieldErrorView] }) errors: FieldErrorView[];
  @ApiProperty({ enum: APPLICATION_STATUSES }) status: ApplicationStatus;
  @ApiProperty() version: number;
}
