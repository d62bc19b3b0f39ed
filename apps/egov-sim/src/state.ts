import { randomBytes } from 'node:crypto';
import { FailureInjector, isCorrectionRule } from './failures';
import { EGOV_STATUS, type EgovStatus, type FailurePlan, type FailureRule, type NoticeType, type SimClock } from './types';

export interface Notice {
  notice_sub_id: number;
  notice_type: NoticeType;
  title: string;
  body: string;
  date: string;
}

export interface OfficialDocument {
  notice_sub_id: number;
  doc_title: string;
  doc_download_expired_date: string;
  downloaded: boolean;
  issued_at: string;
}

export interface SimCase {
  arrive_id: string;
  proc_id: string;
  /** The e-Gov account (token subject) that submitted it. */
  account: string;
  arrive_date: string;
  status: EgovStatus;
  status_history: Array<{ status: EgovStatus; date: string }>;
  notices: Notice[];
  officials: OfficialDocument[];
  /** Packages received: the application, then each amendment. */
  packages: Array<{ file_name: string; size: number; entries: string[]; received_at: string; form_text?: string }>;
  /** Set when the failure plan asked for a correction that has not happened yet. */
  correctionPending: boolean;
  /** Set by POST /apply/withdraw. */
  withdrawn?: { reason: string; date: string };
  /** Internal timing (epoch ms). */
  arrivedAtMs: number;
  reviewStartedAtMs?: number;
  nextSubId: number;
}

export interface AuthCode {
  clientId: string;
  redirectUri: string;
  scope: string;
  codeChallenge: string;
  sub: string;
  nonce?: string;
  authTime: number;
  expiresAt: number;
  /** Tokens issued for it, revoked if the code is presented again (RFC 6749 §4.1.2). */
  used?: { accessToken?: string; refreshToken?: string };
}

export interface PendingAuthorization {
  clientId: string;
  redirectUri: string;
  scope: string;
  state?: string;
  codeChallenge: string;
  nonce?: string;
  expiresAt: number;
}

export interface TokenRecord {
  kind: 'access' | 'refresh';
  sub: string;
  clientId: string;
  scope: string;
  issuedAt: number;
  expiresAt: number;
  authTime: number;
}

/** How long a downloadable official document stays available (e-Gov keeps them for a limited period). */
const OFFICIAL_DOCUMENT_DAYS = 90;

export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/**
 * Everything the simulator remembers, in memory. Status progression is
 * computed lazily from the timestamps (`advance`), so there are no timers to
 * leak and the history dates are exact: a case read after 10 s shows 審査中
 * at arrival + arriveToReviewMs, not at the time it was read.
 */
export class SimState {
  readonly cases = new Map<string, SimCase>();
  readonly pendingAuthorizations = new Map<string, PendingAuthorization>();
  readonly codes = new Map<string, AuthCode>();
  readonly tokens = new Map<string, TokenRecord>();
  readonly failures = new FailureInjector();
  /** Corrections asked for 'next' cases, still to hand out. */
  correctionsForNext = 0;
  /** Corrections asked for arrive_ids that do not exist yet. */
  readonly correctionsForIds = new Set<string>();
  private sequence = 0;

  constructor(
    readonly clock: SimClock,
    readonly now: () => number,
  ) {}

  // --- failure plan -------------------------------------------------------

  /** Replaces the failure rules and pending corrections with `plan`. */
  setFailurePlan(plan: FailurePlan): void {
    this.failures.replace([]);
    this.correctionsForNext = 0;
    this.correctionsForIds.clear();
    this.addFailurePlan(plan);
  }

  /** Adds `plan` to what is pending. Throws if a correction targets a case already past review. */
  addFailurePlan(plan: FailurePlan): void {
    // Settle every case at the current time first, so that a correction asked for
    // now is not applied retroactively to a review that already ended.
    this.advanceAll();
    for (const entry of plan) {
      if (!isCorrectionRule(entry)) continue;
      if (entry.correctionFor === 'next') continue;
      const c = this.cases.get(entry.correctionFor);
      if (c && c.status !== EGOV_STATUS.arrived && c.status !== EGOV_STATUS.underReview) {
        throw new Error(`case ${entry.correctionFor} is ${c.status}: a correction can only be asked before review ends`);
      }
    }
    const rules: FailureRule[] = [];
    for (const entry of plan) {
      if (!isCorrectionRule(entry)) rules.push(entry);
      else if (entry.correctionFor === 'next') this.correctionsForNext += 1;
      else {
        const c = this.cases.get(entry.correctionFor);
        if (c) c.correctionPending = true;
        else this.correctionsForIds.add(entry.correctionFor);
      }
    }
    this.failures.add(rules);
  }

  // --- cases --------------------------------------------------------------

  /** 16 digits: the JST date of arrival (YYYYMMDD) and an 8-digit sequence. */
  private nextArriveId(nowMs: number): string {
    this.sequence += 1;
    const jstDate = new Date(nowMs + 9 * 3600_000).toISOString().slice(0, 10).replace(/-/g, '');
    return `${jstDate}${String(this.sequence).padStart(8, '0')}`;
  }

