import { afterEach, describe, expect, it } from 'vitest';
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils';
import { createMemoryHistory } from 'vue-router';
import { createPinia, setActivePinia } from 'pinia';
import StatusView from '@/views/StatusView.vue';
import { createAppRouter } from '@/router';
import { createAppI18n } from '@/i18n';
import { useSessionStore } from '@/stores/session';
import type { User } from '@/api/client';
import type { Incident } from '@/api/incidents';
import { TENANT, jsonResponse, makeIncident, makeOperator, makeUser, problem, stubApi, type Handler } from '@/testing/helpers';

let wrapper: VueWrapper | null = null;

async function mountAs(user: User, handlers: Record<string, Handler>, path = '/status', locale: 'ja' | 'en' = 'ja') {
  const fetchMock = stubApi(handlers);
  const pinia = createPinia();
  setActivePinia(pinia);
  useSessionStore().user = user;
  useSessionStore().tenant = user.role === 'operator' ? null : TENANT;
  useSessionStore().loaded = true;
  const router = createAppRouter(createMemoryHistory());
  await router.push(path);
  wrapper = mount(StatusView, { global: { plugins: [pinia, router, createAppI18n(locale)] }, attachTo: document.body });
  await flushPromises();
  return { wrapper, fetchMock, router };
}

/** What the tenant routes answer: the operator-only fields are not there. */
function tenantView(overrides: Partial<Incident>): Incident {
  const { allTenants: _a, tenants: _t, createdBy: _c, alertId: _al, createdAt: _ca, ...rest } = makeIncident(overrides);
  return rest;
}

const open = tenantView({
  updates: [{ id: 'u1', body: '原因を調査しています。', resolved: false, createdAt: '2026-12-03T01:00:00.000Z' }],
});
const resolved = tenantView({
  id: '50000000-0000-4000-8000-000000000002',
  severity: 'minor',
  title: '帳票の表示が遅くなっていました',
  body: '表示に時間がかかっています。',
  status: 'resolved',
  startedAt: '2026-11-20T02:00:00.000Z',
  resolvedAt: '2026-11-20T04:00:00.000Z',
  updates: [{ id: 'u2', body: '復旧しました。', resolved: true, createdAt: '2026-11-20T04:00:00.000Z' }],
});

describe('StatusView', () => {
  afterEach(() => {
    wrapper?.unmount();
    wrapper = null;
    document.body.innerHTML = '';
  });

  it('lists ongoing incidents first with severity chip and updates, then resolved ones, in Japanese', async () => {
    const { wrapper } = await mountAs(makeUser({ role: 'member' }), {
      'GET /incidents': () => jsonResponse(200, { items: [open, resolved] }),
    });

    expect(wrapper.get('h1').text()).toBe('運用状況');
    expect(wrapper.find('[data-testid="status-all-clear"]').exists()).toBe(false);
    const ongoing = wrapper.get('[data-testid="status-open"]').findAll('[data-testid="status-incident"]');
    expect(ongoing).toHaveLength(1);
    expect(ongoing[0]!.get('h3').text()).toBe('電子申請の送信が遅延しています');
    expect(ongoing[0]!.get('[data-testid="incident-severity"]').text()).toBe('重大');
    expect(ongoing[0]!.get('[data-testid="incident-status"]').text()).toBe('発生中');
    // 00:30Z is 09:30 in Tokyo
    expect(ongoing[0]!.text()).toContain('発生日時: 2026/12/03 09:30 JST');
    const entries = ongoing[0]!.findAll('[data-testid="incident-entry"]');
    expect(entries.map((e) => e.attributes('data-kind'))).toEqual(['start', 'update']);
    expect(entries[1]!.text()).toContain('続報');
    expect(entries[1]!.text()).toContain('原因を調査しています。');

    const done = wrapper.get('[data-testid="status-resolved"]').findAll('[data-testid="status-incident"]');
    expect(done).toHaveLength(1);
    expect(done[0]!.get('[data-testid="incident-severity"]').text()).toBe('軽微');
    expect(done[0]!.get('[data-testid="incident-status"]').text()).toBe('復旧済み');
    expect(done[0]!.text()).toContain('2026/11/20 11:00 JST 〜 2026/11/20 13:00 JST');
  });

  it('says so when nothing is ongoing, and in English', async () => {
    const { wrapper } = await mountAs(makeUser(), { 'GET /incidents': () => jsonResponse(200, { items: [resolved] }) }, '/status', 'en');
    expect(wrapper.get('[data-testid="status-all-clear"]').text()).toBe('No incident currently affects your contract.');
    expect(wrapper.get('[data-testid="incident-severity"]').text()).toBe('Minor');
    expect(wrapper.get('[data-testid="incident-status"]').text()).toBe('Resolved');
  });

  it('brings the incident named by the link into view and focus', async () => {
    const { wrapper } = await mountAs(
      makeUser(),
      { 'GET /incidents': () => jsonResponse(200, { items: [open, resolved] }) },
      `/status#${resolved.id}`,
    );
    const card = wrapper.get(`[data-incident-id="${resolved.id}"]`);
    expect(card.classes()).toContain('incident-targeted');
    expect(document.activeElement).toBe(card.element);
    expect(wrapper.get(`[data-incident-id="${open.id}"]`).classes()).not.toContain('incident-targeted');
  });

  it('shows a failed load and refuses operators without asking the server', async () => {
    const { wrapper } = await mountAs(makeUser(), { 'GET /incidents': () => problem(500, 'internal') });
    expect(wrapper.get('[data-testid="status-load-error"]').text()).toContain('エラーコード: internal');
    wrapper.unmount();

    const { wrapper: w2, fetchMock } = await mountAs(makeOperator(), {});
    expect(fetchMock).not.toHaveBeenCalled();
    expect(w2.get('[data-testid="status-forbidden"]').text()).toContain('ご契約のユーザー向け');
  });
});
