import { withoutIds } from './document-title';

/**
 * The title and type of a notice e-Gov sent about a case (補正, 取下げ,
 * お知らせ), as users see them in the application's e-Gov panel and the 補正
 * banner. e-Gov's `notice_title` is free text of up to 256 characters that may
 * carry a 到達番号 or 手続ID (「【到達番号：202604020000123456】補正のお願い」), stray
 * line breaks or nothing at all; what users see is the title without those,
 * else a plain title for its type. Composed when shown (stored titles stay
 * what e-Gov sent), so notices fetched before this rule are shown right too.
 */

/** Titles for a notice whose own title is empty once the ids are gone. */
const FALLBACK_BY_TYPE: ReadonlyArray<[RegExp, string]> = [
  [/補正/, '補正のお願い'],
  [/取下/, '取下げについて'],
  [/公文書/, '公文書の発出について'],
];
const FALLBACK = 'e-Govからのお知らせ';
/** e-Gov's own word for a notice without a type. */
const DEFAULT_TYPE = 'お知らせ';

export function caseNoticeType(raw: string | null | undefined): string {
  const type = (raw ?? '').replace(/[\s\u3000]+/g, ' ').trim();
  // A bare number or code (no Japanese word) says nothing to a person: e-Gov's own default word instead.
  return type && /[^\x20-\x7e]/.test(type) ? type : DEFAULT_TYPE;
}

export function caseNoticeTitle(raw: string | null | undefined, type: string | null | undefined): string {
  const cleaned = withoutIds(raw);
  if (cleaned) return cleaned;
  const t = caseNoticeType(type);
  return FALLBACK_BY_TYPE.find(([re]) => re.test(t))?.[1] ?? FALLBACK;
}
