import { afterEach, describe, expect, it } from 'vitest';
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils';
import { createMemoryHistory, createRouter } from 'vue-router';
import { createPinia, setActivePinia } from 'pinia';
import ApplicationsView from '@/views/ApplicationsView.vue';
import { createAppI18n } from '@/i18n';
import { api, type ApplicationSummary } from '@/api/client';
import { useSessionStore } from '@/stores/session';
import { TENANT, jsonResponse, makeUser, problem, stubApi, type Handler } from '@/testing/helpers';
import { KOYO_SHUTOKU, OFFICE, OFFICE_2, SHAHO_SHUTOKU, makeApplication } from '@/testing/applications';

function summary(overrides: Partial<ApplicationSummary>): ApplicationSummary {
  const { form: _f, masked: _m, timeline: _t, attachments: _a, ...s } = makeApplication();
  return { ...s, ...overrides };
}

const draft = summary({});
const arrived = summary({
  id: '40000000-0000-4000-8000-000000000002',
  title: '佐藤花子 資格喪失届',
  status: 'arrived',
  officeId: OFFICE_2.id,
});
const correction = summary({ id: '40000000-0000-4000-8000-000000000003', title: '鈴木一郎', status: 'correction_requested' });

let wrapper: VueWrapper | null = null;

async function mountAt(
  path: string,
  handlers: Record<string, Handler>,
  tenant: typeof TENANT & { kind?: 'company' | 'sharoushi' } = TENANT,
) {
  const fetchMock = stubApi({
    'GET /offices': () => jsonResponse(200, { items: [OFFICE, OFFICE_2] }),
    'GET /procedures': () => jsonResponse(200, { items: [SHAHO_SHUTOKU, KOYO_SHUTOKU] }),
    ...handlers,
  });
  const pinia = createPinia();
  setActivePinia(pinia);
  const session = useSessionStore();
  session.user = makeUser({ role: 'member' });
  session.tenant = tenant;
  session.loaded = true;
  api.setCsrfToken('csrf-member');
  const router = createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: '/applications', name: 'applications', component: ApplicationsView },
      { path: '/applications/:id', name: 'application', component: { render: () => null } },
      { path: '/offices', name: 'offices', component: { render: () => null } },
    ],
  });
  await router.push(path);
  wrapper = mount(ApplicationsView, { global: { plugins: [pinia, router, createAppI18n('ja')] }, attachTo: document.body });
  await flushPromises();
  return { wrapper, fetchMock, router };
}

/** The query strings of the GET /applications calls, in order. */
function listQueries(fetchMock: ReturnType<typeof stubApi>): Record<string, string>[] {
  return fetchMock.mock.calls
    .map(([input, init]) => ({ url: new URL(String(input), 'http://localhost'), method: init?.method ?? 'GET' }))
    .filter(({ url, method }) => method === 'GET' && url.pathname === '/api/v1/applications')
    .map(({ url }) => Object.fromEntries(url.searchParams.entries()));
}

