import { randomBytes } from 'node:crypto';
import { FailureInjector, isCorrectionRule } from './failures';
import {
  EGOV_STATUS,
  type CorrectType,
  type EgovStatus,
  type FailurePlan,
  type FailureRule,
  type NoticeType,
  type SimClock,
} from './types';

export interface Notice {
  notice_sub_id: number;
  notice_type: NoticeType;
  title: string;
  body: string;
  /** epoch ms of issue */
  issuedAtMs: number;
  /** 補正 notices only. */
  correct_type?: CorrectType;
  correct_expired_date?: string;
  correctCompletedAtMs?: number;
}

export interface OfficialDocument {
  notice_sub_id: number;
  doc_title: string;
  /** JST date "YYYY-MM-DD" (取得期限). */
  doc_download_expired_date: string;
  issuedAtMs: number;
  downloadedAtMs?: number;
}

/** What the package's kousei said, kept for the answers. */
export interface CaseInfo {
  procName: string;
  applicantName: string;
  corporationName: string;
  submissionDestination: string;
  ministryName: string;
}

export interface ReceivedPackage {
  file_name: string;
  size: number;
  entries: string[];
  receivedAtMs: number;
  apply_type: string;
  signed: boolean;
  form_text?: string;
}

export interface SimCase {
  arrive_id: string;
  proc_id: string;
  /** The e-Gov account (token subject) that submitted it. */
  account: string;
  /** "YYYY-MM-DD HH:MM:SS" JST. */
  arrive_date: string;
  status: EgovStatus;
  status_history: Array<{ status: EgovStatus; date: string }>;
  info: CaseInfo;
  notices: Notice[];
  officials: OfficialDocument[];
  /** Packages received: the application, then each amendment (and the withdrawal request). */
  packages: ReceivedPackage[];
  /** Set when the failure plan asked for a correction that has not happened yet. */
  pendingCorrection?: CorrectType;
  /** Set by POST /apply/withdraw. */
  withdrawn?: { reason: string; atMs: number };
  /** 初回受付番号 when this case is a 再提出. */
  first_arrive_id?: string;
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
  /** The login session (session_state / sid); logout ends every token of it. */
  sessionState: string;
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
  sessionState: string;
}

/** How long a downloadable official document stays available (e-Gov keeps them for a limited period). */
const OFFICIAL_DOCUMENT_DAYS = 90;

/** How long a correction may take (補正期限), from the notice. */
const CORRECTION_DAYS = 14;
const JST_MS = 9 * 3600_000;

/** "YYYY-MM-DD HH:MM:SS" in JST, no zone: the API's date-time format. */
export function jstDateTime(ms: number): string {
  return new Date(ms + JST_MS).toISOString().slice(0, 19).replace('T', ' ');
}

