import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsInt, IsOptional, IsString, Length, Min } from 'class-validator';
import { APPLICATION_STATUSES, ApplicationStatus } from '@charlotte/applications';

export class AmendApplicationDto {
  @ApiProperty({ description: 'the version the user saw (a stale one answers 409 version_conflict)' })
  @IsInt()
  @Min(1)
  version: number;
}

export class WithdrawApplicationDto {
  @ApiProperty({ description: '取下げ理由 (sent to e-Gov; sealed at rest)', minLength: 1, maxLength: 1000 })
  @IsString()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value))
  @Length(1, 1000)
  reason: string;
}

/**
 * 202 of 補正/取下げ: the action recorded, or, when an approval route (承認フロー) applies,
 * `{status: "awaiting_approval", approvalId}` only (the action starts once approved).
 */
export class EgovActionAcceptedView {
  @ApiPropertyOptional({ description: 'absent while the request awaits approval' }) actionId?: string;
  @ApiPropertyOptional({ enum: ['amend', 'withdraw'] }) kind?: 'amend' | 'withdraw';
  @ApiPropertyOptional({ enum: ['pending', 'sending', 'done', 'failed'] }) state?: 'pending' | 'sending' | 'done' | 'failed';
  @ApiProperty({ enum: APPLICATION_STATUSES }) status: ApplicationStatus;
  @ApiPropertyOptional({ format: 'uuid', description: 'the approval request, when an approval route applies' }) approvalId?: string;
}

export class ReopenApplicationDto {
  @ApiPropertyOptional({
    description: 'needed when the last attempt may have reached e-Gov: the user checked the e-Gov account and it did not arrive',
  })
  @IsOptional()
  @IsBoolean()
  confirmNotReceived?: boolean;
}

/** PUT /egov/settings. */
export class UpdateEgovSettingsDto {
  @ApiProperty({ description: '試行モード: e-Gov checks the format of each filing but files nothing (X-eGovAPI-Trial: true)' })
  @IsBoolean()
  trialMode: boolean;
}
