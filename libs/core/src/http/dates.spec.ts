import { isCalendarDate, isInstant, jstCalendarDate, jstEndOfDay } from './dates';

describe('dates', () => {
  it.each(['2026-02-28', '2024-02-29', '1900-01-01', '9999-12-31'])('isCalendarDate accepts %s', (d) => {
    expect(isCalendarDate(d)).toBe(true);
  });

  it.each([
    '2026-02-30',
    '2025-02-29',
    '0000-00-00',
    '0000-01-01',
    '1899-12-31',
    '99999-01-01',
    '2026-13-01',
    '2026-1-1',
    ' 2026-01-01',
    20260101,
  ])('isCalendarDate refuses %s', (d) => {
    expect(isCalendarDate(d)).toBe(false);
  });

  it.each(['2026-01-01', '2026-01-01T00:00Z', '2026-01-01T15:00:00.000Z', '2026-01-01T23:59:59.123456+09:00', '2026-06-30T00:00:00-14:00'])(
    'isInstant accepts %s',
    (d) => {
      expect(isInstant(d)).toBe(true);
    },
  );

  it.each([
    '2026-02-30T00:00:00Z',
    '2026-01-01T24:00:00Z',
    '2026-01-01T00:00:60Z',
    '2026-01-01T00:00:00+15:00',
    '2026-01-01T00:00:00',
    '2026-W01',
    '2026-001',
    '2026',
    '+099999-01-01T00:00:00Z',
    '0000-01-01T00:00:00Z',
    'yesterday',
  ])('isInstant refuses %s', (d) => {
    expect(isInstant(d)).toBe(false);
  });

  it.each([
    ['2026-12-03T14:59:59.999Z', '2026-12-03'],
    // 00:30 JST on 12/4 is still 12/3 in UTC: the day in Japan is the 4th.
    ['2026-12-03T15:30:00.000Z', '2026-12-04'],
    ['2026-12-31T15:00:00.000Z', '2027-01-01'],
  ])('jstCalendarDate of %s is %s', (iso, day) => {
    expect(jstCalendarDate(new Date(iso))).toBe(day);
  });

  it('jstEndOfDay is the last millisecond of that day in Japan', () => {
    expect(jstEndOfDay('2027-03-03').toISOString()).toBe('2027-03-03T14:59:59.999Z');
    expect(jstEndOfDay('2028-02-29').toISOString()).toBe('2028-02-29T14:59:59.999Z');
    expect(jstCalendarDate(jstEndOfDay('2027-03-03'))).toBe('2027-03-03');
    expect(() => jstEndOfDay('2027-02-30')).toThrow(RangeError);
  });
});
