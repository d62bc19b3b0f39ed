/**
 * The title of an official document (公文書) as users see it. e-Gov's
 * `doc_title` may carry ids that mean nothing to a person (a 16-character
 * 手続ID such as 999X000000000001 or 4950013521019000, a 到達番号) and may be
 * as bare as 「審査結果通知書」. What users see is that title without ids,
 * after the procedure's Japanese name when the title does not already say
 * which procedure it belongs to. Composed when shown (stored titles stay what
 * e-Gov sent), so documents fetched before this rule are shown right too.
 */

/** 手続ID and 到達番号 shapes: 16 characters of digits and capitals with at least one digit; also our placeholder prefix 999X. */
const ID_TOKEN = /(?<![0-9A-Za-z])(?=[0-9A-Z]*[0-9])[0-9A-Z]{15,20}(?![0-9A-Za-z])/g;
/** Our procedure codes (shaho-shutoku, koyo-shutoku, …): internal, never a title. */
const PROCEDURE_CODE = /(?<![0-9A-Za-z-])[a-z]+(?:-[a-z]+)+(?:\.v\d+)?(?![0-9A-Za-z-])/g;
/** Ids in brackets leave empty brackets behind: （） [] 【】 (). */
const EMPTY_BRACKETS = /[（(［[【]\s*[）)］\]】]/g;

const FALLBACK = '公文書';

/** A label in front of an id (到達番号: 2026…, 手続ID：999X…): dropped with its id. */
const ID_LABEL = /(?:到達番号|手続ID|手続き?番号|申請番号|通知番号|arrive_id|proc_id)\s*[:：]?\s*(?=[0-9A-Z]{15,20}(?![0-9A-Za-z]))/gi;
/** A line break inside Japanese text joins without a space (補正の⏎お願い is 補正のお願い). */
const JAPANESE_LINE_BREAK = /(?<=\P{ASCII})[\r\n]+(?=\P{ASCII})/gu;
/** Control characters (a stray CR/LF or NUL in e-Gov's text) are no part of a title. */
const CONTROL = /\p{Cc}/gu;

/**
 * A title from the government without what means nothing to a person: ids
 * (手続ID, 到達番号, our placeholder 999X…) and their labels, our procedure
 * codes, the brackets they leave empty, control characters and extra spaces.
 * '' when nothing is left.
 */
export function withoutIds(raw: string | null | undefined): string {
  return (raw ?? '')
    .replace(JAPANESE_LINE_BREAK, '')
    .replace(CONTROL, ' ')
    .replace(ID_LABEL, '')
    .replace(ID_TOKEN, ' ')
    .replace(PROCEDURE_CODE, ' ')
    .replace(EMPTY_BRACKETS, ' ')
    .replace(/[\s\u3000]+/g, ' ')
    .replace(/([（(［[【]) | ([）)］\]】])/g, '$1$2')
    .replace(/^[\s:：\-－・_／/]+|[\s:：\-－・_／/]+$/g, '')
    .trim();
}

export function documentTitle(raw: string | null | undefined, procedureName: string): string {
  const cleaned = withoutIds(raw);
  const name = procedureName.trim();
  if (!cleaned) return name ? `${name} ${FALLBACK}` : FALLBACK;
  if (!name || sameProcedure(cleaned, name)) return cleaned;
  return `${name} ${cleaned}`;
}

/** Spacing and 全角/半角 are no difference of procedure (e-Gov writes ７０歳, we write 70歳). */
const squeeze = (s: string): string => s.normalize('NFKC').replace(/\s+/g, '');

/** The title already names the procedure (e-Gov's own titles usually start with it). */
function sameProcedure(title: string, procedureName: string): boolean {
  const t = squeeze(title);
  const n = squeeze(procedureName);
  // Our name is "健康保険・厚生年金保険 被保険者資格取得届"; e-Gov may add "／厚生年金保険70歳以上被用者該当届" or drop the space.
  return t.includes(n) || n.split(/[／/]/).some((part) => part.length >= 6 && t.includes(part));
}
