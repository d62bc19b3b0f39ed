import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { mount, type VueWrapper } from '@vue/test-utils';
import { createMemoryHistory, createRouter } from 'vue-router';
import { createPinia, setActivePinia } from 'pinia';
import EgovSettingsView from '@/views/EgovSettingsView.vue';
import { createAppI18n } from '@/i18n';
import { api } from '@/api/client';
import { useSessionStore } from '@/stores/session';
import { navigateTo } from '@/utils/navigate';
import { TENANT, headersOf, jsonResponse, makeUser, problem, stubApi, type Handler } from '@/testing/helpers';

// The test DOM cannot navigate: record where the page would send the browser.
vi.mock('@/utils/navigate', () => ({ navigateTo: vi.fn() }));

const WAIT = { timeout: 10_000 };
const AUTHORIZE_URL = 'https://account.e-gov.go.jp/auth/authorize?client_id=charlotte&state=s1';

const DAY = 24 * 60 * 60 * 1000;
const UNLINKED = {
  linked: false,
  linkedAt: null,
  accountId: null,
  accessTokenExpiresAt: null,
  refreshTokenExpiresAt: null,
  trialMode: false,
};
const LINKED = {
  linked: true,
  linkedAt: '2026-04-01T03:04:00.000Z',
  accountId: 'sharoushi-001',
  accessTokenExpiresAt: new Date(Date.now() + 50 * 60 * 1000).toISOString(),
  refreshTokenExpiresAt: new Date(Date.now() + 120 * DAY).toISOString(),
  trialMode: false,
};

let wrapper: VueWrapper | null = null;

async function mountSettings(handlers: Record<string, Handler>, path = '/settings/egov') {
  const fetchMock = stubApi(handlers);
  const pinia = createPinia();
  setActivePinia(pinia);
  useSessionStore().user = makeUser({ role: 'admin' });
  useSessionStore().tenant = TENANT;
  api.setCsrfToken('csrf-admin');
  const router = createRouter({
    history: createMemoryHistory(),
    routes: [{ path: '/settings/egov', name: 'egov-settings', component: EgovSettingsView }],
  });
  await router.push(path);
  wrapper = mount(EgovSettingsView, { global: { plugins: [pinia, router, createAppI18n('ja')] }, attachTo: document.body });
  await vi.waitFor(() => expect(wrapper!.find('[data-testid="egov-status"]').exists()).toBe(true), WAIT);
  return { wrapper, fetchMock };
}

function callIndex(fetchMock: ReturnType<typeof stubApi>, method: string, path: string): number {
  return fetchMock.mock.calls.findIndex(([input, init]) => (init?.method ?? 'GET') === method && String(input) === `/api/v1${path}`);
}

