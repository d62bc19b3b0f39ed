import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, Matches } from 'class-validator';
import { IdParam, IsInstant } from '@charlotte/core';

/** A 契約コード in the path (same pattern as tenant creation; case is folded by the lookup). */
export class TenantCodeParam {
  @ApiProperty({
    example: 'acme',
    description: 'The tenant code (契約コード).',
    pattern: '^[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?$',
  })
  @Matches(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?$/, { message: 'code must be a tenant code', context: { code: 'tenant_code' } })
  code: string;
}

export class CertificateIdParam extends IdParam {}

export class CancelTenantDto {
  @ApiPropertyOptional({
    description: 'When the cancellation takes effect (ISO 8601 with Z or ±HH:MM); default now; at most 5 minutes in the past.',
    example: '2026-12-28T09:00:00+09:00',
  })
  @IsOptional()
  @IsInstant()
  // A date alone would mean midnight UTC (09:00 in Japan): the time and its zone must be explicit.
  @Matches(/T\d{2}:\d{2}/, {
    message: 'effectiveAt must be a date-time with a time zone (Z or ±HH:MM)',
    context: { code: 'datetime_with_offset' },
  })
  effectiveAt?: string;
}

export class OperatorTenantDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() code: string;
  @ApiProperty() name: string;
  @ApiProperty({ enum: ['company', 'sharoushi'], description: 'company, or sharoushi (a 社会保険労務士 office holding 顧問先)' })
  kind: 'company' | 'sharoushi';
  @ApiProperty({ enum: ['active', 'cancelled', 'deleted'] }) status: 'active' | 'cancelled' | 'deleted';
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'When the cancellation takes (took) effect.' })
  cancelledAt: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'End (23:59:59.999 JST) of the 5th business day after.' })
  deletionDueAt: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) deletedAt: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) reinstatedAt: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) lastBackupAt: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'The deletion certificate, once issued.' })
  certificateId: string | null;
}

export class OperatorTenantListDto {
  @ApiProperty({ type: [OperatorTenantDto] }) items: OperatorTenantDto[];
}

export class DeletionStartedDto {
  @ApiProperty({ format: 'uuid' }) jobId: string;
}

export class DeletionJobDto {
  @ApiProperty({ format: 'uuid' }) jobId: string;
  @ApiProperty({ format: 'uuid' }) tenantId: string;
  @ApiProperty({ enum: ['running', 'failed', 'done'] }) state: 'running' | 'failed' | 'done';
  @ApiProperty({ description: 'The next step (0 plan, 1 backups, 2 blobs, 3 rows, 4 keys, 5 audit, 6 status, 7 certificate, 8 done).' })
  step: number;
  @ApiProperty({ description: 'Number of steps (step = steps when done).' }) steps: number;
  @ApiProperty() attempts: number;
  @ApiProperty({ type: String, nullable: true }) error: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) startedAt: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) finishedAt: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) certificateId: string | null;
}

class CertificateTenantDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() code: string;
  @ApiProperty() name: string;
}
class CertificateBackupsDto {
  @ApiProperty() primary: number;
  @ApiProperty() remote: number;
}
class CertificateDeletedDto {
  @ApiProperty({ type: 'object', additionalProperties: { type: 'integer' }, description: 'Rows deleted per table.' })
  rows: Record<string, number>;
  @ApiProperty({ description: 'Attachments and documents.' }) blobs: number;
  @ApiProperty() bytes: number;
  @ApiProperty({ type: CertificateBackupsDto }) backups: CertificateBackupsDto;
  @ApiProperty() keyVersions: number;
}
class CertificateChecksDto {
  @ApiProperty() rowsRemaining: number;
  @ApiProperty() blobsRemaining: number;
  @ApiProperty() backupsRemaining: number;
  @ApiProperty() keysRemaining: number;
}

/** The signed certificate exactly as issued (api.md). */
export class DeletionCertificateDto {
  @ApiProperty({ enum: ['charlotte-deletion-certificate'] }) type: 'charlotte-deletion-certificate';
  @ApiProperty() version: number;
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ type: CertificateTenantDto }) tenant: CertificateTenantDto;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) cancelledAt: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) deletionDueAt: string | null;
  @ApiProperty({ format: 'date-time' }) deletedAt: string;
  @ApiProperty({ type: CertificateDeletedDto }) deleted: CertificateDeletedDto;
  @ApiProperty() method: string;
  @ApiProperty({ type: CertificateChecksDto }) checks: CertificateChecksDto;
  @ApiProperty({ description: 'kid of the key in /.well-known/charlotte-signing-key.json' }) keyId: string;
  @ApiProperty({ description: 'Ed25519, base64url, over the canonical JSON of the certificate without signature.' }) signature: string;
}
