import { parseIsoDay } from '@/utils/era';
import { normalizeTypedText } from '@/utils/typedInput';

/** What a typed date is: empty, a real day (ISO `YYYY-MM-DD`), or not a date. */
export type DateText =
  | { kind: 'empty' }
  | { kind: 'day'; iso: string }
  /** `format`: not written as a date; `nonexistent`: written as one, but no such day (2026-02-30). */
  | { kind: 'invalid'; text: string; reason: 'format' | 'nonexistent' };

/**
 * A date as Japanese users type it, read the way the procedure forms read it
 * (typedInput.ts): 2026-04-01, 2026/4/1, 2026.04.01, ２０２６／０４／０１ and
 * 2026年4月1日 all give 2026-04-01. A day that does not exist (2026-02-30) is
 * invalid. The browser's locale plays no part, unlike <input type="date">.
 */
export function parseDateText(text: string): DateText {
  const trimmed = text.normalize('NFKC').trim();
  if (trimmed === '') return { kind: 'empty' };
  const spelled = trimmed.replace(/^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日$/u, '$1-$2-$3');
  const iso = String(normalizeTypedText('date', spelled));
  if (parseIsoDay(iso)) return { kind: 'day', iso };
  return { kind: 'invalid', text: trimmed, reason: /^\d{4}-\d{2}-\d{2}$/.test(iso) ? 'nonexistent' : 'format' };
}
