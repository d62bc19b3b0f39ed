import { evaluateCondition, isPresent, ownValue as own } from './conditions';
import { hasIsoDateShape, parseIsoDate, addDays, fullYears, todayInJapan } from './dates';
import { fieldMap, listFields } from './definition';
import type {
  AgeRangeRule,
  DateHorizonRule,
  DateOffsetRule,
  DateOrderRule,
  FieldDefinition,
  OneOfRule,
  ProcedureDefinition,
  RuleDefinition,
  SumRule,
} from './definition';
import { checkFormat } from './formats';
import { MEIJI_START } from './era';

/**
 * `draft`: what a saved draft must satisfy — no unknown fields, and every
 * field that has a value has the right type and format (length, range,
 * pattern included). Missing fields are fine.
 * `complete`: what a filing must satisfy — the draft checks plus required /
 * requiredIf / forbiddenIf, code-list membership and the cross-field rules.
 */
export type ValidationMode = 'draft' | 'complete';

export interface FieldError {
  /** The field the error belongs to ('' for the form as a whole). */
  field: string;
  /** Stable machine code (see FIELD_ERROR_CODES). */
  code: FieldErrorCode;
  message: string;
  messageEn: string;
}

export const FIELD_ERROR_CODES = [
  'invalid_form',
  'unknown_field',
  'invalid_type',
  'control_characters',
  'not_katakana',
  'not_full_width',
  'not_digits',
  'my_number_length',
  'my_number_check_digit',
  'basic_pension_number_format',
  'employment_insured_number_format',
  'postal_code_format',
  'phone_format',
  'pattern_mismatch',
  'too_short',
  'too_long',
  'below_minimum',
  'above_maximum',
  'date_format',
  'invalid_date',
  'date_before_meiji',
  'required',
  'forbidden',
  'not_in_code_list',
  'date_offset_mismatch',
  'sum_mismatch',
  'sum_over_max',
  'one_of_missing',
  'one_of_multiple',
  'date_order',
  'date_too_far_ahead',
  'age_out_of_range',
] as const;
export type FieldErrorCode = (typeof FIELD_ERROR_CODES)[number];

type Messages = (f: FieldDefinition, x: Record<string, string>) => [string, string];

const TYPE_WORDS: Record<FieldDefinition['type'], [string, string]> = {
  string: ['文字列', 'text'],
  integer: ['整数', 'a whole number'],
  date: ['日付（YYYY-MM-DD）', 'a date (YYYY-MM-DD)'],
  boolean: ['真偽値（true/false）', 'true or false'],
  code: ['選択肢のコード（文字列）', 'a code (text)'],
};

const MESSAGES: Record<Exclude<FieldErrorCode, 'invalid_form' | 'unknown_field' | RuleErrorCode>, Messages> = {
  invalid_type: (f) => [`${f.label}は${TYPE_WORDS[f.type][0]}で入力してください。`, `${f.labelEn} must be ${TYPE_WORDS[f.type][1]}.`],
  control_characters: (f) => [`${f.label}に使用できない制御文字が含まれています。`, `${f.labelEn} contains control characters.`],
  not_katakana: (f) => [
    `${f.label}は全角カタカナで入力してください（長音「ー」と全角スペースは使用できます）。`,
    `${f.labelEn} must be full-width katakana (the long vowel mark and full-width spaces are allowed).`,
  ],
  not_full_width: (f) => [`${f.label}は全角文字で入力してください。`, `${f.labelEn} must be full-width characters.`],
  not_digits: (f) => [`${f.label}は半角数字で入力してください。`, `${f.labelEn} must be digits.`],
  my_number_length: (f) => [`${f.label}は12桁の半角数字で入力してください。`, `${f.labelEn} must be 12 digits.`],
  my_number_check_digit: (f) => [
    `${f.label}が正しくありません（検査用数字が一致しません）。`,
    `${f.labelEn} is not valid (the check digit does not match).`,
  ],
  basic_pension_number_format: (f) => [
    `${f.label}は4桁と6桁の半角数字で入力してください（例: 1234-567890）。`,
    `${f.labelEn} must be 4 + 6 digits (e.g. 1234-567890).`,
  ],
  employment_insured_number_format: (f) => [
    `${f.label}は4桁・6桁・1桁の半角数字で入力してください（例: 1234-567890-1）。`,
    `${f.labelEn} must be 4 + 6 + 1 digits (e.g. 1234-567890-1).`,
  ],
  postal_code_format: (f) => [
    `${f.label}は7桁の半角数字で入力してください（例: 100-0001）。`,
    `${f.labelEn} must be 7 digits (e.g. 100-0001).`,
  ],
  phone_format: (f) => [
    `${f.label}は0から始まる10桁または11桁の番号で入力してください。`,
    `${f.labelEn} must be a 10 or 11 digit number starting with 0.`,
  ],
  pattern_mismatch: (f) => [`${f.label}の形式が正しくありません。`, `${f.labelEn} is not in the expected format.`],
  too_short: (f, x) => [`${f.label}は${x.n}文字以上で入力してください。`, `${f.labelEn} must be at least ${x.n} characters.`],
  too_long: (f, x) => [`${f.label}は${x.n}文字以内で入力してください。`, `${f.labelEn} must be at most ${x.n} characters.`],
  below_minimum: (f, x) => [`${f.label}は${x.n}以上で入力してください。`, `${f.labelEn} must be ${x.n} or more.`],
  above_maximum: (f, x) => [`${f.label}は${x.n}以下で入力してください。`, `${f.labelEn} must be ${x.n} or less.`],
  date_format: (f) => [`${f.label}はYYYY-MM-DD形式の日付で入力してください。`, `${f.labelEn} must be a date in YYYY-MM-DD form.`],
  invalid_date: (f) => [`${f.label}に存在しない日付が入力されています。`, `${f.labelEn} is not a real calendar date.`],
  date_before_meiji: (f) => [
    `${f.label}は明治元年10月23日以降の日付で入力してください。`,
    `${f.labelEn} must be on or after 1868-10-23 (Meiji).`,
  ],
  required: (f) => [
    f.type === 'code' || f.type === 'boolean' ? `${f.label}を選択してください。` : `${f.label}を入力してください。`,
    `${f.labelEn} is required.`,
  ],
  forbidden: (f) => [`この内容では${f.label}は入力できません。`, `${f.labelEn} must be left empty here.`],
  not_in_code_list: (f, x) => [`${f.label}の「${x.value}」は選択肢にありません。`, `"${x.value}" is not a valid choice for ${f.labelEn}.`],
};

