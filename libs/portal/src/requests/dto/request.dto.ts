import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Length, Matches, Max, MaxLength, Min } from 'class-validator';
import { UUID_PATTERN } from '@charlotte/core';

export const REQUEST_STATUSES = ['open', 'closed'] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];

export class CreateRequestDto {
  @ApiProperty({ description: '件名 (sealed at rest)', minLength: 1, maxLength: 200, example: '4月入社の3名の資格取得届をお願いします' })
  @IsString()
  @Length(1, 200)
  title: string;

  @ApiProperty({ description: '本文 (sealed at rest)', minLength: 1, maxLength: 10000 })
  @IsString()
  @Length(1, 10000)
  body: string;
}

export class ListRequestsQuery {
  @ApiPropertyOptional({ enum: REQUEST_STATUSES })
  @IsOptional()
  @IsIn(REQUEST_STATUSES as unknown as string[])
  status?: RequestStatus;

  @ApiPropertyOptional({ format: 'uuid', description: 'only this 顧問先 (office staff)' })
  @IsOptional()
  @Matches(UUID_PATTERN, { message: 'clientId must be a UUID', context: { code: 'uuid' } })
  clientId?: string;

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

export class RequestPerson {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() displayName: string;
}

export class RequestView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) clientId: string;
  @ApiProperty({ description: '顧問先名' }) clientName: string;
  @ApiProperty() title: string;
  @ApiProperty() body: string;
  @ApiProperty({ enum: REQUEST_STATUSES }) status: RequestStatus;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ type: RequestPerson }) createdBy: RequestPerson;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) closedAt: string | null;
  @ApiProperty({ type: RequestPerson, nullable: true }) closedBy: RequestPerson | null;
}

export class RequestPage {
  @ApiProperty({ type: [RequestView] }) items: RequestView[];
  @ApiProperty({ type: String, nullable: true }) nextCursor: string | null;
}
