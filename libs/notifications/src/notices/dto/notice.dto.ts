import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
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

/** 200 of GET /notices. */
export class NoticeListView {
  @ApiProperty({ type: [NoticeDto] }) items: NoticeDto[];
  @ApiProperty({ description: 'unread notices of the user' }) unread: number;
}

/** 200 of POST /notices/read-all. */
export class NoticesReadAllView {
  @ApiProperty({ description: 'How many お知らせ were unread and are now read.' }) marked: number;
}
