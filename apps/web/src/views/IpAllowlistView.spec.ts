import { afterEach, describe, expect, it } from 'vitest';
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils';
import { createMemoryHistory, createRouter } from 'vue-router';
import { createPinia, setActivePinia } from 'pinia';
import IpAllowlistView from '@/views/IpAllowlistView.vue';
import { createAppI18n } from '@/i18n';
import { api, type IpAllowlist } from '@/api/client';
import { useSessionStore } from '@/stores/session';
import { TENANT, jsonResponse, makeUser, problem, stubApi, type Handler } from '@/testing/helpers';

const saved: IpAllowlist = {
  enabled: true,
  cidrs: ['203.0.113.0/24', '2001:db8::/32'],
  appliesTo: 'all',
  currentAddress: '203.0.113.10',
  currentAddressAllowed: true,
  updatedAt: '2026-04-01T00:30:00.000Z',
};

let wrapper: VueWrapper | null = null;

async function mountAs(role: 'admin' | 'member', handlers: Record<string, Handler>) {
  const fetchMock = stubApi({ 'GET /tenant/ip-allowlist': () => jsonResponse(200, saved), ...handlers });
  const pinia = createPinia();
  setActivePinia(pinia);
  useSessionStore().user = makeUser({ role });
  useSessionStore().tenant = TENANT;
  api.setCsrfToken('csrf-admin');
  const router = createRouter({
    history: createMemoryHistory(),
    routes: [{ path: '/settings/ip-allowlist', name: 'ip-allowlist', component: IpAllowlistView }],
  });
  await router.push('/settings/ip-allowlist');
  wrapper = mount(IpAllowlistView, { global: { plugins: [pinia, router, createAppI18n('ja')] }, attachTo: document.body });
  await flushPromises();
  return { wrapper, fetchMock };
}

const puts = (fetchMock: ReturnType<typeof stubApi>) =>
  fetchMock.mock.calls
    .filter(([, init]) => init?.method === 'PUT')
    .map(([, init]) => ({ body: JSON.parse(String(init?.body)) as Record<string, unknown>, headers: new Headers(init?.headers) }));

const cidrInputs = (w: VueWrapper) => w.findAll('[data-testid="ip-allowlist-cidr"]');

