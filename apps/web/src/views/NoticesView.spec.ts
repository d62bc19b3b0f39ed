import { afterEach, describe, expect, it, vi } from 'vitest';
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils';
import { h } from 'vue';
import { createMemoryHistory, createRouter } from 'vue-router';
import { createPinia, setActivePinia } from 'pinia';
import NoticesView from '@/views/NoticesView.vue';
import { createAppI18n } from '@/i18n';
import { api, type Notice } from '@/api/client';
import { useSessionStore } from '@/stores/session';
import { TENANT, jsonResponse, makeOperator, makeUser, stubApi } from '@/testing/helpers';

const APP = '40000000-0000-4000-8000-000000000001';
const INCIDENT = '50000000-0000-4000-8000-000000000001';
const WAIT = { timeout: 10_000 };

let wrapper: VueWrapper | null = null;

/**
 * A small server: the list as GET /notices answers it (unread first, newest first), a page of
 * `limit` at a time; like the real one, the cursor is the last row's sort key (opaque to the SPA).
 */
function server(extra: Notice[] = []) {
  const notices: Notice[] = [
    { id: 'n1', kind: 'completed', applicationId: APP, createdAt: '2026-04-02T03:00:00.000Z', readAt: null },
    {
      id: 'n2',
      kind: 'incident',
      applicationId: null,
      incidentId: INCIDENT,
      title: '送信の遅延',
      createdAt: '2026-04-02T02:00:00.000Z',
      readAt: null,
    },
    { id: 'n3', kind: 'arrived', applicationId: APP, createdAt: '2026-04-01T00:00:00.000Z', readAt: '2026-04-01T01:00:00.000Z' },
    ...extra,
  ];
  const keyOf = (n: Notice) => `${n.readAt === null ? 1 : 0}|${n.createdAt}|${n.id}`;
  const sorted = () => [...notices].sort((a, b) => keyOf(b).localeCompare(keyOf(a)));
  return stubApi({
    'GET /notices': ({ url }) => {
      const limit = Number(url.searchParams.get('limit') ?? 50);
      const cursor = url.searchParams.get('cursor');
      const after = sorted().filter((n) => cursor === null || keyOf(n) < cursor);
      const page = after.slice(0, limit);
      return jsonResponse(200, {
        items: page,
        nextCursor: after.length > limit ? keyOf(page.at(-1)!) : null,
        unread: notices.filter((n) => n.readAt === null).length,
      });
    },
    'POST /notices/n1/read': () => {
      notices[0]!.readAt = '2026-04-02T04:00:00.000Z';
      return new Response(null, { status: 204 });
    },
    'POST /notices/read-all': () => {
      const marked = notices.filter((n) => n.readAt === null).length;
      for (const n of notices) n.readAt ??= '2026-04-02T05:00:00.000Z';
      return jsonResponse(200, { marked });
    },
  });
}

async function mountPage(role: 'member' | 'operator' = 'member', locale: 'ja' | 'en' = 'ja', extra: Notice[] = []) {
  const fetchMock = server(extra);
  const pinia = createPinia();
  setActivePinia(pinia);
  const session = useSessionStore();
  session.user = role === 'operator' ? makeOperator() : makeUser({ role });
  session.tenant = role === 'operator' ? null : TENANT;
  api.setCsrfToken('csrf');
  const router = createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: '/notices', name: 'notices', component: NoticesView },
      { path: '/applications/:id', name: 'application', component: { render: () => h('p', 'editor') } },
      { path: '/status', name: 'status', component: { render: () => h('p', 'status') } },
    ],
  });
  await router.push('/notices');
  wrapper = mount(NoticesView, { global: { plugins: [pinia, router, createAppI18n(locale)] }, attachTo: document.body });
  await flushPromises();
  return { wrapper, fetchMock, router };
}

const rows = (w: VueWrapper) => w.findAll('[data-testid="notices-page-item"]');