  createCase(account: string, procId: string, pkg: { file_name: string; size: number; entries: string[]; form_text?: string }): SimCase {
    const nowMs = this.now();
    const arriveId = this.nextArriveId(nowMs);
    const date = new Date(nowMs).toISOString();
    let correctionPending = false;
    if (this.correctionsForIds.delete(arriveId)) correctionPending = true;
    else if (this.correctionsForNext > 0) {
      this.correctionsForNext -= 1;
      correctionPending = true;
    }
    const c: SimCase = {
      arrive_id: arriveId,
      proc_id: procId,
      account,
      arrive_date: date,
      status: EGOV_STATUS.arrived,
      status_history: [{ status: EGOV_STATUS.arrived, date }],
      notices: [],
      officials: [],
      packages: [{ ...pkg, received_at: date }],
      correctionPending,
      arrivedAtMs: nowMs,
      nextSubId: 1,
    };
    this.cases.set(arriveId, c);
    return c;
  }

  /** The case if it exists AND belongs to `account` (another account's case is as unknown as a missing one). */
  findCase(account: string, arriveId: string): SimCase | undefined {
    const c = this.cases.get(arriveId);
    if (!c || c.account !== account) return undefined;
    this.advance(c);
    return c;
  }

  advanceAll(): void {
    for (const c of this.cases.values()) this.advance(c);
  }

  /** Applies the transitions whose time has come, dated when they were due. */
  advance(c: SimCase): void {
    const now = this.now();
    for (;;) {
      if (c.status === EGOV_STATUS.arrived) {
        const due = c.arrivedAtMs + this.clock.arriveToReviewMs;
        if (now < due) return;
        this.setStatus(c, EGOV_STATUS.underReview, due);
        c.reviewStartedAtMs = due;
      } else if (c.status === EGOV_STATUS.underReview) {
        const due = (c.reviewStartedAtMs ?? c.arrivedAtMs) + this.clock.reviewToFinishMs;
        if (now < due) return;
        if (c.correctionPending) {
          c.correctionPending = false;
          this.setStatus(c, EGOV_STATUS.correctionRequested, due);
          this.addNotice(
            c,
            '補正',
            '申請内容の補正のお願い',
            `到達番号 ${c.arrive_id} の申請について、記載内容に不備があります。補正申請（POST /apply/amend）で修正した申請データを送信してください。`,
            due,
          );
        } else {
          this.setStatus(c, EGOV_STATUS.reviewFinished, due);
          const subId = c.nextSubId++;
          c.officials.push({
            notice_sub_id: subId,
            doc_title: `${c.proc_id} 審査結果通知書`,
            doc_download_expired_date: new Date(due + OFFICIAL_DOCUMENT_DAYS * 86400_000).toISOString(),
            downloaded: false,
            issued_at: new Date(due).toISOString(),
          });
          this.addNotice(
            c,
            'お知らせ',
            '公文書の発出について',
            `到達番号 ${c.arrive_id} の申請の審査が終了し、公文書が発出されました。`,
            due,
          );
        }
      } else {
        return;
      }
    }
  }

  setStatus(c: SimCase, status: EgovStatus, atMs: number): void {
    c.status = status;
    c.status_history.push({ status, date: new Date(atMs).toISOString() });
  }

  addNotice(c: SimCase, type: NoticeType, title: string, body: string, atMs: number): Notice {
    const notice: Notice = { notice_sub_id: c.nextSubId++, notice_type: type, title, body, date: new Date(atMs).toISOString() };
    c.notices.push(notice);
    return notice;
  }

  // --- OAuth housekeeping -------------------------------------------------

  /** Drops expired codes, pending logins and tokens (called on each token request). */
  sweep(): void {
    const now = this.now();
    for (const [k, v] of this.codes) if (v.expiresAt <= now) this.codes.delete(k);
    for (const [k, v] of this.pendingAuthorizations) if (v.expiresAt <= now) this.pendingAuthorizations.delete(k);
    for (const [k, v] of this.tokens) if (v.expiresAt <= now) this.tokens.delete(k);
  }

  /** A debugging view: cases in full, token counts only (never token values). */
  snapshot(): Record<string, unknown> {
    this.advanceAll();
    let access = 0;
    let refresh = 0;
    const now = this.now();
    for (const t of this.tokens.values()) {
      if (t.expiresAt <= now) continue;
      if (t.kind === 'access') access += 1;
      else refresh += 1;
    }
    return {
      now: new Date(now).toISOString(),
      clock: this.clock,
      // The form's text stays out of this unauthenticated view: it is what the filing says about a person.
      cases: [...this.cases.values()].map(({ arrivedAtMs: _a, reviewStartedAtMs: _r, nextSubId: _n, packages, ...rest }) => ({
        ...rest,
        packages: packages.map(({ form_text: _f, ...p }) => p),
      })),
      failures: this.failures.pending(),
      corrections: { next: this.correctionsForNext, arrive_ids: [...this.correctionsForIds] },
      tokens: { access, refresh },
    };
  }
}