describe('IpAllowlistView', () => {
  afterEach(() => {
    wrapper?.unmount();
    wrapper = null;
  });

  it('shows the saved list, whom it applies to and the current address', async () => {
    const { wrapper } = await mountAs('admin', {});
    expect(wrapper.get('h1').text()).toBe('IPアドレス制限');
    expect(wrapper.get('[data-testid="ip-allowlist-current"]').text()).toBe('現在のアドレス: 203.0.113.10');
    expect(wrapper.get('[data-testid="ip-allowlist-current-state"]').text()).toBe('現在のアドレスは、登録済みの一覧に含まれています。');
    expect((wrapper.get('[data-testid="ip-allowlist-enabled"]').element as HTMLInputElement).checked).toBe(true);
    expect((wrapper.get('[data-testid="ip-allowlist-applies-all"]').element as HTMLInputElement).checked).toBe(true);
    expect(cidrInputs(wrapper).map((i) => (i.element as HTMLInputElement).value)).toEqual(['203.0.113.0/24', '2001:db8::/32']);
    // Every input has its label.
    for (const input of cidrInputs(wrapper)) expect(wrapper.find(`label[for="${input.attributes('id')}"]`).exists()).toBe(true);
  });

  it('adds, removes and saves rows (blank rows left out) with the CSRF header', async () => {
    const { wrapper, fetchMock } = await mountAs('admin', {
      'PUT /tenant/ip-allowlist': ({ body }) =>
        jsonResponse(200, { ...saved, ...(body as object), cidrs: ['2001:db8::/32', '198.51.100.0/24', '203.0.113.10/32'] }),
    });
    await wrapper.findAll('[data-testid="ip-allowlist-remove"]')[0]!.trigger('click');
    await wrapper.get('[data-testid="ip-allowlist-add"]').trigger('click');
    await cidrInputs(wrapper)[1]!.setValue(' 198.51.100.7/24 ');
    await wrapper.get('[data-testid="ip-allowlist-add"]').trigger('click');
    await wrapper.get('[data-testid="ip-allowlist-add-current"]').trigger('click');
    await wrapper.get('[data-testid="ip-allowlist-add"]').trigger('click');
    await wrapper.get('[data-testid="ip-allowlist-applies-admins"]').setValue(true);
    await wrapper.get('[data-testid="ip-allowlist-form"]').trigger('submit');
    await flushPromises();
    const sent = puts(fetchMock)[0]!;
    expect(sent.headers.get('X-CSRF-Token')).toBe('csrf-admin');
    expect(sent.body).toEqual({ enabled: true, appliesTo: 'admins', cidrs: ['2001:db8::/32', '198.51.100.7/24', '203.0.113.10'] });
    expect(wrapper.get('[data-testid="ip-allowlist-notice"]').text()).toBe('IPアドレス制限を保存しました。');
    // The server's canonical form replaces what was typed.
    expect(cidrInputs(wrapper).map((i) => (i.element as HTMLInputElement).value)).toEqual([
      '2001:db8::/32',
      '198.51.100.0/24',
      '203.0.113.10/32',
    ]);
  });

  it('shows a malformed entry’s error in Japanese on its own row', async () => {
    const { wrapper } = await mountAs('admin', {
      'PUT /tenant/ip-allowlist': () =>
        problem(400, 'validation_failed', { errors: [{ field: 'cidrs[1]', code: 'invalid_cidr', message: 'must be an IPv4 or IPv6…' }] }),
    });
    // A blank row between the two: errors count the rows sent, the page maps them back.
    await wrapper.get('[data-testid="ip-allowlist-add"]').trigger('click');
    await wrapper.get('[data-testid="ip-allowlist-add"]').trigger('click');
    await cidrInputs(wrapper)[3]!.setValue('office');
    await cidrInputs(wrapper)[1]!.setValue('');
    await wrapper.get('[data-testid="ip-allowlist-form"]').trigger('submit');
    await flushPromises();
    const errors = wrapper.findAll('[data-testid="ip-allowlist-cidr-error"]').map((e) => e.text());
    expect(errors).toEqual(['', '', '', 'IPアドレス、またはCIDR表記のネットワーク（例: 203.0.113.0/24）を入力してください。']);
    expect(cidrInputs(wrapper)[3]!.attributes('aria-invalid')).toBe('true');
  });

  it('asks before saving a list that locks the administrator out, and saves with confirmOwnAddress only when confirmed', async () => {
    let calls = 0;
    const { wrapper, fetchMock } = await mountAs('admin', {
      'PUT /tenant/ip-allowlist': ({ body }) => {
        calls += 1;
        return (body as { confirmOwnAddress?: boolean }).confirmOwnAddress
          ? jsonResponse(200, { ...saved, cidrs: ['192.0.2.0/24'], currentAddressAllowed: false })
          : problem(409, 'would_lock_out');
      },
    });
    await wrapper.findAll('[data-testid="ip-allowlist-remove"]')[0]!.trigger('click');
    await cidrInputs(wrapper)[0]!.setValue('192.0.2.0/24');
    await wrapper.get('[data-testid="ip-allowlist-form"]').trigger('submit');
    await flushPromises();
    const dialog = wrapper.get('[data-testid="ip-allowlist-lockout-dialog"]');
    expect(dialog.text()).toContain('現在のアドレスからアクセスできなくなります');
    expect(dialog.text()).toContain('203.0.113.10');
    expect(wrapper.find('[data-testid="ip-allowlist-error"]').exists()).toBe(false);

    // 一覧を見直す: nothing else is sent.
    await dialog.get('[data-testid="confirm-cancel"]').trigger('click');
    await flushPromises();
    expect(calls).toBe(1);

    await wrapper.get('[data-testid="ip-allowlist-form"]').trigger('submit');
    await flushPromises();
    await wrapper.get('[data-testid="ip-allowlist-lockout-dialog"] [data-testid="confirm-ok"]').trigger('click');
    await flushPromises();
    const sent = puts(fetchMock).map((p) => p.body);
    expect(sent).toHaveLength(3);
    expect(sent[1]!.confirmOwnAddress).toBeUndefined();
    expect(sent[2]).toEqual({ enabled: true, appliesTo: 'all', cidrs: ['192.0.2.0/24'], confirmOwnAddress: true });
    expect(wrapper.get('[data-testid="ip-allowlist-notice"]').text()).toBe('IPアドレス制限を保存しました。');
  });

  it('tells a member the page is for administrators and loads nothing', async () => {
    const { wrapper, fetchMock } = await mountAs('member', {});
    expect(wrapper.text()).toContain('この画面は管理者だけが利用できます。');
    expect(fetchMock).not.toHaveBeenCalled();
  });
});
