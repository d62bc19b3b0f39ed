import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils';
import { h } from 'vue';
import { createMemoryHistory, createRouter } from 'vue-router';
import { createPinia, setActivePinia } from 'pinia';
import NoticesBell from '@/components/NoticesBell.vue';
import { createAppI18n } from '@/i18n';
import { api, type Notice } from '@/api/client';
import { useSessionStore } from '@/stores/session';
import { TENANT, headersOf, jsonResponse, makeUser, stubApi, type Handler } from '@/testing/helpers';
import { noticesChanged } from '@/composables/useNotices';

const WAIT = { timeout: 10_000 };
const APP = '40000000-0000-4000-8000-000000000001';

const NOTICES: Notice[] = [
  { id: 'n1', kind: 'arrived', applicationId: APP, createdAt: '2026-04-02T00:00:00.000Z', readAt: null },
  { id: 'n2', kind: 'document_received', applicationId: APP, createdAt: '2026-04-02T01:00:00.000Z', readAt: null },
  { id: 'n3', kind: 'completed', applicationId: null, createdAt: '2026-04-01T00:00:00.000Z', readAt: '2026-04-01T02:00:00.000Z' },
];

let wrapper: VueWrapper | null = null;

async function mountBell(handlers: Record<string, Handler> = {}) {
  let unread = 2;
  const fetchMock = stubApi({
    'GET /notices': () => jsonResponse(200, { items: NOTICES, nextCursor: null, unread }),
    'POST /notices/n1/read': () => {
      unread = 1;
      return new Response(null, { status: 204 });
    },
    ...handlers,
  });
  const pinia = createPinia();
  setActivePinia(pinia);
  const session = useSessionStore();
  session.user = makeUser({ role: 'member' });
  session.tenant = TENANT;
  api.setCsrfToken('csrf-member');
  const router = createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: '/', name: 'home', component: { render: () => h('p', 'home') } },
      { path: '/applications/:id', name: 'application', component: { render: () => h('p', 'editor') } },
      { path: '/status', name: 'status', component: { render: () => h('p', 'status') } },
      { path: '/notices', name: 'notices', component: { render: () => h('p', 'notices page') } },
    ],
  });
  await router.push('/');
  const i18n = createAppI18n('ja');
  wrapper = mount(NoticesBell, { global: { plugins: [pinia, router, i18n] }, attachTo: document.body });
  return { wrapper, router, fetchMock, session, i18n };
}

function noticeGets(fetchMock: ReturnType<typeof stubApi>): number {
  return fetchMock.mock.calls.filter(
    ([input, init]) => new URL(String(input), 'http://localhost').pathname === '/api/v1/notices' && (init?.method ?? 'GET') === 'GET',
  ).length;
}

