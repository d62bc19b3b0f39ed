import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { IsOptionalNonNull, UUID_PATTERN } from '@charlotte/core';
import { FILING_EVENT_TYPES, type FilingEventType } from '@charlotte/filing';

const EVENTS_DESCRIPTION =
  '通知するイベント / the events to deliver: application.submitted (提出), application.arrived (到達), application.correction_requested (補正の依頼), application.completed (手続終了), application.failed (送信失敗), document.available (公文書の到着)';

export class CreateWebhookDto {
  @ApiProperty({ description: 'https URL of the receiver; its host must resolve to public addresses only', maxLength: 2048 })
  @IsString()
  @MaxLength(2048)
  url: string;

  @ApiProperty({ enum: FILING_EVENT_TYPES, isArray: true, description: EVENTS_DESCRIPTION })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(20)
  @IsIn(FILING_EVENT_TYPES, { each: true })
  events: FilingEventType[];

  @ApiPropertyOptional({ type: String, description: 'a note for administrators (what receives it)', maxLength: 200, nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  description?: string | null;
}

export class UpdateWebhookDto {
  @ApiPropertyOptional({ description: 'a new https URL (checked like at creation)', maxLength: 2048 })
  @IsOptionalNonNull()
  @IsString()
  @MaxLength(2048)
  url?: string;

  @ApiPropertyOptional({ enum: FILING_EVENT_TYPES, isArray: true, description: EVENTS_DESCRIPTION })
  @IsOptionalNonNull()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(20)
  @IsIn(FILING_EVENT_TYPES, { each: true })
  events?: FilingEventType[];

  @ApiPropertyOptional({ type: String, description: 'a note for administrators; null removes it', maxLength: 200, nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  description?: string | null;

  @ApiPropertyOptional({ enum: ['active', 'disabled'], description: 'active re-enables a disabled webhook; disabled stops deliveries' })
  @IsOptionalNonNull()
  @IsIn(['active', 'disabled'])
  status?: 'active' | 'disabled';
}

export class WebhookDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() url: string;
  @ApiProperty({ enum: FILING_EVENT_TYPES, isArray: true }) events: FilingEventType[];
  @ApiProperty({ type: String, nullable: true }) description: string | null;
  @ApiProperty({ enum: ['active', 'disabled'] }) status: 'active' | 'disabled';
  @ApiProperty({
    enum: ['admin', 'failures'],
    nullable: true,
    description: 'why it is disabled: by an administrator, or automatically after a day of failed deliveries',
  })
  disabledReason: 'admin' | 'failures' | null;
  @ApiProperty({ type: String, nullable: true }) disabledAt: string | null;
  @ApiProperty() createdAt: string;
  @ApiProperty() updatedAt: string;
}

export class CreatedWebhookDto extends WebhookDto {
  @ApiProperty({
    description:
      '署名用シークレット（この応答でのみ表示） / the signing secret, shown in this answer only: Charlotte-Signature is v1=<hex HMAC-SHA256(secret, timestamp + "." + body)>',
  })
  secret: string;
}

export class WebhookListDto {
  @ApiProperty({ type: [WebhookDto] }) items: WebhookDto[];
  @ApiProperty({ type: String, nullable: true, description: 'always null: a tenant has at most 20 webhooks' }) nextCursor: string | null;
}

export const DELIVERY_ERRORS = [
  'timeout',
  'connection',
  'tls',
  'redirect',
  'http_status',
  'address_not_allowed',
  'dns',
  'webhook_disabled',
  'internal',
] as const;

export class WebhookDeliveryDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid', description: 'the event (Charlotte-Webhook-Id; the same for a redelivery)' }) eventId: string;
  @ApiProperty({ description: 'the event type, or ping' }) type: string;
  @ApiProperty({ enum: ['pending', 'delivered', 'failed'] }) status: 'pending' | 'delivered' | 'failed';
  @ApiProperty() attempts: number;
  @ApiProperty({ type: Number, nullable: true, description: "the receiver's HTTP status code at the last attempt" }) statusCode:
    number | null;
  @ApiProperty({ enum: DELIVERY_ERRORS, nullable: true, description: 'why the last attempt failed' }) error:
    (typeof DELIVERY_ERRORS)[number] | null;
  @ApiProperty({ type: Number, nullable: true, description: 'milliseconds until the answer (or the failure) of the last attempt' })
  responseTimeMs: number | null;
  @ApiProperty() createdAt: string;
  @ApiProperty({ type: String, nullable: true }) lastAttemptAt: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'pending: when the next attempt is due' }) nextAttemptAt: string | null;
  @ApiProperty({ type: String, nullable: true }) deliveredAt: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'uuid', description: 'the delivery this one redelivers' }) redeliveryOf:
    string | null;
}

export class WebhookDeliveryListDto {
  @ApiProperty({ type: [WebhookDeliveryDto] }) items: WebhookDeliveryDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor: string | null;
}

export class WebhookPingDto {
  @ApiProperty({ type: WebhookDeliveryDto, description: 'the ping as logged (one attempt, never retried)' }) delivery: WebhookDeliveryDto;
  @ApiProperty({ description: 'whether the receiver answered 2xx' }) ok: boolean;
}

export class DeliveryListQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 50 })
  @IsOptional()
  @Transform(({ value }) => (typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value))
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  @ApiPropertyOptional({ description: 'Opaque cursor from the previous page.' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  cursor?: string;
}

/** `:id/deliveries/:did`: two UUIDs, or 400 before any query runs. */
export class DeliveryParams {
  @ApiProperty({ format: 'uuid', description: 'the webhook' })
  @Matches(UUID_PATTERN, { message: 'id must be a UUID', context: { code: 'uuid' } })
  id: string;

  @ApiProperty({ format: 'uuid', description: 'the delivery' })
  @Matches(UUID_PATTERN, { message: 'did must be a UUID', context: { code: 'uuid' } })
  did: string;
}
