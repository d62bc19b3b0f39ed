import { addBusinessDays, deletionDueAt, isBusinessDay, jstDate } from './business-days';

const due = (iso: string) => deletionDueAt(new Date(iso)).toISOString();

describe('deletion due date (5 business days, JST)', () => {
  it('day 0 is the JST day of the effective time, not the UTC one', () => {
    // 2026-01-14 23:30 UTC is already Thursday 2026-01-15 in Japan
    expect(jstDate(new Date('2026-01-14T23:30:00Z'))).toBe('2026-01-15');
    expect(jstDate(new Date('2026-01-14T14:59:59.999Z'))).toBe('2026-01-14');
  });

  it('plain week: Monday → next Monday, end of day JST', () => {
    // Mon 2026-02-02 → Tue 3, Wed 4, Thu 5, Fri 6, Mon 9
    expect(due('2026-02-02T01:00:00Z')).toBe('2026-02-09T14:59:59.999Z');
  });

  it('skips weekends, whatever the kind of day 0', () => {
    // Sat 2026-02-07 (day 0): Mon 9, Tue 10, (Wed 11 建国記念の日), Thu 12, Fri 13, Mon 16
    expect(due('2026-02-07T03:00:00Z')).toBe('2026-02-16T14:59:59.999Z');
    // Fri 2026-03-06: Mon 9 … Fri 13
    expect(due('2026-03-06T03:00:00Z')).toBe('2026-03-13T14:59:59.999Z');
  });

  it('Golden Week 2026: 4/29 (昭和の日), 5/3–5/5 and the 振替休日 5/6 are skipped', () => {
    expect(isBusinessDay('2026-05-06')).toBe(false); // 振替休日 for 5/3 (Sunday)
    // Tue 2026-04-28: Thu 4/30, Fri 5/1, Thu 5/7, Fri 5/8, Mon 5/11
    expect(due('2026-04-28T00:00:00Z')).toBe('2026-05-11T14:59:59.999Z');
  });

  it('Golden Week 2025 with the 振替休日 of 2025-05-06', () => {
    expect(isBusinessDay('2025-05-06')).toBe(false);
    // Thu 2025-05-01: Fri 5/2, Wed 5/7, Thu 5/8, Fri 5/9, Mon 5/12
    expect(due('2025-05-01T00:00:00Z')).toBe('2025-05-12T14:59:59.999Z');
  });

  it('年末年始 12/29–1/3 and 成人の日: 2026-12-28 → 2027-01-08', () => {
    for (const d of ['2026-12-29', '2026-12-30', '2026-12-31', '2027-01-01', '2027-01-02', '2027-01-03'])
      expect(isBusinessDay(d)).toBe(false);
    expect(isBusinessDay('2026-12-28')).toBe(true);
    // Mon 2026-12-28: Mon 1/4, Tue 1/5, Wed 1/6, Thu 1/7, Fri 1/8
    expect(due('2026-12-28T02:00:00Z')).toBe('2027-01-08T14:59:59.999Z');
    // Thu 2027-01-07: Fri 1/8, (Mon 1/11 成人の日), Tue 1/12, Wed 1/13, Thu 1/14, Fri 1/15
    expect(due('2027-01-07T02:00:00Z')).toBe('2027-01-15T14:59:59.999Z');
  });

  it('シルバーウィーク 2026 (敬老の日 9/21, 国民の休日 9/22, 秋分の日 9/23)', () => {
    // Fri 2026-09-18: Thu 9/24, Fri 9/25, Mon 9/28, Tue 9/29, Wed 9/30
    expect(addBusinessDays('2026-09-18', 5)).toBe('2026-09-30');
  });

  it('a cancellation late on a JST day counts from that day', () => {
    // 23:59 JST Friday 2026-03-06 = 14:59 UTC
    expect(due('2026-03-06T14:59:00Z')).toBe('2026-03-13T14:59:59.999Z');
    // 00:00 JST Saturday 2026-03-07
    expect(due('2026-03-06T15:00:00Z')).toBe('2026-03-13T14:59:59.999Z');
  });
});