describe('NoticesBell', () => {
  beforeEach(() => {
    document.body.innerHTML = '';
  });
  afterEach(() => {
    wrapper?.unmount();
    wrapper = null;
    vi.useRealTimers();
  });

  it('links to the お知らせ page (すべて見る) and asks again when that page marked some read', async () => {
    const { wrapper, router, fetchMock } = await mountBell();
    await vi.waitFor(() => expect(noticeGets(fetchMock)).toBe(1), WAIT);
    await wrapper.get('[data-testid="notices-bell"]').trigger('click');
    const all = wrapper.get('[data-testid="notices-all"]');
    expect(all.text()).toBe('すべて見る');
    expect(all.attributes('href')).toBe('/notices');
    await all.trigger('click');
    await vi.waitFor(() => expect(router.currentRoute.value.fullPath).toBe('/notices'), WAIT);

    await flushPromises();
    const before = noticeGets(fetchMock);
    noticesChanged.value++;
    await vi.waitFor(() => expect(noticeGets(fetchMock)).toBe(before + 1), WAIT);
  });

  it('shows the unread count, lists the notices in Japanese and marks one read when opened', async () => {
    const { wrapper, router, fetchMock } = await mountBell();

    await vi.waitFor(() => expect(wrapper.get('[data-testid="notices-count"]').text()).toBe('2'), WAIT);
    const bell = wrapper.get('[data-testid="notices-bell"]');
    // The button's accessible name is its text (the count badge is aria-hidden).
    expect(bell.get('[data-testid="notices-bell-label"]').text()).toBe('お知らせ（未読 2 件）');
    expect(bell.attributes('aria-label')).toBeUndefined();
    expect(bell.attributes('aria-expanded')).toBe('false');

    await bell.trigger('click');
    expect(bell.attributes('aria-expanded')).toBe('true');
    const items = wrapper.findAll('[data-testid="notice-item"]');
    expect(items.map((i) => i.get('.notice-text').text())).toEqual(['申請が到達しました', '公文書が届きました', '手続が終了しました']);
    expect(items[0]!.get('time').text()).toBe('2026/04/02 09:00 JST');
    expect(items[0]!.get('a').attributes('href')).toBe(`/applications/${APP}`);
    expect(items[2]!.attributes('data-read')).toBe('true');

    await items[0]!.get('a').trigger('click');
    await vi.waitFor(() => expect(wrapper.get('[data-testid="notices-count"]').text()).toBe('1'), WAIT);
    await vi.waitFor(() => expect(router.currentRoute.value.fullPath).toBe(`/applications/${APP}`), WAIT);
    const read = fetchMock.mock.calls.findIndex(([input, init]) => String(input) === '/api/v1/notices/n1/read' && init?.method === 'POST');
    expect(read).toBeGreaterThanOrEqual(0);
    expect(headersOf(fetchMock, read)['x-csrf-token']).toBe('csrf-member');
    expect(wrapper.get('[data-testid="notices-bell-label"]').text()).toBe('お知らせ（未読 1 件）');
  });

  it('asks for the latest 10 only (the お知らせ page has the rest)', async () => {
    const { fetchMock } = await mountBell();
    await vi.waitFor(() => expect(fetchMock.mock.calls.length).toBeGreaterThan(0), WAIT);
    const url = new URL(String(fetchMock.mock.calls[0]![0]), 'http://localhost');
    expect(url.pathname).toBe('/api/v1/notices');
    expect(url.searchParams.get('limit')).toBe('10');
    expect(url.searchParams.has('cursor')).toBe(false);
  });

  it('words the 補正 and 取下げ notices in Japanese and English', async () => {
    const items: Notice[] = [
      { id: 'a1', kind: 'amended', applicationId: APP, createdAt: '2026-04-05T00:00:00.000Z', readAt: null },
      { id: 'a2', kind: 'amend_failed', applicationId: APP, createdAt: '2026-04-05T01:00:00.000Z', readAt: null },
      { id: 'a3', kind: 'withdraw_failed', applicationId: APP, createdAt: '2026-04-05T02:00:00.000Z', readAt: null },
      { id: 'a4', kind: 'some_new_kind', applicationId: APP, createdAt: '2026-04-05T03:00:00.000Z', readAt: null },
    ];
    const { wrapper, i18n } = await mountBell({ 'GET /notices': () => jsonResponse(200, { items, nextCursor: null, unread: 4 }) });
    await vi.waitFor(() => expect(wrapper.get('[data-testid="notices-count"]').text()).toBe('4'), WAIT);
    await wrapper.get('[data-testid="notices-bell"]').trigger('click');
    const texts = () => wrapper.findAll('[data-testid="notice-item"] .notice-text').map((n) => n.text());
    expect(texts()).toEqual([
      '補正を送信しました',
      '補正を送信できませんでした',
      '取下げを送信できませんでした',
      'お知らせ（some_new_kind）',
    ]);

    i18n.global.locale.value = 'en';
    await flushPromises();
    expect(texts()).toEqual([
      'The correction was accepted by e-Gov',
      'The correction could not be sent',
      'The withdrawal could not be sent',
      'Notice (some_new_kind)',
    ]);
  });

  it('has no badge without unread notices', async () => {
    const { wrapper, fetchMock } = await mountBell({ 'GET /notices': () => jsonResponse(200, { items: [], nextCursor: null, unread: 0 }) });
    await vi.waitFor(() => expect(noticeGets(fetchMock)).toBe(1), WAIT);
    await flushPromises();
    expect(wrapper.find('[data-testid="notices-count"]').exists()).toBe(false);
    expect(wrapper.get('[data-testid="notices-bell-label"]').text()).toBe('お知らせ');
  });

  it('asks again every 60 s and stops when logged out', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const { fetchMock, session } = await mountBell();
    await flushPromises();
    expect(noticeGets(fetchMock)).toBe(1);

    vi.advanceTimersByTime(59_000);
    await flushPromises();
    expect(noticeGets(fetchMock)).toBe(1);
    vi.advanceTimersByTime(1_000);
    await flushPromises();
    expect(noticeGets(fetchMock)).toBe(2);

    session.clear();
    await flushPromises();
    vi.advanceTimersByTime(120_000);
    await flushPromises();
    expect(noticeGets(fetchMock)).toBe(2);
  });

  it('shows an incident notice with its title and links to the incident on the status page', async () => {
    const INCIDENT = '50000000-0000-4000-8000-000000000001';
    const { wrapper, router } = await mountBell({
      'GET /notices': () =>
        jsonResponse(200, {
          items: [
            {
              id: 'n9',
              kind: 'incident',
              applicationId: null,
              incidentId: INCIDENT,
              title: '電子申請の送信が遅延しています',
              createdAt: '2026-04-03T00:00:00.000Z',
              readAt: null,
            },
          ],
          nextCursor: null,
          unread: 1,
        }),
      'POST /notices/n9/read': () => new Response(null, { status: 204 }),
    });
    await vi.waitFor(() => expect(wrapper.get('[data-testid="notices-count"]').text()).toBe('1'), WAIT);
    await wrapper.get('[data-testid="notices-bell"]').trigger('click');
    const item = wrapper.get('[data-testid="notice-item"]');
    expect(item.get('.notice-text').text()).toBe('運用からのお知らせ: 電子申請の送信が遅延しています');
    const link = item.get('a');
    expect(link.attributes('href')).toBe(`/status#${INCIDENT}`);
    await link.trigger('click');
    await vi.waitFor(() => expect(router.currentRoute.value.fullPath).toBe(`/status#${INCIDENT}`), WAIT);
    await vi.waitFor(() => expect(wrapper.find('[data-testid="notices-count"]').exists()).toBe(false), WAIT);
  });
});
