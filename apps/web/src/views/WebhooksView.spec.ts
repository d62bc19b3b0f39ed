import { afterEach, describe, expect, it } from 'vitest';
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import WebhooksView from '@/views/WebhooksView.vue';
import { createAppI18n } from '@/i18n';
import { api } from '@/api/client';
import type { Webhook, WebhookDelivery } from '@/api/webhooks';
import { useSessionStore } from '@/stores/session';
import { TENANT, jsonResponse, makeUser, problem, stubApi, type Handler } from '@/testing/helpers';

const HOOK: Webhook = {
  id: '30000000-0000-4000-8000-000000000001',
  url: 'https://erp.example.jp/hooks/charlotte',
  events: ['application.arrived', 'application.completed'],
  description: '基幹システム',
  status: 'disabled',
  disabledReason: 'failures',
  disabledAt: '2026-04-01T03:00:00.000Z',
  createdAt: '2026-03-01T00:00:00.000Z',
  updatedAt: '2026-04-01T03:00:00.000Z',
};
const DELIVERY: WebhookDelivery = {
  id: '40000000-0000-4000-8000-000000000001',
  eventId: '50000000-0000-4000-8000-000000000001',
  type: 'application.arrived',
  status: 'failed',
  attempts: 31,
  statusCode: 503,
  error: 'http_status',
  responseTimeMs: 120,
  createdAt: '2026-03-31T03:00:00.000Z',
  lastAttemptAt: '2026-04-01T03:00:00.000Z',
  nextAttemptAt: null,
  deliveredAt: null,
  redeliveryOf: null,
};

let wrapper: VueWrapper | null = null;

function mountAs(role: 'admin' | 'member', handlers: Record<string, Handler>) {
  const fetchMock = stubApi(handlers);
  const pinia = createPinia();
  setActivePinia(pinia);
  useSessionStore().user = makeUser({ role });
  useSessionStore().tenant = TENANT;
  api.setCsrfToken('csrf-admin');
  wrapper = mount(WebhooksView, { global: { plugins: [pinia, createAppI18n('ja')] }, attachTo: document.body });
  return { wrapper, fetchMock };
}

