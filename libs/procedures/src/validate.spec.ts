import { parseDefinition } from './definition';
import type { ProcedureDefinition } from './definition';
import { ProcedureRegistry } from './registry';
import { validateForm } from './validate';
import type { FieldError } from './validate';
import { VALID_FORMS } from './test-forms';

const registry = ProcedureRegistry.load();
const def = (code: string): ProcedureDefinition => {
  const d = registry.get(code);
  if (!d) throw new Error(`no definition ${code}`);
  return d;
};
const codes = (errors: FieldError[]): string[] => errors.map((e) => `${e.field}:${e.code}`);

const VALID = VALID_FORMS;
const valid = (code: string, patch: Record<string, unknown> = {}): Record<string, unknown> => {
  const form: Record<string, unknown> = { ...VALID[code], ...patch };
  for (const [k, v] of Object.entries(patch)) if (v === undefined) delete form[k];
  return form;
};

describe(validateForm.name, () => {
  it('has a valid example for every procedure in the registry', () => {
    expect(Object.keys(VALID).sort()).toEqual(registry.list().map((d) => d.code));
  });

  describe.each(Object.keys(VALID))('%s', (code) => {
    it('accepts a complete valid form', () => {
      expect(validateForm(def(code), valid(code), 'complete')).toEqual([]);
    });

    it('accepts an empty draft', () => {
      expect(validateForm(def(code), {}, 'draft')).toEqual([]);
    });

    it('refuses an empty form when complete, naming every required field', () => {
      const required = def(code)
        .sections.flatMap((s) => s.fields)
        .filter((f) => f.required)
        .map((f) => `${f.name}:required`);
      expect(codes(validateForm(def(code), {}, 'complete'))).toEqual(expect.arrayContaining(required));
    });

    it('refuses an unknown field in both modes', () => {
      for (const mode of ['draft', 'complete'] as const) {
        expect(codes(validateForm(def(code), valid(code, { nickname: 'x' }), mode))).toEqual(['nickname:unknown_field']);
      }
    });
  });

  describe('formats', () => {
    const shutoku = (patch: Record<string, unknown>): string[] =>
      codes(validateForm(def('shaho-shutoku'), valid('shaho-shutoku', patch), 'complete'));

    it.each([
      ['hiragana in カナ', { familyNameKana: 'やまだ' }, 'familyNameKana:not_katakana'],
      ['half-width kana in カナ', { givenNameKana: 'ﾀﾛｳ' }, 'givenNameKana:not_katakana'],
      ['kanji in カナ', { givenNameKana: '太郎' }, 'givenNameKana:not_katakana'],
      ['ASCII in 氏名', { familyName: 'Yamada' }, 'familyName:not_full_width'],
      ['an 11-digit My Number', { myNumber: '12345678901' }, 'myNumber:my_number_length'],
      ['a My Number with a wrong check digit', { myNumber: '123456789012' }, 'myNumber:my_number_check_digit'],
      [
        'a 3+6 basic pension number',
        { myNumber: undefined, basicPensionNumber: '123-456789', postalCode: '1000001', address: '東京都千代田区' },
        'basicPensionNumber:basic_pension_number_format',
      ],
      ['2025-02-30', { acquisitionDate: '2025-02-30' }, 'acquisitionDate:invalid_date'],
      ['a slash date', { acquisitionDate: '2025/04/01' }, 'acquisitionDate:date_format'],
      ['a date before 明治 in an era field', { birthDate: '1850-01-01' }, 'birthDate:date_before_meiji'],
      ['a bad postal code', { postalCode: '100-001' }, 'postalCode:postal_code_format'],
      ['a negative amount', { remunerationInKind: -1, remunerationTotal: 299999 }, 'remunerationInKind:below_minimum'],
      ['a fractional amount', { remunerationInKind: 0.5 }, 'remunerationInKind:invalid_type'],
      ['a numeric string for an integer', { remunerationCash: '300000' }, 'remunerationCash:invalid_type'],
      ['a number for a code', { insuredType: 1 }, 'insuredType:invalid_type'],
      ['a string for a boolean', { over70: 'true' }, 'over70:invalid_type'],
      ['a too long name', { familyName: '山'.repeat(25) }, 'familyName:too_long'],
      ['a control character', { otherRemarks: '備考\n改行' }, 'otherRemarks:control_characters'],
      ['a code outside the list', { insuredType: '9' }, 'insuredType:not_in_code_list'],
    ])('refuses %s', (_what, patch, expected) => {
      expect(shutoku(patch)).toEqual([expected]);
    });

    it('accepts a leap day and counts a surrogate-pair kanji as one character', () => {
      expect(shutoku({ birthDate: '2000-02-29', familyName: '𠮷'.repeat(24) })).toEqual([]);
    });

    it('refuses a malformed 被保険者番号 (4-6-1)', () => {
      const form = valid('koyo-shutoku', { acquisitionType: '2', insuredNumber: '1234-56789-1' });
      expect(codes(validateForm(def('koyo-shutoku'), form, 'complete'))).toEqual(['insuredNumber:employment_insured_number_format']);
    });

    it('explains a format error in Japanese and English', () => {
      const [error] = validateForm(def('shaho-shutoku'), valid('shaho-shutoku', { familyNameKana: 'やまだ' }), 'complete');
      expect(error.message).toBe('被保険者氏名（カナ）（氏）は全角カタカナで入力してください（長音「ー」と全角スペースは使用できます）。');
      expect(error.messageEn).toContain('Family name (katakana)');
    });
  });

  describe('requiredIf / forbiddenIf', () => {
    const shutoku = def('shaho-shutoku');
    const withPension = { myNumber: undefined, basicPensionNumber: '1234567890' };

    it('requires 住所 and 郵便番号 when 個人番号 is absent', () => {
      expect(codes(validateForm(shutoku, valid('shaho-shutoku', withPension), 'complete'))).toEqual([
        'postalCode:required',
        'address:required',
      ]);
    });

    it('accepts 基礎年金番号 with an address', () => {
      const form = valid('shaho-shutoku', { ...withPension, postalCode: '100-0001', address: '東京都千代田区霞が関1-2-2' });
      expect(validateForm(shutoku, form, 'complete')).toEqual([]);
    });

    it('does not require 住所 when 個人番号 is given', () => {
      expect(VALID['shaho-shutoku'].address).toBeUndefined();
      expect(validateForm(shutoku, valid('shaho-shutoku'), 'complete')).toEqual([]);
    });

    it('treats null and the empty string as absent', () => {
      const form = valid('shaho-shutoku', { myNumber: null, basicPensionNumber: '1234567890', postalCode: '', address: null });
      expect(codes(validateForm(shutoku, form, 'complete'))).toEqual(['postalCode:required', 'address:required']);
    });

    it('refuses a 退職日 when the reason is 死亡', () => {
      const form = valid('shaho-soshitsu', { lossReason: '5', deathDate: '2025-03-31' });
      expect(codes(validateForm(def('shaho-soshitsu'), form, 'complete'))).toEqual(['retirementDate:forbidden']);
    });

    it('requires 被保険者番号 for 再取得 and refuses it for 新規', () => {
      const koyo = def('koyo-shutoku');
      expect(codes(validateForm(koyo, valid('koyo-shutoku', { acquisitionType: '2' }), 'complete'))).toEqual(['insuredNumber:required']);
      expect(validateForm(koyo, valid('koyo-shutoku', { acquisitionType: '2', insuredNumber: '1234-567890-1' }), 'complete')).toEqual([]);
      expect(codes(validateForm(koyo, valid('koyo-shutoku', { insuredNumber: '12345678901' }), 'complete'))).toEqual([
        'insuredNumber:forbidden',
      ]);
    });

    it('refuses a 個人番号 on a 賞与支払届 for someone under 70 (番号法: no collection without a need)', () => {
      const form = valid('shaho-shoyo', { over70: undefined });
      expect(codes(validateForm(def('shaho-shoyo'), form, 'complete'))).toEqual(['myNumber:forbidden']);
      expect(validateForm(def('shaho-shoyo'), valid('shaho-shoyo', { over70: undefined, myNumber: undefined }), 'complete')).toEqual([]);
    });
  });

  describe('oneOf', () => {
    it('refuses neither 個人番号 nor 基礎年金番号', () => {
      const form = valid('shaho-soshitsu', { basicPensionNumber: undefined });
      const errors = validateForm(def('shaho-soshitsu'), form, 'complete');
      expect(codes(errors)).toEqual(['myNumber:one_of_missing']);
      expect(errors[0].message).toBe('個人番号または基礎年金番号のどちらかを入力してください。');
    });

    it('refuses both', () => {
      const form = valid('shaho-soshitsu', { myNumber: '123456789018' });
      expect(codes(validateForm(def('shaho-soshitsu'), form, 'complete'))).toEqual(['basicPensionNumber:one_of_multiple']);
    });

    it('applies only when its condition holds (賞与: 70歳以上被用者)', () => {
      const form = valid('shaho-shoyo', { myNumber: undefined });
      expect(codes(validateForm(def('shaho-shoyo'), form, 'complete'))).toEqual(['myNumber:one_of_missing']);
    });
  });

  describe('dateOffset', () => {
    const soshitsu = def('shaho-soshitsu');

    it('refuses a 資格喪失年月日 equal to the 退職日', () => {
      const errors = validateForm(soshitsu, valid('shaho-soshitsu', { lossDate: '2025-03-31' }), 'complete');
      expect(codes(errors)).toEqual(['lossDate:date_offset_mismatch']);
      expect(errors[0].message).toBe('喪失原因が退職等の場合、資格喪失年月日は退職日の翌日としてください（正しい値: 2025-04-01）。');
      expect(errors[0].messageEn).toContain('(expected 2025-04-01)');
    });

    it('crosses month and year ends', () => {
      const form = valid('shaho-soshitsu', { retirementDate: '2024-12-31', lossDate: '2025-01-01' });
      expect(validateForm(soshitsu, form, 'complete')).toEqual([]);
      const leap = valid('shaho-soshitsu', { retirementDate: '2024-02-28', lossDate: '2024-03-01' });
      expect(codes(validateForm(soshitsu, leap, 'complete'))).toEqual(['lossDate:date_offset_mismatch']);
    });

    it('checks the day after 死亡日 when the reason is 死亡', () => {
      const ok = valid('shaho-soshitsu', { lossReason: '5', retirementDate: undefined, deathDate: '2025-03-31', lossDate: '2025-04-01' });
      expect(validateForm(soshitsu, ok, 'complete')).toEqual([]);
      const wrong = { ...ok, lossDate: '2025-04-02' };
      expect(codes(validateForm(soshitsu, wrong, 'complete'))).toEqual(['lossDate:date_offset_mismatch']);
    });

    it('checks a same-day offset (70歳以上被用者不該当 = 退職日)', () => {
      const form = valid('shaho-soshitsu', { over70NonApplicable: true, over70NonApplicableDate: '2025-04-01' });
      expect(codes(validateForm(soshitsu, form, 'complete'))).toEqual(['over70NonApplicableDate:date_offset_mismatch']);
      expect(validateForm(soshitsu, { ...form, over70NonApplicableDate: '2025-03-31' }, 'complete')).toEqual([]);
    });

    it('does not apply for other reasons (75歳到達)', () => {
      const form = valid('shaho-soshitsu', { lossReason: '7', retirementDate: undefined, lossDate: '2025-06-15' });
      expect(validateForm(soshitsu, form, 'complete')).toEqual([]);
    });
  });

  describe('sum', () => {
    const shoyo = def('shaho-shoyo');

    it('truncates to 千円: 1,234,567円 + nothing → 1,234,000', () => {
      expect(
        validateForm(shoyo, valid('shaho-shoyo', { bonusCash: 1234567, bonusInKind: undefined, bonusTotal: 1234000 }), 'complete'),
      ).toEqual([]);
      expect(validateForm(shoyo, valid('shaho-shoyo', { bonusCash: 1234567, bonusInKind: 0, bonusTotal: 1234000 }), 'complete')).toEqual(
        [],
      );
    });

    it('refuses the untruncated sum and says the right one', () => {
      const errors = validateForm(shoyo, valid('shaho-shoyo', { bonusTotal: 1234567 }), 'complete');
      expect(codes(errors)).toEqual(['bonusTotal:sum_mismatch']);
      expect(errors[0].message).toContain('（正しい値: 1,234,000）');
    });

    it('adds 現物 before truncating', () => {
      const form = valid('shaho-shoyo', { bonusCash: 500600, bonusInKind: 499500, bonusTotal: 1000000 });
      expect(validateForm(shoyo, form, 'complete')).toEqual([]);
    });

    it('accepts the cap of 9,999千円 and refuses more', () => {
      expect(validateForm(shoyo, valid('shaho-shoyo', { bonusCash: 9999999, bonusTotal: 9999000 }), 'complete')).toEqual([]);
      const errors = validateForm(shoyo, valid('shaho-shoyo', { bonusCash: 10000000, bonusTotal: 10000000 }), 'complete');
      expect(codes(errors)).toEqual(['bonusTotal:sum_over_max']);
      expect(errors[0].message).toBe('賞与額（合計）（10,000,000）が上限の9,999,000を超えています。');
    });

    it('adds exactly, without truncation, where the rule has none (取得届 報酬月額)', () => {
      const form = valid('shaho-shutoku', { remunerationTotal: 312001 });
      expect(codes(validateForm(def('shaho-shutoku'), form, 'complete'))).toEqual(['remunerationTotal:sum_mismatch']);
    });

    it('enters the cap instead when the rule says overMax: clamp', () => {
      const clamp = parseDefinition({
        ...JSON.parse(JSON.stringify(shoyo)),
        rules: [{ ...JSON.parse(JSON.stringify(shoyo.rules[1])), overMax: 'clamp' }],
      });
      expect(validateForm(clamp, valid('shaho-shoyo', { bonusCash: 12345678, bonusTotal: 9999000 }), 'complete')).toEqual([]);
      expect(codes(validateForm(clamp, valid('shaho-shoyo', { bonusCash: 12345678, bonusTotal: 12345000 }), 'complete'))).toEqual([
        'bonusTotal:sum_mismatch',
      ]);
    });
  });

  describe('plausibility (dateOrder, dateHorizon, ageRange)', () => {
    const TODAY = { today: '2026-12-03' };
    const check = (code: string, patch: Record<string, unknown>) => codes(validateForm(def(code), valid(code, patch), 'complete', TODAY));

    it('refuses a date of birth after the date of acquisition (issue 18: 2030-04-01 after 2026-12-01), at 生年月日', () => {
      const errors = validateForm(
        def('shaho-shutoku'),
        valid('shaho-shutoku', { birthDate: '2030-04-01', acquisitionDate: '2026-12-01' }),
        'complete',
        TODAY,
      );
      expect(codes(errors)).toEqual(['birthDate:date_order', 'birthDate:date_too_far_ahead']);
      expect(errors[0]!.message).toBe('生年月日は資格取得年月日より前の日付を入力してください。');
      expect(errors[0]!.messageEn).toBe('The date of birth must be before the date of acquisition.');
      expect(check('koyo-shutoku', { birthDate: '2025-04-01' })).toEqual(['birthDate:date_order']);
      expect(check('shaho-soshitsu', { birthDate: '2025-05-01' })).toEqual(['birthDate:date_order', 'birthDate:date_order']);
      expect(check('shaho-shoyo', { birthDate: '2025-07-11' })).toEqual(['birthDate:date_order']);
    });

    it('refuses a date of acquisition (loss, bonus) more than a year ahead of today in Japan, and takes one exactly a year ahead', () => {
      expect(check('shaho-shutoku', { acquisitionDate: '2027-12-04' })).toEqual(['acquisitionDate:date_too_far_ahead']);
      expect(check('shaho-shutoku', { acquisitionDate: '2027-12-03' })).toEqual([]);
      expect(check('koyo-shutoku', { acquisitionDate: '2027-12-04' })).toEqual(['acquisitionDate:date_too_far_ahead']);
      expect(check('shaho-soshitsu', { lossDate: '2028-01-01', retirementDate: '2027-12-31' })).toEqual(['lossDate:date_too_far_ahead']);
      expect(check('shaho-shoyo', { bonusPaymentDate: '2028-07-10' })).toEqual(['bonusPaymentDate:date_too_far_ahead']);
    });

    it('judges "today" in Japan by default (JST, not UTC)', () => {
      jest.useFakeTimers({ now: new Date('2026-12-02T15:30:00Z'), doNotFake: ['nextTick', 'setImmediate'] });
      try {
        // 00:30 on 3 Dec in Tokyo: 3 Dec is today, 4 Dec is in the future.
        expect(
          codes(
            validateForm(def('shaho-shoyo'), valid('shaho-shoyo', { birthDate: '2026-12-03', bonusPaymentDate: '2027-07-10' }), 'complete'),
          ),
        ).not.toContain('birthDate:date_too_far_ahead');
        expect(
          codes(
            validateForm(def('shaho-shoyo'), valid('shaho-shoyo', { birthDate: '2026-12-04', bonusPaymentDate: '2027-07-10' }), 'complete'),
          ),
        ).toContain('birthDate:date_too_far_ahead');
      } finally {
        jest.useRealTimers();
      }
    });

    it('refuses an age under 15 or over 120 on the date of acquisition, at 生年月日, and takes the 15th birthday itself', () => {
      expect(check('shaho-shutoku', { birthDate: '2010-04-02' })).toEqual(['birthDate:age_out_of_range']);
      expect(check('shaho-shutoku', { birthDate: '2010-04-01' })).toEqual([]);
      expect(check('shaho-shutoku', { birthDate: '1904-03-31' })).toEqual(['birthDate:age_out_of_range']);
      expect(check('koyo-shutoku', { birthDate: '2012-01-01' })).toEqual(['birthDate:age_out_of_range']);
      const [e] = validateForm(def('shaho-shutoku'), valid('shaho-shutoku', { birthDate: '2012-01-01' }), 'complete', TODAY);
      expect(e!.message).toContain('15歳以上120歳以下');
    });

    it('wants a contract to start on or before its end (雇用保険)', () => {
      expect(check('koyo-shutoku', { contractStartDate: '2026-04-01', contractEndDate: '2026-03-31' })).toEqual([
        'contractStartDate:date_order',
      ]);
      expect(check('koyo-shutoku', { contractStartDate: '2026-04-01', contractEndDate: '2026-04-01' })).toEqual([]);
    });

    it('leaves the rules alone while a date is missing or malformed (its own error is enough)', () => {
      expect(check('shaho-shutoku', { birthDate: '2030-02-30' })).toEqual(['birthDate:invalid_date']);
      expect(check('shaho-shutoku', { acquisitionDate: undefined })).toEqual(['acquisitionDate:required']);
    });
  });

  describe('draft mode', () => {
    const shutoku = def('shaho-shutoku');

    it('accepts a type-correct partial form', () => {
      expect(validateForm(shutoku, { familyName: '山田', birthDate: '1990-04-01', remunerationCash: 300000 }, 'draft')).toEqual([]);
    });

    it('accepts a value outside the code list and breaks no cross-field rule', () => {
      expect(validateForm(shutoku, { insuredType: '9', remunerationCash: 1, remunerationTotal: 5 }, 'draft')).toEqual([]);
    });

    it('refuses a type error', () => {
      expect(codes(validateForm(shutoku, { familyName: '山田', birthDate: 19900401 }, 'draft'))).toEqual(['birthDate:invalid_type']);
    });

    it('keeps a half-typed value (formats wait for the complete check), but not one over its maximum length', () => {
      expect(codes(validateForm(shutoku, { myNumber: '123456789012', familyNameKana: 'やまだ' }, 'draft'))).toEqual([]);
      expect(codes(validateForm(shutoku, { myNumber: '123456789012' }, 'complete'))).toContain('myNumber:my_number_check_digit');
      expect(codes(validateForm(shutoku, { familyName: 'あ'.repeat(500) }, 'draft'))).toEqual(['familyName:too_long']);
    });
  });

  it('returns every error at once', () => {
    const form = {
      familyName: 'Yamada', // not_full_width
      familyNameKana: 'やまだ', // not_katakana
      givenNameKana: 'タロウ',
      birthDate: '1990-02-30', // invalid_date
      insuredType: '4', // not_in_code_list
      myNumber: '12345678901', // my_number_length (and then 住所 is not required: the number is present)
      basicPensionNumber: '1234-567890', // one_of_multiple
      acquisitionDate: '2025-04-01',
      remunerationCash: 300000,
      remunerationTotal: 300001, // sum_mismatch
      over70: 'yes', // invalid_type
      nickname: 'taro', // unknown_field
      // missing: givenName, acquisitionType, hasDependents → 3 × required
    };
    const errors = validateForm(def('shaho-shutoku'), form, 'complete');
    expect(codes(errors)).toEqual([
      'nickname:unknown_field',
      'familyName:not_full_width',
      'givenName:required',
      'familyNameKana:not_katakana',
      'birthDate:invalid_date',
      'insuredType:not_in_code_list',
      'acquisitionType:required',
      'myNumber:my_number_length',
      'hasDependents:required',
      'over70:invalid_type',
      'basicPensionNumber:one_of_multiple',
      'remunerationTotal:sum_mismatch',
    ]);
    expect(errors).toHaveLength(12);
    for (const e of errors) {
      expect(e.message).toMatch(/[ぁ-んァ-ヶ一-龠]/u);
      expect(e.messageEn).toMatch(/^[\x20-\x7E]+$/);
    }
  });

  it('skips a rule whose fields already have a format error', () => {
    const form = valid('shaho-soshitsu', { retirementDate: '2025-02-30' });
    expect(codes(validateForm(def('shaho-soshitsu'), form, 'complete'))).toEqual(['retirementDate:invalid_date']);
  });

  it('refuses "__proto__" and "constructor" as unknown fields', () => {
    const form = JSON.parse('{"__proto__": {"polluted": true}, "constructor": 1}') as Record<string, unknown>;
    expect(codes(validateForm(def('shaho-shutoku'), form, 'draft'))).toEqual(['__proto__:unknown_field', 'constructor:unknown_field']);
  });

  it('refuses a form that is not an object', () => {
    expect(codes(validateForm(def('shaho-shutoku'), [] as unknown as Record<string, unknown>, 'draft'))).toEqual([':invalid_form']);
    expect(codes(validateForm(def('shaho-shutoku'), null as unknown as Record<string, unknown>, 'draft'))).toEqual([':invalid_form']);
  });
});
