import { keepMaskedSensitive, maskSensitive, maskValue } from './mask';
import { ProcedureRegistry } from './registry';

const registry = ProcedureRegistry.load();

describe(maskSensitive.name, () => {
  const def = registry.get('shaho-shutoku')!;
  const form = { familyName: '山田', myNumber: '123456789018', basicPensionNumber: '1234-567890', remunerationCash: 300000 };

  it('masks the 個人番号 to its last four digits', () => {
    expect(maskSensitive(def, form).myNumber).toBe('********9018');
  });

  it('leaves the other fields as they are and does not touch the original', () => {
    const sut = maskSensitive(def, form);
    expect(sut).toEqual({ ...form, myNumber: '********9018' });
    expect(form.myNumber).toBe('123456789018');
  });

  it('masks in every procedure that has a 個人番号', () => {
    for (const d of registry.list()) {
      expect([d.code, maskSensitive(d, { myNumber: '123456789018' }).myNumber]).toEqual([d.code, '********9018']);
    }
  });

  it('keeps absent values visible as absent', () => {
    expect(maskSensitive(def, { myNumber: null })).toEqual({ myNumber: null });
    expect(maskSensitive(def, { myNumber: '' })).toEqual({ myNumber: '' });
    expect(maskSensitive(def, {})).toEqual({});
  });

  it('masks a malformed value too (it may still be a real number)', () => {
    expect(maskSensitive(def, { myNumber: '1234 5678 9018' }).myNumber).toBe('**********9018');
    expect(maskSensitive(def, { myNumber: 123456789018 }).myNumber).toBe('****');
  });
});

describe(maskValue.name, () => {
  it('hides a short value entirely', () => {
    expect(maskValue('1234')).toBe('****');
    expect(maskValue('12')).toBe('**');
  });
});

describe(keepMaskedSensitive.name, () => {
  const def = registry.get('shaho-shutoku')!;
  const stored = { familyName: '山田', myNumber: '123456789018' };

  it('takes the stored 個人番号 back for its untouched mask', () => {
    expect(keepMaskedSensitive(def, { familyName: '佐藤', myNumber: '********9018' }, stored)).toEqual({
      familyName: '佐藤',
      myNumber: '123456789018',
    });
  });

  it('takes a newly typed number, a changed mask, or a removal as sent', () => {
    expect(keepMaskedSensitive(def, { myNumber: '987654321098' }, stored).myNumber).toBe('987654321098');
    expect(keepMaskedSensitive(def, { myNumber: '*******9018' }, stored).myNumber).toBe('*******9018');
    expect(keepMaskedSensitive(def, {}, stored)).toEqual({});
  });

  it('never restores a field that is not sensitive or had no stored value', () => {
    expect(keepMaskedSensitive(def, { familyName: '**' }, { familyName: '山田' }).familyName).toBe('**');
    expect(keepMaskedSensitive(def, { myNumber: '****' }, {}).myNumber).toBe('****');
  });
});
