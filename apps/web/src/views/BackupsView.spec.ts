import { afterEach, describe, expect, it } from 'vitest';
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import BackupsView from '@/views/BackupsView.vue';
import { createAppI18n } from '@/i18n';
import { useSessionStore } from '@/stores/session';
import { TENANT, jsonResponse, makeGeneration, makeUser, problem, stubApi, type Handler } from '@/testing/helpers';

let wrapper: VueWrapper | null = null;

function mountAs(role: 'admin' | 'member', handlers: Record<string, Handler>, locale: 'ja' | 'en' = 'ja') {
  const fetchMock = stubApi(handlers);
  const pinia = createPinia();
  setActivePinia(pinia);
  useSessionStore().user = makeUser({ role });
  useSessionStore().tenant = TENANT;
  wrapper = mount(BackupsView, { global: { plugins: [pinia, createAppI18n(locale)] }, attachTo: document.body });
  return { wrapper, fetchMock };
}

const weekly = makeGeneration({
  id: '30000000-0000-4000-8000-000000000002',
  kind: 'weekly',
  store: 'remote',
  createdAt: '2026-11-28T19:00:00.000Z',
  size: 1536,
  // 04:30 JST on 30 Nov.
  verifiedAt: '2026-11-29T19:30:00.000Z',
});
const daily = makeGeneration();
const broken = makeGeneration({
  id: '30000000-0000-4000-8000-000000000003',
  createdAt: '2026-11-27T17:00:00.000Z',
  verifyError: 'sha256 mismatch',
});

describe('BackupsView', () => {
  afterEach(() => {
    wrapper?.unmount();
    wrapper = null;
  });

  it('explains the backup model and lists the generations with kind, store, size and verification', async () => {
    const { wrapper, fetchMock } = mountAs('admin', {
      'GET /backups': () => jsonResponse(200, { items: [daily, weekly, broken] }),
    });
    await flushPromises();

    expect(fetchMock).toHaveBeenCalledTimes(1);
    const explanation = wrapper.get('[data-testid="backups-explanation"]').text();
    expect(explanation).toContain('毎晩');
    expect(explanation).toContain('30世代');
    expect(explanation).toContain('遠隔地');
    expect(explanation).toContain('5年間');

    const rows = wrapper.findAll('[data-testid="generation-row"]');
    expect(rows).toHaveLength(3);
    // 2026-12-01T17:00Z is 02:00 on 2 Dec in Tokyo.
    expect(rows[0]!.text()).toContain('2026/12/02 02:00 JST');
    expect(rows[0]!.get('[data-testid="generation-kind"]').text()).toBe('日次');
    expect(rows[0]!.get('[data-testid="generation-store"]').text()).toBe('プライマリ');
    expect(rows[0]!.get('[data-testid="generation-size"]').text()).toBe('5.3 MB');
    expect(rows[0]!.get('[data-testid="generation-verification"]').text()).toBe('未検証');
    expect(rows[0]!.get('[data-testid="generation-state"]').text()).toBe('完了');
    expect(rows[0]!.text()).toContain('9f86d081884c');

    expect(rows[1]!.get('[data-testid="generation-kind"]').text()).toBe('週次');
    expect(rows[1]!.get('[data-testid="generation-store"]').text()).toBe('リモート');
    expect(rows[1]!.get('[data-testid="generation-size"]').text()).toBe('1.5 KB');
    expect(rows[1]!.get('[data-testid="generation-verification"]').text()).toContain('✓ 2026/11/30 04:30 JST');
    expect(rows[1]!.get('[data-testid="generation-verification"]').attributes('data-verification')).toBe('verified');

    expect(rows[2]!.get('[data-testid="generation-verification"]').text()).toBe('失敗');

    // Read-only: nothing to restore or run from here.
    expect(wrapper.find('[data-testid="generation-restore"]').exists()).toBe(false);
    expect(wrapper.find('button').exists()).toBe(false);
  });

  it('says so when there is no generation yet, in English too', async () => {
    const { wrapper } = mountAs('admin', { 'GET /backups': () => jsonResponse(200, { items: [] }) }, 'en');
    await flushPromises();

    expect(wrapper.get('[data-testid="generations-empty"]').text()).toBe('There are no backups yet.');
    expect(wrapper.get('[data-testid="backups-explanation"]').text()).toContain('last 30 generations');
  });

  it('shows a failed load with the API error message', async () => {
    const { wrapper } = mountAs('admin', { 'GET /backups': () => problem(403, 'forbidden') });
    await flushPromises();

    expect(wrapper.get('[data-testid="backups-load-error"]').text()).toBe('この操作を行う権限がありません。');
    expect(wrapper.find('[data-testid="generations-empty"]').exists()).toBe(false);
  });

  it('refuses members without asking the server', async () => {
    const { wrapper, fetchMock } = mountAs('member', {});
    await flushPromises();

    expect(fetchMock).not.toHaveBeenCalled();
    expect(wrapper.get('[data-testid="backups-forbidden"]').text()).toContain('権限がありません');
    expect(wrapper.find('[data-testid="generations-table"]').exists()).toBe(false);
  });
});
