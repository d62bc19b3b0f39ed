import { describe, expect, it } from 'vitest';
import { mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import ApplicationTimeline from '@/components/application/ApplicationTimeline.vue';
import { createAppI18n } from '@/i18n';
import type { TimelineEntry } from '@/api/client';
import { useSessionStore } from '@/stores/session';
import { makeUser } from '@/testing/helpers';

const ME = makeUser();
const entry = (over: Partial<TimelineEntry>): TimelineEntry => ({
  at: '2026-04-01T00:00:00.000Z',
  kind: 'created',
  fromStatus: null,
  toStatus: null,
  actor: null,
  details: {},
  ...over,
});

function mountTimeline(timeline: TimelineEntry[]) {
  const pinia = createPinia();
  setActivePinia(pinia);
  useSessionStore().user = ME;
  return mount(ApplicationTimeline, { props: { timeline }, global: { plugins: [pinia, createAppI18n('ja')] } });
}

describe('ApplicationTimeline', () => {
  it('words kinds, status changes, e-Gov statuses, reasons and actors; unknown words stay as they are', () => {
    const w = mountTimeline([
      entry({ kind: 'created', actor: `user:${ME.id}` }),
      entry({ kind: 'status', fromStatus: 'ready', toStatus: 'submitting', actor: 'system', details: { egovStatus: '到達' } }),
      entry({ kind: 'withdraw_requested', actor: 'token:abcdef12-0000-4000-8000-000000000000', details: { reason: '重複' } }),
      entry({ kind: 'future_kind', fromStatus: 'draft', toStatus: 'someday', actor: 'user:99999999-0000-4000-8000-000000000000' }),
    ]);
    const rows = w.findAll('[data-testid="timeline-entry"]');
    expect(rows.map((r) => r.attributes('data-kind'))).toEqual(['created', 'status', 'withdraw_requested', 'future_kind']);
    expect(rows[0]!.text()).toContain('作成');
    expect(rows[0]!.get('[data-testid="timeline-actor"]').text()).toBe('あなた');
    expect(rows[1]!.get('[data-testid="timeline-change"]').text()).toContain('→');
    expect(rows[1]!.get('[data-testid="timeline-egov-status"]').text()).toBe('e-Gov: 到達');
    expect(rows[1]!.get('[data-testid="timeline-actor"]').text()).toBe('システム');
    expect(rows[2]!.get('[data-testid="timeline-reason"]').text()).toBe('理由: 重複');
    expect(rows[2]!.get('[data-testid="timeline-actor"]').text()).toMatch(/^APIトークン /);
    expect(rows[3]!.text()).toContain('future_kind');
    expect(rows[3]!.get('[data-testid="timeline-change"]').text()).toContain('someday');
    expect(rows[3]!.get('[data-testid="timeline-actor"]').text()).toMatch(/^ユーザー /);
  });

  it('says when there is no history yet', () => {
    const w = mountTimeline([]);
    expect(w.find('[data-testid="timeline-entry"]').exists()).toBe(false);
    expect(w.text()).toContain('まだ履歴はありません。');
  });
});
