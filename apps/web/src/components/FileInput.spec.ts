import { describe, expect, it, vi } from 'vitest';
import { mount } from '@vue/test-utils';
import { defineComponent } from 'vue';
import { createAppI18n } from '@/i18n';
import FileInput from '@/components/FileInput.vue';

function mountField(onChange = vi.fn(), props: Record<string, unknown> = {}) {
  const Page = defineComponent({
    components: { FileInput },
    setup: () => ({ onChange, props }),
    template: `<div class="field">
      <label for="doc">添付するファイル</label>
      <FileInput id="doc" ref="file" data-testid="doc" accept=".pdf" aria-describedby="doc-hint" v-bind="props" @change="onChange" />
      <p id="doc-hint">PDF</p>
    </div>`,
  });
  return mount(Page, { global: { plugins: [createAppI18n('ja')] }, attachTo: document.body });
}

function choose(input: HTMLInputElement, names: string[]): void {
  const files = names.map((n) => new File(['x'], n, { type: 'application/pdf' }));
  Object.defineProperty(input, 'files', { value: files, configurable: true });
  input.dispatchEvent(new Event('change'));
}

describe('FileInput', () => {
  it('shows a Japanese button and 「選択されていません」, the native input kept for the page label and tests', () => {
    const w = mountField();
    const input = w.get('[data-testid="doc"]');
    expect(input.element.tagName).toBe('INPUT');
    expect(input.attributes('type')).toBe('file');
    expect(input.attributes('accept')).toBe('.pdf');
    expect(input.classes()).toContain('visually-hidden');
    // Both labels name the same input: the page's and the one drawn as the button.
    expect(w.findAll('label[for="doc"]').map((l) => l.text())).toEqual(['添付するファイル', 'ファイルを選択']);
    expect(w.get('label.file-input-button').classes()).toContain('button');
    expect(w.get('[data-testid="doc-chosen"]').text()).toBe('選択されていません');
    expect(input.attributes('aria-describedby')).toBe('doc-hint doc-chosen');
    w.unmount();
  });

  it('shows the chosen file names and hands the change event to the page', async () => {
    const onChange = vi.fn();
    const w = mountField(onChange);
    const input = w.get('[data-testid="doc"]').element as HTMLInputElement;
    choose(input, ['雇用契約書.pdf']);
    await w.vm.$nextTick();
    expect(w.get('[data-testid="doc-chosen"]').text()).toBe('雇用契約書.pdf');
    expect(onChange).toHaveBeenCalledTimes(1);
    expect((onChange.mock.calls[0]![0] as Event).target).toBe(input);
    choose(input, ['a.pdf', 'b.pdf']);
    await w.vm.$nextTick();
    expect(w.get('[data-testid="doc-chosen"]').text()).toBe('a.pdf、b.pdf');

    (w.vm.$refs.file as { clear(): void }).clear();
    await w.vm.$nextTick();
    expect(w.get('[data-testid="doc-chosen"]').text()).toBe('選択されていません');
    w.unmount();
  });

  it('is reachable by keyboard: the native input takes the focus and is not removed from the tab order', () => {
    const w = mountField();
    const input = w.get('[data-testid="doc"]').element as HTMLInputElement;
    expect(input.hasAttribute('tabindex')).toBe(false);
    expect(input.hidden).toBe(false);
    input.focus();
    expect(document.activeElement).toBe(input);
    w.unmount();
  });

  it('passes disabled to the native input and shows it on the button', () => {
    const w = mountField(vi.fn(), { disabled: true });
    expect((w.get('[data-testid="doc"]').element as HTMLInputElement).disabled).toBe(true);
    expect(w.get('.file-input').classes()).toContain('file-input-disabled');
    w.unmount();
  });
});
