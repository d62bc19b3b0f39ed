import { listFields, parseDefinition, ProcedureDefinitionError } from './definition';
import { dueDateOf, isAdministrativeHoliday, nextOpenDay, nominalDueDate } from './due';
import type { DueRuleDefinition } from './due';
import { ProcedureRegistry } from './registry';

const fiveDays: DueRuleDefinition = { kind: 'daysAfter', from: 'eventDate', days: 5 };
const tenthNextMonth: DueRuleDefinition = { kind: 'nextMonthDay', from: 'eventDate', day: 10 };
const due = (rule: DueRuleDefinition, eventDate: unknown) => dueDateOf(rule, { eventDate });

describe(isAdministrativeHoliday.name, () => {
  it.each([
    ['2026-04-04', true, 'Saturday'],
    ['2026-04-05', true, 'Sunday'],
    ['2026-04-06', false, 'Monday'],
    ['2026-04-29', true, '昭和の日'],
    ['2026-05-06', true, '振替休日 (憲法記念日 on a Sunday)'],
    ['2026-09-22', true, '国民の休日 between 敬老の日 and 秋分の日'],
    ['2026-12-28', false, 'the last open day of the year (Monday)'],
    ['2026-12-29', true, '年末 (a Tuesday)'],
    ['2026-12-31', true, '年末'],
    ['2027-01-01', true, '元日'],
    ['2027-01-03', true, '年始 (a Sunday anyway)'],
    ['2028-01-03', true, '年始 on a Monday'],
    ['2028-01-04', false, 'the first open day of 2028 (Tuesday)'],
  ])('%s is %s (%s)', (iso, expected) => {
    expect(isAdministrativeHoliday(iso)).toBe(expected);
  });

  it('refuses a date that is not real', () => {
    expect(() => isAdministrativeHoliday('2026-02-30')).toThrow(RangeError);
  });
});

describe(nextOpenDay.name, () => {
  it.each([
    ['2026-04-06', '2026-04-06', 'an open day stays'],
    ['2026-04-04', '2026-04-06', 'Saturday → Monday'],
    ['2026-05-02', '2026-05-07', 'Golden Week: Sat, Sun, 憲法記念日, みどりの日, こどもの日, 振替休日 → Thursday'],
    ['2026-12-29', '2027-01-04', '年末年始 → the first open day of January'],
    ['2027-12-31', '2028-01-04', '年末年始 ending on a Monday (1/3) → Tuesday'],
  ])('%s → %s (%s)', (iso, expected) => {
    expect(nextOpenDay(iso)).toBe(expected);
  });
});

describe(dueDateOf.name, () => {
  describe('daysAfter (「事実発生日から5日以内」: the day of the event is not counted)', () => {
    it.each([
      ['2026-04-01', '2026-04-06', 'Wednesday + 5 = Monday'],
      ['2026-04-02', '2026-04-07', 'a plain weekday'],
      ['2026-03-30', '2026-04-06', '4/4 is a Saturday → Monday 4/6'],
      ['2026-01-31', '2026-02-05', 'across a month end'],
      ['2028-02-26', '2028-03-02', 'across 2/29 of a leap year'],
      ['2026-04-28', '2026-05-07', '5/3 (憲法記念日, Sunday) → after the Golden Week holidays'],
      ['2026-12-25', '2027-01-04', '12/30 → the first open day of January'],
      ['2026-12-31', '2027-01-05', '1/5: the year-end days are counted, only the last day moves'],
      ['2026-07-15', '2026-07-21', '7/20 is 海の日 (Monday) → Tuesday'],
    ])('from %s → %s (%s)', (event, expected) => {
      expect(due(fiveDays, event)).toBe(expected);
    });
  });

  describe('nextMonthDay (「翌月10日まで」)', () => {
    it.each([
      ['2026-04-01', '2026-05-11', '5/10 is a Sunday → Monday'],
      ['2026-04-30', '2026-05-11', 'the last day of the month counts for its month'],
      ['2026-05-15', '2026-06-10', 'a Wednesday stays'],
      ['2026-12-01', '2027-01-12', 'December → January of the next year; 1/10 Sun, 1/11 成人の日 → Tuesday'],
    ])('from %s → %s (%s)', (event, expected) => {
      expect(due(tenthNextMonth, event)).toBe(expected);
    });

    it('moves over a weekend followed by a Monday holiday (10/10 Sat → スポーツの日 10/12 → Tuesday 10/13)', () => {
      expect(isAdministrativeHoliday('2026-10-12')).toBe(true);
      expect(due(tenthNextMonth, '2026-09-01')).toBe('2026-10-13');
    });

    it('takes the last day of a month that has no such day', () => {
      expect(nominalDueDate({ kind: 'nextMonthDay', from: 'eventDate', day: 31 }, '2026-03-15')).toBe('2026-04-30');
      expect(nominalDueDate({ kind: 'nextMonthDay', from: 'eventDate', day: 31 }, '2028-01-15')).toBe('2028-02-29');
    });
  });

  it('is null while the date is not filled in or not a real date (a draft), or without a rule', () => {
    expect(due(fiveDays, undefined)).toBeNull();
    expect(due(fiveDays, '')).toBeNull();
    expect(due(fiveDays, '2026-02-30')).toBeNull();
    expect(due(fiveDays, '令和8年4月1日')).toBeNull();
    expect(due(fiveDays, 20260401)).toBeNull();
    expect(dueDateOf(undefined, { eventDate: '2026-04-01' })).toBeNull();
  });
});

