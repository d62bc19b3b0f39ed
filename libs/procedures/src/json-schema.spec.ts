import { listFields } from './definition';
import { checkFormat } from './formats';
import { toJsonSchema } from './json-schema';
import { ProcedureRegistry } from './registry';

const registry = ProcedureRegistry.load();

describe(toJsonSchema.name, () => {
  describe.each(registry.list().map((d) => [d.code, d] as const))('%s', (_code, def) => {
    const sut = toJsonSchema(def);

    it('is a draft 2020-12 object schema with one property per field, in form order', () => {
      expect(sut.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
      expect(sut.type).toBe('object');
      expect(sut.additionalProperties).toBe(false);
      expect(sut.title).toBe(def.name);
      const names = listFields(def).map((f) => f.name);
      expect(Object.keys(sut.properties)).toEqual(names);
      expect(names.map((n) => sut.properties[n]['x-order'])).toEqual(names.map((_n, i) => i + 1));
    });

    it('gives every property a JSON type, a Japanese title and a description', () => {
      for (const field of listFields(def)) {
        const p = sut.properties[field.name];
        expect(p.title).toBe(field.label);
        expect(p.title).toMatch(/[ぁ-んァ-ヶ一-龠]/u);
        expect(p.description).toBe(field.help);
        expect(p.type).toBe({ string: 'string', date: 'string', code: 'string', integer: 'integer', boolean: 'boolean' }[field.type]);
        expect(p['x-field-type']).toBe(field.type);
        if (field.type === 'date') expect(p.format).toBe('date');
        if (field.codes) {
          expect(p.enum).toEqual(field.codes.map((c) => c.value));
          expect(p['x-codes']).toEqual(field.codes);
        }
      }
    });

    it('lists the required fields and the sections', () => {
      expect(sut.required).toEqual(
        listFields(def)
          .filter((f) => f.required)
          .map((f) => f.name),
      );
      expect(sut['x-sections'].map((s) => s.id)).toEqual(def.sections.map((s) => s.id));
      expect(sut['x-sections'].flatMap((s) => s.fields)).toEqual(Object.keys(sut.properties));
      for (const [name, p] of Object.entries(sut.properties)) {
        expect(sut['x-sections'].find((s) => s.id === p['x-section'])?.fields).toContain(name);
      }
    });

    it('publishes the rules and conditions but not the maintainer notes', () => {
      expect(sut['x-rules']).toEqual(def.rules);
      const text = JSON.stringify(sut);
      expect(text).not.toContain('"unsure"');
      expect(text).not.toContain('"notes"');
      expect(JSON.parse(text)).toEqual(sut);
    });
  });

  it('marks era dates, the sensitive 個人番号 and the conditional 住所', () => {
    const sut = toJsonSchema(registry.get('shaho-shutoku')!);
    expect(sut.properties.birthDate['x-era-date']).toBe(true);
    expect(sut.properties.myNumber['x-sensitive']).toBe(true);
    expect(sut.properties.familyName['x-sensitive']).toBeUndefined();
    expect(sut.properties.address['x-required-if']).toEqual({ field: 'myNumber', present: false });
    expect(sut.required).not.toContain('address');
    expect(sut.properties.myNumber['x-format']).toBe('my-number');
    expect(sut.properties.familyNameKana.maxLength).toBe(25);
    expect(sut.properties.remunerationCash.minimum).toBe(0);
    expect(sut['x-rules'].map((r) => r.kind)).toEqual(['oneOf', 'sum', 'dateOrder', 'dateHorizon', 'dateHorizon', 'ageRange']);
  });

  it('serves patterns that agree with the server check on typical values', () => {
    const props = toJsonSchema(registry.get('shaho-shutoku')!).properties;
    const samples: [string, string][] = [
      ['familyNameKana', 'ヤマダ'],
      ['familyNameKana', 'やまだ'],
      ['familyName', '山田'],
      ['familyName', 'Yamada'],
      ['basicPensionNumber', '1234-567890'],
      ['basicPensionNumber', '123-456789'],
      ['postalCode', '1000001'],
      ['postalCode', '100-001'],
      ['insuredSerialNumber', '12'],
      ['insuredSerialNumber', '1a'],
    ];
    for (const [name, value] of samples) {
      const p = props[name];
      const byPattern = new RegExp(p.pattern!, 'u').test(value);
      expect([name, value, byPattern]).toEqual([name, value, checkFormat(p['x-format']!, value) === null]);
    }
  });

  it('does not share objects with the frozen definition', () => {
    const def = registry.get('shaho-shutoku')!;
    const sut = toJsonSchema(def);
    expect(Object.isFrozen(sut['x-rules'][0])).toBe(false);
    expect(sut['x-rules'][0]).not.toBe(def.rules[0]);
  });
});
