import type { Dashboard, OperatorOverview } from '@/api/dashboard';

/** GET /dashboard of a tenant that has just started: nothing done, nothing filed. */
export function makeDashboard(overrides: Partial<Dashboard> = {}): Dashboard {
  return {
    today: '2026-04-10',
    counts: { draft: 0, ready: 0, inReview: 0, correctionRequested: 0, failed: 0 },
    deadlines: { days: 14, overdueCount: 0, upcomingCount: 0, items: [] },
    recentCompleted: [],
    onboarding: {
      steps: [
        { key: 'office', done: false },
        { key: 'egov', done: false },
        { key: 'application', done: false },
        { key: 'keyfile', done: false },
      ],
      complete: false,
    },
    ...overrides,
  };
}

export function makeOperatorOverview(overrides: Partial<OperatorOverview> = {}): OperatorOverview {
  return {
    tenants: { active: 3, cancelled: 1, deleted: 0 },
    openAlerts: 0,
    openIncidents: 0,
    failuresSince: '2026-04-03T00:00:00.000Z',
    jobFailures: [],
    ...overrides,
  };
}