describe('ApplicationsView', () => {
  afterEach(() => {
    wrapper?.unmount();
    wrapper = null;
  });

  it('shows the 提出期限 column, with an icon and the word 期限超過 when overdue (not colour alone)', async () => {
    const late = summary({ id: '40000000-0000-4000-8000-000000000009', title: '期限切れ', dueDate: '2026-04-06', overdue: true });
    const none = summary({ id: '40000000-0000-4000-8000-00000000000a', title: '日付未入力', dueDate: null, overdue: false });
    const { wrapper } = await mountAt('/applications', {
      'GET /applications': () => jsonResponse(200, { items: [draft, late, none], nextCursor: null }),
    });
    expect(wrapper.findAll('thead th').map((th) => th.text())).toContain('提出期限');
    const dues = wrapper.findAll('[data-testid="app-row"]').map((r) => r.get('[data-testid="due-date"]'));
    expect(dues[0]!.text()).toBe('2026/04/06');
    expect(dues[0]!.attributes('data-overdue')).toBeUndefined();
    expect(dues[1]!.text()).toContain('2026/04/06');
    expect(dues[1]!.text()).toContain('期限超過');
    expect(dues[1]!.attributes('data-overdue')).toBe('true');
    expect(dues[1]!.get('[aria-hidden="true"]').text()).toBe('⚠');
    expect(dues[2]!.text()).toBe('未設定');
  });

  it('passes ?due= and the 審査中 group of statuses from the URL to the API, and offers them as filters', async () => {
    const { wrapper, fetchMock } = await mountAt('/applications?due=overdue&status=submitting,arrived,under_review,review_finished', {
      'GET /applications': () => jsonResponse(200, { items: [], nextCursor: null }),
    });
    expect(listQueries(fetchMock)[0]).toMatchObject({ due: 'overdue', status: 'submitting,arrived,under_review,review_finished' });
    expect((wrapper.get('[data-testid="apps-filter-due"]').element as HTMLSelectElement).value).toBe('overdue');
    expect((wrapper.get('[data-testid="apps-filter-status"]').element as HTMLSelectElement).selectedOptions[0]!.text).toBe(
      '審査中（送信中・到達・審査中・審査終了）',
    );
  });

  it('ignores a ?due= or ?status= it does not know', async () => {
    const { fetchMock } = await mountAt('/applications?due=someday&status=draft,nope', {
      'GET /applications': () => jsonResponse(200, { items: [], nextCursor: null }),
    });
    expect(listQueries(fetchMock)[0]).not.toHaveProperty('due');
    expect(listQueries(fetchMock)[0]).not.toHaveProperty('status');
  });

  it('lists applications with procedure, office and a status chip per status', async () => {
    const { wrapper } = await mountAt('/applications', {
      'GET /applications': () => jsonResponse(200, { items: [draft, arrived, correction], nextCursor: null }),
    });

    const rows = wrapper.findAll('[data-testid="app-row"]');
    expect(rows).toHaveLength(3);
    expect(rows[0]!.text()).toContain('山田太郎 資格取得届');
    expect(rows[0]!.text()).toContain('健康保険・厚生年金保険 被保険者資格取得届');
    expect(rows[0]!.text()).toContain('株式会社アクメ 本社');
    expect(rows[1]!.text()).toContain('株式会社アクメ 大阪支店');
    const chips = rows.map((r) => r.get('[data-testid="app-status"]'));
    expect(chips.map((c) => c.text())).toEqual(['下書き', '到達', '補正待ち']);
    expect(chips[0]!.classes()).toContain('app-status-draft');
    expect(chips[2]!.classes()).toContain('app-status-correction_requested');
    expect(rows[0]!.get('[data-testid="app-link"]').attributes('href')).toBe(`/applications/${draft.id}`);
    expect(wrapper.find('[data-testid="apps-more"]').exists()).toBe(false);
  });

  it('builds the query from the filters and loads more with the cursor', async () => {
    const { wrapper, fetchMock, router } = await mountAt('/applications', {
      'GET /applications': ({ url }) =>
        url.searchParams.get('cursor') === 'next-1'
          ? jsonResponse(200, { items: [correction], nextCursor: null })
          : jsonResponse(200, { items: [draft, arrived], nextCursor: 'next-1' }),
    });
    expect(listQueries(fetchMock)).toEqual([{ limit: '50' }]);

    await wrapper.get('[data-testid="apps-filter-status"]').setValue('under_review');
    await wrapper.get('[data-testid="apps-filter-office"]').setValue(OFFICE_2.id);
    await wrapper.get('[data-testid="apps-filter-procedure"]').setValue('shaho-shutoku');
    await wrapper.get('[data-testid="apps-filter-from"]').setValue('2026-04-01');
    await wrapper.get('[data-testid="apps-filter-to"]').setValue('2026-04-30');
    await wrapper.get('[data-testid="apps-filters"]').trigger('submit');
    await flushPromises();

    expect(router.currentRoute.value.query).toEqual({
      status: 'under_review',
      officeId: OFFICE_2.id,
      procedure: 'shaho-shutoku',
      from: '2026-04-01',
      to: '2026-04-30',
    });
    expect(listQueries(fetchMock)[1]).toEqual({
      status: 'under_review',
      officeId: OFFICE_2.id,
      procedure: 'shaho-shutoku',
      from: '2026-04-01',
      to: '2026-04-30',
      limit: '50',
    });

    await wrapper.get('[data-testid="apps-more"]').trigger('click');
    await flushPromises();
    expect(listQueries(fetchMock)[2]).toMatchObject({ status: 'under_review', cursor: 'next-1' });
    expect(wrapper.findAll('[data-testid="app-row"]')).toHaveLength(3);
    expect(wrapper.find('[data-testid="apps-more"]').exists()).toBe(false);

    // A period that ends before it starts is refused before asking.
    await wrapper.get('[data-testid="apps-filter-to"]').setValue('2026-03-01');
    await wrapper.get('[data-testid="apps-filters"]').trigger('submit');
    await flushPromises();
    expect(listQueries(fetchMock)).toHaveLength(3);
    expect(wrapper.get('#apps-to-error').text()).toBe('終了日には開始日以降の日付を指定してください。');

    await wrapper.get('[data-testid="apps-reset"]').trigger('click');
    await flushPromises();
    expect(router.currentRoute.value.query).toEqual({});
    expect(listQueries(fetchMock)[3]).toEqual({ limit: '50' });
  });

  it('reads the filters from the URL', async () => {
    const { wrapper, fetchMock } = await mountAt('/applications?status=draft&procedure=koyo-shutoku&from=bad', {
      'GET /applications': () => jsonResponse(200, { items: [], nextCursor: null }),
    });
    expect(listQueries(fetchMock)).toEqual([{ status: 'draft', procedure: 'koyo-shutoku', limit: '50' }]);
    expect((wrapper.get('[data-testid="apps-filter-status"]').element as HTMLSelectElement).value).toBe('draft');
    expect(wrapper.get('[data-testid="apps-empty"]').text()).toBe('該当する申請はありません。');
  });

  it('creates a draft after choosing procedure, office and title, and opens the editor', async () => {
    let sent: unknown = null;
    const { wrapper, router } = await mountAt('/applications', {
      'GET /applications': () => jsonResponse(200, { items: [], nextCursor: null }),
      'POST /applications': ({ body }) => {
        sent = body;
        const b = body as { title: string };
        if (b.title === '')
          return problem(400, 'validation_failed', {
            errors: [
              { field: 'title', code: 'too_short', params: { min: 1 }, message: 'title must be longer than or equal to 1 characters' },
            ],
          });
        return jsonResponse(201, makeApplication({ id: '40000000-0000-4000-8000-000000000077', form: {} }));
      },
    });

    await wrapper.get('[data-testid="app-new"]').trigger('click');
    await wrapper.get('[data-testid="app-new-procedure"]').setValue('shaho-shutoku');
    await wrapper.get('[data-testid="app-new-office"]').setValue(OFFICE.id);
    await wrapper.get('[data-testid="app-new-submit"]').trigger('submit');
    await flushPromises();
    expect(wrapper.get('[data-testid="app-new-error-title"]').text()).toBe('1文字以上で入力してください。');
    expect(wrapper.get('[data-testid="app-new-title"]').attributes('aria-invalid')).toBe('true');

    await wrapper.get('[data-testid="app-new-title"]').setValue('山田太郎 資格取得届');
    await wrapper.get('[data-testid="app-new-submit"]').trigger('submit');
    await flushPromises();
    expect(sent).toEqual({ procedureCode: 'shaho-shutoku', officeId: OFFICE.id, title: '山田太郎 資格取得届' });
    expect(router.currentRoute.value.fullPath).toBe('/applications/40000000-0000-4000-8000-000000000077');
  });
});

