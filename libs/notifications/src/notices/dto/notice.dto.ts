import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, IsString, Length, Max, Min } from 'class-validator';
import { NOTICE_KINDS, NoticeKind } from '../notice-kinds';

export class NoticeDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ enum: NOTICE_KINDS }) kind: NoticeKind;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) applicationId: string | null;
  @ApiProperty() createdAt: string;
  @ApiProperty({ type: String, nullable: true }) readAt: string | null;
  @ApiPropertyOptional({ type: String, format: 'uuid', description: 'kind incident: the incident (運用からのお知らせ).' })
  incidentId?: string;
  @ApiPropertyOptional({ description: "kind incident: the incident's title, as the operators wrote it." })
  title?: string;
}

/** Query of GET /notices: one page of the list. */
export class ListNoticesQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 50 })
  @IsOptional()
  @Transform(({ value }) => (typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value))
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  @ApiPropertyOptional({ description: 'opaque cursor from the previous page (nextCursor)' })
  @IsOptional()
  @IsString()
  @Length(1, 400)
  cursor?: string;
}

/** 200 of GET /notices: one page, unread first, then newest first. */
export class NoticeListView {
  @ApiProperty({ type: [NoticeDto] }) items: NoticeDto[];
  @ApiProperty({ type: String, nullable: true, description: 'cursor of the next page; null on the last page' })
  nextCursor: string | null;
  @ApiProperty({ description: 'unread notices of the user (all of them, not only this page)' }) unread: number;
}

/** 200 of POST /notices/read-all. */
export class NoticesReadAllView {
  @ApiProperty({ description: 'How many お知らせ were unread and are now read.' }) marked: number;
}
