import { ApiProperty } from '@nestjs/swagger';
import { IsBoolean } from 'class-validator';

/** GET/PUT /me/notification-settings: which mails the user receives. */
export class NotificationSettingsView {
  @ApiProperty({ description: 'mails about my filings: 到達, 補正, 手続終了, 公文書, failures' }) filingMail: boolean;
  @ApiProperty({ description: 'administrators: the daily mail about drafts not yet submitted' }) draftDigest: boolean;
}

export class UpdateNotificationSettingsDto {
  @ApiProperty({ description: 'mails about my filings: 到達, 補正, 手続終了, 公文書, failures' })
  @IsBoolean()
  filingMail: boolean;

  @ApiProperty({ description: 'administrators: the daily mail about drafts not yet submitted' })
  @IsBoolean()
  draftDigest: boolean;
}
