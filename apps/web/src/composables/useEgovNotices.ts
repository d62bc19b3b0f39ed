import type { EgovNotice } from '@/api/client';
import { useDateFormat } from '@/composables/useDateFormat';

/** The government's 補正 notice (type 補正, or a longer word starting with it). */
export function isCorrectionNotice(notice: EgovNotice): boolean {
  return notice.type.startsWith('補正');
}

/** The latest 補正 notice: what e-Gov wants corrected. */
export function latestCorrectionNotice(notices: readonly EgovNotice[]): EgovNotice | null {
  let latest: EgovNotice | null = null;
  for (const notice of notices) {
    // Later in the list wins a tie (and among notices without a date).
    if (isCorrectionNotice(notice) && (!latest || (notice.date ?? '') >= (latest.date ?? ''))) latest = notice;
  }
  return latest;
}

/** A notice's date: a plain day as it is, an instant in JST. */
export function useNoticeDate(): (date: string) => string {
  const { formatDateTime } = useDateFormat();
  return (date) => {
    const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
    if (day) return `${day[1]}/${day[2]}/${day[3]}`;
    return formatDateTime(date) || date;
  };
}
