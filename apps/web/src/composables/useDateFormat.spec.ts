import { describe, expect, it } from 'vitest';
import { formatDateTime } from '@/composables/useDateFormat';

describe(formatDateTime.name, () => {
  it('shows instants in Japan time whatever the runtime time zone', () => {
    // 23:30 UTC on 31 Dec is already New Year in Tokyo.
    expect(formatDateTime('2024-12-31T23:30:00Z', 'ja')).toBe('2025/01/01 08:30 JST');
    expect(formatDateTime('2024-12-31T23:30:00Z', 'en')).toBe('01 Jan 2025, 08:30 JST');
  });

  it('answers an empty string for missing or malformed values', () => {
    expect(formatDateTime(null, 'ja')).toBe('');
    expect(formatDateTime('not a date', 'ja')).toBe('');
  });
});
