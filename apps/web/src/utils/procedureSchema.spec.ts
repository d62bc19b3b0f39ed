import { describe, expect, it } from 'vitest';
import { evaluateCondition, formFieldOf, isFieldRequired, sectionsOf } from '@/utils/procedureSchema';
import { SHAHO_SHUTOKU_SCHEMA } from '@/testing/applications';

describe(evaluateCondition.name, () => {
  it('evaluates equals, in and present on the form values', () => {
    expect(evaluateCondition({ field: 'gender', equals: '1' }, { gender: '1' })).toBe(true);
    expect(evaluateCondition({ field: 'gender', equals: '1' }, { gender: '2' })).toBe(false);
    expect(evaluateCondition({ field: 'gender', in: ['2', '3'] }, { gender: '3' })).toBe(true);
    expect(evaluateCondition({ field: 'myNumber', present: true }, { myNumber: '' })).toBe(false);
    expect(evaluateCondition({ field: 'myNumber', present: true }, { myNumber: null })).toBe(false);
    expect(evaluateCondition({ field: 'myNumber', present: false }, {})).toBe(true);
    expect(evaluateCondition({ field: 'over70', equals: false }, { over70: false })).toBe(true);
  });

  it('combines conditions with all, any and not', () => {
    const c = {
      all: [
        { not: { field: 'myNumber', present: true } },
        {
          any: [
            { field: 'gender', equals: '1' },
            { field: 'gender', equals: '2' },
          ],
        },
      ],
    };
    expect(evaluateCondition(c, { gender: '2' })).toBe(true);
    expect(evaluateCondition(c, { gender: '3' })).toBe(false);
    expect(evaluateCondition(c, { gender: '1', myNumber: '123456789018' })).toBe(false);
    expect(evaluateCondition({ all: [] }, {})).toBe(true);
    expect(evaluateCondition({ any: [] }, {})).toBe(false);
  });
});

describe(isFieldRequired.name, () => {
  it('marks listed fields and fields whose x-required-if holds', () => {
    expect(isFieldRequired(SHAHO_SHUTOKU_SCHEMA, 'nameKana', {})).toBe(true);
    expect(isFieldRequired(SHAHO_SHUTOKU_SCHEMA, 'nameKanji', {})).toBe(false);
    expect(isFieldRequired(SHAHO_SHUTOKU_SCHEMA, 'basicPensionNumber', {})).toBe(true);
    expect(isFieldRequired(SHAHO_SHUTOKU_SCHEMA, 'basicPensionNumber', { myNumber: '123456789018' })).toBe(false);
    expect(isFieldRequired(SHAHO_SHUTOKU_SCHEMA, 'address', { gender: '1' })).toBe(true);
    expect(isFieldRequired(SHAHO_SHUTOKU_SCHEMA, 'address', { gender: '1', myNumber: '123456789018' })).toBe(false);
    expect(isFieldRequired(SHAHO_SHUTOKU_SCHEMA, 'unknown', {})).toBe(false);
  });
});

describe(sectionsOf.name, () => {
  it('keeps the order of x-sections and sorts fields by x-order', () => {
    const sections = sectionsOf(SHAHO_SHUTOKU_SCHEMA);
    expect(sections.map((s) => s.id)).toEqual(['insured', 'acquisition', 'address']);
    expect(sections[0]?.fields.map((f) => f.name)).toEqual([
      'nameKana',
      'nameKanji',
      'birthDate',
      'gender',
      'myNumber',
      'basicPensionNumber',
    ]);
    expect(sections[2]?.fields.map((f) => f.name)).toEqual(['postalCode', 'address']);
  });

  it('keeps a field of an unknown section reachable at the end', () => {
    const sections = sectionsOf({
      'x-sections': [{ id: 'a', title: 'A', titleEn: 'A' }],
      properties: {
        x: { type: 'string', title: 'X', 'x-section': 'a', 'x-order': 1 },
        y: { type: 'string', title: 'Y', 'x-section': 'nowhere', 'x-order': 1 },
      },
    });
    expect(sections.map((s) => [s.id, s.fields.map((f) => f.name)])).toEqual([
      ['a', ['x']],
      ['other', ['y']],
    ]);
  });
});

describe(formFieldOf.name, () => {
  it('strips the form. prefix of PATCH errors', () => {
    expect(formFieldOf('form.birthDate')).toBe('birthDate');
    expect(formFieldOf('birthDate')).toBe('birthDate');
    expect(formFieldOf('title')).toBe('title');
  });
});
