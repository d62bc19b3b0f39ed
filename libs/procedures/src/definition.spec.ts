import { listFields, parseDefinition, ProcedureDefinitionError } from './definition';
import { ProcedureRegistry } from './registry';

// The tests break definitions on purpose: they need to write anything anywhere.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = Record<string, any>;

/** A small valid definition; each test breaks one thing in a copy. */
const base = (): Loose => ({
  code: 'test-form',
  version: 1,
  name: 'テスト届',
  nameEn: 'Test form',
  dueRule: '事実発生から5日以内',
  dueRuleEn: 'Within 5 days',
  sections: [
    {
      id: 'main',
      title: '本体',
      titleEn: 'Main',
      fields: [
        {
          name: 'kind',
          label: '区分',
          labelEn: 'Kind',
          help: '区分です。',
          type: 'code',
          required: true,
          codes: [{ value: '1', label: '一', labelEn: 'One' }],
        },
        { name: 'start', label: '開始日', labelEn: 'Start', help: '開始日です。', type: 'date' },
        { name: 'end', label: '終了日', labelEn: 'End', help: '終了日です。', type: 'date', requiredIf: { field: 'kind', equals: '1' } },
        { name: 'a', label: 'A', labelEn: 'A', help: 'A', type: 'integer' },
        { name: 'b', label: 'B', labelEn: 'B', help: 'B', type: 'integer' },
        { name: 'memo', label: 'メモ', labelEn: 'Memo', help: 'メモ', type: 'string', maxLength: 10 },
      ],
    },
  ],
  rules: [
    { kind: 'dateOffset', field: 'end', from: 'start', days: 1, message: '翌日', messageEn: 'Next day' },
    { kind: 'sum', field: 'b', of: ['a'], message: '合計', messageEn: 'Sum' },
  ],
});
const field = (d: Loose, name: string): Loose => d.sections[0].fields.find((f: { name: string }) => f.name === name);

