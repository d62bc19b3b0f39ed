import { describe, expect, it } from 'vitest';
import { mount } from '@vue/test-utils';
import { h } from 'vue';
import { createMemoryHistory, createRouter } from 'vue-router';
import ApplicationProgress from '@/components/application/ApplicationProgress.vue';
import { createAppI18n } from '@/i18n';
import type { ApplicationDocument, TimelineEntry } from '@/api/client';
import { APP_ID } from '@/testing/applications';

const move = (from: string | null, to: string, at: string): TimelineEntry => ({
  at,
  kind: 'status',
  fromStatus: from,
  toStatus: to,
  actor: null,
  details: {},
});

const TIMELINE = [move('ready', 'submitting', '2026-04-02T01:05:00.000Z'), move('submitting', 'arrived', '2026-04-02T01:06:00.000Z')];
const DOC: ApplicationDocument = {
  id: '60000000-0000-4000-8000-000000000001',
  title: '健康保険・厚生年金保険 被保険者資格取得届 通知書',
  fileName: 'tsuchisho.pdf',
  contentType: 'application/pdf',
  size: 1024,
  sha256: 'a'.repeat(64),
  fetchedAt: '2026-04-03T00:00:00.000Z',
  acknowledgedAt: null,
};

function mountProgress(props: { status: string } & Record<string, unknown>, locale: 'ja' | 'en' = 'ja') {
  const router = createRouter({
    history: createMemoryHistory(),
    routes: [{ path: '/applications', name: 'applications', component: { render: () => h('p') } }],
  });
  return mount(ApplicationProgress, {
    props: { applicationId: APP_ID, timeline: TIMELINE, ...props },
    global: { plugins: [router, createAppI18n(locale)] },
  });
}

describe('ApplicationProgress', () => {
  it('is an ordered list with the current step marked for assistive technology, each state in words', () => {
    const w = mountProgress({ status: 'under_review', arriveId: '202604020000123456' });
    const list = w.get('ol[data-testid="progress-steps"]');
    const steps = list.findAll('li');
    expect(steps.map((s) => s.get('.progress-name').text())).toEqual(['送信中', '到達', '審査中', '審査終了', '手続終了']);
    expect(steps.map((s) => s.get('.progress-state').text())).toEqual(['完了', '完了', '現在', '未着手', '未着手']);
    const current = w.findAll('[aria-current="step"]');
    expect(current).toHaveLength(1);
    expect(current[0]!.attributes('data-key')).toBe('under_review');
    expect(w.get('[data-testid="progress-next"]').text()).toContain('審査中です。');
  });

  it('shows the 到達番号, when it was submitted in JST, and the 公文書 to download', () => {
    const w = mountProgress({ status: 'completed', arriveId: '202604020000123456', documents: [DOC] });
    expect(w.get('[data-testid="progress-arrive-id"]').text()).toBe('202604020000123456');
    // 01:05 UTC is 10:05 in Japan, whatever the machine's time zone.
    expect(w.get('[data-testid="progress-submitted-at"]').text()).toBe('2026/04/02 10:05 JST');
    const link = w.get('[data-testid="progress-document"]');
    expect(link.text()).toBe(`${DOC.title}PDF`);
    expect(link.get('.progress-document-type').text()).toBe('PDF');
    expect(link.attributes('href')).toBe(`/api/v1/applications/${APP_ID}/documents/${DOC.id}`);
    expect(link.attributes('download')).toBe('tsuchisho.pdf');
    expect(link.attributes('aria-label')).toBe(`${DOC.title}をダウンロード`);
    expect(w.get('[aria-current="step"]').text()).toContain('手続終了');
    expect(w.get('[data-testid="progress-next"]').text()).toBe('手続が終了しました。公文書をダウンロードして保管してください。');
  });

  it('has no 公文書 buttons without documents, and says when there is no 到達番号 yet', () => {
    const w = mountProgress({ status: 'submitting', arriveId: null, documents: [] });
    expect(w.get('[data-testid="progress-arrive-id"]').text()).toBe('まだありません');
    expect(w.find('[data-testid="progress-documents"]').exists()).toBe(false);
  });

  it('shows 補正待ち as a branch of 審査中, in words', () => {
    const w = mountProgress({ status: 'correction_requested' });
    const current = w.get('[aria-current="step"]');
    expect(current.attributes('data-key')).toBe('under_review');
    expect(current.get('[data-testid="progress-branch"]').text()).toContain('補正待ち');
    expect(w.get('[data-testid="progress-next"]').text()).toContain('「補正を送信」');
  });

  it('ends clearly on 取下げ and 送信失敗, and says what to do next', () => {
    const withdrawn = mountProgress({
      status: 'withdrawn',
      timeline: [...TIMELINE, move('arrived', 'withdrawn', '2026-04-03T00:00:00.000Z')],
    });
    expect(withdrawn.findAll('li').map((s) => s.attributes('data-key'))).toEqual(['submitting', 'arrived', 'withdrawn']);
    expect(withdrawn.get('[aria-current="step"]').text()).toContain('取下げ');
    expect(withdrawn.get('[data-testid="progress-next"]').text()).toContain('新しい申請を作成してください');
    expect(withdrawn.get('[data-testid="progress-new"]').attributes('href')).toBe('/applications');

    const failed = mountProgress({ status: 'failed' });
    expect(failed.get('[aria-current="step"]').text()).toContain('送信失敗');
    expect(failed.get('[data-testid="progress-next"]').text()).toContain('「修正して再提出する」');
  });

  it('shows a compact 下書き → 入力チェック → 提出 before submission, without e-Gov facts', () => {
    const w = mountProgress({ status: 'ready', timeline: [] });
    expect(w.get('[data-testid="application-progress"]').attributes('data-track')).toBe('draft');
    expect(w.findAll('li').map((s) => s.get('.progress-name').text())).toEqual(['下書き', '入力チェック', '提出']);
    expect(w.get('[aria-current="step"]').attributes('data-key')).toBe('submit');
    expect(w.find('[data-testid="progress-arrive-id"]').exists()).toBe(false);
  });

  it('speaks English, and shows nothing for a status it does not know', () => {
    const w = mountProgress({ status: 'review_finished' }, 'en');
    expect(w.get('[aria-current="step"] .progress-name').text()).toBe('Review finished');
    expect(w.get('h2').text()).toBe('Progress of the application');
    expect(mountProgress({ status: 'archived' }).find('[data-testid="application-progress"]').exists()).toBe(false);
  });
});
