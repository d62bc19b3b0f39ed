import { describe, expect, it } from 'vitest';
import { APPLICATION_STATUSES, type TimelineEntry } from '@/api/client';
import OPENAPI from '@/api/openapi.json';
import { FILING_STEPS, STATUS_PLACES, progressOf, submittedAt } from '@/utils/applicationProgress';

const move = (from: string | null, to: string, at = '2026-04-01T00:00:00.000Z'): TimelineEntry => ({
  at,
  kind: 'status',
  fromStatus: from,
  toStatus: to,
  actor: null,
  details: {},
});

/** The statuses the API documents: a new one fails here until the stepper knows where it stands. */
const API_STATUSES: readonly string[] = OPENAPI.components.schemas.ApplicationSummary.properties.status.enum;

describe('STATUS_PLACES', () => {
  it('places every status of the API and of the SPA on the stepper', () => {
    expect([...API_STATUSES].sort()).toEqual([...APPLICATION_STATUSES].sort());
    for (const status of API_STATUSES) {
      expect(STATUS_PLACES, status).toHaveProperty(status);
      const progress = progressOf(status);
      expect(progress, status).not.toBeNull();
      // Exactly one step is the current one (aria-current="step").
      expect(
        progress!.steps.filter((s) => s.state === 'current'),
        status,
      ).toHaveLength(1);
    }
    expect(Object.keys(STATUS_PLACES).sort()).toEqual([...APPLICATION_STATUSES].sort());
  });
});

describe(progressOf.name, () => {
  const keys = (status: string, timeline?: TimelineEntry[]) =>
    progressOf(status, timeline)!.steps.map((s) => `${s.key}:${s.state}${s.tone ? `:${s.tone}` : ''}`);

  it('follows a filing 送信中 → 到達 → 審査中 → 審査終了 → 手続終了', () => {
    expect(keys('submitting')).toEqual([
      'submitting:current',
      'arrived:upcoming',
      'under_review:upcoming',
      'review_finished:upcoming',
      'completed:upcoming',
    ]);
    expect(keys('under_review')).toEqual([
      'submitting:done',
      'arrived:done',
      'under_review:current',
      'review_finished:upcoming',
      'completed:upcoming',
    ]);
    expect(keys('completed')).toEqual([
      'submitting:done',
      'arrived:done',
      'under_review:done',
      'review_finished:done',
      'completed:current:success',
    ]);
    expect(progressOf('completed')!.track).toBe('filing');
  });

  it('shows 補正待ち as a branch off 審査中', () => {
    const p = progressOf('correction_requested')!;
    const current = p.steps.find((s) => s.state === 'current')!;
    expect(current).toEqual({ key: 'under_review', state: 'current', tone: 'attention', branch: 'correction' });
    expect(p.steps.map((s) => s.key)).toEqual([...FILING_STEPS]);
  });

  it('ends a withdrawn filing where it was withdrawn, with 取下げ in place of the steps left', () => {
    const timeline = [
      move('ready', 'submitting'),
      move('submitting', 'arrived'),
      move('arrived', 'under_review'),
      move('under_review', 'withdrawn'),
    ];
    expect(keys('withdrawn', timeline)).toEqual(['submitting:done', 'arrived:done', 'under_review:done', 'withdrawn:current:ended']);
    // Withdrawn during a correction: it was under review.
    expect(keys('withdrawn', [move('correction_requested', 'withdrawn')])).toEqual([
      'submitting:done',
      'arrived:done',
      'under_review:done',
      'withdrawn:current:ended',
    ]);
    // No history: the earliest a filing can be withdrawn.
    expect(keys('withdrawn')).toEqual(['submitting:done', 'arrived:done', 'withdrawn:current:ended']);
  });

  it('shows a failed sending as 送信失敗 in place of 送信中, the steps a new submission takes after it', () => {
    expect(keys('failed')).toEqual([
      'failed:current:error',
      'arrived:upcoming',
      'under_review:upcoming',
      'review_finished:upcoming',
      'completed:upcoming',
    ]);
  });

  it('has a compact track before submission: 下書き → 入力チェック → 提出', () => {
    expect(progressOf('draft')!.track).toBe('draft');
    expect(keys('draft')).toEqual(['draft:current', 'check:upcoming', 'submit:upcoming']);
    expect(keys('ready')).toEqual(['draft:done', 'check:done', 'submit:current']);
  });

  it('answers null for a status it does not know (a newer server), and for inherited names', () => {
    expect(progressOf('archived')).toBeNull();
    expect(progressOf('toString')).toBeNull();
  });
});

describe(submittedAt.name, () => {
  it('is the latest move to 送信中 (a failed filing submitted again counts from the second time)', () => {
    const timeline = [
      move('ready', 'submitting', '2026-04-01T01:00:00.000Z'),
      move('submitting', 'failed', '2026-04-01T01:01:00.000Z'),
      move('ready', 'submitting', '2026-04-02T03:00:00.000Z'),
      move('submitting', 'arrived', '2026-04-02T03:01:00.000Z'),
    ];
    expect(submittedAt(timeline)).toBe('2026-04-02T03:00:00.000Z');
    expect(submittedAt([])).toBeNull();
    expect(submittedAt(undefined)).toBeNull();
  });
});