describe('WebhooksView', () => {
  afterEach(() => {
    wrapper?.unmount();
    wrapper = null;
  });

  it('registers a webhook with the chosen events and shows the secret once', async () => {
    let sent: { url: string; events: string[]; description?: string } | null = null;
    let items: Webhook[] = [];
    const { wrapper } = mountAs('admin', {
      'GET /webhooks': () => jsonResponse(200, { items, nextCursor: null }),
      'POST /webhooks': ({ body }) => {
        sent = body as typeof sent;
        const w = { ...HOOK, status: 'active', disabledReason: null, disabledAt: null, url: sent!.url, events: sent!.events };
        items = [w as Webhook];
        return jsonResponse(201, { ...w, secret: 'whsec_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG' });
      },
    });
    await flushPromises();
    expect(wrapper.get('[data-testid="webhooks-empty"]').text()).toBe('Webhookは登録されていません。');
    expect(wrapper.get('[data-testid="webhook-event-application.correction_requested"]').element.parentElement?.textContent).toContain(
      '補正の依頼があったとき',
    );

    await wrapper.get('[data-testid="webhook-create-submit"]').trigger('submit');
    expect(sent).toBeNull();
    expect(wrapper.text()).toContain('送信先URLを入力してください。');

    await wrapper.get('[data-testid="webhook-url"]').setValue(' https://erp.example.jp/hooks/charlotte ');
    await wrapper.get('[data-testid="webhook-event-application.submitted"]').setValue(false);
    await wrapper.get('[data-testid="webhook-event-document.available"]').setValue(false);
    await wrapper.get('[data-testid="webhook-create-submit"]').trigger('submit');
    await flushPromises();
    expect(sent).toEqual({
      url: 'https://erp.example.jp/hooks/charlotte',
      events: ['application.arrived', 'application.correction_requested', 'application.completed', 'application.failed'],
    });
    expect(wrapper.get('[data-testid="webhook-created-value"]').text()).toBe('whsec_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG');
    expect(wrapper.get('[data-testid="webhook-created"]').text()).toContain('この画面でのみ表示されます');
    expect(wrapper.findAll('[data-testid="webhook-row"]')).toHaveLength(1);
    expect(wrapper.get('[data-testid="webhook-row"]').text()).not.toContain('whsec_');
    await wrapper.get('[data-testid="webhook-created-close"]').trigger('click');
    expect(wrapper.find('[data-testid="webhook-created"]').exists()).toBe(false);
  });

  it('says in Japanese why a URL was refused (SSRF guard)', async () => {
    const { wrapper } = mountAs('admin', {
      'GET /webhooks': () => jsonResponse(200, { items: [], nextCursor: null }),
      'POST /webhooks': () =>
        problem(422, 'webhook_url_not_allowed', {
          errors: [{ field: 'url', code: 'webhook_url_not_allowed', params: { reason: 'private_address' }, message: 'x' }],
        }),
    });
    await flushPromises();
    await wrapper.get('[data-testid="webhook-url"]').setValue('https://169.254.169.254/');
    await wrapper.get('[data-testid="webhook-create-submit"]').trigger('submit');
    await flushPromises();
    expect(wrapper.get('[data-testid="webhook-url-error"]').text()).toBe(
      '社内ネットワークやループバックなど、公開されていないアドレスには送信できません。',
    );
    expect(wrapper.get('[data-testid="webhook-url"]').attributes('aria-invalid')).toBe('true');
  });

  it('shows why a webhook was disabled, its delivery log with response codes, and re-enables it', async () => {
    let items: Webhook[] = [HOOK];
    let patched: unknown = null;
    const { wrapper } = mountAs('admin', {
      'GET /webhooks': () => jsonResponse(200, { items, nextCursor: null }),
      [`GET /webhooks/${HOOK.id}/deliveries`]: () => jsonResponse(200, { items: [DELIVERY], nextCursor: null }),
      [`PATCH /webhooks/${HOOK.id}`]: ({ body }) => {
        patched = body;
        items = [{ ...HOOK, status: 'active', disabledReason: null, disabledAt: null }];
        return jsonResponse(200, items[0]);
      },
    });
    await flushPromises();
    const row = wrapper.get('[data-testid="webhook-row"]');
    expect(row.get('[data-testid="webhook-status"]').text()).toBe('停止中');
    expect(row.get('[data-testid="webhook-disabled-reason"]').text()).toContain('24時間送信できなかったため');
    expect(row.text()).toContain('e-Govに到達したとき');

    await row.get('[data-testid="webhook-deliveries"]').trigger('click');
    await flushPromises();
    const d = wrapper.get('[data-testid="webhook-delivery-row"]');
    expect(d.get('[data-testid="webhook-delivery-code"]').text()).toBe('503');
    expect(d.get('[data-testid="webhook-delivery-status"]').text()).toBe('失敗');
    expect(d.text()).toContain('エラー応答');
    // Redelivery waits for the webhook to be enabled.
    expect(d.get('[data-testid="webhook-redeliver"]').attributes('disabled')).toBeDefined();

    await row.get('[data-testid="webhook-enable"]').trigger('click');
    await flushPromises();
    expect(patched).toEqual({ status: 'active' });
    expect(wrapper.get('[data-testid="webhooks-notice"]').text()).toBe('Webhookを再有効化しました。');
    expect(wrapper.get('[data-testid="webhook-status"]').text()).toBe('有効');
  });

  it('sends a test and words the result', async () => {
    const { wrapper } = mountAs('admin', {
      'GET /webhooks': () => jsonResponse(200, { items: [{ ...HOOK, status: 'active', disabledReason: null }], nextCursor: null }),
      [`POST /webhooks/${HOOK.id}/ping`]: () =>
        jsonResponse(200, { ok: false, delivery: { ...DELIVERY, type: 'ping', statusCode: 302, error: 'redirect', attempts: 1 } }),
    });
    await flushPromises();
    await wrapper.get('[data-testid="webhook-ping"]').trigger('click');
    await flushPromises();
    expect(wrapper.get('[data-testid="webhooks-notice"]').text()).toBe('テスト送信に失敗しました（リダイレクト（追従しません） 302）。');
  });

  it('is for administrators only', async () => {
    const { wrapper, fetchMock } = mountAs('member', {});
    await flushPromises();
    expect(wrapper.get('[data-testid="webhooks-forbidden"]').text()).toBe('この画面は管理者のみ利用できます。');
    expect(fetchMock).not.toHaveBeenCalled();
  });
});
