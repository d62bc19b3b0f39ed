import { afterEach, describe, expect, it } from 'vitest';
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils';
import { createMemoryHistory } from 'vue-router';
import { createPinia, setActivePinia } from 'pinia';
import OperatorIncidentsView from '@/views/OperatorIncidentsView.vue';
import OperatorIncidentView from '@/views/OperatorIncidentView.vue';
import { createAppRouter } from '@/router';
import { createAppI18n } from '@/i18n';
import { useSessionStore } from '@/stores/session';
import type { User } from '@/api/client';
import { makeIncident, makeOperator, makeOperatorTenant, makeUser, jsonResponse, problem, stubApi, type Handler } from '@/testing/helpers';

let wrapper: VueWrapper | null = null;

async function mountAs(user: User, handlers: Record<string, Handler>, component: 'list' | 'detail' = 'list', id = '') {
  const fetchMock = stubApi(handlers);
  const pinia = createPinia();
  setActivePinia(pinia);
  useSessionStore().user = user;
  useSessionStore().tenant = null;
  useSessionStore().loaded = true;
  const router = createAppRouter(createMemoryHistory());
  const global = { plugins: [pinia, router, createAppI18n('ja')] };
  wrapper =
    component === 'list'
      ? mount(OperatorIncidentsView, { global, attachTo: document.body })
      : mount(OperatorIncidentView, { props: { id }, global, attachTo: document.body });
  await router.isReady().catch(() => undefined); // the lazy route components of the initial navigation
  await flushPromises();
  return { wrapper, fetchMock };
}

const acme = makeOperatorTenant();
const beta = makeOperatorTenant({ id: '00000000-0000-4000-8000-0000000000bb', code: 'beta', name: 'ベータ商事' });
const gone = makeOperatorTenant({ id: '00000000-0000-4000-8000-0000000000cc', code: 'gamma', name: 'ガンマ工業', status: 'deleted' });
const openSerious = makeIncident();
const resolvedMinor = makeIncident({
  id: '50000000-0000-4000-8000-000000000002',
  severity: 'minor',
  title: '帳票の表示遅延',
  status: 'resolved',
  resolvedAt: '2026-12-01T03:00:00.000Z',
  allTenants: false,
  tenants: [{ code: 'beta', name: 'ベータ商事' }],
  alertId: '60000000-0000-4000-8000-000000000001',
});

describe('OperatorIncidentsView', () => {
  afterEach(() => {
    wrapper?.unmount();
    wrapper = null;
    document.body.innerHTML = '';
  });

  it('lists the incidents with severity, state, scope and a link to each', async () => {
    const { wrapper } = await mountAs(makeOperator(), {
      'GET /operator/incidents': () => jsonResponse(200, { items: [openSerious, resolvedMinor] }),
      'GET /operator/tenants': () => jsonResponse(200, { items: [acme, beta, gone] }),
    });
    const rows = wrapper.findAll('[data-testid="incident-row"]');
    expect(rows).toHaveLength(2);
    expect(rows[0]!.get('[data-testid="incident-severity"]').text()).toBe('重大');
    expect(rows[0]!.get('[data-testid="incident-status"]').text()).toBe('発生中');
    expect(rows[0]!.get('[data-testid="incident-scope"]').text()).toBe('すべての契約');
    expect(rows[0]!.get('[data-testid="incident-detail"]').attributes('href')).toBe(`/operator/incidents/${openSerious.id}`);
    expect(rows[1]!.get('[data-testid="incident-status"]').text()).toBe('復旧済み');
    expect(rows[1]!.get('[data-testid="incident-scope"]').text()).toBe('ベータ商事');
    expect(rows[1]!.get('[data-testid="incident-automatic"]').text()).toBe('自動登録');
  });

  it('creates a minor incident for chosen contracts (deleted ones are not offered) and says how many were told', async () => {
    let sent: unknown = null;
    const { wrapper } = await mountAs(makeOperator(), {
      'GET /operator/incidents': () => jsonResponse(200, { items: [] }),
      'GET /operator/tenants': () => jsonResponse(200, { items: [acme, beta, gone] }),
      'POST /operator/incidents': ({ body }) => {
        sent = body;
        return jsonResponse(201, { ...makeIncident({ severity: 'minor' }), notified: { notices: 7, mails: 0 } });
      },
    });
    await wrapper.get('[data-testid="incident-scope-some"]').setValue(true);
    expect(wrapper.find('[data-testid="incident-tenant-gamma"]').exists()).toBe(false);
    // nothing chosen, no title: refused in the browser
    await wrapper.get('form').trigger('submit');
    await flushPromises();
    expect(sent).toBeNull();
    expect(wrapper.get('[data-testid="incident-tenants-error"]').text()).toBe('対象の契約を1つ以上選んでください。');
    expect(wrapper.get('#incident-title').attributes('aria-invalid')).toBe('true');

    await wrapper.get('[data-testid="incident-tenant-beta"]').setValue(true);
    await wrapper.get('[data-testid="incident-title"]').setValue('  帳票の表示遅延  ');
    await wrapper.get('[data-testid="incident-body"]').setValue('表示に時間がかかっています。');
    await wrapper.get('[data-testid="incident-started-at"]').setValue('2026-12-03T09:30');
    await wrapper.get('form').trigger('submit');
    await flushPromises();
    expect(sent).toEqual({
      severity: 'minor',
      title: '帳票の表示遅延',
      body: '表示に時間がかかっています。',
      tenants: ['beta'],
      startedAt: '2026-12-03T00:30:00.000Z',
    });
    expect(wrapper.get('[data-testid="incident-created"]').text()).toContain('お知らせ 7 件を通知し、メール 0 件を送信待ちにしました。');
  });

  it('asks before a serious incident (mails to administrators) and shows the server refusal', async () => {
    let posts = 0;
    const { wrapper } = await mountAs(makeOperator(), {
      'GET /operator/incidents': () => jsonResponse(200, { items: [] }),
      'GET /operator/tenants': () => jsonResponse(200, { items: [acme] }),
      'POST /operator/incidents': () => {
        posts++;
        return problem(422, 'incident_unknown_tenants', { errors: [{ field: 'tenants', message: 'acme', code: 'unknown_tenant' }] });
      },
    });
    await wrapper.get('[data-testid="incident-severity-serious"]').setValue(true);
    await wrapper.get('[data-testid="incident-title"]').setValue('障害');
    await wrapper.get('[data-testid="incident-body"]').setValue('内容');
    await wrapper.get('form').trigger('submit');
    await flushPromises();
    expect(posts).toBe(0);
    const dialog = document.querySelector('dialog');
    expect(dialog?.textContent).toContain('管理者全員にメールが送信されます');
    const confirm = [...(dialog?.querySelectorAll('button') ?? [])].find((b) => b.textContent?.includes('登録してメールを送信する'));
    confirm!.click();
    await flushPromises();
    expect(posts).toBe(1);
    expect(wrapper.get('[data-testid="incident-action-error"]').text()).toBe(
      '存在しない契約コードが含まれています。対象の契約を選び直してください。',
    );
  });

  it('refuses tenant admins without asking the server', async () => {
    const { wrapper, fetchMock } = await mountAs(makeUser({ role: 'admin' }), {});
    expect(fetchMock).not.toHaveBeenCalled();
    expect(wrapper.get('[data-testid="operator-forbidden"]').text()).toContain('プラットフォーム運用担当者');
  });
});