describe('ApplicationsView in a sharoushi tenant (status board across 顧問先)', () => {
  afterEach(() => {
    wrapper?.unmount();
    wrapper = null;
  });

  const ALPHA = '50000000-0000-4000-8000-00000000000a';
  const client = {
    id: ALPHA,
    name: '株式会社アルファ',
    code: 'A001',
    notes: null,
    portalEnabled: false,
    officeCount: 1,
    myRights: ['draft'],
    version: 1,
    createdAt: '2026-04-01T00:00:00.000Z',
    updatedAt: '2026-04-01T00:00:00.000Z',
  };

  it('shows each application’s client, filters by client through the URL, and offers that client’s offices only', async () => {
    const { wrapper, fetchMock, router } = await mountAt(
      '/applications',
      {
        'GET /offices': () =>
          jsonResponse(200, {
            items: [
              { ...OFFICE, clientId: ALPHA },
              { ...OFFICE_2, clientId: null },
            ],
          }),
        'GET /clients': () => jsonResponse(200, { items: [client] }),
        'GET /applications': () =>
          jsonResponse(200, { items: [summary({ clientId: ALPHA, clientName: '株式会社アルファ' })], nextCursor: null }),
      },
      { ...TENANT, kind: 'sharoushi' },
    );
    expect(wrapper.get('[data-testid="app-client"]').text()).toBe('株式会社アルファ');
    await wrapper.get('[data-testid="apps-filter-client"]').setValue(ALPHA);
    await wrapper.get('[data-testid="apps-filters"]').trigger('submit');
    await flushPromises();
    expect(router.currentRoute.value.query.clientId).toBe(ALPHA);
    expect(listQueries(fetchMock).at(-1)).toMatchObject({ clientId: ALPHA });
    // The office filter narrows to the client's offices.
    expect(wrapper.findAll('[data-testid="apps-filter-office"] option').map((o) => o.text())).toEqual(['すべて', OFFICE.name]);

    await wrapper.get('[data-testid="app-new"]').trigger('click');
    expect((wrapper.get('[data-testid="app-new-client"]').element as HTMLSelectElement).value).toBe(ALPHA);
    expect((wrapper.get('[data-testid="app-new-office"]').element as HTMLSelectElement).value).toBe(OFFICE.id);
  });

  it('has no client column or filter in a company tenant', async () => {
    const { wrapper } = await mountAt('/applications', {
      'GET /applications': () => jsonResponse(200, { items: [draft], nextCursor: null }),
    });
    expect(wrapper.find('[data-testid="app-client"]').exists()).toBe(false);
    expect(wrapper.find('[data-testid="apps-filter-client"]').exists()).toBe(false);
  });
});
