import { ApiProperty } from '@nestjs/swagger';
import { NOTICE_KINDS, NoticeKind } from '../notice-kinds';

export class NoticeDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ enum: NOTICE_KINDS }) kind: NoticeKind;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) applicationId: string | null;
  @ApiProperty() createdAt: string;
  @ApiProperty({ type: String, nullable: true }) readAt: string | null;
}

/** 200 of GET /notices. */
export class NoticeListView {
  @ApiProperty({ type: [NoticeDto] }) items: NoticeDto[];
  @ApiProperty({ description: 'unread notices of the user' }) unread: number;
}
