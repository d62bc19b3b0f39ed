import { afterEach, describe, expect, it } from 'vitest';
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils';
import { createMemoryHistory } from 'vue-router';
import { createPinia, setActivePinia } from 'pinia';
import OperatorAlertsView from '@/views/OperatorAlertsView.vue';
import { createAppRouter } from '@/router';
import { createAppI18n } from '@/i18n';
import { useSessionStore } from '@/stores/session';
import type { User } from '@/api/client';
import type { OperatorAlert } from '@/api/alerts';
import { jsonResponse, makeOperator, makeUser, problem, stubApi, type Handler } from '@/testing/helpers';

let wrapper: VueWrapper | null = null;

async function mountAs(user: User, handlers: Record<string, Handler>) {
  const fetchMock = stubApi(handlers);
  const pinia = createPinia();
  setActivePinia(pinia);
  useSessionStore().user = user;
  useSessionStore().tenant = null;
  useSessionStore().loaded = true;
  const router = createAppRouter(createMemoryHistory());
  wrapper = mount(OperatorAlertsView, { global: { plugins: [pinia, router, createAppI18n('ja')] }, attachTo: document.body });
  await router.isReady().catch(() => undefined); // the lazy route components of the initial navigation
  await flushPromises();
  return { wrapper, fetchMock };
}

function makeAlert(overrides: Partial<OperatorAlert> = {}): OperatorAlert {
  return {
    id: '00000000-0000-4000-8000-00000000a001',
    cause: 'health:scanner',
    kind: 'scanner_down',
    summary: 'Malware scanner (clamd) does not answer: uploads are refused.',
    details: { check: 'scanner', error: 'ECONNREFUSED' },
    customerImpact: true,
    status: 'open',
    // 01:00Z is 10:00 in Tokyo.
    openedAt: '2026-12-03T01:00:00.000Z',
    lastSeenAt: '2026-12-03T01:05:00.000Z',
    occurrences: 6,
    resolvedAt: null,
    incidentId: null,
    incidentAuto: false,
    ...overrides,
  };
}

const scanner = makeAlert();
const backup = makeAlert({
  id: '00000000-0000-4000-8000-00000000a002',
  cause: 'backup.failed:00000000-0000-4000-8000-0000000000aa',
  kind: 'backup_failed',
  customerImpact: false,
  occurrences: 1,
});
const egov = makeAlert({
  id: '00000000-0000-4000-8000-00000000a003',
  cause: 'egov.unreachable',
  kind: 'egov_unreachable',
  status: 'resolved',
  resolvedAt: '2026-12-02T03:00:00.000Z',
  incidentId: '11111111-0000-4000-8000-000000000001',
  incidentAuto: true,
});

