/**
 * Public types of the e-Gov API v2 simulator. The JSON field names (snake_case)
 * are the ones the e-Gov API uses on the wire; the option names are ours.
 */

/** Status strings as e-Gov sends them (kept verbatim, full-width parentheses included). */
export const EGOV_STATUS = {
  arrived: '到達',
  underReview: '審査中',
  correctionRequested: '審査中（補正待ち）',
  reviewFinished: '審査終了',
  completed: '手続終了',
  /**
   * OUR CHOICE: the spec documents `status` only as 「現在の申請ステータス」 and
   * gives no value for a withdrawn case. Kept here, in one place; see README.
   */
  withdrawn: '取下げ',
} as const;
export type EgovStatus = (typeof EGOV_STATUS)[keyof typeof EGOV_STATUS];

/** notice_type values the spec lists: お知らせ、納付、補正、取下げ. */
export type NoticeType = 'お知らせ' | '補正' | '取下げ';

/** correct_type of a 補正 notice (the spec: 部分補正、再提出、手続終了(再提出可)). */
export type CorrectType = '部分補正' | '再提出';
export const CORRECT_TYPES: readonly CorrectType[] = ['部分補正', '再提出'];

/** How an injected failure answers. */
export type FailureKind =
  /** 500 problem+json; nothing is processed. */
  | '500'
  /** 503 problem+json; nothing is processed. */
  | '503'
  /** 429 problem+json with `Retry-After: 1`; nothing is processed. */
  | '429'
  /** No answer at all: the socket stays open until the client gives up. Nothing is processed. */
  | 'timeout'
  /** 200 with a truncated (invalid) JSON body; nothing is processed. */
  | 'malformed'
  /**
   * Extension: the request IS processed (a POST /apply creates its case), then no
   * answer is sent, like a response lost on the way back. Tests the client's
   * "did it arrive?" reconciliation (GET /apply/lists).
   */
  | 'timeout-after-commit';

export const FAILURE_KINDS: readonly FailureKind[] = ['500', '503', '429', 'timeout', 'malformed', 'timeout-after-commit'];

/**
 * Applies `kind` to the next `times` requests whose path matches `path`.
 * `path` is relative to the API base (`/apply`, `/apply/{arrive_id}`,
 * `/official_document/{arrive_id}/{notice_sub_id}`; a `/shinsei/v2` prefix is
 * accepted and ignored) or an OAuth path (`/auth/token`, `/auth/token/introspect`,
 * `/auth/auth`, `/auth/logout`). A `{name}` segment matches any one segment.
 * `method` (optional) restricts the rule to one HTTP method.
 */
export interface FailureRule {
  path: string;
  method?: string;
  times: number;
  kind: FailureKind;
}

/**
 * Asks for a correction (補正): `'next'` = the next case submitted, or the
 * arrive_id of a case (existing and not yet past 審査中, or a future one).
 */
export interface CorrectionRule {
  correctionFor: string;
  /** 部分補正 (default: answer with POST /apply/amend) or 再提出 (answer with a new POST /apply, 申請種別 再提出). */
  correctType?: CorrectType;
}

export type FailurePlanEntry = FailureRule | CorrectionRule;
export type FailurePlan = FailurePlanEntry[];

export interface SimClock {
  /** 到達 → 審査中 after this many ms (default 2000). */
  arriveToReviewMs: number;
  /** 審査中 → 審査終了 (or 審査中（補正待ち）) after this many ms (default 5000). */
  reviewToFinishMs: number;
}

/** One line of the request log (no bodies, no query strings, no credentials). */
export interface RequestLogEntry {
  time: string;
  method: string;
  path: string;
  /** HTTP status sent, or null when no answer was sent (timeout, client gone). */
  status: number | null;
  duration_ms: number;
  /** Set when the failure plan decided the answer. */
  injected?: FailureKind;
}

export interface EgovSimOptions {
  /** TCP port; 0 or absent = any free port. */
  port?: number;
  /** Interface to listen on (default 127.0.0.1). */
  host?: string;
  /** The software id (OAuth client_id). */
  clientId: string;
  /** The API key (OAuth client secret), sent with the client id in HTTP Basic to /auth/token and /auth/introspect. */
  clientSecret: string;
  /**
   * Registered redirect URIs, compared exactly. When absent, any
   * http://127.0.0.1:<port>/… or http://localhost:<port>/… URI is accepted (like
   * a native/development client registration).
   */
  redirectUris?: string[];
  /** Review timing; defaults 2 s and 5 s. */
  clock?: Partial<SimClock>;
  /** Failures to inject from the start. */
  failures?: FailurePlan;
  /** Enables POST /__sim/failures and GET /__sim/state (no authentication). Default false. */
  admin?: boolean;
  /** Access token lifetime in seconds (default 3600, as e-Gov). */
  accessTokenTtlSec?: number;
  /** Refresh token lifetime in seconds (default 180 days, as e-Gov). */
  refreshTokenTtlSec?: number;
  /** Time source in epoch ms (default Date.now); lets tests move time forward to expire tokens. */
  now?: () => number;
  /**
   * Every procedure needs an XML signature (policy 'required'), so that tests
   * can prove unsigned packages are refused. Default false: our procedures are
   * 'optional-gbiz' (see src/procedures.ts).
   */
  requireSignature?: boolean;
  /** Receives one entry per request (the CLI prints them as JSON lines). */
  log?: (entry: RequestLogEntry) => void;
}
