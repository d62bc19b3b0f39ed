import { afterEach, describe, expect, it } from 'vitest';
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils';
import { createMemoryHistory } from 'vue-router';
import { createPinia, setActivePinia } from 'pinia';
import HomeView from '@/views/HomeView.vue';
import { createAppRouter } from '@/router';
import { createAppI18n } from '@/i18n';
import { useSessionStore } from '@/stores/session';
import type { User } from '@/api/client';
import { TENANT, jsonResponse, makeOperator, makeUser, problem, stubApi, type Handler } from '@/testing/helpers';
import { makeDashboard, makeOperatorOverview } from '@/testing/dashboard';

let wrapper: VueWrapper | null = null;

async function mountAs(user: User, handlers: Record<string, Handler>, locale: 'ja' | 'en' = 'ja') {
  const fetchMock = stubApi({ 'GET /signing-certificates': () => jsonResponse(200, { current: null, history: [] }), ...handlers });
  const pinia = createPinia();
  setActivePinia(pinia);
  const session = useSessionStore();
  session.user = user;
  session.tenant = user.role === 'operator' ? null : TENANT;
  session.loaded = true;
  const router = createAppRouter(createMemoryHistory());
  await router.push('/');
  wrapper = mount(HomeView, { global: { plugins: [pinia, router, createAppI18n(locale)] }, attachTo: document.body });
  await flushPromises();
  return { wrapper, fetchMock };
}

const busy = makeDashboard({
  counts: { draft: 3, ready: 1, inReview: 2, correctionRequested: 1, failed: 0 },
  deadlines: {
    days: 14,
    overdueCount: 1,
    upcomingCount: 1,
    items: [
      {
        id: '40000000-0000-4000-8000-000000000001',
        title: '山田太郎 資格取得届',
        procedureCode: 'shaho-shutoku',
        procedureName: '健康保険・厚生年金保険 被保険者資格取得届',
        procedureNameEn: 'Health and pension insurance: acquisition',
        status: 'draft',
        dueDate: '2026-04-06',
        overdue: true,
      },
      {
        id: '40000000-0000-4000-8000-000000000002',
        title: '佐藤花子 資格取得届',
        procedureCode: 'koyo-shutoku',
        procedureName: '雇用保険 被保険者資格取得届',
        procedureNameEn: 'Employment insurance: acquisition',
        status: 'ready',
        dueDate: '2026-05-11',
        overdue: false,
      },
    ],
  },
  recentCompleted: [
    {
      id: '40000000-0000-4000-8000-000000000003',
      title: '鈴木一郎 賞与支払届',
      procedureCode: 'shaho-shoyo',
      procedureName: '健康保険・厚生年金保険 被保険者賞与支払届',
      procedureNameEn: 'Bonus payment',
      // 01:00Z is 10:00 in Tokyo.
      completedAt: '2026-04-08T01:00:00.000Z',
      documentCount: 2,
    },
  ],
  onboarding: {
    steps: [
      { key: 'office', done: true },
      { key: 'egov', done: true },
      { key: 'application', done: true },
      { key: 'keyfile', done: true },
    ],
    complete: true,
  },
});

