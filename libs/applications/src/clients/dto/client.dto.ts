import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsBoolean, IsIn, IsInt, IsOptional, IsString, Length, Matches, Min, ValidateNested } from 'class-validator';
import { IsOptionalNonNull, UUID_PATTERN } from '@charlotte/core';
import { CLIENT_RIGHTS, type ClientRight } from '../client-access';

/** 顧問先コード: what the office types and sorts by, and the key of a CSV import (letters, digits, - and _). */
export const CLIENT_CODE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,49}$/;

export class CreateClientDto {
  @ApiProperty({ description: '顧問先名 (sealed at rest)', maxLength: 200 })
  @IsString()
  @Length(1, 200)
  name: string;

  @ApiPropertyOptional({ description: '顧問先コード, unique in the tenant (letters, digits, - and _; up to 50)', example: 'C001' })
  @IsOptional()
  @IsString()
  @Matches(CLIENT_CODE_PATTERN, { message: 'code must be 1-50 letters, digits, - or _', context: { code: 'client_code' } })
  code?: string;

  @ApiPropertyOptional({ description: 'メモ for the office (sealed at rest)', maxLength: 2000 })
  @IsOptional()
  @IsString()
  @Length(0, 2000)
  notes?: string;
}

/** Absent fields stay as they are; `code: null` / `notes: null` clear them. */
export class UpdateClientDto {
  @ApiPropertyOptional({ description: 'the version read: when given, a stale one answers 409 version_conflict' })
  @IsOptional()
  @IsInt()
  @Min(1)
  version?: number;

  @ApiPropertyOptional({ maxLength: 200 })
  @IsOptionalNonNull()
  @IsString()
  @Length(1, 200)
  name?: string;

  @ApiPropertyOptional({ type: String, nullable: true })
  @IsOptional()
  @IsString()
  @Matches(CLIENT_CODE_PATTERN, { message: 'code must be 1-50 letters, digits, - or _', context: { code: 'client_code' } })
  code?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 2000 })
  @IsOptional()
  @IsString()
  @Length(0, 2000)
  notes?: string | null;

  @ApiPropertyOptional({ description: 'the client portal (its users log in to see their applications and 公文書)' })
  @IsOptionalNonNull()
  @IsBoolean()
  portalEnabled?: boolean;
}

export class ClientView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty({ type: String, nullable: true }) code: string | null;
  @ApiProperty({ type: String, nullable: true }) notes: string | null;
  @ApiProperty() portalEnabled: boolean;
  @ApiProperty({ description: 'offices (事業所) of this client' }) officeCount: number;
  @ApiProperty({ enum: CLIENT_RIGHTS, isArray: true, description: "the caller's rights on this client (all of them for admins)" })
  myRights: ClientRight[];
  @ApiProperty() version: number;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;
}

export class ClientListView {
  @ApiProperty({ type: [ClientView] }) items: ClientView[];
}

export class ClientAssignmentDto {
  @ApiProperty({ format: 'uuid' })
  @Matches(UUID_PATTERN, { message: 'clientId must be a UUID', context: { code: 'uuid' } })
  clientId: string;

  @ApiProperty({
    enum: CLIENT_RIGHTS,
    isArray: true,
    description:
      'draft: create and edit applications and attachments; submit: submit, 補正, 取下げ; documents: 公文書; offices: manage offices',
  })
  @IsArray()
  @ArrayMaxSize(CLIENT_RIGHTS.length)
  @IsIn(CLIENT_RIGHTS as unknown as string[], { each: true })
  rights: ClientRight[];
}

export class AssignmentsDto {
  @ApiProperty({ description: 'every client, with every right (the list below is kept for when this is turned off)' })
  @IsBoolean()
  all: boolean;

  @ApiProperty({ type: [ClientAssignmentDto] })
  @IsArray()
  @ArrayMaxSize(5000)
  @ValidateNested({ each: true })
  @Type(() => ClientAssignmentDto)
  clients: ClientAssignmentDto[];
}

export class AssignmentsView {
  @ApiProperty() all: boolean;
  @ApiProperty({ type: [ClientAssignmentDto] }) clients: ClientAssignmentDto[];
}

class ImportedCounts {
  @ApiProperty({ description: 'clients created (rows naming an existing code add offices to that client)' }) clients: number;
  @ApiProperty() offices: number;
}

export class ClientImportResultView {
  @ApiProperty({ type: ImportedCounts }) created: ImportedCounts;
}
