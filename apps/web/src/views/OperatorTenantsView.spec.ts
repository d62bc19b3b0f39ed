import { afterEach, describe, expect, it } from 'vitest';
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils';
import { createMemoryHistory } from 'vue-router';
import { createPinia, setActivePinia } from 'pinia';
import OperatorTenantsView from '@/views/OperatorTenantsView.vue';
import { createAppRouter } from '@/router';
import { createAppI18n } from '@/i18n';
import { useSessionStore } from '@/stores/session';
import type { User } from '@/api/client';
import { jsonResponse, makeOperator, makeOperatorTenant, makeUser, problem, stubApi, type Handler } from '@/testing/helpers';

let wrapper: VueWrapper | null = null;

async function mountAs(user: User, handlers: Record<string, Handler>) {
  const fetchMock = stubApi(handlers);
  const pinia = createPinia();
  setActivePinia(pinia);
  useSessionStore().user = user;
  useSessionStore().tenant = null;
  // The router's first navigation must not ask for the session: it is set here.
  useSessionStore().loaded = true;
  const router = createAppRouter(createMemoryHistory());
  wrapper = mount(OperatorTenantsView, { global: { plugins: [pinia, router, createAppI18n('ja')] }, attachTo: document.body });
  // The plugin starts the initial navigation, which loads the lazy route components (AppShell, HomeView):
  // wait for it, or the import can still be running when the test environment is torn down (an
  // unhandled EnvironmentTeardownError that fails the whole run).
  await router.isReady().catch(() => undefined);
  await flushPromises();
  return { wrapper, fetchMock };
}

const active = makeOperatorTenant();
const cancelled = makeOperatorTenant({
  id: '00000000-0000-4000-8000-0000000000bb',
  code: 'beta',
  name: 'ベータ商事',
  status: 'cancelled',
  cancelledAt: '2026-12-03T01:00:00.000Z',
  // End of 10 Dec 2026 in JST.
  deletionDueAt: '2026-12-10T14:59:59.999Z',
  lastBackupAt: null,
});
const deleted = makeOperatorTenant({
  id: '00000000-0000-4000-8000-0000000000cc',
  code: 'gamma',
  name: 'ガンマ工業',
  status: 'deleted',
  cancelledAt: '2026-11-01T01:00:00.000Z',
  deletionDueAt: '2026-11-07T14:59:59.999Z',
  deletedAt: '2026-11-05T03:00:00.000Z',
  lastBackupAt: null,
  certificateId: 'cert-1',
});

describe('OperatorTenantsView', () => {
  afterEach(() => {
    wrapper?.unmount();
    wrapper = null;
  });

  it('lists every contract with status chip, last backup, due deletion day and a link to its detail', async () => {
    const { wrapper } = await mountAs(makeOperator(), {
      'GET /operator/tenants': () => jsonResponse(200, { items: [active, cancelled, deleted] }),
    });

    const rows = wrapper.findAll('[data-testid="tenant-row"]');
    expect(rows).toHaveLength(3);
    expect(rows[0]!.text()).toContain('acme');
    expect(rows[0]!.text()).toContain('株式会社アクメ');
    expect(rows[0]!.get('[data-testid="contract-status"]').text()).toBe('利用中');
    // 17:05Z is 02:05 the next day in Tokyo.
    expect(rows[0]!.get('[data-testid="tenant-last-backup"]').text()).toBe('2026/12/02 02:05 JST');
    expect(rows[0]!.get('[data-testid="tenant-deletion-due"]').text()).toBe('—');

    expect(rows[1]!.get('[data-testid="contract-status"]').text()).toBe('解約済み');
    expect(rows[1]!.get('[data-testid="tenant-last-backup"]').text()).toBe('なし');
    expect(rows[1]!.get('[data-testid="tenant-deletion-due"]').text()).toBe('2026/12/10');
    expect(rows[1]!.get('[data-testid="tenant-detail"]').attributes('href')).toBe('/operator/tenants/beta');

    expect(rows[2]!.get('[data-testid="contract-status"]').text()).toBe('消去済み');
    expect(rows[2]!.get('[data-testid="contract-status"]').classes()).toContain('contract-deleted');
    expect(rows[2]!.get('[data-testid="tenant-deletion-due"]').text()).toBe('—');
  });

  it('shows the empty list and a failed load', async () => {
    let answer: 'empty' | 'fail' = 'fail';
    const { wrapper } = await mountAs(makeOperator(), {
      'GET /operator/tenants': () => (answer === 'fail' ? problem(500, 'internal') : jsonResponse(200, { items: [] })),
    });
    expect(wrapper.get('[data-testid="tenants-load-error"]').text()).toContain('エラーコード: internal');

    answer = 'empty';
    await wrapper.get('[data-testid="tenants-reload"]').trigger('click');
    await flushPromises();
    expect(wrapper.find('[data-testid="tenants-load-error"]').exists()).toBe(false);
    expect(wrapper.get('[data-testid="tenants-empty"]').text()).toBe('契約はまだありません。');
  });

  it('refuses tenant admins without asking the server', async () => {
    const { wrapper, fetchMock } = await mountAs(makeUser({ role: 'admin' }), {});

    expect(fetchMock).not.toHaveBeenCalled();
    expect(wrapper.get('[data-testid="operator-forbidden"]').text()).toContain('プラットフォーム運用担当者');
  });
});