describe(parseDefinition.name, () => {
  it('parses a valid definition', () => {
    const sut = parseDefinition(base());
    expect(listFields(sut).map((f) => f.name)).toEqual(['kind', 'start', 'end', 'a', 'b', 'memo']);
    expect(sut.rules).toHaveLength(2);
  });

  it('parses the plausibility rules (dateOrder, dateHorizon, ageRange)', () => {
    const d = base();
    d.rules.push(
      { kind: 'dateOrder', field: 'start', before: 'end', allowEqual: true, message: '順', messageEn: 'Order' },
      { kind: 'dateHorizon', field: 'start', maxDaysAhead: 365, message: '先', messageEn: 'Ahead' },
      { kind: 'ageRange', field: 'end', birth: 'start', min: 15, message: '年齢', messageEn: 'Age' },
    );
    expect(parseDefinition(d).rules.slice(2)).toEqual([
      { kind: 'dateOrder', field: 'start', before: 'end', allowEqual: true, message: '順', messageEn: 'Order' },
      { kind: 'dateHorizon', field: 'start', maxDaysAhead: 365, message: '先', messageEn: 'Ahead' },
      { kind: 'ageRange', field: 'end', birth: 'start', min: 15, message: '年齢', messageEn: 'Age' },
    ]);
  });

  it('freezes the result deeply (definitions are shared by every request)', () => {
    const sut = parseDefinition(base());
    expect(Object.isFrozen(sut)).toBe(true);
    expect(Object.isFrozen(sut.sections[0].fields[0].codes![0])).toBe(true);
  });

  it('parses every definition file shipped', () => {
    const registry = ProcedureRegistry.load();
    expect(registry.list().map((d) => `${d.code}.v${d.version}`)).toEqual([
      'koyo-shutoku.v1',
      'shaho-shoyo.v1',
      'shaho-shutoku.v1',
      'shaho-soshitsu.v1',
    ]);
  });

  it.each<[string, (d: Loose) => void, RegExp]>([
    ['an unknown top-level key', (d) => (d.author = 'x'), /unknown key "author"/],
    ['a misspelt field key', (d) => (field(d, 'memo').lable = 'x'), /sections\[0\]\.fields\[5\]: unknown key "lable"/],
    ['an unknown key in a code option', (d) => (field(d, 'kind').codes[0].short = 'x'), /codes\[0\]: unknown key "short"/],
    ['an unknown key in a rule', (d) => (d.rules[0].offset = 1), /rules\[0\]: unknown key "offset"/],
    ['a missing label', (d) => delete field(d, 'memo').label, /missing required key "label"/],
    ['a duplicate field name', (d) => (field(d, 'b').name = 'a'), /duplicate field name "a"/],
    [
      'a duplicate section id',
      (d) => d.sections.push({ ...d.sections[0], fields: [{ ...field(d, 'a'), name: 'c' }] }),
      /duplicate section id "main"/,
    ],
    ['a duplicate code value', (d) => field(d, 'kind').codes.push({ value: '1', label: '二', labelEn: 'Two' }), /duplicate code "1"/],
    [
      'a condition on an unknown field',
      (d) => (field(d, 'end').requiredIf = { field: 'knd', equals: '1' }),
      /requiredIf\.field: unknown field "knd"/,
    ],
    [
      'a nested condition on an unknown field',
      (d) => (field(d, 'end').forbiddenIf = { not: { all: [{ field: 'x', present: true }] } }),
      /forbiddenIf\.not\.all\[0\]\.field: unknown field "x"/,
    ],
    [
      'a condition value that is not a code',
      (d) => (field(d, 'end').requiredIf = { field: 'kind', equals: '2' }),
      /"2" is not a code of "kind"/,
    ],
    [
      'a condition value of the wrong type',
      (d) => (field(d, 'end').requiredIf = { field: 'a', equals: '1' }),
      /cannot be a value of integer field "a"/,
    ],
    [
      'a condition with two operators',
      (d) => (field(d, 'end').requiredIf = { field: 'kind', equals: '1', present: true }),
      /exactly one of "equals", "in", "present"/,
    ],
    ['an unknown condition operator', (d) => (field(d, 'end').requiredIf = { some: [] }), /exactly one of "field", "all", "any", "not"/],
    ['a rule on an unknown field', (d) => (d.rules[0].from = 'begin'), /rules\[0\]\.from: unknown field "begin"/],
    ['a sum over an unknown field', (d) => (d.rules[1].of = ['a', 'z']), /rules\[1\]\.of\[1\]: unknown field "z"/],
    ['a rule on a field of the wrong type', (d) => (d.rules[0].from = 'a'), /field "a" is integer, this rule needs date/],
    ['an unknown rule kind', (d) => (d.rules[0].kind = 'dateDiff'), /unknown rule kind "dateDiff"/],
    [
      'a oneOf with one field',
      (d) => d.rules.push({ kind: 'oneOf', fields: ['a'], message: 'x', messageEn: 'x' }),
      /at least two distinct fields/,
    ],
    [
      'a dateOrder on an integer field',
      (d) => d.rules.push({ kind: 'dateOrder', field: 'a', before: 'end', message: 'x', messageEn: 'x' }),
      /field "a" is integer, this rule needs date/,
    ],
    [
      'a dateOrder of a field with itself',
      (d) => d.rules.push({ kind: 'dateOrder', field: 'start', before: 'start', message: 'x', messageEn: 'x' }),
      /"field" and "before" must differ/,
    ],
    [
      'a dateHorizon with negative days',
      (d) => d.rules.push({ kind: 'dateHorizon', field: 'start', maxDaysAhead: -1, message: 'x', messageEn: 'x' }),
      /maxDaysAhead/,
    ],
    [
      'an ageRange without bounds',
      (d) => d.rules.push({ kind: 'ageRange', field: 'end', birth: 'start', message: 'x', messageEn: 'x' }),
      /needs "min" or "max"/,
    ],
    [
      'an ageRange with min > max',
      (d) => d.rules.push({ kind: 'ageRange', field: 'end', birth: 'start', min: 20, max: 15, message: 'x', messageEn: 'x' }),
      /min > max/,
    ],
    ['required with requiredIf', (d) => (field(d, 'kind').requiredIf = { field: 'a', present: true }), /either required or requiredIf/],
    ['an unbounded string', (d) => delete field(d, 'memo').maxLength, /needs maxLength/],
    ['a format on an integer', (d) => (field(d, 'a').format = 'digits'), /format: only allowed on string fields/],
    ['an unknown format', (d) => (field(d, 'memo').format = 'hiragana'), /"hiragana" is not one of/],
    ['a bad pattern', (d) => (field(d, 'memo').pattern = '(['), /not a valid regular expression/],
    ['a code field without codes', (d) => delete field(d, 'kind').codes, /codes: must be a non-empty array/],
    [
      'codes on a string field',
      (d) => (field(d, 'memo').codes = [{ value: '1', label: 'x', labelEn: 'x' }]),
      /only allowed on code fields/,
    ],
    ['unsure without notes', (d) => (field(d, 'kind').unsure = true), /needs "notes"/],
    ['required: false', (d) => (field(d, 'a').required = false), /must be true when present/],
    ['a name that is not camelCase', (d) => (field(d, 'memo').name = 'memo_text'), /not camelCase/],
    ['a version 0', (d) => (d.version = 0), /version: must be an integer ≥ 1/],
    ['a code with capitals', (d) => (d.code = 'Test'), /must be lowercase words/],
    ['an empty label', (d) => (field(d, 'memo').label = ' '), /label: must be a non-empty string/],
  ])('refuses %s', (_what, breakIt, message) => {
    const d = base();
    breakIt(d);
    expect(() => parseDefinition(d, 'test-form.v1.json')).toThrow(ProcedureDefinitionError);
    expect(() => parseDefinition(d, 'test-form.v1.json')).toThrow(message);
  });

  it('names the file in the message', () => {
    const d = base();
    d.extra = 1;
    expect(() => parseDefinition(d, 'test-form.v1.json')).toThrow(/^test-form\.v1\.json: unknown key "extra"/);
  });

  it('lets a condition refer to a field defined later in the form', () => {
    const d = base();
    field(d, 'start').requiredIf = { field: 'memo', present: true };
    expect(() => parseDefinition(d)).not.toThrow();
  });
});
