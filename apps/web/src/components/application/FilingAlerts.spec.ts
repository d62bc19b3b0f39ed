import { describe, expect, it } from 'vitest';
import { mount } from '@vue/test-utils';
import FilingAlerts from '@/components/application/FilingAlerts.vue';
import { createAppI18n } from '@/i18n';
import { ApiError } from '@/api/client';

const IDLE: InstanceType<typeof FilingAlerts>['$props'] = {
  failedReason: null,
  reopening: false,
  reopenError: null,
  submitAccepted: false,
  statusText: '提出中',
  acceptedStatusText: '提出中',
  submitError: null,
  canSubmit: false,
  submitting: false,
  validating: false,
  amendError: null,
  amendSaveFailed: false,
  canAmend: false,
  amending: false,
  withdrawing: false,
  loading: false,
};

function mountAlerts(props: Partial<typeof IDLE> = {}) {
  return mount(FilingAlerts, { props: { ...IDLE, ...props }, global: { plugins: [createAppI18n('ja')] } });
}

const packageInvalid = () =>
  new ApiError(422, {
    code: 'package_invalid',
    detail: 'the package lacks fields',
    errors: [{ field: 'form.birthDate', code: 'package_invalid_form', message: 'form.birthDate must be a date' }],
  });

describe('FilingAlerts', () => {
  it('shows nothing while nothing happened', () => {
    expect(mountAlerts().text()).toBe('');
  });

  it('lists what a refused package lacks, for the submission and for the 補正', () => {
    const w = mountAlerts({ submitError: packageInvalid(), amendError: packageInvalid() });
    expect(w.get('[data-testid="submit-error"]').attributes('data-code')).toBe('package_invalid');
    // The detail is the server's English: not shown in Japanese; the field errors are translated by code.
    expect(w.find('[data-testid="submit-error-detail"]').exists()).toBe(false);
    expect(w.get('[data-testid="submit-error-item"]').attributes('data-field')).toBe('form.birthDate');
    expect(w.find('[data-testid="amend-error-detail"]').exists()).toBe(false);
    expect(w.get('[data-testid="amend-error-item"]').text()).toBe('申請書の入力内容に誤りがあります。入力チェックをやり直してください。');
    expect(w.text()).not.toContain('must be');
    expect(w.find('[data-testid="submit-retry-hint"]').exists()).toBe(false);
  });

  it('says a retry is safe when the outcome is in doubt, and offers a reload on a version conflict', async () => {
    const w = mountAlerts({
      submitError: new ApiError(0, { code: 'network_error' }),
      amendError: new ApiError(409, { code: 'version_conflict' }),
    });
    expect(w.find('[data-testid="submit-retry-hint"]').exists()).toBe(true);
    expect(w.find('[data-testid="amend-retry-hint"]').exists()).toBe(false);
    await w.get('[data-testid="amend-reload"]').trigger('click');
    expect(w.emitted('reload')).toHaveLength(1);
  });

  it('words the accepted submission apart from a later status change (ja and en)', async () => {
    // Issue 18 bug 5: the acceptance read 「状態が「手続終了」になりました」 because it quoted the live status.
    const w = mountAlerts({ submitAccepted: true, acceptedStatusText: '送信中', statusText: '送信中' });
    const accepted = w.get('[data-testid="submit-accepted"]').text();
    expect(accepted).toContain('e-Govへの送信を受け付けました。');
    expect(accepted).not.toContain('送信中');
    expect(w.find('[data-testid="status-changed"]').exists()).toBe(false);
    await w.setProps({ statusText: '手続終了' });
    expect(w.get('[data-testid="submit-accepted"]').text()).toBe(accepted);
    expect(w.get('[data-testid="submit-accepted"]').text()).not.toContain('手続終了');
    expect(w.get('[data-testid="status-changed"]').text()).toBe('その後、状態が「手続終了」に変わりました。');
    const en = mount(FilingAlerts, {
      props: { ...IDLE, submitAccepted: true, acceptedStatusText: 'Sending', statusText: 'Completed' },
      global: { plugins: [createAppI18n('en')] },
    });
    expect(en.get('[data-testid="submit-accepted"]').text()).not.toContain('Completed');
    expect(en.get('[data-testid="status-changed"]').text()).toContain('Completed');
  });

  it('asks the parent to submit, send the 補正 or reopen, and disables the buttons while busy', async () => {
    const w = mountAlerts({ canSubmit: true, canAmend: true, failedReason: '' });
    expect(w.get('[data-testid="failed-reason"]').text()).not.toBe('');
    await w.get('[data-testid="submit-egov"]').trigger('click');
    await w.get('[data-testid="amend-open"]').trigger('click');
    await w.get('[data-testid="reopen"]').trigger('click');
    expect(Object.keys(w.emitted())).toEqual(expect.arrayContaining(['submit', 'amend', 'reopen']));
    await w.setProps({ validating: true, withdrawing: true, reopening: true });
    expect(w.get('[data-testid="submit-egov"]').attributes('disabled')).toBeDefined();
    expect(w.get('[data-testid="amend-open"]').attributes('disabled')).toBeDefined();
    expect(w.get('[data-testid="reopen"]').attributes('disabled')).toBeDefined();
  });
});
