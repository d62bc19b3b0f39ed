import { beforeEach, describe, expect, it } from 'vitest';
import { mount } from '@vue/test-utils';
import { createPinia } from 'pinia';
import ja from '@/i18n/ja';
import en from '@/i18n/en';
import { LOCALE_STORAGE_KEY, createAppI18n, readStoredLocale } from '@/i18n';
import LocaleSwitcher from '@/components/LocaleSwitcher.vue';

function keys(value: unknown, prefix = ''): string[] {
  if (typeof value !== 'object' || value === null) return [prefix];
  return Object.entries(value).flatMap(([k, v]) => keys(v, prefix ? `${prefix}.${k}` : k));
}

describe('i18n', () => {
  beforeEach(() => localStorage.clear());

  it('has the same keys in Japanese and English', () => {
    expect(keys(en).sort()).toEqual(keys(ja).sort());
  });

  it('defaults to Japanese and remembers the choice made in the switcher', async () => {
    expect(readStoredLocale()).toBe('ja');
    const i18n = createAppI18n();
    const wrapper = mount(LocaleSwitcher, { global: { plugins: [createPinia(), i18n] } });
    expect(wrapper.get('label').text()).toBe('表示言語');

    await wrapper.get('select').setValue('en');

    expect(i18n.global.locale.value).toBe('en');
    expect(localStorage.getItem(LOCALE_STORAGE_KEY)).toBe('en');
    expect(document.documentElement.lang).toBe('en');
    expect(wrapper.get('label').text()).toBe('Language');
    expect(readStoredLocale()).toBe('en');
  });

  it('ignores an unknown stored locale', () => {
    localStorage.setItem(LOCALE_STORAGE_KEY, 'fr');
    expect(readStoredLocale()).toBe('ja');
  });
});