describe('NoticesView', () => {
  afterEach(() => {
    wrapper?.unmount();
    wrapper = null;
    document.body.innerHTML = '';
  });

  it('lists the お知らせ unread first, each linking to its application or to the incident on the status page', async () => {
    const { wrapper } = await mountPage();
    expect(wrapper.get('h1').text()).toBe('お知らせ');
    expect(wrapper.get('[data-testid="notices-page-summary"]').text()).toBe('未読のお知らせが 2 件あります。');
    expect(rows(wrapper).map((r) => r.attributes('data-read'))).toEqual(['false', 'false', 'true']);
    expect(rows(wrapper)[0]!.text()).toContain('手続が終了しました');
    expect(rows(wrapper)[1]!.text()).toContain('運用からのお知らせ: 送信の遅延');
    const links = wrapper.findAll('[data-testid="notices-page-link"]').map((a) => a.attributes('href'));
    expect(links).toEqual([`/applications/${APP}`, `/status#${INCIDENT}`, `/applications/${APP}`]);
    // A read one has no 既読にする button.
    expect(rows(wrapper)[2]!.find('[data-testid="notices-page-read"]').exists()).toBe(false);
  });

  it('marks one read where it is shown, then all read', async () => {
    const { wrapper, fetchMock } = await mountPage();
    await rows(wrapper)[0]!.get('[data-testid="notices-page-read"]').trigger('click');
    await flushPromises();
    expect(fetchMock.mock.calls.some(([u, init]) => String(u) === '/api/v1/notices/n1/read' && init?.method === 'POST')).toBe(true);
    // In place: the rows do not move under the user's pointer (and pages loaded so far stay).
    expect(rows(wrapper).map((r) => r.attributes('data-read'))).toEqual(['true', 'false', 'true']);
    expect(rows(wrapper)[0]!.text()).toContain('手続が終了しました');
    expect(wrapper.get('[data-testid="notices-page-summary"]').text()).toBe('未読のお知らせが 1 件あります。');

    await wrapper.get('[data-testid="notices-page-read-all"]').trigger('click');
    await vi.waitFor(() => expect(rows(wrapper).map((r) => r.attributes('data-read'))).toEqual(['true', 'true', 'true']), WAIT);
    expect(wrapper.get('[data-testid="notices-page-summary"]').text()).toBe('未読のお知らせはありません。');
    expect(wrapper.find('[data-testid="notices-page-read-all"]').exists()).toBe(false);
  });

  it('loads the next page with the cursor, and keeps a notice that comes again on it once', async () => {
    // 60 more unread ones, older than n1 and n2: 63 in all, 62 unread.
    const older: Notice[] = Array.from({ length: 60 }, (_, i) => ({
      id: `old${String(i).padStart(2, '0')}`,
      kind: 'arrived',
      applicationId: APP,
      createdAt: new Date(Date.UTC(2026, 2, 1) - i * 60_000).toISOString(),
      readAt: null,
    }));
    const { wrapper, fetchMock } = await mountPage('member', 'ja', older);
    expect(rows(wrapper)).toHaveLength(50);
    const first = new URL(String(fetchMock.mock.calls[0]![0]), 'http://localhost');
    expect(first.searchParams.get('limit')).toBe('50');
    expect(first.searchParams.has('cursor')).toBe(false);
    // Read meanwhile: n1 moves to the read part, after the cursor, so the next page lists it again.
    await rows(wrapper)[0]!.get('[data-testid="notices-page-read"]').trigger('click');
    await flushPromises();

    await wrapper.get('[data-testid="notices-page-more"]').trigger('click');
    await flushPromises();
    const next = new URL(String(fetchMock.mock.calls.at(-1)![0]), 'http://localhost');
    expect(next.searchParams.get('cursor')).toBe(`1|${older[47]!.createdAt}|old47`);
    const ids = rows(wrapper).map((r) => r.attributes('data-notice-id'));
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toHaveLength(63);
    expect(ids[0]).toBe('n1');
    expect(wrapper.find('[data-testid="notices-page-more"]').exists()).toBe(false);
  });

  it('offers no さらに表示 when every notice is shown', async () => {
    const { wrapper } = await mountPage();
    expect(rows(wrapper)).toHaveLength(3);
    expect(wrapper.find('[data-testid="notices-page-more"]').exists()).toBe(false);
  });

  it('speaks English for en', async () => {
    const { wrapper } = await mountPage('member', 'en');
    expect(wrapper.get('h1').text()).toBe('Notices');
    expect(wrapper.get('[data-testid="notices-page-read-all"]').text()).toBe('Mark all as read');
  });

  it('tells an operator there is nothing here and asks the server nothing', async () => {
    const { wrapper, fetchMock } = await mountPage('operator');
    expect(wrapper.get('[data-testid="notices-page-operator"]').text()).toContain('運用担当者');
    expect(fetchMock.mock.calls.filter(([u]) => String(u).includes('/notices'))).toHaveLength(0);
  });
});
