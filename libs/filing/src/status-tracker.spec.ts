import { mapEgovStatus } from './status-tracker.service';

describe('mapEgovStatus (the government status strings → our state machine)', () => {
  it.each([
    ['到達', 'arrived'],
    ['審査中', 'under_review'],
    ['審査中（補正待ち）', 'correction_requested'],
    [' 審査中（補正待ち） ', 'correction_requested'],
    ['審査終了', 'review_finished'],
    ['手続終了', 'completed'],
    ['取下げ', 'withdrawn'],
  ])('%s → %s', (egov, ours) => {
    expect(mapEgovStatus(egov)).toBe(ours);
  });

  it('keeps the current state for a string it does not know', () => {
    expect(mapEgovStatus('受付中')).toBeUndefined();
    expect(mapEgovStatus('')).toBeUndefined();
  });

  it('tells a withdrawn case (手続終了 with a 取下げ notice) from a completed one', () => {
    expect(mapEgovStatus('手続終了', ['お知らせ', '取下げ'])).toBe('withdrawn');
    expect(mapEgovStatus('手続終了', ['お知らせ', '補正'])).toBe('completed');
    // A 取下げ notice does not change a case still under review.
    expect(mapEgovStatus('審査中', ['取下げ'])).toBe('under_review');
  });
});
