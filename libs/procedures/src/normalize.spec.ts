import { normalizeForm } from './normalize';
import { ProcedureRegistry } from './registry';
import { validateForm } from './validate';

const registry = ProcedureRegistry.load();

describe(normalizeForm.name, () => {
  const shutoku = registry.get('shaho-shutoku')!;

  it('stores 基礎年金番号 and 郵便番号 as digits only', () => {
    expect(normalizeForm(shutoku, { basicPensionNumber: '1234-567890', postalCode: '100-0001', address: '東京都千代田区1-2-3' })).toEqual({
      basicPensionNumber: '1234567890',
      postalCode: '1000001',
      address: '東京都千代田区1-2-3',
    });
  });

  it('stores 被保険者番号 as digits only', () => {
    expect(normalizeForm(registry.get('koyo-shutoku')!, { insuredNumber: '1234-567890-1' })).toEqual({ insuredNumber: '12345678901' });
  });

  it('leaves a malformed value as typed, so the error quotes it', () => {
    expect(normalizeForm(shutoku, { basicPensionNumber: '123-456789' })).toEqual({ basicPensionNumber: '123-456789' });
  });

  it('drops cleared fields and keeps unknown keys for validation to refuse', () => {
    const form = JSON.parse('{"familyName": null, "givenName": "", "__proto__": 1}') as Record<string, unknown>;
    const sut = normalizeForm(shutoku, form);
    expect(Object.keys(sut)).toEqual(['__proto__']);
    expect(validateForm(shutoku, sut, 'draft').map((e) => e.code)).toEqual(['unknown_field']);
  });

  it('keeps a normalised form valid', () => {
    const form = { myNumber: '123456789018', postalCode: '100-0001' };
    expect(validateForm(shutoku, normalizeForm(shutoku, form), 'draft')).toEqual([]);
  });
});
