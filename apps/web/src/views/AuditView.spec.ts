import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils';
import { createMemoryHistory, createRouter } from 'vue-router';
import { createPinia, setActivePinia } from 'pinia';
import AuditView from '@/views/AuditView.vue';
import { createAppI18n } from '@/i18n';
import { api, type User } from '@/api/client';
import { useSessionStore } from '@/stores/session';
import { TENANT, jsonResponse, makeAuditEvent, makeUser, problem, stubApi, type Handler } from '@/testing/helpers';

const admin = makeUser();
const member = makeUser({
  id: '00000000-0000-4000-8000-000000000002',
  email: 'member@example.com',
  displayName: '一般 花子',
  role: 'member',
});

const login = makeAuditEvent();
const roleChanged = makeAuditEvent({
  id: '10000000-0000-4000-8000-000000000002',
  seq: 2,
  occurredAt: '2026-11-26T05:10:00.000001Z',
  category: 'operation',
  action: 'user.role_changed',
  target: { type: 'user', id: member.id, label: '一般 花子', deleted: false },
  details: { from: 'member', to: 'admin' },
});
const csrf = makeAuditEvent({
  id: '10000000-0000-4000-8000-000000000003',
  seq: 3,
  action: 'http.csrf_rejected',
  outcome: 'denied',
  actor: { type: 'anonymous', id: null, label: null, deleted: false },
});
const unknownAction = makeAuditEvent({
  id: '10000000-0000-4000-8000-000000000004',
  seq: 4,
  category: 'system',
  action: 'filing.submitted',
  outcome: 'failure',
  actor: { type: 'system', id: null, label: null, deleted: false },
  ip: null,
});
const stranger = makeAuditEvent({
  id: '10000000-0000-4000-8000-000000000005',
  seq: 5,
  actor: { type: 'user', id: 'deadbeef-0000-4000-8000-000000000099', label: null, deleted: false },
});
const APP_ID = '20000000-0000-4000-8000-000000000001';
const downloaded = makeAuditEvent({
  id: '10000000-0000-4000-8000-000000000006',
  seq: 6,
  category: 'access',
  action: 'document.downloaded',
  target: {
    type: 'document',
    id: '30000000-0000-4000-8000-000000000001',
    label: '健康保険・厚生年金保険 被保険者資格取得届 審査結果通知書',
    deleted: false,
  },
});
const created = makeAuditEvent({
  id: '10000000-0000-4000-8000-000000000007',
  seq: 7,
  category: 'operation',
  action: 'application.created',
  target: { type: 'application', id: APP_ID, label: '山田太郎 資格取得届', deleted: false },
});
const deletedApp = makeAuditEvent({
  id: '10000000-0000-4000-8000-000000000008',
  seq: 8,
  category: 'operation',
  action: 'application.deleted',
  target: { type: 'application', id: '20000000-0000-4000-8000-000000000002', label: null, deleted: true },
});
const removedOffice = makeAuditEvent({
  id: '10000000-0000-4000-8000-000000000009',
  seq: 9,
  category: 'operation',
  action: 'office.updated',
  actor: { type: 'api_token', id: '40000000-0000-4000-8000-000000000001', label: '給与システム連携', deleted: false },
  target: { type: 'office', id: '50000000-0000-4000-8000-000000000001', label: '大阪支店', deleted: true },
});

let wrapper: VueWrapper | null = null;

async function mountAs(current: User, handlers: Record<string, Handler>, path = '/audit') {
  const fetchMock = stubApi(handlers);
  const pinia = createPinia();
  setActivePinia(pinia);
  const session = useSessionStore();
  session.user = current;
  session.tenant = TENANT;
  session.loaded = true;
  api.setCsrfToken('csrf-admin');
  const router = createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: '/', name: 'home', component: { render: () => null } },
      { path: '/audit', name: 'audit', component: AuditView },
      { path: '/applications/:id', name: 'application', component: { render: () => null } },
    ],
  });
  await router.push(path);
  wrapper = mount(AuditView, {
    global: { plugins: [pinia, router, createAppI18n('ja')] },
    attachTo: document.body,
  });
  await flushPromises();
  return { wrapper, fetchMock, router };
}

