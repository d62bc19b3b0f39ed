import { useI18n } from 'vue-i18n';
import { parseIsoDay, toEraDate } from '@/utils/era';

export interface EraDisplay {
  /** e.g. 令和元年5月1日; null before Meiji. */
  era: string | null;
  /** e.g. 2019年5月1日. */
  western: string;
}

/** Shows an ISO day (YYYY-MM-DD) in 和暦 and 西暦, in the current language. */
export function useEraDate() {
  const { t, locale } = useI18n({ useScope: 'global' });

  function monthName(month: number): string {
    return new Intl.DateTimeFormat(locale.value === 'en' ? 'en-US' : 'ja-JP', { month: 'long', timeZone: 'UTC' }).format(
      new Date(Date.UTC(2000, month - 1, 1)),
    );
  }

  function formatEraDate(iso: string): EraDisplay | null {
    const day = parseIsoDay(iso);
    if (!day) return null;
    const params = { month: String(day.month), day: String(day.day), monthName: monthName(day.month) };
    const era = toEraDate(iso);
    return {
      era: era
        ? t('era.date', { ...params, era: t(`era.${era.era}`), year: era.year === 1 ? t('era.firstYear') : String(era.year) })
        : null,
      western: t('era.western', { ...params, year: String(day.year) }),
    };
  }

  return { formatEraDate };
}
