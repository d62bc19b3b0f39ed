import { normaliseOfficeId } from './office-identifiers';

describe('normaliseOfficeId', () => {
  it('reads numbers as people type them (全角, dashes, spaces) with the procedure forms’ normalisation', () => {
    expect(normaliseOfficeId('employmentOfficeNumber', '１３０１－１２３４５６－７')).toBe('13011234567');
    expect(normaliseOfficeId('laborInsuranceNumber', ' 13ー1ー01ー123456ー000 ')).toBe('13101123456000');
    expect(normaliseOfficeId('pensionOfficeNumber', '１２３４５')).toBe('12345');
    expect(normaliseOfficeId('pensionOfficeCode', '01-イロハ')).toBe('01-イロハ');
  });

  it('refuses what is not a number of its format', () => {
    expect(normaliseOfficeId('employmentOfficeNumber', 'abc')).toBeUndefined();
    expect(normaliseOfficeId('laborInsuranceNumber', '123')).toBeUndefined();
  });
});
