import { describe, expect, it } from 'vitest';
import { formatDateTime, jstDayStartIso } from '@/composables/useDateFormat';

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

describe(jstDayStartIso.name, () => {
  it('answers 00:00 JST of the day (and of a later day) in UTC', () => {
    expect(jstDayStartIso('2026-11-26')).toBe('2026-11-25T15:00:00.000Z');
    expect(jstDayStartIso('2026-11-26', 1)).toBe('2026-11-26T15:00:00.000Z');
    // Month and year boundaries.
    expect(jstDayStartIso('2026-12-31', 1)).toBe('2026-12-31T15:00:00.000Z');
    expect(jstDayStartIso('2027-01-01')).toBe('2026-12-31T15:00:00.000Z');
  });

  it('refuses what is not a calendar day', () => {
    expect(jstDayStartIso('')).toBeNull();
    expect(jstDayStartIso('2026/11/26')).toBeNull();
    expect(jstDayStartIso('2026-02-31')).toBeNull();
    expect(jstDayStartIso('2026-11-26T00:00')).toBeNull();
  });
});

describe('formatDateTime with seconds', () => {
  it('keeps the seconds of an audit timestamp with microseconds', () => {
    expect(formatDateTime('2026-11-26T05:04:03.123456Z', 'ja', { seconds: true })).toBe('2026/11/26 14:04:03 JST');
    expect(formatDateTime('2026-11-26T05:04:03.123456Z', 'en', { seconds: true })).toBe('26 Nov 2026, 14:04:03 JST');
  });
});