type RuleErrorCode =
  | 'date_offset_mismatch'
  | 'sum_mismatch'
  | 'sum_over_max'
  | 'one_of_missing'
  | 'one_of_multiple'
  | 'date_order'
  | 'date_too_far_ahead'
  | 'age_out_of_range';

function fieldError(field: FieldDefinition, code: keyof typeof MESSAGES, x: Record<string, string> = {}): FieldError {
  const [message, messageEn] = MESSAGES[code](field, x);
  return { field: field.name, code, message, messageEn };
}

// eslint-disable-next-line no-control-regex -- finding control characters is the point of this pattern
const CONTROL_CHARACTERS = /[\u0000-\u001F\u007F-\u009F\u2028\u2029]/u;

/**
 * Type and format errors of one present value (a type error stops the checks
 * of that field). In a draft only the type (and what bounds storage: control
 * characters, maxLength) is checked, so the user can save half-typed values;
 * formats, patterns, minimum lengths and ranges wait for `complete`.
 */
function checkValue(field: FieldDefinition, value: unknown, mode: ValidationMode = 'complete'): FieldError[] {
  const complete = mode === 'complete';
  switch (field.type) {
    case 'boolean':
      return typeof value === 'boolean' ? [] : [fieldError(field, 'invalid_type')];
    case 'integer': {
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) return [fieldError(field, 'invalid_type')];
      if (!complete) return [];
      if (field.minimum !== undefined && value < field.minimum) return [fieldError(field, 'below_minimum', { n: String(field.minimum) })];
      if (field.maximum !== undefined && value > field.maximum) return [fieldError(field, 'above_maximum', { n: String(field.maximum) })];
      return [];
    }
    case 'date': {
      if (typeof value !== 'string') return [fieldError(field, 'invalid_type')];
      if (!hasIsoDateShape(value)) return [fieldError(field, 'date_format')];
      if (!parseIsoDate(value)) return [fieldError(field, 'invalid_date')];
      if (!complete) return [];
      // An era date must be expressible in an era (the government XML needs it).
      if (field.eraDate && value < MEIJI_START) return [fieldError(field, 'date_before_meiji')];
      return [];
    }
    case 'code':
      return typeof value === 'string' ? [] : [fieldError(field, 'invalid_type')];
    case 'string': {
      if (typeof value !== 'string') return [fieldError(field, 'invalid_type')];
      // Control characters break the fixed-layout government XML/CSV and hide content in logs.
      if (CONTROL_CHARACTERS.test(value)) return [fieldError(field, 'control_characters')];
      const errors: FieldError[] = [];
      if (!complete) {
        if (field.maxLength !== undefined && [...value].length > field.maxLength)
          errors.push(fieldError(field, 'too_long', { n: String(field.maxLength) }));
        return errors;
      }
      if (field.format) {
        const code = checkFormat(field.format, value);
        if (code) errors.push(fieldError(field, code as keyof typeof MESSAGES));
      }
      if (field.pattern && !new RegExp(field.pattern, 'u').test(value)) errors.push(fieldError(field, 'pattern_mismatch'));
      // Lengths count characters (code points), so 𠮷 is one character like 吉.
      const length = [...value].length;
      if (field.minLength !== undefined && length < field.minLength)
        errors.push(fieldError(field, 'too_short', { n: String(field.minLength) }));
      if (field.maxLength !== undefined && length > field.maxLength)
        errors.push(fieldError(field, 'too_long', { n: String(field.maxLength) }));
      return errors;
    }
  }
}

