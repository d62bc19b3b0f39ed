/**
 * Operator alerts (docs/api.md, "Operations"): the shapes and calls of the operator console's
 * 監視アラート page. The shapes are aliases of the generated OpenAPI types (./schema.d.ts,
 * `npm run api:types`).
 */

import { api as defaultClient, type ApiClient } from './client';
import type { components } from './schema';

type Schemas = components['schemas'];

/** One alert: its cause (dedupe key), kind, times and occurrences, and the incident it became. */
export type OperatorAlert = Schemas['AlertDto'];
export type AlertKind = OperatorAlert['kind'];
export type AlertList = Schemas['AlertListDto'];
export type IncidentSeverity = Schemas['PromoteAlertDto']['severity'];

export function createAlertsApi(client: ApiClient = defaultClient) {
  return {
    /** Open alerts first; `status` filters. */
    list(status?: 'open' | 'resolved'): Promise<AlertList> {
      return client.request('GET', '/operator/alerts', status ? { query: { status } } : {});
    },
    get(id: string): Promise<OperatorAlert> {
      return client.request('GET', `/operator/alerts/${encodeURIComponent(id)}`);
    },
    /** Makes the alert a customer incident for the affected tenants (serious: their administrators get e-mail). */
    promote(id: string, severity: IncidentSeverity): Promise<OperatorAlert> {
      return client.request('POST', `/operator/alerts/${encodeURIComponent(id)}/incident`, { body: { severity } });
    },
  };
}

export type AlertsApi = ReturnType<typeof createAlertsApi>;

export const alertsApi = createAlertsApi();
