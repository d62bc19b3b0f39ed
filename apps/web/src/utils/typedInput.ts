import type { SchemaField } from '@/api/client';

/**
 * The SPA's mirror of libs/procedures/src/typed-input.ts (the SPA cannot
 * import a Nest lib): input as Japanese users type it, brought to the form's
 * canonical spelling when a field is left — 全角数字・全角カンマ → 半角,
 * 半角カナ → 全角カナ, ひらがな → カタカナ in カナ fields, spaces around a value dropped, one full-width space
 * between 姓 and 名. The server normalises the same way before its check (it
 * is the authority); both are tested against the shared vectors in
 * libs/procedures/src/vectors/typed-input.json (typedInput.spec.ts).
 */
export type TypedInputKind = 'integer' | 'date' | 'code' | 'number-text' | 'kana' | 'name' | 'text' | 'boolean';

/** Formats made of digits and hyphens (番号, 郵便番号, 電話番号). */
const NUMBER_FORMATS = new Set(['digits', 'my-number', 'basic-pension-number', 'employment-insured-number', 'postal-code', 'phone']);

/** How a field's typed text is normalised, from its JSON Schema. */
export function inputKindOf(field: SchemaField): TypedInputKind {
  if (field.type === 'integer') return 'integer';
  if (field.type === 'boolean') return 'boolean';
  if (field.format === 'date') return 'date';
  if (field['x-codes'] || field.enum) return 'code';
  const format = field['x-format'];
  if (format && NUMBER_FORMATS.has(format)) return 'number-text';
  if (format === 'katakana') return 'kana';
  if (format === 'kanji-name') return 'name';
  return 'text';
}

/** Dashes people (and IMEs) type for the hyphen of a number: ‐ ‑ ‒ – — ― − ー ｰ. */
const DASHES = /[\u2010-\u2015\u2212\u30FC\uFF70]/g;
/** Half-width katakana and its marks (U+FF61–FF9F): NFKC composes ｶﾞ into ガ. */
const HALF_WIDTH_KANA = /[\uFF61-\uFF9F]+/g;
const SPACES = /[ \u3000]+/g;

const halfKanaToFull = (s: string): string => s.replace(HALF_WIDTH_KANA, (run) => run.normalize('NFKC'));
/** Hiragana ぁ..ゖ (U+3041–3096): each has its katakana 0x60 further on (ァ..ヶ, ゔ → ヴ). */
const HIRAGANA = /[\u3041-\u3096]/g;
/** In a カナ field, hiragana is what the IME gave before the user converted it: the same sounds in katakana. */
const hiraganaToKatakana = (s: string): string => s.replace(HIRAGANA, (c) => String.fromCharCode(c.charCodeAt(0) + 0x60));

/** The canonical spelling of typed text; for `integer` a number when the text is one. */
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
      return text.normalize('NFKC').replace(DASHES, '-').replace(/^〒/u, '').replace(/\s+/g, '');
    case 'kana':
      // やまだ → ヤマダ: only in カナ fields (a 漢字 name may hold hiragana: 山田 さくら).
      return hiraganaToKatakana(halfKanaToFull(text)).trim().replace(SPACES, '\u3000');
    case 'name':
      return halfKanaToFull(text).trim().replace(SPACES, '\u3000');
    case 'text':
      return halfKanaToFull(text).trim();
    case 'boolean':
      return text;
  }
}