const groupDigits = (n: number): string => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
const withExpectedJa = (message: string, expected: string): string => `${message.replace(/。$/, '')}（正しい値: ${expected}）。`;
const withExpectedEn = (message: string, expected: string): string => `${message.replace(/\.$/, '')} (expected ${expected}).`;

function checkDateOffset(rule: DateOffsetRule, form: Record<string, unknown>): FieldError[] {
  const value = own(form, rule.field);
  const from = own(form, rule.from);
  if (typeof value !== 'string' || typeof from !== 'string' || !parseIsoDate(from)) return [];
  const expected = addDays(from, rule.days);
  if (value === expected) return [];
  return [
    {
      field: rule.field,
      code: 'date_offset_mismatch',
      message: withExpectedJa(rule.message, expected),
      messageEn: withExpectedEn(rule.messageEn, expected),
    },
  ];
}

function checkSum(rule: SumRule, form: Record<string, unknown>, fields: ReadonlyMap<string, FieldDefinition>): FieldError[] {
  const total = own(form, rule.field);
  const terms = rule.of.map((name) => own(form, name));
  if (typeof total !== 'number' || terms.every((t) => !isPresent(t))) return [];
  // Absent terms count as 0 (現物 is usually left empty).
  const raw = terms.reduce<number>((sum, t) => sum + (typeof t === 'number' ? t : 0), 0);
  let expected = rule.truncateTo ? Math.floor(raw / rule.truncateTo) * rule.truncateTo : raw;
  if (rule.max !== undefined && expected > rule.max) {
    if (rule.overMax === 'clamp') {
      expected = rule.max;
    } else {
      const label = fields.get(rule.field)!;
      return [
        {
          field: rule.field,
          code: 'sum_over_max',
          message: `${label.label}（${groupDigits(expected)}）が上限の${groupDigits(rule.max)}を超えています。`,
          messageEn: `${label.labelEn} (${groupDigits(expected)}) exceeds the maximum of ${groupDigits(rule.max)}.`,
        },
      ];
    }
  }
  if (total === expected) return [];
  return [
    {
      field: rule.field,
      code: 'sum_mismatch',
      message: withExpectedJa(rule.message, groupDigits(expected)),
      messageEn: withExpectedEn(rule.messageEn, groupDigits(expected)),
    },
  ];
}

function checkOneOf(rule: OneOfRule, form: Record<string, unknown>, fields: ReadonlyMap<string, FieldDefinition>): FieldError[] {
  const present = rule.fields.filter((name) => isPresent(own(form, name)));
  if (present.length === 1) return [];
  if (present.length === 0) return [{ field: rule.fields[0], code: 'one_of_missing', message: rule.message, messageEn: rule.messageEn }];
  const ja = present.map((n) => fields.get(n)!.label);
  const en = present.map((n) => fields.get(n)!.labelEn);
  return [
    {
      field: present[1],
      code: 'one_of_multiple',
      message: `${ja.join('と')}は${present.length === 2 ? 'どちらか' : 'いずれか'}一つだけ入力してください。`,
      messageEn: `Enter only one of ${en.join(', ')}.`,
    },
  ];
}

const ruleError = (field: string, code: RuleErrorCode, rule: RuleDefinition): FieldError => ({
  field,
  code,
  message: rule.message,
  messageEn: rule.messageEn,
});

/** Both dates real, and `field` not before `before` (not on it either, unless allowed): a date_order error at `field`. */
function checkDateOrder(rule: DateOrderRule, form: Record<string, unknown>): FieldError[] {
  const value = own(form, rule.field);
  const other = own(form, rule.before);
  if (typeof value !== 'string' || typeof other !== 'string' || !parseIsoDate(value) || !parseIsoDate(other)) return [];
  const ok = value < other || (rule.allowEqual === true && value === other);
  return ok ? [] : [ruleError(rule.field, 'date_order', rule)];
}

