import { describe, expect, it } from 'vitest';
import { mount } from '@vue/test-utils';
import { h } from 'vue';
import ApplicationSummary from '@/components/application/ApplicationSummary.vue';
import { createAppI18n } from '@/i18n';
import type { ApplicationForm } from '@/api/client';
import { SHAHO_SHUTOKU_SCHEMA } from '@/testing/applications';

const FORM: ApplicationForm = {
  nameKana: 'ヤマダ　タロウ',
  nameKanji: '',
  birthDate: '1990-04-01',
  gender: '1',
  myNumber: '********9018',
  acquisitionDate: '2026-04-01',
  monthlyPayCurrency: 250000,
  over70: false,
};

function mountSummary(props: Record<string, unknown> = {}, locale: 'ja' | 'en' = 'ja') {
  return mount(ApplicationSummary, {
    props: { schema: SHAHO_SHUTOKU_SCHEMA, form: FORM, masked: ['myNumber'], ...props },
    slots: { default: () => h('div', { 'data-testid': 'whole-form' }, 'form') },
    global: { plugins: [createAppI18n(locale)] },
  });
}

const value = (w: ReturnType<typeof mountSummary>, name: string) => w.get(`[data-testid="summary-value-${name}"]`).text();

describe('ApplicationSummary', () => {
  it('lists label and value of each filled field per section, as the form shows them', () => {
    const w = mountSummary();
    expect(w.findAll('.summary-section h3').map((s) => s.text())).toEqual(['被保険者', '資格取得']);
    const insured = w.get('[data-testid="summary-section-insured"]');
    expect(insured.findAll('dt').map((d) => d.text())).toEqual(['氏名（カナ）', '生年月日', '種別', '個人番号']);
    expect(value(w, 'nameKana')).toBe('ヤマダ　タロウ');
    expect(value(w, 'birthDate')).toBe('平成2年4月1日（1990年4月1日）');
    expect(value(w, 'gender')).toBe('男');
    expect(value(w, 'monthlyPayCurrency')).toBe('250,000');
    expect(value(w, 'over70')).toBe('いいえ');
    // Empty fields and sections are left out.
    expect(w.find('[data-testid="summary-value-nameKanji"]').exists()).toBe(false);
    expect(w.find('[data-testid="summary-section-address"]').exists()).toBe(false);
    expect(w.find('input, select').exists()).toBe(false);
  });

  it('keeps the 個人番号 masked; 表示 asks the page for it', async () => {
    const w = mountSummary();
    expect(value(w, 'myNumber')).toBe('********9018');
    const reveal = w.get('[data-testid="summary-reveal-myNumber"]');
    expect(reveal.attributes('aria-label')).toBe('個人番号を表示');
    await reveal.trigger('click');
    expect(w.emitted('reveal')).toEqual([['myNumber']]);
    // Once shown (the page put the number in the form), it is shown as it is.
    await w.setProps({ form: { ...FORM, myNumber: '123456789018' }, masked: [] });
    expect(value(w, 'myNumber')).toBe('123456789018');
    expect(w.find('[data-testid="summary-reveal-myNumber"]').exists()).toBe(false);
  });

  it('expands to the whole form and back', async () => {
    const w = mountSummary();
    const toggle = w.get('[data-testid="summary-toggle"]');
    expect(toggle.attributes('aria-expanded')).toBe('false');
    expect(toggle.attributes('aria-controls')).toBe('summary-body');
    expect(w.find('[data-testid="whole-form"]').exists()).toBe(false);
    await toggle.trigger('click');
    expect(toggle.attributes('aria-expanded')).toBe('true');
    expect(toggle.text()).toBe('概要に戻す');
    expect(w.find('[data-testid="whole-form"]').exists()).toBe(true);
    expect(w.find('.summary-section').exists()).toBe(false);
    expect(w.emitted('update:expanded')).toEqual([[true]]);
  });

  it('says when nothing is filled in, and speaks English', () => {
    expect(mountSummary({ form: {} }).get('[data-testid="summary-empty"]').text()).toBe('入力された項目はありません。');
    const en = mountSummary({}, 'en');
    expect(en.get('[data-testid="summary-section-insured"] dt').text()).toBe('Name (katakana)');
    expect(value(en, 'gender')).toBe('Male');
    expect(value(en, 'over70')).toBe('No');
    expect(value(en, 'birthDate')).toBe('April 1, Heisei 2 (April 1, 1990)');
  });
});
