import { describe, expect, it } from 'vitest';
import { mount } from '@vue/test-utils';
import { defineComponent, ref } from 'vue';
import { createAppI18n } from '@/i18n';
import DateInput from '@/components/DateInput.vue';

/** A page's field around the input, as the views use it: label, v-model, its own hint. */
function mountField(initial = '', locale: 'ja' | 'en' = 'ja') {
  const Page = defineComponent({
    components: { DateInput },
    setup: () => ({ day: ref(initial) }),
    template: `<div class="field">
      <label for="due">期限</label>
      <DateInput id="due" v-model="day" data-testid="due" aria-describedby="due-hint" />
      <p id="due-hint">hint</p>
      <output data-testid="model">{{ day }}</output>
    </div>`,
  });
  return mount(Page, { global: { plugins: [createAppI18n(locale)] }, attachTo: document.body });
}

describe('DateInput', () => {
  it('is a text input named by the page label, with a Japanese placeholder (not the browser-locale date input)', () => {
    const w = mountField();
    const input = w.get('[data-testid="due"]');
    expect(input.attributes('type')).toBe('text');
    expect(input.attributes('id')).toBe('due');
    expect(w.get('label').attributes('for')).toBe('due');
    expect(input.attributes('placeholder')).toBe('例: 2026-04-01');
    expect(input.attributes('aria-describedby')).toBe('due-hint due-date-error');
    expect(input.attributes('aria-invalid')).toBeUndefined();
    w.unmount();
  });

  it('emits the ISO day for what Japanese users type, 全角 included, and shows it canonically when left', async () => {
    const w = mountField();
    const input = w.get('[data-testid="due"]');
    await input.setValue('２０２６／４／１');
    expect(w.get('[data-testid="model"]').text()).toBe('2026-04-01');
    await input.trigger('change');
    expect((input.element as HTMLInputElement).value).toBe('2026-04-01');
    await input.setValue('2026年12月3日');
    expect(w.get('[data-testid="model"]').text()).toBe('2026-12-03');
    await input.setValue('');
    expect(w.get('[data-testid="model"]').text()).toBe('');
    w.unmount();
  });

  it('announces invalid text when the field is left, passes it on for the form to refuse, and clears once fixed', async () => {
    const w = mountField();
    const input = w.get('[data-testid="due"]');
    // Typed (input events only): not announced while typing.
    (input.element as HTMLInputElement).value = '04/01/2026';
    await input.trigger('input');
    expect(input.attributes('aria-invalid')).toBeUndefined();
    await input.trigger('change');
    expect(input.attributes('aria-invalid')).toBe('true');
    const error = w.get('#due-date-error');
    expect(error.text()).toBe('日付は「2026-04-01」または「2026/4/1」の形で入力してください。');
    expect(error.attributes('aria-live')).toBe('polite');
    expect(w.get('[data-testid="model"]').text()).toBe('04/01/2026');

    await input.setValue('2026-02-30');
    await input.trigger('change');
    expect(error.text()).toBe('存在しない日付です。');

    // Fixed while typing: the message goes at once.
    (input.element as HTMLInputElement).value = '2026-02-28';
    await input.trigger('input');
    expect(error.text()).toBe('');
    expect(input.attributes('aria-invalid')).toBeUndefined();
    w.unmount();
  });

  it("shows the page's value and follows its changes (a reset)", async () => {
    const w = mountField('2026-01-05');
    const input = w.get('[data-testid="due"]').element as HTMLInputElement;
    expect(input.value).toBe('2026-01-05');
    (w.vm as unknown as { day: string }).day = '';
    await w.vm.$nextTick();
    expect(input.value).toBe('');
    w.unmount();
  });

  it('speaks English in English', async () => {
    const w = mountField('', 'en');
    const input = w.get('[data-testid="due"]');
    expect(input.attributes('placeholder')).toBe('e.g. 2026-04-01');
    await input.setValue('soon');
    await input.trigger('change');
    expect(w.get('#due-date-error').text()).toBe('Enter the date as 2026-04-01 or 2026/4/1.');
    w.unmount();
  });
});
