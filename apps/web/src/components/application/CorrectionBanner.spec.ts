import { describe, expect, it } from 'vitest';
import { mount } from '@vue/test-utils';
import CorrectionBanner from '@/components/application/CorrectionBanner.vue';
import { createAppI18n } from '@/i18n';
import type { EgovNotice } from '@/api/client';

const notice = (over: Partial<EgovNotice>): EgovNotice => ({
  noticeSubId: '1',
  type: 'お知らせ',
  title: '',
  body: '',
  date: null,
  ...over,
});

function mountBanner(notices: EgovNotice[], correcting = true) {
  return mount(CorrectionBanner, { props: { notices, correcting }, global: { plugins: [createAppI18n('ja')] } });
}

describe('CorrectionBanner', () => {
  it('shows the latest 補正 notice (a later one wins a tie), with its day as e-Gov wrote it', () => {
    const w = mountBanner([
      notice({ noticeSubId: '1', type: '補正', title: '古い補正', body: 'old', date: '2026-04-01' }),
      notice({ noticeSubId: '2', type: 'お知らせ', title: '別件', body: 'other', date: '2026-04-09' }),
      notice({ noticeSubId: '3', type: '補正通知', title: '新しい補正', body: '生年月日を確認してください。', date: '2026-04-05' }),
      notice({ noticeSubId: '4', type: '補正', title: '同日の補正', body: 'same day, later in the list', date: '2026-04-05' }),
    ]);
    expect(w.get('[data-testid="correction-title"]').text()).toContain('同日の補正');
    expect(w.get('[data-testid="correction-title"]').text()).toContain('2026/04/05');
    expect(w.get('[data-testid="correction-body"]').text()).toBe('same day, later in the list');
    expect(w.find('[data-testid="correction-hint"]').exists()).toBe(true);
  });

  it('says the notice has not arrived yet, and gives no hint while a correction is on its way', () => {
    const w = mountBanner([notice({ type: 'お知らせ', title: '別件' })], false);
    expect(w.find('[data-testid="correction-title"]').exists()).toBe(false);
    expect(w.get('[data-testid="correction-body"]').text()).toContain('お知らせが届きしだい');
    expect(w.find('[data-testid="correction-hint"]').exists()).toBe(false);
  });
});
