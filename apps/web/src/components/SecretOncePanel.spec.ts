import { afterEach, describe, expect, it, vi } from 'vitest';
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils';
import { createAppI18n } from '@/i18n';
import SecretOncePanel from '@/components/SecretOncePanel.vue';

let wrapper: VueWrapper | null = null;

function mountPanel(secret = 'whsec_first_secret_value') {
  wrapper = mount(SecretOncePanel, {
    props: { idBase: 'thing-created', title: '発行しました', warning: '一度だけ表示されます。', label: '署名用シークレット', secret },
    slots: { default: '<p class="hint" data-testid="extra">使い方</p>' },
    global: { plugins: [createAppI18n('ja')] },
    attachTo: document.body,
  });
  return wrapper;
}

function stubClipboard(writeText: (text: string) => Promise<void>) {
  Object.defineProperty(navigator, 'clipboard', { value: { writeText: vi.fn(writeText) }, configurable: true });
  return navigator.clipboard.writeText as ReturnType<typeof vi.fn>;
}

describe('SecretOncePanel', () => {
  afterEach(() => {
    wrapper?.unmount();
    wrapper = null;
  });

  it('shows the warning, the value labelled for screen readers and the slot, and focuses its heading', async () => {
    const w = mountPanel();
    await flushPromises();
    expect(w.get('[data-testid="thing-created"]').attributes('aria-labelledby')).toBe('thing-created-title');
    expect(w.get('h2').text()).toBe('発行しました');
    expect(document.activeElement).toBe(w.get('h2').element);
    expect(w.get('.alert-warning').text()).toBe('一度だけ表示されます。');
    const value = w.get('[data-testid="thing-created-value"]');
    expect(value.text()).toBe('whsec_first_secret_value');
    expect(value.attributes('aria-labelledby')).toBe('thing-created-label');
    expect(w.get('#thing-created-label').text()).toBe('署名用シークレット');
    expect(w.get('[data-testid="extra"]').text()).toBe('使い方');
    expect(w.get('[data-testid="thing-created-copy"]').text()).toBe('コピー');
    expect(w.get('[data-testid="thing-created-copy"]').classes()).toContain('button-primary');
    expect(w.get('[data-testid="thing-created-close"]').text()).toBe('閉じる');
  });

  it('copies the value and says so', async () => {
    const writeText = stubClipboard(() => Promise.resolve());
    const w = mountPanel();
    await w.get('[data-testid="thing-created-copy"]').trigger('click');
    await flushPromises();
    expect(writeText).toHaveBeenCalledWith('whsec_first_secret_value');
    expect(w.get('[data-testid="thing-created-copy-status"]').text()).toBe('クリップボードにコピーしました。');
  });

  it('selects the value for a manual copy when the clipboard refuses, and forgets the state for a new secret', async () => {
    stubClipboard(() => Promise.reject(new Error('denied')));
    const w = mountPanel();
    await w.get('[data-testid="thing-created-copy"]').trigger('click');
    await flushPromises();
    expect(w.get('[data-testid="thing-created-copy-status"]').text()).toBe(
      'コピーできませんでした。選択された文字列を手動でコピーしてください。',
    );
    expect(window.getSelection()?.toString()).toBe('whsec_first_secret_value');

    (document.activeElement as HTMLElement | null)?.blur();
    await w.setProps({ secret: 'whsec_second_secret_value' });
    await flushPromises();
    expect(w.get('[data-testid="thing-created-copy-status"]').text()).toBe('');
    expect(w.get('[data-testid="thing-created-value"]').text()).toBe('whsec_second_secret_value');
    expect(document.activeElement).toBe(w.get('h2').element);
  });

  it('asks its page to close it', async () => {
    const w = mountPanel();
    await w.get('[data-testid="thing-created-close"]').trigger('click');
    expect(w.emitted('close')).toHaveLength(1);
  });
});
