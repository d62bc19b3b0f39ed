import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, Length, Matches, Min, ValidateIf } from 'class-validator';
import { UUID_PATTERN } from '@charlotte/core';

export class CreateOfficeDto {
  @ApiPropertyOptional({
    type: String,
    format: 'uuid',
    nullable: true,
    description: '顧問先 (client) of the office: required in a sharoushi tenant, refused (409 not_sharoushi) in a company tenant',
  })
  @IsOptional()
  @ValidateIf((_, v) => v !== null)
  @Matches(UUID_PATTERN, { message: 'clientId must be a UUID', context: { code: 'uuid' } })
  clientId?: string | null;

  @ApiProperty({ description: '事業所名', maxLength: 200 })
  @IsString()
  @Length(1, 200)
  name: string;

  @ApiPropertyOptional({ description: '所在地', maxLength: 300 })
  @IsOptional()
  @IsString()
  @Length(0, 300)
  address?: string;

  @ApiPropertyOptional({ description: '事業所整理記号 (e.g. 01-イロハ)' })
  @IsOptional()
  @IsString()
  @Length(0, 20)
  pensionOfficeCode?: string;

  @ApiPropertyOptional({ description: '事業所番号 (up to 5 digits)' })
  @IsOptional()
  @IsString()
  @Length(0, 10)
  pensionOfficeNumber?: string;

  @ApiPropertyOptional({ description: '雇用保険事業所番号 (4-6-1 digits)' })
  @IsOptional()
  @IsString()
  @Length(0, 20)
  employmentOfficeNumber?: string;

  @ApiPropertyOptional({ description: '労働保険番号 (14 digits, 2-1-2-6-3)' })
  @IsOptional()
  @IsString()
  @Length(0, 20)
  laborInsuranceNumber?: string;
}

export class UpdateOfficeDto extends PartialType(CreateOfficeDto) {
  @ApiProperty({ description: 'the version read (optimistic concurrency: a stale one answers 409 version_conflict)' })
  @IsInt()
  @Min(1)
  version: number;
}

export class OfficeView {
  @ApiProperty() id: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: '顧問先 (client); null in a company tenant' })
  clientId: string | null;
  @ApiProperty() name: string;
  @ApiPropertyOptional({ type: String, nullable: true }) address: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) pensionOfficeCode: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) pensionOfficeNumber: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) employmentOfficeNumber: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) laborInsuranceNumber: string | null;
  @ApiProperty() version: number;
  @ApiProperty() createdAt: string;
  @ApiProperty() updatedAt: string;
}

export class OfficeListView {
  @ApiProperty({ type: [OfficeView] }) items: OfficeView[];
}

export class ListOfficesQuery {
  @ApiPropertyOptional({ format: 'uuid', description: 'only the offices of this 顧問先 (client)' })
  @IsOptional()
  @Matches(UUID_PATTERN, { message: 'clientId must be a UUID', context: { code: 'uuid' } })
  clientId?: string;
}
