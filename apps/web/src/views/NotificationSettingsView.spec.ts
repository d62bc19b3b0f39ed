import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { mount, type VueWrapper } from '@vue/test-utils';
import { createMemoryHistory, createRouter } from 'vue-router';
import { createPinia, setActivePinia } from 'pinia';
import NotificationSettingsView from '@/views/NotificationSettingsView.vue';
import { createAppI18n } from '@/i18n';
import { api } from '@/api/client';
import { useSessionStore } from '@/stores/session';
import { TENANT, headersOf, jsonResponse, makeUser, problem, stubApi, type Handler } from '@/testing/helpers';

const WAIT = { timeout: 10_000 };

let wrapper: VueWrapper | null = null;

async function mountView(handlers: Record<string, Handler>, role: 'admin' | 'member' = 'admin', locale: 'ja' | 'en' = 'ja') {
  const fetchMock = stubApi(handlers);
  const pinia = createPinia();
  setActivePinia(pinia);
  useSessionStore().user = makeUser({ role });
  useSessionStore().tenant = TENANT;
  api.setCsrfToken('csrf-user');
  const router = createRouter({
    history: createMemoryHistory(),
    routes: [{ path: '/settings/notifications', name: 'notification-settings', component: NotificationSettingsView }],
  });
  await router.push('/settings/notifications');
  wrapper = mount(NotificationSettingsView, { global: { plugins: [pinia, router, createAppI18n(locale)] }, attachTo: document.body });
  await vi.waitFor(
    () =>
      expect(wrapper!.find('[data-testid="notification-settings"], [data-testid="notification-settings-load-error"]').exists()).toBe(true),
    WAIT,
  );
  return { wrapper, fetchMock };
}

describe('NotificationSettingsView', () => {
  beforeEach(() => {
    document.body.innerHTML = '';
  });
  afterEach(() => {
    wrapper?.unmount();
    wrapper = null;
  });

  it('shows both toggles to an administrator and saves each change (PUT with CSRF)', async () => {
    const bodies: unknown[] = [];
    const { wrapper, fetchMock } = await mountView({
      'GET /me/notification-settings': () => jsonResponse(200, { filingMail: true, draftDigest: true }),
      'PUT /me/notification-settings': ({ body }) => {
        bodies.push(body);
        return jsonResponse(200, body);
      },
    });
    expect(wrapper.get('h1').text()).toBe('通知設定');
    const filing = wrapper.get('[data-testid="notification-filing-mail"]');
    const digest = wrapper.get('[data-testid="notification-draft-digest"]');
    expect((filing.element as HTMLInputElement).checked).toBe(true);
    expect((digest.element as HTMLInputElement).checked).toBe(true);
    expect(wrapper.text()).toContain('申請の状況をメールで受け取る');

    await filing.setValue(false);
    await vi.waitFor(() => expect(wrapper.find('[data-testid="notification-settings-saved"]').exists()).toBe(true), WAIT);
    expect(wrapper.get('[data-testid="notification-settings-saved"]').text()).toBe('通知設定を保存しました。');
    await digest.setValue(false);
    await vi.waitFor(() => expect(bodies).toHaveLength(2), WAIT);
    expect(bodies).toEqual([
      { filingMail: false, draftDigest: true },
      { filingMail: false, draftDigest: false },
    ]);
    const put = fetchMock.mock.calls.findIndex(([, init]) => init?.method === 'PUT');
    expect(headersOf(fetchMock, put)['x-csrf-token']).toBe('csrf-user');
  });

  it('shows a member only the filing toggle (the digest is for administrators)', async () => {
    const { wrapper } = await mountView(
      { 'GET /me/notification-settings': () => jsonResponse(200, { filingMail: false, draftDigest: true }) },
      'member',
    );
    expect((wrapper.get('[data-testid="notification-filing-mail"]').element as HTMLInputElement).checked).toBe(false);
    expect(wrapper.find('[data-testid="notification-draft-digest"]').exists()).toBe(false);
  });

  it('puts the toggle back and says why when saving fails', async () => {
    const { wrapper } = await mountView({
      'GET /me/notification-settings': () => jsonResponse(200, { filingMail: true, draftDigest: true }),
      'PUT /me/notification-settings': () => problem(403, 'forbidden'),
    });
    const filing = wrapper.get('[data-testid="notification-filing-mail"]');
    await filing.setValue(false);
    await vi.waitFor(() => expect(wrapper.find('[data-testid="notification-settings-save-error"]').exists()).toBe(true), WAIT);
    expect(wrapper.get('[data-testid="notification-settings-save-error"]').text()).toBe('この操作を行う権限がありません。');
    expect((filing.element as HTMLInputElement).checked).toBe(true);
    expect(wrapper.find('[data-testid="notification-settings-saved"]').exists()).toBe(false);
  });

  it('is in English when the locale is English', async () => {
    const { wrapper } = await mountView(
      { 'GET /me/notification-settings': () => jsonResponse(200, { filingMail: true, draftDigest: true }) },
      'admin',
      'en',
    );
    expect(wrapper.get('h1').text()).toBe('Notification settings');
    expect(wrapper.text()).toContain('E-mail me about my applications');
    expect(wrapper.text()).toContain('E-mail me daily about drafts not yet submitted');
  });
});
