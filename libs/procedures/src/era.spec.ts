import { fromEra, toEra } from './era';

describe(toEra.name, () => {
  it.each([
    ['1868-10-23', '明治', 1, 1, '明治元年10月23日'],
    ['1912-07-29', '明治', 1, 45, '明治45年7月29日'],
    ['1912-07-30', '大正', 3, 1, '大正元年7月30日'],
    ['1926-12-24', '大正', 3, 15, '大正15年12月24日'],
    ['1926-12-25', '昭和', 5, 1, '昭和元年12月25日'],
    ['1989-01-07', '昭和', 5, 64, '昭和64年1月7日'],
    ['1989-01-08', '平成', 7, 1, '平成元年1月8日'],
    ['2019-04-30', '平成', 7, 31, '平成31年4月30日'],
    ['2019-05-01', '令和', 9, 1, '令和元年5月1日'],
    ['2020-01-01', '令和', 9, 2, '令和2年1月1日'],
    ['2025-04-01', '令和', 9, 7, '令和7年4月1日'],
  ])('converts %s to %s (code %d) year %d: %s', (iso, era, eraCode, year, text) => {
    const sut = toEra(iso);
    expect(sut).toMatchObject({ era, eraCode, year, text });
    expect(`${sut.month}-${sut.day}`).toBe(`${Number(iso.slice(5, 7))}-${Number(iso.slice(8, 10))}`);
  });

  it('names the era in English too', () => {
    expect(toEra('2019-05-01').eraEn).toBe('Reiwa');
    expect(toEra('2019-04-30').eraEn).toBe('Heisei');
  });

  it.each(['1868-10-22', '1800-01-01'])('refuses %s (before 明治)', (iso) => {
    expect(() => toEra(iso)).toThrow(RangeError);
  });

  it.each(['2025-02-30', '2025-4-1', '20250401', ''])('refuses the malformed date %j', (iso) => {
    expect(() => toEra(iso)).toThrow(RangeError);
  });
});

describe(fromEra.name, () => {
  it.each([
    [5, 64, 1, 7, '1989-01-07'],
    [7, 1, 1, 8, '1989-01-08'],
    [7, 31, 4, 30, '2019-04-30'],
    [9, 1, 5, 1, '2019-05-01'],
    [9, 7, 4, 1, '2025-04-01'],
    [3, 1, 7, 30, '1912-07-30'],
    [1, 1, 10, 23, '1868-10-23'],
    [7, 8, 2, 29, '1996-02-29'],
  ])('converts era %d year %d %d/%d to %s', (code, y, m, d, iso) => {
    expect(fromEra(code, y, m, d)).toBe(iso);
  });

  it.each([
    ['平成31年5月1日 (令和 had begun)', 7, 31, 5, 1],
    ['昭和64年1月8日 (平成 had begun)', 5, 64, 1, 8],
    ['令和元年4月30日 (still 平成)', 9, 1, 4, 30],
    ['明治元年10月22日 (before our 明治 start)', 1, 1, 10, 22],
    ['an unknown era code', 2, 1, 1, 1],
    ['year 0', 9, 0, 5, 1],
    ['令和7年2月29日 (2025 is not a leap year)', 9, 7, 2, 29],
    ['month 13', 9, 7, 13, 1],
  ])('refuses %s', (_what, code, y, m, d) => {
    expect(() => fromEra(code, y, m, d)).toThrow(RangeError);
  });

  it('round-trips with toEra every day across the 平成/令和 change', () => {
    for (const iso of ['2019-04-29', '2019-04-30', '2019-05-01', '2019-05-02']) {
      const e = toEra(iso);
      expect(fromEra(e.eraCode, e.year, e.month, e.day)).toBe(iso);
    }
  });
});
