import { IdParam, IsInstant } from '@charlotte/core';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';

export class AuditQueryDto {
  @ApiPropertyOptional({ enum: ['operation', 'access', 'security', 'system'] })
  @IsOptional()
  @IsIn(['operation', 'access', 'security', 'system'])
  category?: string;

  @ApiPropertyOptional({ example: 'auth.login' })
  @IsOptional()
  @Matches(/^[a-z][a-z0-9_.]{0,99}$/, { message: 'action must be a dotted lowercase name', context: { code: 'action_name' } })
  action?: string;

  @ApiPropertyOptional({ description: 'Actor id (user or API token id).' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  actor?: string;

  // Range-checked here, not by the SQL cast: a date PostgreSQL refuses answered 500 (issue 13, finding 12).
  @ApiPropertyOptional({ description: 'Inclusive lower bound: ISO 8601 date, or date-time with Z or ±HH:MM; years 1900–9999.' })
  @IsOptional()
  @IsInstant()
  from?: string;

  @ApiPropertyOptional({ description: 'Exclusive upper bound: ISO 8601 date, or date-time with Z or ±HH:MM; years 1900–9999.' })
  @IsOptional()
  @IsInstant()
  to?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 50 })
  @IsOptional()
  @Transform(({ value }) => (typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value))
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;
}

export class AuditExportQueryDto {
  @ApiProperty({ enum: ['jsonl', 'csv'] })
  @IsIn(['jsonl', 'csv'])
  format: 'jsonl' | 'csv';
}

/** The `:id` of this resource (a UUID). */
export class AuditEventIdParam extends IdParam {}

/** Who acted, with a name resolved at read time for the viewer (never stored in the chain). */
export class AuditActorDto {
  @ApiProperty({ enum: ['user', 'api_token', 'anonymous', 'system'] }) type: string;
  @ApiProperty({ type: String, nullable: true }) id: string | null;
  @ApiProperty({
    type: String,
    nullable: true,
    description:
      '表示名（閲覧時に解決、記録には含まれません）。 / The display name, resolved when read for the viewer (not part of the hashed event); null when unknown or not visible to the caller.',
  })
  label: string | null;
  @ApiProperty({ description: '削除済みの実行者 / The actor no longer exists.' }) deleted: boolean;
}

/** What the event is about, with a name resolved at read time for the viewer (never stored in the chain). */
export class AuditTargetDto {
  @ApiProperty({ example: 'application' }) type: string;
  @ApiProperty({ type: String, nullable: true }) id: string | null;
  @ApiProperty({
    type: String,
    nullable: true,
    description:
      "対象の名前（申請のタイトル、ユーザー名、事業所名など。閲覧時に解決）。 / The name of the target (application title, user name, office name, API token name …), resolved when read within the viewer's tenant; null when unknown, deleted, or not visible to an API token without the matching scope.",
  })
  label: string | null;
  @ApiProperty({ description: '対象が削除済み / The target no longer exists (or was removed; label then names it if known).' })
  deleted: boolean;
}

export class AuditEventDto {
  @ApiProperty() id: string;
  @ApiProperty() chain: string;
  @ApiProperty() seq: number;
  @ApiProperty({ description: 'UTC, microseconds' }) occurredAt: string;
  @ApiProperty({ enum: ['operation', 'access', 'security', 'system'] }) category: string;
  @ApiProperty() action: string;
  @ApiProperty({ enum: ['success', 'failure', 'denied'] }) outcome: string;
  @ApiProperty({ type: String, nullable: true }) tenantId: string | null;
  @ApiProperty({ type: AuditActorDto }) actor: AuditActorDto;
  @ApiProperty({ type: AuditTargetDto, nullable: true }) target: AuditTargetDto | null;
  @ApiProperty({ type: String, nullable: true }) requestId: string | null;
  @ApiProperty({ type: String, nullable: true }) ip: string | null;
  @ApiProperty({ type: String, nullable: true }) userAgent: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'ids and reason codes only' }) details: object;
  @ApiProperty({ description: 'hex SHA-256 of the previous event' }) prevHash: string;
  @ApiProperty({ description: 'hex SHA-256(prevHash ‖ canonical JSON)' }) hash: string;
}

export class AuditPageDto {
  @ApiProperty({ type: [AuditEventDto] }) items: AuditEventDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor: string | null;
}

export class VerifyResultDto {
  @ApiProperty() ok: boolean;
  @ApiProperty() checked: number;
  @ApiProperty({ type: Number, nullable: true }) firstBrokenSeq: number | null;
  @ApiProperty({ type: 'object', nullable: true, properties: { seq: { type: 'number' }, hash: { type: 'string' } } }) head: object | null;
  @ApiProperty({ type: 'object', properties: { checked: { type: 'number' }, invalid: { type: 'number' } } }) checkpoints: object;
  @ApiPropertyOptional({ description: 'why verification stopped: gap, link, hash, checkpoint_mismatch, …' }) reason?: string;
}

/** One Ed25519 public key as a JWK (RFC 8037). */
export class SigningJwkDto {
  @ApiProperty({ enum: ['OKP'] }) kty: 'OKP';
  @ApiProperty({ enum: ['Ed25519'] }) crv: 'Ed25519';
  @ApiProperty({ description: 'the public key, base64url' }) x: string;
  @ApiProperty({ description: 'RFC 7638 thumbprint' }) kid: string;
  @ApiProperty({ enum: ['sig'] }) use: 'sig';
  @ApiProperty({ enum: ['EdDSA'] }) alg: 'EdDSA';
}

/** 200 of GET /.well-known/charlotte-signing-key.json: the key that verifies checkpoints, as a JWK Set. */
export class SigningKeySetDto {
  @ApiProperty({ type: [SigningJwkDto] }) keys: SigningJwkDto[];
}
