import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { APPLICATION_STATUSES, ApplicationStatus } from '@charlotte/applications';

/**
 * Response shapes of the e-Gov routes, for the OpenAPI document only (the
 * services return plain objects of the same shape). They exist so that the
 * SPA's generated types describe these answers instead of `unknown`.
 */

/** 202 of POST /applications/{id}/submit. */
export class SubmitAcceptedView {
  @ApiProperty({
    enum: APPLICATION_STATUSES,
    description:
      'submitting; awaiting_approval when an approval route (承認フロー) applies; or the current status when the Idempotency-Key replays',
  })
  status: ApplicationStatus;
  @ApiPropertyOptional({ format: 'uuid', description: 'the submission (absent while the application awaits approval)' })
  submissionId?: string;
  @ApiPropertyOptional({ format: 'uuid', description: 'the approval request, when an approval route applies (GET /approvals/{id})' })
  approvalId?: string;
}

/** 200 of POST /applications/{id}/reopen. */
export class ReopenedView {
  @ApiProperty({ enum: ['draft'] }) status: 'draft';
  @ApiProperty({ description: 'the new version of the application' }) version: number;
}

/** 200 of GET /egov/account. */
export class EgovAccountView {
  @ApiProperty({ description: 'e-Govアカウントが連携済みか / Whether an e-Gov account is linked' }) linked: boolean;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: '連携日時 / When the account was linked (UTC)' })
  linkedAt: string | null;
  @ApiProperty({
    type: String,
    nullable: true,
    description:
      '連携しているe-GovアカウントID（連携時のIDトークンから。不明な場合はnull） / The e-Gov account id the tokens belong to, from the id token of the link; null when unknown (linked before it was recorded)',
  })
  accountId: string | null;
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description:
      'アクセストークンの有効期限（期限前に自動更新） / When the access token expires (refreshed automatically); null when unknown',
  })
  accessTokenExpiresAt: string | null;
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description:
      'リフレッシュトークンの有効期限（過ぎると再連携が必要） / When the refresh token expires: after it the account must be linked again; null when unknown or unlimited',
  })
  refreshTokenExpiresAt: string | null;
  @ApiProperty({ description: '試行モード: filings are sent with X-eGovAPI-Trial (checked by e-Gov, never filed)' }) trialMode: boolean;
}

/** GET/PUT /egov/settings. */
export class EgovSettingsView {
  @ApiProperty({ description: '試行モード: filings are sent with X-eGovAPI-Trial (checked by e-Gov, never filed)' }) trialMode: boolean;
}

/** 200 of POST /egov/link. */
export class EgovLinkView {
  @ApiProperty({ description: 'where the browser goes for the e-Gov login' }) authorizeUrl: string;
}

/** A 公文書 (official document) the government issued for an application. */
export class DocumentDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() title: string;
  @ApiProperty() fileName: string;
  @ApiProperty() contentType: string;
  @ApiProperty() size: number;
  @ApiProperty({ description: 'hex SHA-256 of the file' }) sha256: string;
  @ApiProperty() fetchedAt: string;
  @ApiProperty({ type: String, nullable: true }) acknowledgedAt: string | null;
}

/**
 * 200 of GET /applications/{id}/documents: the list shape of every list of the API. An
 * application has a handful of 公文書 (one per notice e-Gov issues), so they come in one page.
 */
export class DocumentListView {
  @ApiProperty({ type: [DocumentDto], description: 'oldest first, in the order e-Gov issued them' }) items: DocumentDto[];
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'always null: every document of the application is in this one page',
  })
  nextCursor: string | null;
}
