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
  @ApiProperty() linked: boolean;
  @ApiProperty({ type: String, nullable: true }) linkedAt: string | null;
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

/** 200 of GET /applications/{id}/documents. */
export class DocumentListView {
  @ApiProperty({ type: [DocumentDto] }) items: DocumentDto[];
}
