import { describe, expect, it } from 'vitest';
import { mount } from '@vue/test-utils';
import ApplicationBasics from '@/components/application/ApplicationBasics.vue';
import { createAppI18n } from '@/i18n';
import { OFFICE, OFFICE_2 } from '@/testing/applications';

function mountBasics(props: Record<string, unknown> = {}) {
  return mount(ApplicationBasics, {
    props: {
      title: '資格取得',
      officeId: OFFICE.id,
      offices: [OFFICE, OFFICE_2],
      errors: {},
      editable: true,
      officeLocked: false,
      procedureText: '資格取得届（第1版）',
      dueRule: '5日以内',
      ...props,
    },
    global: { plugins: [createAppI18n('ja')] },
  });
}

describe('ApplicationBasics', () => {
  it('passes title and office up and says which one changed', async () => {
    const w = mountBasics();
    await w.get('[data-testid="app-title"]').setValue('資格取得（修正）');
    await w.get('[data-testid="app-office"]').setValue(OFFICE_2.id);
    expect(w.emitted('update:title')?.at(-1)).toEqual(['資格取得（修正）']);
    expect(w.emitted('update:officeId')?.at(-1)).toEqual([OFFICE_2.id]);
    expect(w.emitted('change')).toEqual([['title'], ['officeId']]);
  });

  it('shows errors at their fields, locks the office once submitted, and keeps an office it does not list', () => {
    const w = mountBasics({ errors: { title: '必須です' }, officeLocked: true, officeId: 'gone-office' });
    expect(w.get('[data-testid="field-error-title"]').text()).toBe('必須です');
    expect(w.get('[data-testid="app-title"]').attributes('aria-invalid')).toBe('true');
    expect(w.get('[data-testid="app-office"]').attributes('disabled')).toBeDefined();
    expect(w.get('[data-testid="app-title"]').attributes('disabled')).toBeUndefined();
    expect(w.findAll('option').map((o) => o.text())).toEqual(['gone-office', OFFICE.name, OFFICE_2.name]);
    expect(w.get('[data-testid="app-due-rule"]').text()).toBe('5日以内');
  });

  it('shows the 提出期限 the server computed, with the overdue warning in words', () => {
    const w = mountBasics({ dueDate: '2026-12-07', overdue: true });
    const due = w.get('[data-testid="due-date"]');
    expect(due.attributes('data-overdue')).toBe('true');
    expect(due.text()).toContain('2026/12/07');
    expect(due.text()).toContain('期限超過');
    expect(w.get('[data-testid="app-due-rule"]').text()).toBe('5日以内');
    expect(mountBasics({ dueDate: '2026-12-07', overdue: false }).get('[data-testid="due-date"]').text()).not.toContain('期限超過');
    expect(mountBasics().find('[data-testid="due-date"]').exists()).toBe(false);
  });
});
