import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsDateString, IsIn, IsOptional, IsString, Length } from 'class-validator';
import { API_SCOPES, ApiScope, IdParam } from '@charlotte/core';

export class CreateTokenDto {
  @ApiProperty({ example: '給与システム連携' })
  @Transform(({ value }) => (typeof value === 'string' ? value.trim() : value))
  @IsString()
  @Length(1, 100)
  name: string;

  @ApiProperty({ enum: API_SCOPES, isArray: true })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(API_SCOPES.length)
  @IsIn(API_SCOPES, { each: true })
  scopes: ApiScope[];

  @ApiPropertyOptional({
    description:
      'A date (YYYY-MM-DD: valid through the end of that day in Japan, 23:59:59.999 JST) or an ISO 8601 instant; default 90 days, at most one year ahead.',
    example: '2027-03-03',
  })
  @IsOptional()
  @IsDateString({ strict: true })
  expiresAt?: string;
}

/** The `:id` of this resource (a UUID). */
export class TokenIdParam extends IdParam {}

export class ApiTokenDto {
  @ApiProperty() id: string;
  @ApiProperty() name: string;
  @ApiProperty({ enum: API_SCOPES, isArray: true }) scopes: ApiScope[];
  @ApiProperty() createdAt: string;
  @ApiProperty() expiresAt: string;
  @ApiProperty({ type: String, nullable: true }) lastUsedAt: string | null;
  @ApiProperty({ type: String, nullable: true }) revokedAt: string | null;
}

export class CreatedTokenDto extends ApiTokenDto {
  @ApiProperty({ description: 'Shown once; send as Authorization: Bearer <token>.' }) token: string;
}

export class TokenListDto {
  @ApiProperty({ type: [ApiTokenDto] }) items: ApiTokenDto[];
}
