import { afterEach, describe, expect, it } from 'vitest';
import { mount, type VueWrapper } from '@vue/test-utils';
import ValidationSummary from '@/components/application/ValidationSummary.vue';
import { createAppI18n } from '@/i18n';

let wrapper: VueWrapper | null = null;

describe('ValidationSummary', () => {
  afterEach(() => {
    wrapper?.unmount();
    wrapper = null;
    document.body.innerHTML = '';
  });

  it('links each error to its input, names the rest, and takes the focus when asked', async () => {
    const input = document.createElement('input');
    input.id = 'field-birthDate';
    document.body.appendChild(input);
    wrapper = mount(ValidationSummary, {
      props: {
        items: [
          { field: 'birthDate', label: '生年月日', message: '必須です', target: 'field-birthDate' },
          { field: 'form', label: '', message: '基礎年金番号か個人番号のどちらかが必要です', target: null },
        ],
      },
      global: { plugins: [createAppI18n('ja')] },
      attachTo: document.body,
    });
    const link = wrapper.get('[data-testid="validation-link"]');
    expect(link.attributes('href')).toBe('#field-birthDate');
    expect(link.text()).toBe('生年月日: 必須です');
    expect(wrapper.get('[data-testid="validation-item"]').text()).toBe('基礎年金番号か個人番号のどちらかが必要です');
    await link.trigger('click');
    expect(document.activeElement).toBe(input);
    (wrapper.vm as unknown as { focus: () => void }).focus();
    expect(document.activeElement).toBe(wrapper.get('[data-testid="validation-summary"]').element);
  });
});
