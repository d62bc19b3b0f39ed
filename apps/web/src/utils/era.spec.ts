import { describe, expect, it } from 'vitest';
import { mount } from '@vue/test-utils';
import { defineComponent, h } from 'vue';
import { parseIsoDay, toEraDate } from '@/utils/era';
import { useEraDate, type EraDisplay } from '@/composables/useEraDate';
import { createAppI18n } from '@/i18n';

describe(toEraDate.name, () => {
  it('changes era on the first day of each era', () => {
    expect(toEraDate('2019-05-01')).toEqual({ era: 'reiwa', year: 1, month: 5, day: 1 });
    expect(toEraDate('2019-04-30')).toEqual({ era: 'heisei', year: 31, month: 4, day: 30 });
    expect(toEraDate('1989-01-08')).toEqual({ era: 'heisei', year: 1, month: 1, day: 8 });
    expect(toEraDate('1989-01-07')).toEqual({ era: 'showa', year: 64, month: 1, day: 7 });
    expect(toEraDate('1926-12-25')).toEqual({ era: 'showa', year: 1, month: 12, day: 25 });
    expect(toEraDate('1926-12-24')).toEqual({ era: 'taisho', year: 15, month: 12, day: 24 });
    expect(toEraDate('1912-07-30')).toEqual({ era: 'taisho', year: 1, month: 7, day: 30 });
    expect(toEraDate('1912-07-29')).toEqual({ era: 'meiji', year: 45, month: 7, day: 29 });
    expect(toEraDate('1868-10-23')).toEqual({ era: 'meiji', year: 1, month: 10, day: 23 });
    expect(toEraDate('2025-04-01')).toEqual({ era: 'reiwa', year: 7, month: 4, day: 1 });
  });

  it('answers null before Meiji and for what is not a calendar day', () => {
    expect(toEraDate('1868-10-22')).toBeNull();
    expect(toEraDate('2019-02-29')).toBeNull();
    expect(toEraDate('2019-5-1')).toBeNull();
    expect(toEraDate('')).toBeNull();
    expect(parseIsoDay('2024-02-29')).toEqual({ year: 2024, month: 2, day: 29 });
    expect(parseIsoDay(20240229)).toBeNull();
  });
});

describe('useEraDate', () => {
  function formatWith(locale: 'ja' | 'en', iso: string) {
    const out: { result: EraDisplay | null } = { result: null };
    const Probe = defineComponent({
      setup() {
        out.result = useEraDate().formatEraDate(iso);
        return () => h('span');
      },
    });
    mount(Probe, { global: { plugins: [createAppI18n(locale)] } });
    return out.result;
  }

  it('writes 元年 for the first year of an era, and the Gregorian date beside it', () => {
    expect(formatWith('ja', '2019-05-01')).toEqual({ era: '令和元年5月1日', western: '2019年5月1日' });
    expect(formatWith('ja', '2019-04-30')).toEqual({ era: '平成31年4月30日', western: '2019年4月30日' });
    expect(formatWith('ja', '2025-04-01')?.era).toBe('令和7年4月1日');
    expect(formatWith('ja', '1989-01-07')?.era).toBe('昭和64年1月7日');
    expect(formatWith('ja', '1926-12-25')?.era).toBe('昭和元年12月25日');
  });

  it('speaks English too, and has no era form before Meiji', () => {
    expect(formatWith('en', '2019-05-01')).toEqual({ era: 'May 1, Reiwa 1', western: 'May 1, 2019' });
    expect(formatWith('ja', '1868-01-01')).toEqual({ era: null, western: '1868年1月1日' });
    expect(formatWith('ja', 'not a day')).toBeNull();
  });
});
