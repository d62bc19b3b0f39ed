import { describe, expect, it } from 'vitest';
import { displayOfficeId, formatOfficeId } from './officeIdentifiers';

describe('formatOfficeId', () => {
  it('writes 雇用保険事業所番号 as 4-6-1', () => {
    expect(formatOfficeId('employmentOfficeNumber', '12345678901')).toBe('1234-567890-1');
  });

  it('writes 労働保険番号 as 2-1-2-6-3', () => {
    expect(formatOfficeId('laborInsuranceNumber', '13101123456000')).toBe('13-1-01-123456-000');
  });

  it.each([
    ['employmentOfficeNumber', '1234567890'],
    ['employmentOfficeNumber', '1234-567890-1'],
    ['laborInsuranceNumber', '1310112345600'],
    ['laborInsuranceNumber', '１３１０１１２３４５６０００'],
    ['laborInsuranceNumber', ''],
  ] as const)('shows %s %j of another shape as it is', (field, value) => {
    expect(formatOfficeId(field, value)).toBe(value);
  });

  it('leaves the other office fields alone', () => {
    expect(displayOfficeId('pensionOfficeNumber', '12345')).toBe('12345');
    expect(displayOfficeId('pensionOfficeCode', '01-イロハ')).toBe('01-イロハ');
  });
});