describe('due in a definition', () => {
  const def = (due: unknown) => ({
    code: 'test-form',
    version: 1,
    name: 'テスト届',
    nameEn: 'Test form',
    dueRule: '事実発生から5日以内',
    dueRuleEn: 'Within 5 days',
    due,
    sections: [
      {
        id: 'main',
        title: '本体',
        titleEn: 'Main',
        fields: [
          { name: 'eventDate', label: '事実発生日', labelEn: 'Event', help: '日付', type: 'date' },
          { name: 'memo', label: 'メモ', labelEn: 'Memo', help: 'メモ', type: 'string', maxLength: 10 },
        ],
      },
    ],
    rules: [],
  });

  it('parses both kinds', () => {
    expect(parseDefinition(def({ kind: 'daysAfter', from: 'eventDate', days: 5 })).due).toEqual(fiveDays);
    expect(parseDefinition(def({ kind: 'nextMonthDay', from: 'eventDate', day: 10 })).due).toEqual(tenthNextMonth);
  });

  it.each([
    [{ kind: 'daysAfter', from: 'nope', days: 5 }, /due\.from: unknown field "nope"/],
    [{ kind: 'daysAfter', from: 'memo', days: 5 }, /due\.from: field "memo" is string, a deadline needs a date field/],
    [{ kind: 'daysAfter', from: 'eventDate' }, /missing required key "days"/],
    [{ kind: 'daysAfter', from: 'eventDate', days: -1 }, /due\.days: must be an integer ≥ 0/],
    [{ kind: 'daysAfter', from: 'eventDate', days: 5, day: 10 }, /unknown key "day"/],
    [{ kind: 'nextMonthDay', from: 'eventDate', day: 32 }, /due\.day: must be a day of the month/],
    [{ kind: 'nextMonthDay', from: 'eventDate', day: 0 }, /due\.day: must be an integer ≥ 1/],
    [{ kind: 'withinWeek', from: 'eventDate' }, /due\.kind: unknown deadline kind "withinWeek"/],
    ['5日以内', /due: must be an object/],
  ])('refuses %j', (rule, message) => {
    expect(() => parseDefinition(def(rule), 'test.v1.json')).toThrow(ProcedureDefinitionError);
    expect(() => parseDefinition(def(rule), 'test.v1.json')).toThrow(message);
  });

  it('gives every shipped procedure a machine deadline counted from one of its required date fields', () => {
    const expected: Record<string, DueRuleDefinition> = {
      'shaho-shutoku': { kind: 'daysAfter', from: 'acquisitionDate', days: 5 },
      'shaho-soshitsu': { kind: 'daysAfter', from: 'lossDate', days: 5 },
      'shaho-shoyo': { kind: 'daysAfter', from: 'bonusPaymentDate', days: 5 },
      'koyo-shutoku': { kind: 'nextMonthDay', from: 'acquisitionDate', day: 10 },
    };
    const defs = ProcedureRegistry.load().list();
    expect(Object.fromEntries(defs.map((d) => [d.code, d.due]))).toEqual(expected);
    for (const d of defs) expect(listFields(d).find((f) => f.name === d.due?.from)?.required).toBe(true);
  });
});
