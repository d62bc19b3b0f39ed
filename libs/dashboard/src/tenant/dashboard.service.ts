import { Injectable } from '@nestjs/common';
import type { Caller } from '@charlotte/core';
import { ApplicationStore, ClientAccessService, ClientsService, IN_REVIEW, OfficesService } from '@charlotte/applications';
import type { ApplicationSummaryRow } from '@charlotte/applications';
import { KeyfilesService } from '@charlotte/auth';
import { DocumentsService, EgovAccountsService } from '@charlotte/filing';
import { addDays, ProceduresService, todayInJapan } from '@charlotte/procedures';
import { DashboardCountsDto, DashboardView, ONBOARDING_STEPS, OnboardingDto, OnboardingStepKey } from './dto/dashboard.dto';

/** Upcoming deadlines are those of the next two weeks (today and the 14 days after it). */
export const DEADLINE_DAYS = 14;
const DEADLINE_ITEMS = 10;
const RECENT_COMPLETED = 5;
/** 「キーファイルを安全に保管」: a spare key file, or a second administrator holding one. */
export const SAFE_ADMIN_KEYS = 2;

/**
 * The tenant's home (GET /dashboard): counts by status, deadlines, the latest 手続終了 and the
 * onboarding checklist. Every number comes from the lib that owns the rows, each query by
 * tenant id; sealed titles are opened only for the few items listed.
 */
@Injectable()
export class DashboardService {
  constructor(
    private readonly store: ApplicationStore,
    private readonly offices: OfficesService,
    private readonly procedures: ProceduresService,
    private readonly documents: DocumentsService,
    private readonly egov: EgovAccountsService,
    private readonly keyfiles: KeyfilesService,
    private readonly clientAccess: ClientAccessService,
    private readonly clients: ClientsService,
  ) {}

  /** What `caller` sees: in a sharoushi tenant, staff count and list only their assigned clients' applications. */
  async get(tenantId: string, caller: Caller, now = new Date()): Promise<DashboardView> {
    const today = todayInJapan(now);
    const access = await this.clientAccess.of(caller);
    const [byStatus, deadlines, completed, onboarding] = await Promise.all([
      this.store.statusCounts(tenantId, access),
      this.store.deadlines(tenantId, access, today, addDays(today, DEADLINE_DAYS), DEADLINE_ITEMS),
      this.store.recentlyCompleted(tenantId, access, RECENT_COMPLETED),
      this.onboarding(tenantId),
    ]);
    const counts: DashboardCountsDto = {
      draft: byStatus.draft ?? 0,
      ready: byStatus.ready ?? 0,
      inReview: IN_REVIEW.reduce((n, s) => n + (byStatus[s] ?? 0), 0),
      correctionRequested: byStatus.correction_requested ?? 0,
      failed: byStatus.failed ?? 0,
    };
    const docs = await this.documents.countByApplication(
      tenantId,
      completed.map((c) => c.id),
    );
    return {
      today,
      counts,
      deadlines: {
        days: DEADLINE_DAYS,
        overdueCount: deadlines.overdue,
        upcomingCount: deadlines.total - deadlines.overdue,
        items: await Promise.all(
          deadlines.rows.map(async (r) => ({
            ...(await this.item(tenantId, r)),
            status: r.status,
            dueDate: r.due_date ?? '',
            overdue: (r.due_date ?? '') < today,
          })),
        ),
      },
      recentCompleted: await Promise.all(
        completed.map(async (r) => ({
          ...(await this.item(tenantId, r)),
          completedAt: new Date(r.completed_at).toISOString(),
          documentCount: docs.get(r.id) ?? 0,
        })),
      ),
      onboarding,
    };
  }

  private async item(tenantId: string, r: ApplicationSummaryRow) {
    const def = this.procedures.get(r.procedure_code, r.procedure_version);
    return {
      id: r.id,
      title: await this.store.openTitle(tenantId, r),
      procedureCode: r.procedure_code,
      procedureName: def.name,
      procedureNameEn: def.nameEn,
    };
  }

  /**
   * The checklist of a new tenant, in the order its steps are taken. A 社労士 office starts with its
   * 顧問先: their offices and applications hang on them (a company tenant has no clients, no such step).
   */
  private async onboarding(tenantId: string): Promise<OnboardingDto> {
    const [kind, clients, offices, egov, anyApplication, adminKeys] = await Promise.all([
      this.clientAccess.tenantKind(tenantId),
      this.clients.count(tenantId),
      this.offices.count(tenantId),
      this.egov.status(tenantId),
      this.store.any(tenantId),
      this.keyfiles.activeAdminKeyCount(tenantId),
    ]);
    const done: Record<OnboardingStepKey, boolean> = {
      client: clients > 0,
      office: offices > 0,
      egov: egov.linked,
      application: anyApplication,
      keyfile: adminKeys >= SAFE_ADMIN_KEYS,
    };
    const keys = ONBOARDING_STEPS.filter((key) => key !== 'client' || kind === 'sharoushi');
    const steps = keys.map((key) => ({ key, done: done[key] }));
    return { steps, complete: steps.every((s) => s.done) };
  }
}
