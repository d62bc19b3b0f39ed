import { setOwn } from './conditions';
import type { FieldDefinition } from './definition';
import type { FieldFormat } from './formats';

/**
 * Input as Japanese users type it, brought to the form's canonical spelling
 * before anything checks it: 全角数字・全角カンマ → 半角 (２５０，０００ → 250000),
 * 半角カナ → 全角カナ (ﾔﾏﾀﾞ → ヤマダ), ひらがな → カタカナ in カナ fields, spaces around a value dropped, the
 * ASCII space between 姓 and 名 made a full-width one. Only strings change; a
 * string that still does not fit stays as typed (trimmed), so the error the
 * validation reports quotes what the user wrote.
 *
 * One implementation for the server (ApplicationsService before the draft
 * check; OfficesService's office identifiers use normalizeTypedText) and the
 * vectors in vectors/typed-input.json that the SPA's mirror
 * (apps/web/src/utils/typedInput.ts, which cannot import a Nest lib) is tested
 * against too.
 */
export const TYPED_INPUT_KINDS = ['integer', 'date', 'code', 'number-text', 'kana', 'name', 'text', 'boolean'] as const;
export type TypedInputKind = (typeof TYPED_INPUT_KINDS)[number];

/** Formats made of digits and hyphens (番号, 郵便番号, 電話番号). */
const NUMBER_FORMATS: ReadonlySet<FieldFormat> = new Set<FieldFormat>([
  'digits',
  'my-number',
  'basic-pension-number',
  'employment-insured-number',
  'postal-code',
  'phone',
]);

/** How a field's typed text is normalised. */
export function inputKindOf(type: FieldDefinition['type'], format?: FieldFormat): TypedInputKind {
  if (type === 'integer' || type === 'date' || type === 'code' || type === 'boolean') return type;
  if (format && NUMBER_FORMATS.has(format)) return 'number-text';
  if (format === 'katakana') return 'kana';
  if (format === 'kanji-name') return 'name';
  return 'text';
}

/** Dashes people (and IMEs) type for the hyphen of a number: ‐ ‑ ‒ – — ― − ー ｰ (NFKC leaves these alone). */
const DASHES = /[\u2010-\u2015\u2212\u30FC\uFF70]/g;
/** Half-width katakana and its marks (U+FF61–FF9F): NFKC composes ｶﾞ into ガ. */
const HALF_WIDTH_KANA = /[\uFF61-\uFF9F]+/g;
/** Any run of spaces, ASCII or full-width. */
const SPACES = /[ \u3000]+/g;

const halfKanaToFull = (s: string): string => s.replace(HALF_WIDTH_KANA, (run) => run.normalize('NFKC'));
/** Hiragana ぁ..ゖ (U+3041–3096): each has its katakana 0x60 further on (ァ..ヶ, ゔ → ヴ). */
const HIRAGANA = /[\u3041-\u3096]/g;
/** In a カナ field, hiragana is what the IME gave before the user converted it: the same sounds in katakana. */
const hiraganaToKatakana = (s: string): string => s.replace(HIRAGANA, (c) => String.fromCharCode(c.charCodeAt(0) + 0x60));

/**
 * The canonical spelling of typed text for one kind of field. For `integer`
 * the answer is a number when the text is one (カンマ区切り, 全角, 末尾の「円」
 * allowed), otherwise the trimmed text.
 */
export function normalizeTypedText(kind: TypedInputKind, text: string): string | number {
  switch (kind) {
    case 'integer': {
      const t = text.normalize('NFKC').trim();
      const plain = t.replace(/,/g, '').replace(/円$/u, '').replace(DASHES, '-').trim();
      if (/^-?\d+$/.test(plain) && Number.isSafeInteger(Number(plain))) return Number(plain);
      return t;
    }
    case 'date': {
      const t = text.normalize('NFKC').trim();
      const m = /^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$/.exec(t.replace(DASHES, '-'));
      return m ? `${m[1]}-${m[2]!.padStart(2, '0')}-${m[3]!.padStart(2, '0')}` : t;
    }
    case 'code':
      return text.normalize('NFKC').trim();
    case 'number-text':
      // 〒 and spaces inside a number (1234 5678 9012) are layout, not content.
      return text.normalize('NFKC').replace(DASHES, '-').replace(/^〒/u, '').replace(/\s+/g, '');
    case 'kana':
      // やまだ → ヤマダ: only in カナ fields (a 漢字 name may hold hiragana: 山田 さくら).
      return hiraganaToKatakana(halfKanaToFull(text)).trim().replace(SPACES, '\u3000');
    case 'name':
      // One full-width space between 姓 and 名, as the forms print it.
      return halfKanaToFull(text).trim().replace(SPACES, '\u3000');
    case 'text':
      return halfKanaToFull(text).trim();
    case 'boolean':
      return text;
  }
}

/** One value of a form: strings are normalised for their field, anything else is left for the validation to judge. */
export function normalizeTypedValue(kind: TypedInputKind, value: unknown): unknown {
  return typeof value === 'string' ? normalizeTypedText(kind, value) : value;
}

/**
 * A form as typed → the same form in canonical spelling (fields unknown to
 * the definition are kept untouched: the validation refuses them).
 */
export function normalizeTypedForm(
  fields: ReadonlyMap<string, FieldDefinition>,
  form: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(form)) {
    const field = fields.get(key);
    setOwn(out, key, field ? normalizeTypedValue(inputKindOf(field.type, field.format), value) : value);
  }
  return out;
}