/** The query strings sent to GET /audit-events, in order. */
function auditCalls(fetchMock: ReturnType<typeof stubApi>): URLSearchParams[] {
  return fetchMock.mock.calls
    .map(([input]) => new URL(String(input), 'http://localhost'))
    .filter((url) => url.pathname === '/api/v1/audit-events')
    .map((url) => url.searchParams);
}

function rows(w: VueWrapper) {
  return w.findAll('[data-testid="audit-row"]');
}

describe('AuditView', () => {
  beforeEach(() => {
    document.body.innerHTML = '';
  });
  afterEach(() => {
    wrapper?.unmount();
    wrapper = null;
  });

  it('lists events newest first with JST seconds, Japanese labels (never the raw code) and actor names', async () => {
    const { wrapper, fetchMock } = await mountAs(admin, {
      'GET /audit-events': () => jsonResponse(200, { items: [login, roleChanged, csrf, unknownAction, stranger], nextCursor: 'c2' }),
    });

    const [first] = auditCalls(fetchMock);
    expect(first?.toString()).toBe('limit=50');
    const all = rows(wrapper);
    expect(all).toHaveLength(5);
    // 05:04:03.123456 UTC is 14:04:03 in Tokyo.
    expect(all[0]?.text()).toContain('2026/11/26 14:04:03 JST');
    expect(all[0]?.get('[data-testid="audit-action-label"]').text()).toBe('ログイン');
    expect(all[0]?.get('[data-testid="audit-action"]').text()).not.toContain('auth.login');
    expect(all[0]?.text()).toContain('セキュリティ');
    expect(all[0]?.get('[data-testid="audit-outcome"]').text()).toBe('成功');
    expect(all[0]?.get('[data-testid="audit-actor"]').text()).toBe('管理 太郎');
    expect(all[0]?.text()).toContain('203.0.113.7');
    expect(all[1]?.get('[data-testid="audit-action"]').text()).toBe('権限を変更');
    // The target user is named too, by the server.
    expect(all[1]?.get('[data-testid="audit-target"]').text()).toBe('ユーザー「一般 花子」');
    expect(all[2]?.get('[data-testid="audit-action"]').text()).toBe('不正なリクエストを拒否（CSRF）');
    expect(all[2]?.get('[data-testid="audit-outcome"]').text()).toBe('拒否');
    expect(all[2]?.get('[data-testid="audit-outcome"]').classes()).toContain('outcome-denied');
    expect(all[2]?.get('[data-testid="audit-actor"]').text()).toBe('匿名');
    // An action this SPA has no words for (a newer server) shows its code rather than nothing.
    expect(all[3]?.get('[data-testid="audit-action"]').text()).toBe('filing.submitted');
    expect(all[3]?.get('[data-testid="audit-outcome"]').classes()).toContain('outcome-failure');
    expect(all[3]?.get('[data-testid="audit-actor"]').text()).toBe('システム');
    // A user the server did not name falls back to a short id.
    expect(all[4]?.get('[data-testid="audit-actor"]').text()).toBe('ユーザー deadbeef');
    // Nothing asks for the user list any more: the names come with the events.
    expect(fetchMock.mock.calls.some(([input]) => String(input).includes('/users'))).toBe(false);
    expect(wrapper.find('[data-testid="audit-more"]').exists()).toBe(true);
    expect(wrapper.find('[data-testid="audit-empty"]').exists()).toBe(false);
  });

  it('sends the filters with JST days as UTC bounds and keeps them in the URL', async () => {
    const { wrapper, fetchMock, router } = await mountAs(admin, {
      'GET /audit-events': () => jsonResponse(200, { items: [], nextCursor: null }),
    });
    expect(wrapper.get('[data-testid="audit-empty"]').text()).toBe('該当する記録はありません。');

    await wrapper.get('[data-testid="audit-filter-category"]').setValue('security');
    const action = wrapper.get('[data-testid="audit-filter-action"]');
    expect(action.element.tagName).toBe('SELECT');
    // Every option reads in words, grouped by what it is about.
    const options = action.findAll('option').filter((o) => o.attributes('value'));
    expect(options.length).toBeGreaterThan(80);
    for (const o of options) expect(o.text()).not.toMatch(/^[a-z_]+\.[a-z_]+$/);
    expect(action.get('option[value="document.downloaded"]').text()).toBe('公文書をダウンロード');
    expect(action.get('option[value="document.downloaded"]').element.parentElement?.getAttribute('label')).toBe('公文書');
    await action.setValue('auth.login');
    await wrapper.get('[data-testid="audit-filter-from"]').setValue('2026-11-26');
    await wrapper.get('[data-testid="audit-filter-to"]').setValue('2026-11-26');
    await wrapper.get('form').trigger('submit');
    await flushPromises();

    expect(router.currentRoute.value.query).toEqual({ category: 'security', action: 'auth.login', from: '2026-11-26', to: '2026-11-26' });
    const calls = auditCalls(fetchMock);
    expect(calls).toHaveLength(2);
    const sent = calls[1]!;
    expect(sent.get('category')).toBe('security');
    expect(sent.get('action')).toBe('auth.login');
    // 00:00 JST on 26 Nov (inclusive) to 00:00 JST on 27 Nov (exclusive).
    expect(sent.get('from')).toBe('2026-11-25T15:00:00.000Z');
    expect(sent.get('to')).toBe('2026-11-26T15:00:00.000Z');
    expect(sent.get('limit')).toBe('50');
  });

  it('restores the filters from the URL on a reload', async () => {
    const { wrapper, fetchMock } = await mountAs(
      admin,
      { 'GET /audit-events': () => jsonResponse(200, { items: [login], nextCursor: null }) },
      '/audit?category=access&from=2026-01-01&to=2026-01-31&action=audit.exported',
    );

    expect((wrapper.get('[data-testid="audit-filter-category"]').element as HTMLSelectElement).value).toBe('access');
    expect((wrapper.get('[data-testid="audit-filter-from"]').element as HTMLInputElement).value).toBe('2026-01-01');
    expect((wrapper.get('[data-testid="audit-filter-action"]').element as HTMLSelectElement).value).toBe('audit.exported');
    const [sent] = auditCalls(fetchMock);
    expect(sent?.get('category')).toBe('access');
    expect(sent?.get('action')).toBe('audit.exported');
    expect(sent?.get('from')).toBe('2025-12-31T15:00:00.000Z');
    expect(sent?.get('to')).toBe('2026-01-31T15:00:00.000Z');
  });

  it('refuses an end date before the start date without asking the server', async () => {
    const { wrapper, fetchMock, router } = await mountAs(admin, {
      'GET /audit-events': () => jsonResponse(200, { items: [], nextCursor: null }),
    });

    await wrapper.get('[data-testid="audit-filter-from"]').setValue('2026-11-26');
    await wrapper.get('[data-testid="audit-filter-to"]').setValue('2026-11-25');
    await wrapper.get('form').trigger('submit');
    await flushPromises();

    expect(auditCalls(fetchMock)).toHaveLength(1);
    expect(router.currentRoute.value.query).toEqual({});
    expect(wrapper.get('[data-testid="audit-filter-to"]').attributes('aria-invalid')).toBe('true');
    expect(wrapper.get('#audit-to-error').text()).toBe('終了日には開始日以降の日付を指定してください。');
  });

  it('loads the next page with the cursor and the same filters', async () => {
    const { wrapper, fetchMock } = await mountAs(
      admin,
      {
        'GET /audit-events': ({ url }) =>
          url.searchParams.get('cursor') === 'c2'
            ? jsonResponse(200, { items: [csrf], nextCursor: null })
            : jsonResponse(200, { items: [login, roleChanged], nextCursor: 'c2' }),
      },
      '/audit?category=security',
    );
    expect(rows(wrapper)).toHaveLength(2);

    await wrapper.get('[data-testid="audit-more"]').trigger('click');
    await flushPromises();

    const calls = auditCalls(fetchMock);
    expect(calls[1]?.get('cursor')).toBe('c2');
    expect(calls[1]?.get('category')).toBe('security');
    expect(rows(wrapper)).toHaveLength(3);
    expect(wrapper.find('[data-testid="audit-more"]').exists()).toBe(false);
  });

  it('shows the server’s validation errors next to the filter', async () => {
    const { wrapper } = await mountAs(admin, {
      'GET /audit-events': () =>
        problem(400, 'validation_failed', {
          errors: [{ field: 'action', code: 'action_name', message: 'action must be a dotted lowercase name' }],
        }),
    });

    expect(wrapper.get('[data-testid="audit-load-error"]').text()).toBe('入力内容に誤りがあります。各項目をご確認ください。');
    expect(wrapper.get('#audit-action-error').text()).toBe('操作の種類は半角英小文字・数字・ドット・アンダースコアで指定してください。');
    expect(wrapper.get('[data-testid="audit-filter-action"]').attributes('aria-invalid')).toBe('true');
    expect(wrapper.find('[data-testid="audit-empty"]').exists()).toBe(false);
  });

  it('reports an intact chain', async () => {
    const { wrapper } = await mountAs(admin, {
      'GET /audit-events': () => jsonResponse(200, { items: [login], nextCursor: null }),
      'GET /audit-events/verify': () =>
        jsonResponse(200, {
          ok: true,
          checked: 1234,
          firstBrokenSeq: null,
          head: { seq: 1234, hash: 'ab' },
          checkpoints: { checked: 12, invalid: 0 },
        }),
    });

    await wrapper.get('[data-testid="audit-verify"]').trigger('click');
    await flushPromises();

    const result = wrapper.get('[data-testid="audit-verify-result"]');
    expect(result.attributes('role')).toBe('status');
    expect(result.text()).toBe('改ざんは検出されませんでした（1,234件を検証、署名チェックポイント 12件）');
    expect(result.get('.alert').classes()).toContain('alert-success');
  });

  it('reports where a broken chain stops matching, in the error style', async () => {
    const { wrapper } = await mountAs(admin, {
      'GET /audit-events': () => jsonResponse(200, { items: [login], nextCursor: null }),
      'GET /audit-events/verify': () =>
        jsonResponse(200, {
          ok: false,
          checked: 41,
          firstBrokenSeq: 42,
          head: { seq: 100, hash: 'ab' },
          checkpoints: { checked: 1, invalid: 0 },
          reason: 'hash',
        }),
    });

    await wrapper.get('[data-testid="audit-verify"]').trigger('click');
    await flushPromises();

    const result = wrapper.get('[data-testid="audit-verify-result"]');
    expect(result.text()).toBe('改ざんを検出しました：シーケンス番号 42 以降が一致しません（理由: hash）');
    expect(result.get('.alert').classes()).toContain('alert-error');
  });

  it('opens the detail drawer from a row, shows the hashes and closes with Esc', async () => {
    const { wrapper } = await mountAs(admin, {
      'GET /audit-events': () => jsonResponse(200, { items: [login, roleChanged], nextCursor: null }),
    });
    const dialog = wrapper.get('[data-testid="audit-detail"]').element as HTMLDialogElement;
    expect(dialog.open).toBe(false);

    const row = rows(wrapper)[1]!;
    await row.trigger('click');
    await flushPromises();

    expect(dialog.open).toBe(true);
    const detail = wrapper.get('[data-testid="audit-detail"]');
    expect(detail.get('[data-testid="audit-detail-hash"]').text()).toBe(roleChanged.hash);
    expect(detail.get('[data-testid="audit-detail-prev-hash"]').text()).toBe(roleChanged.prevHash);
    expect(detail.get('[data-testid="audit-detail-seq"]').text()).toBe('2');
    expect(detail.text()).toContain('req-0001');
    expect(detail.text()).toContain('Mozilla/5.0');
    expect(detail.get('[data-testid="audit-detail-details"]').text()).toBe(JSON.stringify({ from: 'member', to: 'admin' }, null, 2));
    expect(document.activeElement).toBe(detail.get('[data-testid="audit-detail-close"]').element);

    await detail.trigger('keydown', { key: 'Escape' });
    await flushPromises();
    expect(dialog.open).toBe(false);
    expect(document.activeElement).toBe(row.element);

    // Enter on a focused row opens it as well.
    await rows(wrapper)[0]!.trigger('keydown', { key: 'Enter' });
    await flushPromises();
    expect(dialog.open).toBe(true);
    expect(wrapper.get('[data-testid="audit-detail-hash"]').text()).toBe(login.hash);
    await wrapper.get('[data-testid="audit-detail-close"]').trigger('click');
    expect(dialog.open).toBe(false);
  });

  it('shows 対象 in words: titles, a link to the application, 削除済み for what is gone', async () => {
    const { wrapper, router } = await mountAs(admin, {
      'GET /audit-events': () => jsonResponse(200, { items: [created, downloaded, deletedApp, removedOffice], nextCursor: null }),
    });
    const [c, d, gone, office] = rows(wrapper);
    expect(c?.get('[data-testid="audit-action"]').text()).toBe('申請を作成');
    const link = c!.get('[data-testid="audit-target-link"]');
    expect(link.text()).toBe('申請「山田太郎 資格取得届」');
    expect(link.attributes('href')).toBe(`/applications/${APP_ID}`);
    expect(d?.get('[data-testid="audit-action"]').text()).toBe('公文書をダウンロード');
    expect(d?.get('[data-testid="audit-target"]').text()).toBe('公文書「健康保険・厚生年金保険 被保険者資格取得届 審査結果通知書」');
    expect(d?.find('[data-testid="audit-target-link"]').exists()).toBe(false);
    expect(gone?.get('[data-testid="audit-target"]').text()).toBe('申請（削除済み）');
    expect(gone?.find('[data-testid="audit-target-link"]').exists()).toBe(false);
    expect(office?.get('[data-testid="audit-target"]').text()).toBe('事業所「大阪支店」（削除済み）');
    expect(office?.get('[data-testid="audit-actor"]').text()).toBe('APIトークン「給与システム連携」');

    // The link opens the application, not the drawer.
    await link.trigger('click');
    await flushPromises();
    expect(router.currentRoute.value.name).toBe('application');
    expect((wrapper.get('[data-testid="audit-detail"]').element as HTMLDialogElement).open).toBe(false);
  });

  it('shows the action in words in the drawer, with the code as secondary text for support', async () => {
    const { wrapper } = await mountAs(admin, {
      'GET /audit-events': () => jsonResponse(200, { items: [created], nextCursor: null }),
    });
    await rows(wrapper)[0]!.trigger('click');
    await flushPromises();
    const detail = wrapper.get('[data-testid="audit-detail"]');
    expect(detail.get('[data-testid="audit-detail-action"]').text()).toBe('申請を作成');
    expect(detail.get('[data-testid="audit-detail-action-code"]').text()).toBe('application.created');
    expect(detail.get('[data-testid="audit-detail-target"]').text()).toContain('申請「山田太郎 資格取得届」');
    expect(detail.get('[data-testid="audit-detail-target-link"]').attributes('href')).toBe(`/applications/${APP_ID}`);
    expect(detail.get('[data-testid="audit-detail-target-ref"]').text()).toBe(`application ${APP_ID}`);
  });

  it('keeps an unknown action code from the URL selectable', async () => {
    const { wrapper } = await mountAs(
      admin,
      { 'GET /audit-events': () => jsonResponse(200, { items: [], nextCursor: null }) },
      '/audit?action=filing.legacy',
    );
    const select = wrapper.get('[data-testid="audit-filter-action"]').element as HTMLSelectElement;
    expect(select.value).toBe('filing.legacy');
  });

  it('offers both exports as plain download links', async () => {
    const { wrapper } = await mountAs(admin, {
      'GET /audit-events': () => jsonResponse(200, { items: [], nextCursor: null }),
    });

    const jsonl = wrapper.get('[data-testid="audit-export-jsonl"]');
    expect(jsonl.attributes('href')).toBe('/api/v1/audit-events/export?format=jsonl');
    expect(jsonl.attributes('download')).toBeDefined();
    expect(jsonl.text()).toBe('JSONL（改ざん検証用）');
    expect(wrapper.get('[data-testid="audit-export-csv"]').attributes('href')).toBe('/api/v1/audit-events/export?format=csv');
  });

  it('hides itself from members and asks for nothing', async () => {
    const { wrapper, fetchMock } = await mountAs(member, {});

    expect(fetchMock).not.toHaveBeenCalled();
    expect(wrapper.find('[data-testid="audit-table"]').exists()).toBe(false);
    expect(wrapper.find('[data-testid="audit-verify"]').exists()).toBe(false);
    expect(wrapper.get('[role="alert"]').text()).toContain('権限がありません');
  });
});
