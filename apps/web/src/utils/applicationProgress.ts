import type { ApplicationStatus, TimelineEntry } from '@/api/client';

/**
 * Where an application is on its way, for the stepper at the top of its page.
 * Pure: the component only draws what this answers.
 *
 * Two tracks: before submission 下書き → 入力チェック → 提出; after it
 * 送信中 → 到達 → 審査中 → 審査終了 → 手続終了. 補正待ち is a branch off 審査中
 * (e-Gov sends the case back to the applicant, review goes on after the 補正);
 * 取下げ and 送信失敗 end the filing where it was.
 */

export const FILING_STEPS = ['submitting', 'arrived', 'under_review', 'review_finished', 'completed'] as const;
export type FilingStep = (typeof FILING_STEPS)[number];
export const DRAFT_STEPS = ['draft', 'check', 'submit'] as const;
export type DraftStep = (typeof DRAFT_STEPS)[number];

export interface StatusPlace {
  track: 'draft' | 'filing';
  /** Index of the step the application is at, in its track. */
  step: number;
  /** 補正待ち: e-Gov asked for a correction during review. */
  branch?: 'correction';
  /** The filing ended here without 手続終了 (取下げ), or could not be sent (送信失敗). */
  terminal?: 'withdrawn' | 'failed';
  /** The last step is reached: nothing comes after it. */
  finished?: boolean;
}

const step = (s: FilingStep): number => FILING_STEPS.indexOf(s);

/**
 * Every status of the API, placed on a track. A Record over the status type,
 * so a status added to the API without a place here does not compile, and
 * applicationProgress.spec.ts checks the list against the OpenAPI document.
 */
export const STATUS_PLACES: Readonly<Record<ApplicationStatus, StatusPlace>> = {
  draft: { track: 'draft', step: 0 },
  // 入力チェック passed: 提出 is what is left.
  ready: { track: 'draft', step: 2 },
  // 承認待ち: submitted, waiting for the approvers (承認フロー) before anything goes to e-Gov.
  awaiting_approval: { track: 'draft', step: 2 },
  submitting: { track: 'filing', step: step('submitting') },
  arrived: { track: 'filing', step: step('arrived') },
  under_review: { track: 'filing', step: step('under_review') },
  correction_requested: { track: 'filing', step: step('under_review'), branch: 'correction' },
  review_finished: { track: 'filing', step: step('review_finished') },
  completed: { track: 'filing', step: step('completed'), finished: true },
  // Where it was withdrawn comes from the history (withdrawnAt); 到達 is the earliest a filing can be withdrawn.
  withdrawn: { track: 'filing', step: step('arrived'), terminal: 'withdrawn' },
  // Sending failed: it never reached e-Gov.
  failed: { track: 'filing', step: step('submitting'), terminal: 'failed' },
};

export type StepState = 'done' | 'current' | 'upcoming';

export interface ProgressStep {
  /** A FilingStep or DraftStep, or the terminal state (withdrawn, failed) that replaces the steps left. */
  key: FilingStep | DraftStep | 'withdrawn' | 'failed';
  state: StepState;
  /** How the current step reads: attention (補正待ち), error (送信失敗), ended (取下げ), success (手続終了). */
  tone?: 'attention' | 'error' | 'ended' | 'success';
  /** 補正待ち hangs off this step. */
  branch?: 'correction';
}

export interface Progress {
  track: 'draft' | 'filing';
  steps: ProgressStep[];
}

/** The step a withdrawn application had reached: the status it was withdrawn from, from its history. */
function withdrawnFrom(timeline: readonly TimelineEntry[] | undefined): number | null {
  const entry = [...(timeline ?? [])].reverse().find((e) => e.toStatus === 'withdrawn');
  const from = entry?.fromStatus as ApplicationStatus | null | undefined;
  const place = from ? STATUS_PLACES[from] : undefined;
  return place && place.track === 'filing' && !place.terminal ? place.step : null;
}

/**
 * The stepper of a status; null for a status this SPA does not know (a
 * newer server): the page then shows the status chip only.
 */
export function progressOf(status: string, timeline?: readonly TimelineEntry[]): Progress | null {
  if (!Object.prototype.hasOwnProperty.call(STATUS_PLACES, status)) return null;
  const s = status as ApplicationStatus;
  const place = STATUS_PLACES[s];
  if (place.track === 'draft') {
    return {
      track: 'draft',
      steps: DRAFT_STEPS.map((key, i) => ({ key, state: i < place.step ? 'done' : i === place.step ? 'current' : 'upcoming' })),
    };
  }
  if (place.terminal === 'withdrawn') {
    // The steps it went through, then 取下げ where the rest would have been: nothing more happens to it.
    const reached = withdrawnFrom(timeline) ?? place.step;
    return {
      track: 'filing',
      steps: [
        ...FILING_STEPS.slice(0, reached + 1).map((key): ProgressStep => ({ key, state: 'done' })),
        { key: 'withdrawn', state: 'current', tone: 'ended' },
      ],
    };
  }
  if (place.terminal === 'failed') {
    // 送信失敗 in place of 送信中: fixed and submitted again, the filing takes the same steps.
    return {
      track: 'filing',
      steps: FILING_STEPS.map((key, i): ProgressStep =>
        i === place.step ? { key: 'failed', state: 'current', tone: 'error' } : { key, state: 'upcoming' },
      ),
    };
  }
  return {
    track: 'filing',
    steps: FILING_STEPS.map((key, i): ProgressStep => {
      if (i < place.step) return { key, state: 'done' };
      if (i > place.step) return { key, state: 'upcoming' };
      if (place.branch) return { key, state: 'current', tone: 'attention', branch: place.branch };
      return place.finished ? { key, state: 'current', tone: 'success' } : { key, state: 'current' };
    }),
  };
}

/** When the application was last sent to e-Gov: its latest move to 送信中 in the history. */
export function submittedAt(timeline: readonly TimelineEntry[] | undefined): string | null {
  return [...(timeline ?? [])].reverse().find((e) => e.toStatus === 'submitting')?.at ?? null;
}
