import { describe, expect, it } from 'vitest';
import { formatDate, formatDateTime, jstDateTimeIso, jstDayStartIso } from '@/composables/useDateFormat';

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

describe(formatDate.name, () => {
  it('shows the Japanese calendar day of an instant, without the time', () => {
    // The end of a day in JST (a 消去予定日) is still that day.
    expect(formatDate('2026-12-09T14:59:59.999Z', 'ja')).toBe('2026/12/09');
    expect(formatDate('2026-12-09T15:00:00.000Z', 'ja')).toBe('2026/12/10');
    expect(formatDate('2026-12-09T14:59:59.999Z', 'en')).toBe('09 Dec 2026');
    expect(formatDate(null, 'ja')).toBe('');
    expect(formatDate('nope', 'ja')).toBe('');
  });
});

describe(jstDateTimeIso.name, () => {
  it('reads a date-time input as Japan time', () => {
    expect(jstDateTimeIso('2026-12-03T09:30')).toBe('2026-12-03T00:30:00.000Z');
    expect(jstDateTimeIso('2027-01-01T00:00:05')).toBe('2026-12-31T15:00:05.000Z');
  });

  it('refuses what is not a date-time', () => {
    expect(jstDateTimeIso('')).toBeNull();
    expect(jstDateTimeIso('2026-12-03')).toBeNull();
    expect(jstDateTimeIso('2026-02-30T10:00')).toBeNull();
    expect(jstDateTimeIso('2026-12-03T24:00')).toBeNull();
  });
});
