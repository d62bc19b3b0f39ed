/**
 * The homes (libs/dashboard): the tenant's dashboard (GET /dashboard) and the platform operator's
 * overview (GET /operator/overview). Shapes are aliases of the generated OpenAPI types.
 */

import { api as defaultClient, type ApiClient } from './client';
import type { components } from './schema';

type Schemas = components['schemas'];

export type Dashboard = Schemas['DashboardView'];
export type DashboardCounts = Schemas['DashboardCountsDto'];
export type DashboardDeadline = Schemas['DashboardDeadlineDto'];
export type DashboardCompleted = Schemas['DashboardCompletedDto'];
export type OnboardingStep = Schemas['OnboardingStepDto'];
export type OnboardingStepKey = OnboardingStep['key'];
export type OperatorOverview = Schemas['OperatorOverviewDto'];
export type JobFailure = Schemas['JobFailureDto'];

/** The statuses the dashboard counts as 審査中 (with e-Gov), as the list's `?status=` takes them. */
export const IN_REVIEW_STATUSES = 'submitting,arrived,under_review,review_finished';

export function createDashboardApi(client: ApiClient = defaultClient) {
  return {
    get(): Promise<Dashboard> {
      return client.request('GET', '/dashboard');
    },
    operatorOverview(): Promise<OperatorOverview> {
      return client.request('GET', '/operator/overview');
    },
  };
}

export const dashboardApi = createDashboardApi();
