import { afterEach, describe, expect, it } from 'vitest';
import { mount, type VueWrapper } from '@vue/test-utils';
import WithdrawDialog, { WITHDRAW_REASON_MAX } from '@/components/application/WithdrawDialog.vue';
import { createAppI18n } from '@/i18n';
import { ApiError } from '@/api/client';

let wrapper: VueWrapper | null = null;

function mountDialog(props: Partial<InstanceType<typeof WithdrawDialog>['$props']> = {}) {
  wrapper = mount(WithdrawDialog, {
    props: { open: true, busy: false, error: null, inDoubt: false, reasonError: '', reason: '', ...props },
    global: { plugins: [createAppI18n('ja')] },
    attachTo: document.body,
  });
  return wrapper;
}

describe('WithdrawDialog', () => {
  afterEach(() => {
    wrapper?.unmount();
    wrapper = null;
  });

  it('counts the reason as the user counts characters and marks it past the limit', async () => {
    const w = mountDialog({ reason: '🍣'.repeat(WITHDRAW_REASON_MAX) });
    expect(w.get('[data-testid="withdraw-reason-count"]').text()).toBe(`${WITHDRAW_REASON_MAX} / ${WITHDRAW_REASON_MAX} 文字`);
    expect(w.get('[data-testid="withdraw-reason-count"]').classes()).not.toContain('field-error');
    await w.setProps({ reason: 'x'.repeat(WITHDRAW_REASON_MAX + 1) });
    expect(w.get('[data-testid="withdraw-reason-count"]').classes()).toContain('field-error');
  });

  it('passes the typed reason up, says when it is typed, and shows the refused reason at the field', async () => {
    const w = mountDialog({ reasonError: '取下げの理由を入力してください。' });
    const textarea = w.get('[data-testid="withdraw-reason"]');
    expect(textarea.attributes('aria-invalid')).toBe('true');
    expect(w.get('[data-testid="withdraw-reason-error"]').text()).toBe('取下げの理由を入力してください。');
    await textarea.setValue('重複して申請したため');
    expect(w.emitted('update:reason')?.at(-1)).toEqual(['重複して申請したため']);
    expect(w.emitted('reasonInput')).toHaveLength(1);
  });

  it('shows a refusal in words, and the retry hint only when the outcome is in doubt', async () => {
    const w = mountDialog({ error: new ApiError(409, { code: 'not_withdrawable' }) });
    expect(w.find('[data-testid="withdraw-error"]').exists()).toBe(true);
    expect(w.find('[data-testid="withdraw-retry-hint"]').exists()).toBe(false);
    await w.setProps({ error: new ApiError(0, { code: 'network_error' }), inDoubt: true });
    expect(w.find('[data-testid="withdraw-retry-hint"]').exists()).toBe(true);
  });
});
