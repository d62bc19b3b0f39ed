import { fieldMap } from './definition';
import { ProcedureRegistry } from './registry';
import { inputKindOf, normalizeTypedForm, normalizeTypedText, TypedInputKind } from './typed-input';
import VECTORS from './vectors/typed-input.json';
import { validateForm } from './validate';

describe('normalizeTypedText', () => {
  it.each(VECTORS.vectors.map((v) => [v.why, v] as const))('%s', (_why, v) => {
    expect(normalizeTypedText(v.kind as TypedInputKind, v.input)).toEqual(v.output);
  });

  it('knows each field kind from its type and format', () => {
    expect(inputKindOf('integer')).toBe('integer');
    expect(inputKindOf('string', 'my-number')).toBe('number-text');
    expect(inputKindOf('string', 'katakana')).toBe('kana');
    expect(inputKindOf('string', 'kanji-name')).toBe('name');
    expect(inputKindOf('string')).toBe('text');
  });
});

describe('normalizeTypedForm', () => {
  const def = ProcedureRegistry.load().get('shaho-shutoku')!;

  it('turns what a Japanese user types into a form that passes its format checks', () => {
    const sut = normalizeTypedForm(fieldMap(def), {
      remunerationCash: '２５０，０００',
      familyNameKana: 'ﾔﾏﾀﾞ ',
      unknownKey: ' x ',
    });
    expect(sut).toEqual({ remunerationCash: 250000, familyNameKana: 'ヤマダ', unknownKey: ' x ' });
    const errors = validateForm(def, sut, 'draft').filter((e) => e.field !== 'unknownKey');
    expect(errors).toEqual([]);
  });

  it('turns hiragana typed into a カナ field into katakana, and leaves the 漢字 name alone', () => {
    const sut = normalizeTypedForm(fieldMap(def), { familyNameKana: 'やまだ', givenNameKana: 'たろう ', givenName: 'さくら' });
    expect(sut).toEqual({ familyNameKana: 'ヤマダ', givenNameKana: 'タロウ', givenName: 'さくら' });
    const errors = validateForm(def, sut, 'draft').filter((e) => e.field !== 'unknownKey');
    expect(errors).toEqual([]);
  });
});