describe('OperatorAlertsView', () => {
  afterEach(() => {
    wrapper?.unmount();
    wrapper = null;
  });

  it('lists open alerts first with the kind in Japanese, since when, occurrences and the linked incident', async () => {
    const { wrapper } = await mountAs(makeOperator(), {
      'GET /operator/alerts': () => jsonResponse(200, { items: [scanner, backup, egov] }),
    });
    expect(wrapper.get('h1').text()).toBe('監視アラート');
    expect(wrapper.get('[data-testid="alerts-open-count"]').text()).toBe('発生中のアラート：2 件');
    const rows = wrapper.findAll('[data-testid="alert-row"]');
    expect(rows).toHaveLength(3);
    expect(rows[0]!.get('[data-testid="alert-status"]').text()).toBe('発生中');
    expect(rows[0]!.get('[data-testid="alert-kind"]').text()).toContain('ウイルススキャナー停止');
    expect(rows[0]!.get('[data-testid="alert-impact"]').text()).toContain('お客様に影響あり');
    expect(rows[0]!.get('[data-testid="alert-since"]').text()).toBe('2026/12/03 10:00 JST');
    expect(rows[0]!.get('[data-testid="alert-occurrences"]').text()).toBe('6');
    expect(rows[0]!.find('[data-testid="alert-promote"]').exists()).toBe(true);
    expect(rows[1]!.get('[data-testid="alert-kind"]').text()).toBe('バックアップ失敗');
    expect(rows[1]!.find('[data-testid="alert-impact"]').exists()).toBe(false);
    expect(rows[2]!.get('[data-testid="alert-status"]').text()).toBe('解消');
    expect(rows[2]!.get('[data-testid="alert-kind"]').text()).toContain('e-Gov接続不可');
    expect(rows[2]!.get('[data-testid="alert-since"]').text()).toContain('2026/12/02 12:00 JST に解消');
    expect(rows[2]!.get('[data-testid="alert-incident"]').text()).toContain('11111111');
    expect(rows[2]!.get('[data-testid="alert-incident"]').text()).toContain('自動作成');
    expect(rows[2]!.get('[data-testid="alert-incident-link"]').attributes('href')).toBe(
      '/operator/incidents/11111111-0000-4000-8000-000000000001',
    );
    expect(rows[2]!.find('[data-testid="alert-promote"]').exists()).toBe(false);
  });

  it('filters by status through the query', async () => {
    const seen: string[] = [];
    const { wrapper } = await mountAs(makeOperator(), {
      'GET /operator/alerts': ({ url }) => {
        seen.push(url.searchParams.get('status') ?? 'all');
        return jsonResponse(200, { items: url.searchParams.get('status') === 'resolved' ? [egov] : [scanner, backup, egov] });
      },
    });
    await wrapper.get('[data-testid="alerts-filter"]').setValue('resolved');
    await flushPromises();
    expect(seen).toEqual(['all', 'resolved']);
    expect(wrapper.findAll('[data-testid="alert-row"]')).toHaveLength(1);
  });

  it('promotes an open alert to a serious incident after a confirmation, and shows the link', async () => {
    const bodies: unknown[] = [];
    const { wrapper } = await mountAs(makeOperator(), {
      'GET /operator/alerts': () => jsonResponse(200, { items: [scanner, backup] }),
      [`POST /operator/alerts/${scanner.id}/incident`]: ({ body }) => {
        bodies.push(body);
        return jsonResponse(200, { ...scanner, incidentId: '22222222-0000-4000-8000-000000000002', incidentAuto: false });
      },
    });
    await wrapper.findAll('[data-testid="alert-promote"]')[0]!.trigger('click');
    await flushPromises();
    await wrapper.get('[data-testid="alert-severity"]').setValue('serious');
    await wrapper.get('[data-testid="confirm-ok"]').trigger('click');
    await flushPromises();
    expect(bodies).toEqual([{ severity: 'serious' }]);
    expect(wrapper.get('[data-testid="alerts-promoted"]').text()).toBe('障害のお知らせを作成しました。');
    const first = wrapper.findAll('[data-testid="alert-row"]')[0]!;
    expect(first.get('[data-testid="alert-incident"]').text()).toContain('22222222');
    expect(first.get('[data-testid="alert-incident"]').text()).toContain('手動作成');
  });

  it('says why a promotion was refused (409 alert_has_incident) and a failed load', async () => {
    let fail = true;
    const { wrapper } = await mountAs(makeOperator(), {
      'GET /operator/alerts': () => (fail ? problem(500, 'internal') : jsonResponse(200, { items: [backup] })),
      [`POST /operator/alerts/${backup.id}/incident`]: () => problem(409, 'alert_has_incident'),
    });
    expect(wrapper.get('[data-testid="alerts-load-error"]').text()).toContain('エラーコード: internal');
    fail = false;
    await wrapper.get('[data-testid="alerts-reload"]').trigger('click');
    await flushPromises();
    await wrapper.get('[data-testid="alert-promote"]').trigger('click');
    await flushPromises();
    await wrapper.get('[data-testid="confirm-ok"]').trigger('click');
    await flushPromises();
    expect(wrapper.get('[data-testid="alerts-promote-error"]').text()).toContain('すでに障害のお知らせが作成されています');
  });

  it('refuses tenant admins without asking the server', async () => {
    const { wrapper, fetchMock } = await mountAs(makeUser({ role: 'admin' }), {});
    expect(fetchMock).not.toHaveBeenCalled();
    expect(wrapper.get('[data-testid="operator-forbidden"]').text()).toContain('プラットフォーム運用担当者');
  });
});
