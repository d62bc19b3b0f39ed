/**
 * Incidents (運用からのお知らせ, docs/api.md "Notices and incidents"): the status page of tenant
 * users (運用状況) and the operators' console pages.
 *
 * The shapes are aliases of the generated OpenAPI types (./schema.d.ts, `npm run api:types`);
 * every call goes through {@link ApiClient.request} (session cookie, CSRF token, problem+json →
 * ApiError).
 */

import { api as defaultClient, type ApiClient } from './client';
import type { components } from './schema';

type Schemas = components['schemas'];

export type IncidentSeverity = Schemas['IncidentDto']['severity'];
export const INCIDENT_SEVERITIES = ['minor', 'serious'] as const satisfies readonly IncidentSeverity[];
export type IncidentStatus = Schemas['IncidentDto']['status'];
/** An incident as the users of an affected tenant see it. */
export type Incident = Schemas['IncidentDto'];
export type IncidentUpdate = Schemas['IncidentUpdateDto'];
export type IncidentList = Schemas['IncidentListDto'];
/** An incident as platform operators see it (affected tenants, author, alert). */
export type OperatorIncident = Schemas['OperatorIncidentDto'];
export type OperatorIncidentList = Schemas['OperatorIncidentListDto'];
export type CreateIncidentRequest = Schemas['CreateIncidentDto'];
export type AddIncidentUpdateRequest = Schemas['AddIncidentUpdateDto'];

function seg(value: string): string {
  return encodeURIComponent(value);
}

export function createIncidentsApi(client: ApiClient = defaultClient) {
  return {
    // --- tenant users ------------------------------------------------------------------
    /** Incidents affecting the user's tenant: open first, then those resolved in the last 90 days. */
    listIncidents(): Promise<IncidentList> {
      return client.request('GET', '/incidents');
    },
    getIncident(id: string): Promise<Incident> {
      return client.request('GET', `/incidents/${seg(id)}`);
    },

    // --- platform operators ------------------------------------------------------------
    listOperatorIncidents(): Promise<OperatorIncidentList> {
      return client.request('GET', '/operator/incidents');
    },
    getOperatorIncident(id: string): Promise<OperatorIncident> {
      return client.request('GET', `/operator/incidents/${seg(id)}`);
    },
    /** 201; unknown tenant codes answer 422 incident_unknown_tenants. */
    createIncident(body: CreateIncidentRequest): Promise<OperatorIncident> {
      return client.request('POST', '/operator/incidents', { body });
    },
    /** 201; `resolved: true` resolves it; 409 incident_resolved once resolved. */
    addIncidentUpdate(id: string, body: AddIncidentUpdateRequest): Promise<OperatorIncident> {
      return client.request('POST', `/operator/incidents/${seg(id)}/updates`, { body });
    },
  };
}

export const incidentsApi = createIncidentsApi();
