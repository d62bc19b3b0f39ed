/**
 * Webhooks for integrators (docs/api.md, "Webhooks"): the shapes and calls of the tenant
 * administrators' Webhook page. The shapes are aliases of the generated OpenAPI types
 * (./schema.d.ts, `npm run api:types`).
 */

import { api as defaultClient, type ApiClient } from './client';
import type { components } from './schema';

type Schemas = components['schemas'];

export type Webhook = Schemas['WebhookDto'];
export type CreatedWebhook = Schemas['CreatedWebhookDto'];
export type WebhookList = Schemas['WebhookListDto'];
export type WebhookEvent = Webhook['events'][number];
export type CreateWebhookRequest = Schemas['CreateWebhookDto'];
export type UpdateWebhookRequest = Schemas['UpdateWebhookDto'];
export type WebhookDelivery = Schemas['WebhookDeliveryDto'];
export type WebhookDeliveryList = Schemas['WebhookDeliveryListDto'];
export type WebhookPing = Schemas['WebhookPingDto'];

/** The events of the contract, in the order the page offers them. */
export const WEBHOOK_EVENTS = [
  'application.submitted',
  'application.arrived',
  'application.correction_requested',
  'application.completed',
  'application.failed',
  'document.available',
] as const satisfies readonly WebhookEvent[];

export function createWebhooksApi(client: ApiClient = defaultClient) {
  const one = (id: string) => `/webhooks/${encodeURIComponent(id)}`;
  return {
    list(): Promise<WebhookList> {
      return client.request('GET', '/webhooks');
    },
    /** The signing secret is in this answer only. */
    create(body: CreateWebhookRequest): Promise<CreatedWebhook> {
      return client.request('POST', '/webhooks', { body });
    },
    update(id: string, body: UpdateWebhookRequest): Promise<Webhook> {
      return client.request('PATCH', one(id), { body });
    },
    remove(id: string): Promise<void> {
      return client.request('DELETE', one(id));
    },
    ping(id: string): Promise<WebhookPing> {
      return client.request('POST', `${one(id)}/ping`);
    },
    deliveries(id: string, cursor?: string | null): Promise<WebhookDeliveryList> {
      return client.request('GET', `${one(id)}/deliveries`, cursor ? { query: { cursor } } : {});
    },
    redeliver(id: string, deliveryId: string): Promise<WebhookDelivery> {
      return client.request('POST', `${one(id)}/deliveries/${encodeURIComponent(deliveryId)}/redeliver`);
    },
  };
}

export type WebhooksApi = ReturnType<typeof createWebhooksApi>;

export const webhooksApi = createWebhooksApi();