describe('OperatorIncidentView', () => {
  afterEach(() => {
    wrapper?.unmount();
    wrapper = null;
    document.body.innerHTML = '';
  });

  it('shows the timeline, posts an update, then the resolution, after which no form is offered', async () => {
    const posted: unknown[] = [];
    let current = makeIncident({ allTenants: false, tenants: [{ code: 'acme', name: '株式会社アクメ' }] });
    const { wrapper } = await mountAs(
      makeOperator(),
      {
        [`GET /operator/incidents/${current.id}`]: () => jsonResponse(200, current),
        [`POST /operator/incidents/${current.id}/updates`]: ({ body }) => {
          posted.push(body);
          const b = body as { body: string; resolved?: boolean };
          current = {
            ...current,
            status: b.resolved ? 'resolved' : 'open',
            resolvedAt: b.resolved ? '2026-12-03T03:00:00.000Z' : null,
            updates: [
              ...current.updates,
              { id: `u${posted.length}`, body: b.body, resolved: !!b.resolved, createdAt: '2026-12-03T02:00:00.000Z' },
            ],
          };
          return jsonResponse(201, { ...current, notified: { notices: 3, mails: 1 } });
        },
      },
      'detail',
      current.id,
    );
    expect(wrapper.get('h1').text()).toBe('電子申請の送信が遅延しています');
    expect(wrapper.get('[data-testid="incident-scope"]').text()).toBe('株式会社アクメ（acme）');
    expect(wrapper.findAll('[data-testid="incident-entry"]')).toHaveLength(1);
    expect(wrapper.text()).toContain('管理者全員にメールを送信します');

    await wrapper.get('form').trigger('submit');
    await flushPromises();
    expect(posted).toEqual([]);
    expect(wrapper.get('#incident-update-body-error').text()).toBe('内容を入力してください。');

    await wrapper.get('[data-testid="incident-update-body"]').setValue('原因を特定しました。');
    await wrapper.get('form').trigger('submit');
    await flushPromises();
    expect(posted).toEqual([{ body: '原因を特定しました。' }]);
    expect(wrapper.get('[data-testid="incident-posted"]').text()).toContain('続報を登録しました。お知らせ 3 件を通知し、メール 1 件');
    expect(wrapper.findAll('[data-testid="incident-entry"]').map((e) => e.attributes('data-kind'))).toEqual(['start', 'update']);

    await wrapper.get('[data-testid="incident-update-body"]').setValue('復旧しました。');
    await wrapper.get('[data-testid="incident-update-resolve"]').setValue(true);
    expect(wrapper.get('[data-testid="incident-update-submit"]').text()).toBe('復旧を登録する');
    await wrapper.get('form').trigger('submit');
    await flushPromises();
    expect(posted[1]).toEqual({ body: '復旧しました。', resolved: true });
    expect(wrapper.get('[data-testid="incident-status"]').text()).toBe('復旧済み');
    expect(wrapper.find('[data-testid="incident-update-panel"]').exists()).toBe(false);
    expect(wrapper.get('[data-testid="incident-closed"]').text()).toBe('このお知らせは復旧済みのため、これ以上登録できません。');
  });

  it('shows an unknown incident as not found', async () => {
    const { wrapper } = await mountAs(makeOperator(), { 'GET /operator/incidents/x': () => problem(404, 'not_found') }, 'detail', 'x');
    expect(wrapper.find('[data-testid="incident-load-error"]').exists()).toBe(true);
  });
});
