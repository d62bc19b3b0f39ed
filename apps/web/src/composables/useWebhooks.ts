import { ref } from 'vue';
import {
  webhooksApi as defaultApi,
  type CreatedWebhook,
  type CreateWebhookRequest,
  type Webhook,
  type WebhookDelivery,
  type WebhooksApi,
} from '@/api/webhooks';

/** What the page shows after an action: an i18n key and its parameters. */
export interface WebhookNotice {
  key: string;
  params: Record<string, string | number>;
  kind: 'success' | 'error';
}

/**
 * The Webhook page's state and actions: the list, creation (the secret kept until the user closes
 * it), ping, enable/disable, delete, and the delivery log of one webhook with paging and redelivery.
 * Errors are kept for the view to word (useApiError).
 */
export function useWebhooks(api: WebhooksApi = defaultApi) {
  const items = ref<Webhook[]>([]);
  const loading = ref(false);
  const loadError = ref<unknown>(null);
  const actionError = ref<unknown>(null);
  const notice = ref<WebhookNotice | null>(null);
  const busy = ref(false);
  const created = ref<CreatedWebhook | null>(null);

  const selected = ref<Webhook | null>(null);
  const deliveries = ref<WebhookDelivery[]>([]);
  const nextCursor = ref<string | null>(null);
  const deliveriesLoading = ref(false);
  const deliveriesError = ref<unknown>(null);

  async function load(): Promise<void> {
    loading.value = true;
    loadError.value = null;
    try {
      items.value = (await api.list()).items;
      if (selected.value) selected.value = items.value.find((w) => w.id === selected.value?.id) ?? null;
    } catch (error) {
      loadError.value = error;
    } finally {
      loading.value = false;
    }
  }

  /** Runs one action: errors go to actionError, the list is reloaded after success. */
  async function act(run: () => Promise<WebhookNotice | null>): Promise<boolean> {
    if (busy.value) return false;
    busy.value = true;
    actionError.value = null;
    notice.value = null;
    try {
      notice.value = await run();
      await load();
      return true;
    } catch (error) {
      actionError.value = error;
      return false;
    } finally {
      busy.value = false;
    }
  }

  function create(body: CreateWebhookRequest): Promise<boolean> {
    return act(async () => {
      created.value = await api.create(body);
      return null;
    });
  }

  function setStatus(w: Webhook, status: 'active' | 'disabled'): Promise<boolean> {
    return act(async () => {
      await api.update(w.id, { status });
      if (selected.value?.id === w.id) await loadDeliveries(w);
      return { key: status === 'active' ? 'webhooks.enabledNotice' : 'webhooks.disabledNotice', params: {}, kind: 'success' };
    });
  }

  function remove(w: Webhook): Promise<boolean> {
    return act(async () => {
      await api.remove(w.id);
      if (selected.value?.id === w.id) selected.value = null;
      return { key: 'webhooks.deletedNotice', params: {}, kind: 'success' };
    });
  }

  /** The answer of a ping: success with the code, or the failure's class (or code) for the view to word. */
  function ping(w: Webhook, reasonOf: (d: WebhookDelivery) => string): Promise<boolean> {
    return act(async (): Promise<WebhookNotice> => {
      const r = await api.ping(w.id);
      if (selected.value?.id === w.id) await loadDeliveries(w);
      return r.ok
        ? { key: 'webhooks.pingOk', params: { code: r.delivery.statusCode ?? '' }, kind: 'success' }
        : { key: 'webhooks.pingFailed', params: { reason: reasonOf(r.delivery) }, kind: 'error' };
    });
  }

  async function loadDeliveries(w: Webhook, more = false): Promise<void> {
    if (!more) {
      selected.value = w;
      deliveries.value = [];
      nextCursor.value = null;
    }
    deliveriesLoading.value = true;
    deliveriesError.value = null;
    try {
      const page = await api.deliveries(w.id, more ? nextCursor.value : null);
      deliveries.value = more ? [...deliveries.value, ...page.items] : page.items;
      nextCursor.value = page.nextCursor;
    } catch (error) {
      deliveriesError.value = error;
    } finally {
      deliveriesLoading.value = false;
    }
  }

  function redeliver(d: WebhookDelivery): Promise<boolean> {
    const w = selected.value;
    if (!w) return Promise.resolve(false);
    return act(async () => {
      await api.redeliver(w.id, d.id);
      await loadDeliveries(w);
      return { key: 'webhooks.deliveries.redelivered', params: {}, kind: 'success' };
    });
  }

  return {
    items,
    loading,
    loadError,
    actionError,
    notice,
    busy,
    created,
    selected,
    deliveries,
    nextCursor,
    deliveriesLoading,
    deliveriesError,
    load,
    create,
    setStatus,
    remove,
    ping,
    loadDeliveries,
    redeliver,
  };
}
