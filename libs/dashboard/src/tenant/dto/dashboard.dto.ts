import { ApiProperty } from '@nestjs/swagger';
import { APPLICATION_STATUSES, type ApplicationStatus } from '@charlotte/applications';

export const ONBOARDING_STEPS = ['client', 'office', 'egov', 'application', 'keyfile'] as const;
export type OnboardingStepKey = (typeof ONBOARDING_STEPS)[number];

export class DashboardCountsDto {
  @ApiProperty({ description: '下書き (draft)' }) draft: number;
  @ApiProperty({ description: '提出準備完了 (ready: 入力チェック passed)' }) ready: number;
  @ApiProperty({ description: '審査中: submitting, arrived, under_review, review_finished' }) inReview: number;
  @ApiProperty({ description: '補正待ち (correction_requested)' }) correctionRequested: number;
  @ApiProperty({ description: '送信エラー (failed): not filed, to reopen' }) failed: number;
}

export class DashboardDeadlineDto {
  @ApiProperty() id: string;
  @ApiProperty({ description: 'the application title (opened for the items listed only)' }) title: string;
  @ApiProperty() procedureCode: string;
  @ApiProperty({ description: 'the procedure name (Japanese)' }) procedureName: string;
  @ApiProperty() procedureNameEn: string;
  @ApiProperty({ enum: APPLICATION_STATUSES }) status: ApplicationStatus;
  @ApiProperty({ description: '提出期限 (YYYY-MM-DD, JST)', example: '2026-04-06' }) dueDate: string;
  @ApiProperty({ description: 'the deadline has passed (before today, JST)' }) overdue: boolean;
}

export class DashboardDeadlinesDto {
  @ApiProperty({ description: 'how far ahead upcoming deadlines are listed, in days (today included)', example: 14 }) days: number;
  @ApiProperty({ description: 'not filed yet and past the deadline (all of them)' }) overdueCount: number;
  @ApiProperty({ description: 'not filed yet and due from today to today + days' }) upcomingCount: number;
  @ApiProperty({
    type: [DashboardDeadlineDto],
    description: 'overdue and upcoming together, soonest deadline first, at most 10 (the counts say how many there are)',
  })
  items: DashboardDeadlineDto[];
}

export class DashboardCompletedDto {
  @ApiProperty() id: string;
  @ApiProperty() title: string;
  @ApiProperty() procedureCode: string;
  @ApiProperty() procedureName: string;
  @ApiProperty() procedureNameEn: string;
  @ApiProperty({ description: 'when the application reached 手続終了' }) completedAt: string;
  @ApiProperty({ description: 'official documents (公文書) kept for it' }) documentCount: number;
}

export class OnboardingStepDto {
  @ApiProperty({
    enum: ONBOARDING_STEPS,
    description:
      'client: a 顧問先 (client company) is registered — listed first, and only, for a tenant of kind sharoushi; office: an office (事業所) is registered; egov: an e-Gov account is linked; application: an application exists; keyfile: the administrators hold at least two active key files together (a spare key or a second administrator, so a lost key does not lock the tenant out)',
  })
  key: OnboardingStepKey;
  @ApiProperty() done: boolean;
}

export class OnboardingDto {
  @ApiProperty({ type: [OnboardingStepDto], description: 'in the order a new tenant takes them' }) steps: OnboardingStepDto[];
  @ApiProperty({ description: 'every step is done' }) complete: boolean;
}

export class DashboardView {
  @ApiProperty({ description: "today's date in Japan (JST), what overdue is judged against", example: '2026-04-01' }) today: string;
  @ApiProperty({ type: DashboardCountsDto }) counts: DashboardCountsDto;
  @ApiProperty({ type: DashboardDeadlinesDto }) deadlines: DashboardDeadlinesDto;
  @ApiProperty({ type: [DashboardCompletedDto], description: 'the latest 5 applications at 手続終了, newest first' })
  recentCompleted: DashboardCompletedDto[];
  @ApiProperty({ type: OnboardingDto }) onboarding: OnboardingDto;
}