function checkDateHorizon(rule: DateHorizonRule, form: Record<string, unknown>, today: string): FieldError[] {
  const value = own(form, rule.field);
  if (typeof value !== 'string' || !parseIsoDate(value)) return [];
  return value > addDays(today, rule.maxDaysAhead) ? [ruleError(rule.field, 'date_too_far_ahead', rule)] : [];
}

/** A birth on or after the date is left to the dateOrder rule, so one mistake gives one message. */
function checkAgeRange(rule: AgeRangeRule, form: Record<string, unknown>): FieldError[] {
  const on = own(form, rule.field);
  const birth = own(form, rule.birth);
  if (typeof on !== 'string' || typeof birth !== 'string' || !parseIsoDate(on) || !parseIsoDate(birth)) return [];
  if (birth >= on) return [];
  const age = fullYears(birth, on);
  if ((rule.min !== undefined && age < rule.min) || (rule.max !== undefined && age > rule.max))
    return [ruleError(rule.birth, 'age_out_of_range', rule)];
  return [];
}

/** The fields whose values (not just presence) a rule computes with. */
function valuesUsedBy(rule: RuleDefinition): readonly string[] {
  switch (rule.kind) {
    case 'dateOffset':
      return [rule.field, rule.from];
    case 'sum':
      return [rule.field, ...rule.of];
    case 'oneOf':
      // Presence only: "both given" is wrong whatever their format.
      return [];
    case 'dateOrder':
      return [rule.field, rule.before];
    case 'dateHorizon':
      return [rule.field];
    case 'ageRange':
      return [rule.field, rule.birth];
  }
}

/**
 * Validates a form against a procedure definition and returns every error at
 * once (never stops at the first), in a stable order: unknown fields, then the
 * fields in form order, then the cross-field rules in definition order.
 * Rules that look at today (dateHorizon) use `options.today` (ISO, in Japan),
 * else todayInJapan(). A date or sum rule is skipped while one of its fields has a type/format
 * error (that error is already reported and the computation would be noise).
 */
export function validateForm(
  def: ProcedureDefinition,
  form: Record<string, unknown>,
  mode: ValidationMode,
  options: { readonly today?: string } = {},
): FieldError[] {
  if (typeof form !== 'object' || form === null || Array.isArray(form)) {
    return [
      {
        field: '',
        code: 'invalid_form',
        message: '様式の内容はオブジェクトで送信してください。',
        messageEn: 'The form must be an object.',
      },
    ];
  }
  const fields = fieldMap(def);
  const errors: FieldError[] = [];

  for (const key of Object.keys(form)) {
    if (!fields.has(key)) {
      errors.push({
        field: key,
        code: 'unknown_field',
        message: `「${key}」はこの様式（${def.name}）にない項目です。`,
        messageEn: `"${key}" is not a field of this form (${def.nameEn}).`,
      });
    }
  }

  const invalid = new Set<string>();
  for (const field of listFields(def)) {
    const value = own(form, field.name);
    if (isPresent(value)) {
      const valueErrors = checkValue(field, value, mode);
      if (mode === 'complete' && valueErrors.length === 0 && field.codes && !field.codes.some((c) => c.value === value)) {
        valueErrors.push(fieldError(field, 'not_in_code_list', { value: String(value) }));
      }
      if (valueErrors.length > 0) invalid.add(field.name);
      errors.push(...valueErrors);
      if (mode === 'complete' && field.forbiddenIf && evaluateCondition(field.forbiddenIf, form))
        errors.push(fieldError(field, 'forbidden'));
    } else if (mode === 'complete' && (field.required || (field.requiredIf && evaluateCondition(field.requiredIf, form)))) {
      errors.push(fieldError(field, 'required'));
    }
  }

  if (mode === 'complete') {
    for (const rule of def.rules) {
      if (rule.when && !evaluateCondition(rule.when, form)) continue;
      if (valuesUsedBy(rule).some((name) => invalid.has(name))) continue;
      switch (rule.kind) {
        case 'dateOffset':
          errors.push(...checkDateOffset(rule, form));
          break;
        case 'sum':
          errors.push(...checkSum(rule, form, fields));
          break;
        case 'oneOf':
          errors.push(...checkOneOf(rule, form, fields));
          break;
        case 'dateOrder':
          errors.push(...checkDateOrder(rule, form));
          break;
        case 'dateHorizon':
          errors.push(...checkDateHorizon(rule, form, options.today ?? todayInJapan()));
          break;
        case 'ageRange':
          errors.push(...checkAgeRange(rule, form));
          break;
      }
    }
  }
  return errors;
}