/** "YYYY-MM-DD" (JST calendar day). */
export function jstDate(ms: number): string {
  return new Date(ms + JST_MS).toISOString().slice(0, 10);
}

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
  /** Corrections asked for 'next' cases, still to hand out (in order). */
  readonly correctionsForNext: CorrectType[] = [];
  /** Corrections asked for arrive_ids that do not exist yet. */
  readonly correctionsForIds = new Map<string, CorrectType>();
  private sequence = 0;
  private trialSequence = 0;

  constructor(
    readonly clock: SimClock,
    readonly now: () => number,
  ) {}

  // --- failure plan -------------------------------------------------------

  /** Replaces the failure rules and pending corrections with `plan`. */
  setFailurePlan(plan: FailurePlan): void {
    this.failures.replace([]);
    this.correctionsForNext.length = 0;
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
      else {
        const type = entry.correctType ?? '部分補正';
        if (entry.correctionFor === 'next') this.correctionsForNext.push(type);
        else {
          const c = this.cases.get(entry.correctionFor);
          if (c) c.pendingCorrection = type;
          else this.correctionsForIds.set(entry.correctionFor, type);
        }
      }
    }
    this.failures.add(rules);
  }

  // --- cases --------------------------------------------------------------

  /** 17 digits: the JST date of arrival (YYYYMMDD) and a 9-digit sequence (trial numbers start with 9). */
  private nextArriveId(nowMs: number, trial = false): string {
    const day = jstDate(nowMs).replace(/-/g, '');
    if (trial) {
      this.trialSequence += 1;
      return `${day}9${String(this.trialSequence).padStart(8, '0')}`;
    }
    this.sequence += 1;
    return `${day}${String(this.sequence).padStart(9, '0')}`;
  }

  /** An arrive_id for a trial (X-eGovAPI-Trial) submission: never stored, never found. */
  trialArriveId(): string {
    return this.nextArriveId(this.now(), true);
  }

  createCase(account: string, procId: string, info: CaseInfo, pkg: Omit<ReceivedPackage, 'receivedAtMs'>, firstArriveId?: string): SimCase {
    const nowMs = this.now();
    const arriveId = this.nextArriveId(nowMs);
    const date = jstDateTime(nowMs);
    let pendingCorrection = this.correctionsForIds.get(arriveId);
    if (pendingCorrection) this.correctionsForIds.delete(arriveId);
    else pendingCorrection = this.correctionsForNext.shift();
    const c: SimCase = {
      arrive_id: arriveId,
      proc_id: procId,
      account,
      arrive_date: date,
      status: EGOV_STATUS.arrived,
      status_history: [{ status: EGOV_STATUS.arrived, date }],
      info,
      notices: [],
      officials: [],
      packages: [{ ...pkg, receivedAtMs: nowMs }],
      pendingCorrection,
      first_arrive_id: firstArriveId,
      arrivedAtMs: nowMs,
      nextSubId: 1,
    };
    this.cases.set(arriveId, c);
    return c;
  }

  /** The latest 補正 notice of a case, if any. */
  latestCorrection(c: SimCase): Notice | undefined {
    return [...c.notices].reverse().find((n) => n.notice_type === '補正');
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
        if (c.pendingCorrection) {
          const type = c.pendingCorrection;
          c.pendingCorrection = undefined;
          this.setStatus(c, EGOV_STATUS.correctionRequested, due);
          const notice = this.addNotice(
            c,
            '補正',
            type === '部分補正' ? '申請内容の補正のお願い' : '申請の再提出のお願い',
            type === '部分補正'
              ? `到達番号 ${c.arrive_id} の申請について、記載内容に不備があります。部分補正で修正した申請データを送信してください。`
              : `到達番号 ${c.arrive_id} の申請について、記載内容に不備があります。申請種別「再提出」で申請をやり直してください。`,
            due,
          );
          notice.correct_type = type;
          notice.correct_expired_date = jstDate(due + CORRECTION_DAYS * 86400_000);
        } else {
          this.setStatus(c, EGOV_STATUS.reviewFinished, due);
          const subId = c.nextSubId++;
          c.officials.push({
            notice_sub_id: subId,
            doc_title: `${c.info.procName.slice(0, 200)} 通知書`,
            doc_download_expired_date: jstDate(due + OFFICIAL_DOCUMENT_DAYS * 86400_000),
            issuedAtMs: due,
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
    c.status_history.push({ status, date: jstDateTime(atMs) });
  }

  addNotice(c: SimCase, type: NoticeType, title: string, body: string, atMs: number): Notice {
    const notice: Notice = { notice_sub_id: c.nextSubId++, notice_type: type, title, body, issuedAtMs: atMs };
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
      cases: [...this.cases.values()].map(
        ({ arrivedAtMs: _a, reviewStartedAtMs: _r, nextSubId: _n, packages, info, withdrawn, ...rest }) => ({
          ...rest,
          proc_name: info.procName,
          withdrawn: withdrawn !== undefined,
          packages: packages.map(({ form_text: _f, ...p }) => p),
        }),
      ),
      failures: this.failures.pending(),
      corrections: { next: [...this.correctionsForNext], arrive_ids: Object.fromEntries(this.correctionsForIds) },
      tokens: { access, refresh },
    };
  }
}