describe('EgovSettingsView', () => {
  beforeEach(() => {
    document.body.innerHTML = '';
    vi.mocked(navigateTo).mockClear();
  });
  afterEach(() => {
    wrapper?.unmount();
    wrapper = null;
  });

  it('shows an unlinked account and sends the browser to the e-Gov login to link it', async () => {
    const { wrapper, fetchMock } = await mountSettings({
      'GET /egov/account': () => jsonResponse(200, UNLINKED),
      'POST /egov/link': () => jsonResponse(200, { authorizeUrl: AUTHORIZE_URL }),
    });

    expect(wrapper.get('[data-testid="egov-status"]').text()).toBe('未連携');
    expect(wrapper.find('[data-testid="egov-unlink"]').exists()).toBe(false);
    expect(wrapper.find('[data-testid="egov-account-id"]').exists()).toBe(false);
    const link = wrapper.get('[data-testid="egov-link"]');
    expect(link.text()).toBe('e-Govアカウントを連携');
    // Not linked yet: linking is the page's main action.
    expect(link.classes()).toContain('button-primary');

    await link.trigger('click');
    await vi.waitFor(() => expect(navigateTo).toHaveBeenCalledWith(AUTHORIZE_URL), WAIT);
    expect(headersOf(fetchMock, callIndex(fetchMock, 'POST', '/egov/link'))['x-csrf-token']).toBe('csrf-admin');
  });

  it('shows when the account was linked (JST) and unlinks it after confirmation', async () => {
    const { wrapper, fetchMock } = await mountSettings({
      'GET /egov/account': () => jsonResponse(200, LINKED),
      'DELETE /egov/account': () => new Response(null, { status: 204 }),
    });

    expect(wrapper.get('[data-testid="egov-status"]').text()).toBe('連携済み');
    expect(wrapper.get('[data-testid="egov-linked-at"]').text()).toBe('2026/04/01 12:04 JST');
    expect(wrapper.get('[data-testid="egov-account-id"]').text()).toBe('sharoushi-001');
    // Once linked, 「再連携」 is a secondary action and 「連携を解除」 a destructive one, in a section of its own.
    const relink = wrapper.get('[data-testid="egov-link"]');
    expect(relink.text()).toBe('再連携');
    expect(relink.classes()).not.toContain('button-primary');
    const unlink = wrapper.get('[data-testid="egov-unlink"]');
    expect(unlink.classes()).toContain('button-danger-outline');
    expect(wrapper.get('[data-testid="egov-unlink-section"]').element.contains(relink.element)).toBe(false);
    expect(wrapper.find('[data-testid="egov-expiry-warning"]').exists()).toBe(false);

    await wrapper.get('[data-testid="egov-unlink"]').trigger('click');
    const dialog = wrapper.get('[data-testid="egov-unlink-dialog"]');
    await vi.waitFor(() => expect((dialog.element as HTMLDialogElement).open).toBe(true), WAIT);
    expect(callIndex(fetchMock, 'DELETE', '/egov/account')).toBe(-1);
    await dialog.get('[data-testid="confirm-ok"]').trigger('click');

    await vi.waitFor(() => expect(wrapper.get('[data-testid="egov-status"]').text()).toBe('未連携'), WAIT);
    expect(wrapper.get('[data-testid="egov-unlinked-notice"]').text()).toContain('連携を解除しました');
    expect(headersOf(fetchMock, callIndex(fetchMock, 'DELETE', '/egov/account'))['x-csrf-token']).toBe('csrf-admin');
  });

  it('shows when the tokens expire, in JST', async () => {
    const { wrapper } = await mountSettings({
      'GET /egov/account': () =>
        jsonResponse(200, {
          ...LINKED,
          accessTokenExpiresAt: '2026-04-01T04:04:00.000Z',
          refreshTokenExpiresAt: '2099-09-28T03:04:00.000Z',
        }),
    });
    expect(wrapper.get('[data-testid="egov-access-expires"]').text()).toBe('2026/04/01 13:04 JST');
    expect(wrapper.get('[data-testid="egov-refresh-expires"]').text()).toBe('2099/09/28 12:04 JST');
    expect(wrapper.text()).toContain('連携の有効期限');
    expect(wrapper.find('[data-testid="egov-expiry-warning"]').exists()).toBe(false);
  });

  it('warns when the link expires within 14 days, and when it has expired', async () => {
    const soon = new Date(Date.now() + 10 * DAY - 60_000).toISOString();
    const first = await mountSettings({ 'GET /egov/account': () => jsonResponse(200, { ...LINKED, refreshTokenExpiresAt: soon }) });
    const warning = first.wrapper.get('[data-testid="egov-expiry-warning"]');
    expect(warning.classes()).toContain('alert-warning');
    expect(warning.attributes('role')).toBe('alert');
    expect(warning.text()).toContain('e-Gov連携の有効期限が近づいています（残り10日、');
    expect(warning.text()).toContain('「再連携」');
    first.wrapper.unmount();

    const expired = await mountSettings({
      'GET /egov/account': () => jsonResponse(200, { ...LINKED, refreshTokenExpiresAt: new Date(Date.now() - DAY).toISOString() }),
    });
    const error = expired.wrapper.get('[data-testid="egov-expiry-warning"]');
    expect(error.classes()).toContain('alert-error');
    expect(error.text()).toBe('e-Gov連携の有効期限が切れています。申請を提出するには、「再連携」からe-Govにもう一度ログインしてください。');
  });

  it('says so when a link made before the account was recorded has no account id or expiry', async () => {
    const { wrapper } = await mountSettings({
      'GET /egov/account': () => jsonResponse(200, { ...LINKED, accountId: null, accessTokenExpiresAt: null, refreshTokenExpiresAt: null }),
    });
    expect(wrapper.get('[data-testid="egov-account-id"]').text()).toBe('不明（再連携すると表示されます）');
    expect(wrapper.get('[data-testid="egov-refresh-expires"]').text()).toBe('不明');
    expect(wrapper.find('[data-testid="egov-expiry-warning"]').exists()).toBe(false);
  });

  it('reports the outcome of the e-Gov login it came back from', async () => {
    const ok = await mountSettings({ 'GET /egov/account': () => jsonResponse(200, LINKED) }, '/settings/egov?linked=1');
    expect(ok.wrapper.get('[data-testid="egov-linked-notice"]').text()).toBe('e-Govアカウントを連携しました。');
    ok.wrapper.unmount();

    const failed = await mountSettings({ 'GET /egov/account': () => jsonResponse(200, UNLINKED) }, '/settings/egov?error=access_denied');
    expect(failed.wrapper.find('[data-testid="egov-linked-notice"]').exists()).toBe(false);
    const error = failed.wrapper.get('[data-testid="egov-link-error"]');
    expect(error.attributes('role')).toBe('alert');
    expect(error.text()).toContain('e-Govアカウントを連携できませんでした');
    expect(error.text()).toContain('access_denied');
  });

  it('shows a refused link request', async () => {
    const { wrapper } = await mountSettings({
      'GET /egov/account': () => jsonResponse(200, UNLINKED),
      'POST /egov/link': () => problem(403, 'forbidden'),
    });
    await wrapper.get('[data-testid="egov-link"]').trigger('click');
    await vi.waitFor(() => expect(wrapper.get('[data-testid="egov-action-error"]').text()).toBe('この操作を行う権限がありません。'), WAIT);
    expect(navigateTo).not.toHaveBeenCalled();
  });

  it('explains 試行モード and switches it on and off (PUT /egov/settings)', async () => {
    const bodies: unknown[] = [];
    const { wrapper, fetchMock } = await mountSettings({
      'GET /egov/account': () => jsonResponse(200, LINKED),
      'PUT /egov/settings': ({ body }) => {
        bodies.push(body);
        return jsonResponse(200, { trialMode: (body as { trialMode: boolean }).trialMode });
      },
    });
    expect(wrapper.text()).toContain('試行モード：e-Govに送信して形式チェックのみ行い、実際には申請されません');
    const box = wrapper.get('[data-testid="egov-trial-mode"]');
    expect((box.element as HTMLInputElement).checked).toBe(false);
    expect(wrapper.find('[data-testid="egov-trial-active"]').exists()).toBe(false);

    await box.setValue(true);
    await vi.waitFor(() => expect(wrapper.find('[data-testid="egov-trial-active"]').exists()).toBe(true), WAIT);
    expect(wrapper.get('[data-testid="egov-trial-saved"]').text()).toBe('試行モードにしました。');
    expect(headersOf(fetchMock, callIndex(fetchMock, 'PUT', '/egov/settings'))['x-csrf-token']).toBe('csrf-admin');

    await box.setValue(false);
    await vi.waitFor(() => expect(wrapper.find('[data-testid="egov-trial-active"]').exists()).toBe(false), WAIT);
    expect(bodies).toEqual([{ trialMode: true }, { trialMode: false }]);
  });

  it('keeps the switch as it was when saving fails, and says why', async () => {
    const { wrapper } = await mountSettings({
      'GET /egov/account': () => jsonResponse(200, { ...LINKED, trialMode: true }),
      'PUT /egov/settings': () => problem(403, 'forbidden'),
    });
    expect(wrapper.find('[data-testid="egov-trial-active"]').exists()).toBe(true);
    await wrapper.get('[data-testid="egov-trial-mode"]').setValue(false);
    await vi.waitFor(() => expect(wrapper.find('[data-testid="egov-action-error"]').exists()).toBe(true), WAIT);
    expect(wrapper.find('[data-testid="egov-trial-active"]').exists()).toBe(true);
    expect((wrapper.get('[data-testid="egov-trial-mode"]').element as HTMLInputElement).checked).toBe(true);
  });
});
