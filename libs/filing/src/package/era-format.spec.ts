import { ERA_CODES } from '@charlotte/procedures';
import { EMPLOYMENT_ERA_CODES, EMPLOYMENT_ERA_CODES_VERIFIED, PENSION_ERA_CODES, toGovEraDate } from './era-format';

describe(toGovEraDate.name, () => {
  it('writes 1990-04-01 (平成2年4月1日) as 7020401 on pension forms', () => {
    expect(toGovEraDate('1990-04-01')).toEqual({ value: '7020401', era: '平成', eraCode: 7, iso: '1990-04-01' });
    expect(toGovEraDate('1990-04-01', 'pension').value).toBe('7020401');
  });

  it.each([
    ['1868-10-23', '1011023'],
    ['1912-07-29', '1450729'],
    ['1912-07-30', '3010730'],
    ['1926-12-24', '3151224'],
    ['1926-12-25', '5011225'],
    ['1989-01-07', '5640107'],
    ['1989-01-08', '7010108'],
    ['2019-04-30', '7310430'],
    ['2019-05-01', '9010501'],
    ['2025-12-31', '9071231'],
  ])('writes %s as %s (pension codes, era boundaries)', (iso, expected) => {
    expect(toGovEraDate(iso, 'pension').value).toBe(expected);
  });

  it('uses the codes of domain.md for pension forms, the same as toEra', () => {
    expect(PENSION_ERA_CODES).toEqual({ 明治: 1, 大正: 3, 昭和: 5, 平成: 7, 令和: 9 });
    for (const e of ERA_CODES) expect(PENSION_ERA_CODES[e.era]).toBe(e.eraCode);
  });

  it('uses the (unverified) 雇用保険 codes for employment forms, mapped by era name', () => {
    expect(EMPLOYMENT_ERA_CODES_VERIFIED).toBe(false);
    expect(EMPLOYMENT_ERA_CODES).toEqual({ 大正: 2, 昭和: 3, 平成: 4, 令和: 5 });
    expect(toGovEraDate('2002-10-01', 'employment')).toEqual({ value: '4141001', era: '平成', eraCode: 4, iso: '2002-10-01' });
    expect(toGovEraDate('1960-05-10', 'employment').value).toBe('3350510');
    expect(toGovEraDate('2025-04-01', 'employment').value).toBe('5070401');
    expect(toGovEraDate('1920-01-01', 'employment').value).toBe('2090101');
  });

  it('refuses a 明治 date with employment codes rather than guessing a code', () => {
    expect(() => toGovEraDate('1900-01-01', 'employment')).toThrow(RangeError);
    expect(toGovEraDate('1900-01-01', 'pension').value).toBe('1330101');
  });

  it.each(['2025-02-30', '1990/04/01', '19900401', '1850-01-01', ''])('refuses %j', (iso) => {
    expect(() => toGovEraDate(iso)).toThrow(RangeError);
  });
});
