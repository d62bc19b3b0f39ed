import { describe, expect, it } from 'vitest';
import { parseDateText } from '@/utils/dateText';

describe('parseDateText', () => {
  it.each([
    ['2026-04-01', '2026-04-01'],
    ['2026/4/1', '2026-04-01'],
    ['2026.04.01', '2026-04-01'],
    ['２０２６／０４／０１', '2026-04-01'],
    ['２０２６ー０４ー０１', '2026-04-01'],
    ['2026年4月1日', '2026-04-01'],
    ['  2024-02-29 ', '2024-02-29'],
  ])('reads %s as %s', (text, iso) => {
    expect(parseDateText(text)).toEqual({ kind: 'day', iso });
  });

  it('says empty for nothing typed', () => {
    expect(parseDateText('  ')).toEqual({ kind: 'empty' });
  });

  it('refuses text that is not a date, and a day that does not exist', () => {
    expect(parseDateText('04/01/2026')).toEqual({ kind: 'invalid', text: '04/01/2026', reason: 'format' });
    expect(parseDateText('来週')).toMatchObject({ kind: 'invalid', reason: 'format' });
    expect(parseDateText('2026-02-30')).toEqual({ kind: 'invalid', text: '2026-02-30', reason: 'nonexistent' });
    expect(parseDateText('2025/2/29')).toMatchObject({ kind: 'invalid', reason: 'nonexistent' });
  });
});
