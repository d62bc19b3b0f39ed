import { useI18n } from 'vue-i18n';

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'] as const;

/** Bytes for people: 1024-based, one decimal from KB on (`1.5 MB`). */
export function formatBytes(bytes: number | null | undefined, locale: string): string {
  if (typeof bytes !== 'number' || !Number.isFinite(bytes) || bytes < 0) return '';
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const number = new Intl.NumberFormat(locale === 'en' ? 'en-US' : 'ja-JP', {
    maximumFractionDigits: unit === 0 ? 0 : 1,
    minimumFractionDigits: unit === 0 ? 0 : 1,
  }).format(value);
  return `${number} ${UNITS[unit]}`;
}

/** The first 12 hex digits of a sha256: enough to tell generations apart on screen and in a dialog. */
export function shortSha(sha256: string | null | undefined): string {
  return (sha256 ?? '').slice(0, 12);
}

export function useBackupFormat() {
  const { locale } = useI18n({ useScope: 'global' });
  return {
    formatBytes: (bytes: number | null | undefined) => formatBytes(bytes, locale.value),
    shortSha,
  };
}
