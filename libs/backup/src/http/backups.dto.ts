import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, Matches } from 'class-validator';
import { IdParam } from '@charlotte/core';

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CODE_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/i;

/** A generation as api.md lists it: ids, counts, sizes and hashes only, never tenant content. */
export class GenerationDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ description: 'The tenant code (契約コード).' }) tenant: string;
  @ApiProperty({ enum: ['daily', 'weekly'] }) kind: 'daily' | 'weekly';
  @ApiProperty({ enum: ['primary', 'remote'], description: 'A weekly generation lives in the remote store.' }) store: 'primary' | 'remote';
  @ApiProperty({ enum: ['running', 'complete', 'failed'] }) state: 'running' | 'complete' | 'failed';
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) completedAt: string | null;
  @ApiProperty({ nullable: true, type: Number, description: 'Bytes of the sealed archive as stored.' }) size: number | null;
  @ApiProperty({ nullable: true, type: String, description: 'SHA-256 (hex) of the sealed archive as stored.' }) sha256: string | null;
  @ApiProperty({ nullable: true, type: Number, description: 'The data-key version that sealed the archive.' }) keyVersion: number | null;
  @ApiProperty({ nullable: true, type: String, description: 'The latest migration when it was written.' }) schemaVersion: string | null;
  @ApiProperty({
    nullable: true,
    type: 'object',
    additionalProperties: { type: 'integer' },
    description: 'Rows per table, and `blobs`.',
  })
  counts: Record<string, number> | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) verifiedAt: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'Why the last verification failed.' }) verifyError: string | null;
  @ApiProperty({ description: 'Bytes written so far (progress of a running generation).' }) progressBytes: number;
  @ApiProperty({ nullable: true, type: String, description: 'Why the generation failed (no tenant content).' }) error: string | null;
}

export class GenerationListDto {
  @ApiProperty({ type: [GenerationDto] }) items: GenerationDto[];
}

export class StartedDto {
  @ApiProperty({ format: 'uuid' }) id: string;
}

export class RestoreDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) generationId: string;
  @ApiProperty({ enum: ['running', 'complete', 'failed'] }) state: 'running' | 'complete' | 'failed';
  @ApiProperty({ nullable: true, type: String, enum: ['verifying', 'restoring', 'cleaning', 'done'] }) step: string | null;
  @ApiProperty({ nullable: true, type: String }) error: string | null;
  @ApiProperty({ format: 'date-time' }) startedAt: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) finishedAt: string | null;
}

export class TenantCodeParam {
  @ApiProperty({ description: 'The tenant code (契約コード).', pattern: CODE_PATTERN.source })
  @Matches(CODE_PATTERN, { message: 'code must be a tenant code', context: { code: 'tenant_code' } })
  code: string;
}

export class TenantRestoreParam extends TenantCodeParam {
  @ApiProperty({ format: 'uuid' })
  @Matches(UUID_PATTERN, { message: 'id must be a UUID', context: { code: 'uuid' } })
  id: string;
}

export class BackupIdParam extends IdParam {}

export class StartBackupDto {
  @ApiPropertyOptional({
    enum: ['daily', 'weekly'],
    default: 'daily',
    description: 'weekly: a daily generation, then its copy to the remote store.',
  })
  @IsOptional()
  @IsIn(['daily', 'weekly'])
  kind?: 'daily' | 'weekly';
}

export class StartRestoreDto {
  @ApiProperty({ format: 'uuid', description: 'The generation to restore.' })
  @Matches(UUID_PATTERN, { message: 'backupId must be a UUID', context: { code: 'uuid' } })
  backupId: string;
}