describe('HomeView (dashboard)', () => {
  afterEach(() => {
    wrapper?.unmount();
    wrapper = null;
  });

  it('shows a new tenant admin the checklist, each open step with a link to its page', async () => {
    const { wrapper } = await mountAs(makeUser({ role: 'admin' }), {
      'GET /dashboard': () =>
        jsonResponse(
          200,
          makeDashboard({
            onboarding: {
              steps: [
                { key: 'office', done: true },
                { key: 'egov', done: false },
                { key: 'application', done: false },
                { key: 'keyfile', done: false },
              ],
              complete: false,
            },
          }),
        ),
    });
    const steps = wrapper.findAll('[data-testid="onboarding-step"]');
    expect(steps.map((s) => s.attributes('data-step'))).toEqual(['office', 'egov', 'application', 'keyfile']);
    expect(steps.map((s) => s.attributes('data-done'))).toEqual(['true', 'false', 'false', 'false']);
    expect(steps[0]!.text()).toContain('事業所を登録');
    expect(steps[0]!.text()).toContain('完了');
    expect(steps[0]!.find('a').exists()).toBe(false);
    expect(wrapper.get('[data-testid="onboarding-progress"]').text()).toBe('4項目中 1項目完了');
    expect(wrapper.get('[data-testid="onboarding-link-egov"]').attributes('href')).toBe('/settings/egov');
    expect(wrapper.get('[data-testid="onboarding-link-application"]').attributes('href')).toBe('/applications');
    expect(wrapper.get('[data-testid="onboarding-link-keyfile"]').attributes('href')).toBe('/users');
    expect(steps[3]!.text()).toContain('キーファイルを安全に保管');
    expect(wrapper.get('[data-testid="deadlines-empty"]').text()).toBe('期限が近い未提出の申請はありません。');
    expect(wrapper.get('[data-testid="completed-empty"]').text()).toBe('まだ手続終了の申請はありません。');
  });

  it("starts a 社労士 office's checklist with 「顧問先を登録」, linked to the 顧問先 page", async () => {
    const { wrapper } = await mountAs(makeUser({ role: 'admin' }), {
      'GET /dashboard': () =>
        jsonResponse(
          200,
          makeDashboard({
            onboarding: {
              steps: [
                { key: 'client', done: false },
                { key: 'office', done: false },
                { key: 'egov', done: false },
                { key: 'application', done: false },
                { key: 'keyfile', done: false },
              ],
              complete: false,
            },
          }),
        ),
    });
    const steps = wrapper.findAll('[data-testid="onboarding-step"]');
    expect(steps.map((s) => s.attributes('data-step'))).toEqual(['client', 'office', 'egov', 'application', 'keyfile']);
    expect(steps[0]!.text()).toContain('顧問先を登録');
    expect(wrapper.get('[data-testid="onboarding-link-client"]').text()).toBe('顧問先を登録する');
    expect(wrapper.get('[data-testid="onboarding-link-client"]').attributes('href')).toBe('/clients');
    expect(wrapper.get('[data-testid="onboarding-progress"]').text()).toBe('5項目中 0項目完了');
  });

  it('hides the checklist once every step is done, and from members', async () => {
    const done = await mountAs(makeUser({ role: 'admin' }), { 'GET /dashboard': () => jsonResponse(200, busy) });
    expect(done.wrapper.find('[data-testid="onboarding"]').exists()).toBe(false);
    done.wrapper.unmount();
    const member = await mountAs(makeUser({ role: 'member' }), { 'GET /dashboard': () => jsonResponse(200, makeDashboard()) });
    expect(member.wrapper.find('[data-testid="onboarding"]').exists()).toBe(false);
    expect(member.wrapper.find('[data-testid="dashboard-counts"]').exists()).toBe(true);
    // Members are not asked for the signing certificate (administrators only).
    expect(member.fetchMock.mock.calls.map(([url]) => String(url))).toEqual(['/api/v1/dashboard']);
  });

  it('shows count cards that open the list filtered the same way', async () => {
    const { wrapper } = await mountAs(makeUser({ role: 'member' }), { 'GET /dashboard': () => jsonResponse(200, busy) });
    const card = (key: string) => wrapper.get(`[data-testid="count-${key}"]`);
    expect(card('draft').text()).toContain('下書き');
    expect(card('draft').get('[data-testid="count-value"]').text()).toBe('3件');
    expect(card('draft').attributes('href')).toBe('/applications?status=draft');
    expect(card('ready').attributes('href')).toBe('/applications?status=ready');
    expect(card('inReview').get('[data-testid="count-value"]').text()).toBe('2件');
    expect(decodeURIComponent(card('inReview').attributes('href')!)).toBe(
      '/applications?status=submitting,arrived,under_review,review_finished',
    );
    expect(card('correctionRequested').attributes('href')).toBe('/applications?status=correction_requested');
    // Its name is the visible text (no aria-label hiding it, WCAG 2.5.3) and where it leads.
    expect(card('draft').attributes('aria-label')).toBeUndefined();
    expect(card('draft').text().replace(/\s+/g, '')).toBe('下書き3件（一覧を表示）');
    // 送信エラー only when there is one.
    expect(wrapper.find('[data-testid="count-failed"]').exists()).toBe(false);
  });

  it('lists deadlines soonest first, the overdue one in words and with an icon, and links to all overdue ones', async () => {
    const { wrapper } = await mountAs(makeUser({ role: 'member' }), { 'GET /dashboard': () => jsonResponse(200, busy) });
    const rows = wrapper.findAll('[data-testid="deadline-row"]');
    expect(rows).toHaveLength(2);
    expect(rows[0]!.text()).toContain('山田太郎 資格取得届');
    expect(rows[0]!.get('[data-testid="due-date"]').text()).toContain('2026/04/06');
    expect(rows[0]!.get('[data-testid="due-date"]').text()).toContain('期限超過');
    expect(rows[0]!.get('[data-testid="due-date"] [aria-hidden="true"]').text()).toBe('⚠');
    expect(rows[1]!.get('[data-testid="due-date"]').text()).toBe('2026/05/11');
    expect(rows[0]!.get('a').attributes('href')).toBe('/applications/40000000-0000-4000-8000-000000000001');
    expect(wrapper.get('[data-testid="deadlines-overdue-count"]').text()).toContain('期限超過 1件');
    expect(wrapper.get('[data-testid="deadlines-upcoming-count"]').text()).toBe('14日以内 1件');
    expect(wrapper.get('[data-testid="deadlines-overdue-link"]').attributes('href')).toBe('/applications?due=overdue');
  });

  it('lists the latest 手続終了 with a link to their 公文書, in JST', async () => {
    const { wrapper } = await mountAs(makeUser({ role: 'member' }), { 'GET /dashboard': () => jsonResponse(200, busy) });
    const row = wrapper.get('[data-testid="completed-row"]');
    expect(row.text()).toContain('鈴木一郎 賞与支払届');
    expect(row.text()).toContain('2026/04/08 10:00 JST');
    expect(row.get('[data-testid="completed-documents"]').text()).toBe('公文書 2件を見る');
    expect(row.get('[data-testid="completed-documents"]').attributes('href')).toBe(
      '/applications/40000000-0000-4000-8000-000000000003#documents-title',
    );
  });

  it('speaks English in English', async () => {
    const { wrapper } = await mountAs(makeUser({ role: 'member' }), { 'GET /dashboard': () => jsonResponse(200, busy) }, 'en');
    expect(wrapper.get('[data-testid="count-inReview"]').text()).toContain('In review');
    expect(wrapper.findAll('[data-testid="deadline-row"]')[0]!.text()).toContain('Overdue');
    expect(wrapper.findAll('[data-testid="deadline-row"]')[0]!.text()).toContain('Health and pension insurance: acquisition');
  });

  it('says so when the dashboard cannot be loaded', async () => {
    const { wrapper } = await mountAs(makeUser({ role: 'member' }), { 'GET /dashboard': () => problem(503, 'service_unavailable') });
    expect(wrapper.get('[data-testid="dashboard-error"]').attributes('role')).toBe('alert');
  });

  it('gives operators their own home: contracts, alerts, incidents and failed jobs, no tenant dashboard', async () => {
    const { wrapper, fetchMock } = await mountAs(makeOperator(), {
      'GET /operator/overview': () =>
        jsonResponse(
          200,
          makeOperatorOverview({
            openAlerts: 2,
            jobFailures: [
              { kind: 'backup', id: '50000000-0000-4000-8000-000000000001', tenantCode: 'acme', at: '2026-04-09T15:30:00.000Z' },
            ],
          }),
        ),
    });
    expect(fetchMock.mock.calls.map(([url]) => String(url))).toEqual(['/api/v1/operator/overview']);
    expect(wrapper.find('[data-testid="dashboard"]').exists()).toBe(false);
    expect(wrapper.get('[data-testid="op-tenants-active"]').text()).toBe('3件');
    expect(wrapper.get('[data-testid="op-alerts"]').text()).toContain('2件');
    expect(wrapper.get('[data-testid="op-alerts"] a').attributes('href')).toBe('/operator/alerts');
    expect(wrapper.get('[data-testid="op-incidents"] a').attributes('href')).toBe('/operator/incidents');
    const row = wrapper.get('[data-testid="op-failure-row"]');
    expect(row.text()).toContain('バックアップ');
    expect(row.text()).toContain('2026/04/10 00:30 JST');
    expect(row.get('a').attributes('href')).toBe('/operator/tenants/acme');
  });
});
