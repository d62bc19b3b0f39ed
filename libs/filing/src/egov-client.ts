import { Inject, Injectable, Optional } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@charlotte/core';
import { EgovReachability } from './egov-reachability';
import { EgovError } from './egov-api/egov-error';
import { parseEgovDate, parseEgovDateTime, formatEgovDate } from './egov-api/jst';
import {
  parseAmend,
  parseApply,
  parseApplyCheck,
  parseApplyDetail,
  parseApplyLists,
  parseIntrospect,
  parseNotice,
  parseOfficialDocument,
  parseOfficialDocumentComplete,
  parseProcedure,
  parseToken,
  parseWithdraw,
  readErrorBody,
} from './egov-api/parsers';
import type {
  AmendRequest,
  ApplyDetailResults,
  ApplyListItem,
  ApplyRequest,
  IntrospectAnswer,
  OfficialDocumentCompleteRequest,
  ProcedureResults,
  WithdrawRequest,
} from './egov-api/types';

export { EgovError } from './egov-api/egov-error';

/** Retry-After as delay-seconds or an HTTP-date (RFC 9110 §10.2.3); undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) > 0 ? Number(v) * 1000 : undefined;
  const at = Date.parse(v);
  return Number.isFinite(at) && at > now ? at - now : undefined;
}

export interface EgovTokens {
  accessToken: string;
  refreshToken: string;
  /** epoch ms */
  expiresAt: number;
  /** epoch ms when the refresh token expires; null when e-Gov stated no lifetime (refresh_expires_in 0 or absent). */
  refreshExpiresAt?: number | null;
}

/** The answer to the code exchange of a link: the tokens, and which e-Gov account logged in. */
export interface EgovLogin {
  tokens: EgovTokens;
  /** From the OpenID Connect id token (preferred_username, else sub); null when there is none. */
  accountId: string | null;
}

// eslint-disable-next-line no-control-regex -- control characters are what it removes
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/g;

/**
 * The e-Gov account named by an id token, read without checking its signature: it comes straight
 * from the token endpoint, over TLS, to this authenticated client (OpenID Connect Core 3.1.3.7
 * allows TLS server validation instead), and it only labels the link for the administrators; it
 * authorises nothing. Control characters are dropped and the length is capped.
 */
export function accountIdOf(idToken: string | undefined): string | null {
  const payload = idToken?.split('.')[1];
  if (!payload) return null;
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch (e) {
    if (e instanceof SyntaxError) return null; // not a JWT we can read: the link works without a name
    throw e;
  }
  if (!claims || typeof claims !== 'object') return null;
  const c = claims as Record<string, unknown>;
  const name = [c.preferred_username, c.sub].find((v): v is string => typeof v === 'string' && v.trim() !== '');
  if (!name) return null;
  return name.replace(CONTROL_CHARS, '').trim().slice(0, 256) || null;
}

/** A case as GET /apply/{arrive_id} answers it (results, checked). notice_sub_id is an integer. */
export type EgovCase = ApplyDetailResults;

/** One notice (GET /notice/{arrive_id}/{notice_sub_id} → results.notice), dates read as JST. */
export interface EgovNotice {
  noticeSubId: number;
  /** お知らせ、納付、補正、取下げ ('' when absent) */
  noticeType: string;
  /** 補正種別 for a 補正: 部分補正、再提出、手続終了(再提出可) */
  correctType?: string;
  title: string;
  sentence: string;
  issuedAt: Date;
  /** e-Gov's own text of the issue date ("YYYY-MM-DD HH:MM:SS", JST) */
  issuedAtText: string;
  /** 補正期限年月日 "YYYY-MM-DD" (a JST day) */
  correctExpiresOn?: string;
}

export interface EgovCallOptions {
  /** X-eGovAPI-Trial: true — e-Gov checks the request (形式チェック) but files nothing (試行). */
  trial?: boolean;
}

/** The longest page GET /apply/lists accepts (limit 1–50). */
export const APPLY_LISTS_MAX_LIMIT = 50;
/** A bound on pages read by one listing (50 × 200 = 10 000 cases): a server that keeps saying "more" cannot hold a job forever. */
const APPLY_LISTS_MAX_PAGES = 200;

const toDate = (text: string): Date => parseEgovDateTime(text) as Date; // the parsers already checked the shape

/**
 * The one client for the e-Gov 電子申請 API v2 (the simulator and the real
 * service alike), written to the published OpenAPI document: OAuth 2.0
 * authorization code + PKCE against the account server ({auth}/auth,
 * {auth}/token with HTTP Basic software id : API key, {auth}/token/introspect,
 * {auth}/logout), then JSON calls with a Bearer token whose 2xx answers are
 * `{metadata, results}` envelopes. Every failure is an EgovError that says
 * whether a retry can help (5xx, timeouts, 429 with Retry-After, malformed
 * answers) or not (other 4xx, with e-Gov's error report).
 */
@Injectable()
export class EgovClient {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    /** Told whether e-Gov answered (operator alert `egov.unreachable`); absent in unit tests. */
    @Optional() private readonly reachability?: EgovReachability,
  ) {}

  /** GET {auth}/auth (ユーザー認可): the login and consent page the browser is sent to. */
  authorizeUrl(state: string, codeChallenge: string, redirectUri: string): string {
    const u = new URL(`${this.config.egovAuthBase}/auth`);
    u.search = new URLSearchParams({
      client_id: this.config.egovClientId,
      response_type: 'code',
      scope: 'openid offline_access',
      redirect_uri: redirectUri,
      state,
      code_challenge: codeChallenge,
      code_challenge_method: 'S256',
    }).toString();
    return u.toString();
  }

  /**
   * HTTP Basic with the software id and API key. RFC 6749 §2.3.1 asks for form-encoding of both
   * before base64; ids and keys e-Gov issues are alphanumeric, so this changes nothing for them.
   */
  private basic(): string {
    return `Basic ${Buffer.from(`${encodeURIComponent(this.config.egovClientId)}:${encodeURIComponent(this.config.egovClientSecret)}`).toString('base64')}`;
  }

  /**
   * One HTTP exchange. Returns the parsed JSON of a 2xx (undefined for an empty 2xx such as logout's 204).
   * `mutating`: a POST that may change something at e-Gov, for which an unreadable 2xx means "maybe processed".
   */
  private async call(url: string, init: RequestInit, mutating: boolean): Promise<unknown> {
    let res: Response;
    try {
      res = await fetch(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(this.config.egovTimeoutMs) });
    } catch (e) {
      // A refused connection never reached e-Gov; a timeout or a reset may have.
      const code = ((e as { cause?: { code?: string } }).cause ?? {}).code;
      void this.reachability?.failed(code ?? (e as Error).name);
      throw new EgovError(
        'transient',
        `e-Gov unreachable or too slow: ${(e as Error).name}`,
        undefined,
        undefined,
        mutating && code !== 'ECONNREFUSED',
      );
    }
    if (res.status >= 500) void this.reachability?.failed(`HTTP_${res.status}`);
    else void this.reachability?.reached();
    let text: string;
    try {
      text = await res.text();
    } catch (e) {
      throw new EgovError('transient', `e-Gov answer cut off: ${(e as Error).name}`, res.status, undefined, mutating && res.status < 400);
    }
    if (res.status === 429) throw new EgovError('transient', 'e-Gov rate limit', 429, parseRetryAfter(res.headers.get('retry-after')));
    if (res.status >= 500)
      throw new EgovError('transient', `e-Gov answered ${res.status}`, res.status, parseRetryAfter(res.headers.get('retry-after')));
    // 401 carries only WWW-Authenticate (no body): the token is expired or revoked.
    if (res.status === 401) throw new EgovError('auth', 'e-Gov refused the token', 401);
    // 404 has no body: the case, notice, document or procedure does not exist (for this account).
    if (res.status === 404) throw new EgovError('permanent', 'e-Gov: not found / 見つかりません', 404);
    if (res.status >= 300 && res.status < 400) throw new EgovError('permanent', `e-Gov answered a redirect (${res.status})`, res.status);
    let body: unknown;
    if (text.trim() === '') body = undefined;
    else
      try {
        body = JSON.parse(text);
      } catch {
        throw new EgovError('transient', 'e-Gov answered something that is not JSON', res.status, undefined, mutating && res.status < 400);
      }
    if (res.status >= 400) {
      // Only the government's own wording (no data of ours) goes into the reason and the report.
      const { message, report } = readErrorBody(body);
      const lines = report.map((r) => [r.formName, r.item, r.content].filter(Boolean).join(' / '));
      const text = [message ?? `HTTP ${res.status}`, ...lines].join('\n').slice(0, 500);
      throw new EgovError('permanent', text, res.status, undefined, false, report);
    }
    return body;
  }

  private form(path: string, fields: Record<string, string>): Promise<unknown> {
    return this.call(
      `${this.config.egovAuthBase}${path}`,
      {
        method: 'POST',
        headers: { Authorization: this.basic(), 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
        body: new URLSearchParams(fields).toString(),
      },
      false,
    );
  }

  private tokens(body: unknown): EgovTokens {
    return this.login(body).tokens;
  }

  private login(body: unknown): EgovLogin {
    const t = parseToken(body);
    const now = Date.now();
    return {
      tokens: {
        accessToken: t.access_token,
        refreshToken: t.refresh_token,
        expiresAt: now + t.expires_in * 1000,
        refreshExpiresAt: t.refresh_expires_in > 0 ? now + t.refresh_expires_in * 1000 : null,
      },
      accountId: accountIdOf(t.id_token),
    };
  }

  /** POST {auth}/token, grant_type=authorization_code with the PKCE verifier. */
  async exchangeCode(code: string, verifier: string, redirectUri: string): Promise<EgovLogin> {
    return this.login(
      await this.form('/token', { grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier }),
    );
  }

  /** POST {auth}/token, grant_type=refresh_token. */
  async refresh(refreshToken: string): Promise<EgovTokens> {
    return this.tokens(await this.form('/token', { grant_type: 'refresh_token', refresh_token: refreshToken }));
  }

  /** POST {auth}/token/introspect: whether an access or refresh token is still active. */
  async introspect(token: string, hint: 'access_token' | 'refresh_token' = 'access_token'): Promise<IntrospectAnswer> {
    return parseIntrospect(await this.form('/token/introspect', { token, token_type_hint: hint }));
  }

  /** POST {auth}/logout (204): ends the e-Gov session; its access and refresh tokens stop working. */
  async logout(refreshToken: string): Promise<void> {
    await this.form('/logout', { refresh_token: refreshToken });
  }

  private api(token: string, method: 'GET' | 'POST', path: string, json: unknown, opts: EgovCallOptions = {}): Promise<unknown> {
    return this.call(
      `${this.config.egovApiBase}${path}`,
      {
        method,
        headers: {
          Authorization: `Bearer ${token}`,
          Accept: 'application/json',
          ...(json !== undefined ? { 'Content-Type': 'application/json' } : {}),
          ...(opts.trial ? { 'X-eGovAPI-Trial': 'true' } : {}),
        },
        body: json !== undefined ? JSON.stringify(json) : undefined,
      },
      method === 'POST',
    );
  }

  /** POST /apply: a new filing (申請種別 新規申請) or a 再提出 (the package says which). */
  async apply(
    token: string,
    procId: string,
    zip: Buffer,
    fileName: string,
    opts: EgovCallOptions = {},
  ): Promise<{ arriveId: string; arriveDate: Date; arriveDateText: string; procName: string; applyType: string; statusLink: string }> {
    const req: ApplyRequest = { proc_id: procId, send_file: { file_name: fileName, file_data: zip.toString('base64') } };
    const { results, links } = parseApply(await this.api(token, 'POST', '/apply', req, opts));
    return {
      arriveId: results.arrive_id,
      arriveDate: toDate(results.arrive_date),
      arriveDateText: results.arrive_date,
      procName: results.proc_name,
      applyType: results.apply_type,
      statusLink: links.status,
    };
  }

  /** POST /apply/check (形式チェック実行): e-Gov's checks of a package without filing it. */
  async check(
    token: string,
    procId: string,
    zip: Buffer,
    fileName = `${procId}.zip`,
  ): Promise<{ message: string; errorCount: number; report: Array<{ formName?: string; item?: string; content: string }> }> {
    const req: ApplyRequest = { proc_id: procId, send_file: { file_name: fileName, file_data: zip.toString('base64') } };
    const r = parseApplyCheck(await this.api(token, 'POST', '/apply/check', req));
    const pick = (v?: string) => (v && v !== '-' ? v : undefined);
    return {
      message: r.message,
      errorCount: r.error_count,
      report: (r.report_list ?? [])
        .map((x) => ({ formName: pick(x.form_name), item: pick(x.item), content: x.content ?? '' }))
        .filter((x) => x.content !== ''),
    };
  }

  /**
   * GET /apply/lists for cases that arrived between two JST days, every page (limit ≤ 50, offset
   * advanced by what each page returned). The lines carry no proc_id, only proc_name.
   */
  async listCases(
    token: string,
    q: { from: Date; to: Date; limit?: number; offset?: number },
    opts: EgovCallOptions = {},
  ): Promise<ApplyListItem[]> {
    const limit = Math.max(1, Math.min(APPLY_LISTS_MAX_LIMIT, q.limit ?? APPLY_LISTS_MAX_LIMIT));
    let offset = Math.max(0, q.offset ?? 0);
    const out: ApplyListItem[] = [];
    for (let page = 0; page < APPLY_LISTS_MAX_PAGES; page++) {
      const params = new URLSearchParams({
        date_from: formatEgovDate(q.from),
        date_to: formatEgovDate(q.to),
        limit: String(limit),
        offset: String(offset),
      });
      const { resultset, results } = parseApplyLists(await this.api(token, 'GET', `/apply/lists?${params.toString()}`, undefined, opts));
      out.push(...(results.apply_list ?? []));
      offset = resultset.offset + resultset.count;
      if (resultset.count === 0 || offset >= resultset.all_count) return out;
    }
    throw new EgovError('transient', 'e-Gov case list did not end');
  }

  /** GET /apply/{arrive_id}. */
  async getCase(token: string, arriveId: string, opts: EgovCallOptions = {}): Promise<EgovCase> {
    return parseApplyDetail(await this.api(token, 'GET', `/apply/${encodeURIComponent(arriveId)}`, undefined, opts));
  }

  /** POST /apply/amend: only for a 部分補正 (a 再提出 is a new POST /apply). No proc_id: the arrive_id names the case. */
  async amend(token: string, arriveId: string, zip: Buffer, fileName: string): Promise<{ arriveId: string; amendDate: Date }> {
    const req: AmendRequest = { arrive_id: arriveId, send_file: { file_name: fileName, file_data: zip.toString('base64') } };
    const r = parseAmend(await this.api(token, 'POST', '/apply/amend', req));
    return { arriveId: r.arrive_id, amendDate: toDate(r.amend_date) };
  }

  /** POST /apply/withdraw with a withdrawal package (kousei of 手続ID 9990000000000003 + torisageirai.xml). */
  async withdraw(token: string, arriveId: string, zip: Buffer, fileName: string): Promise<{ arriveId: string; withdrawDate: Date }> {
    const req: WithdrawRequest = { arrive_id: arriveId, send_file: { file_name: fileName, file_data: zip.toString('base64') } };
    const r = parseWithdraw(await this.api(token, 'POST', '/apply/withdraw', req));
    return { arriveId: r.arrive_id, withdrawDate: toDate(r.withdraw_date) };
  }

  /** GET /notice/{arrive_id}/{notice_sub_id}: one notice (お知らせ, 補正 with its 補正種別, 取下げ). */
  async notice(token: string, arriveId: string, noticeSubId: number): Promise<EgovNotice> {
    const n = parseNotice(await this.api(token, 'GET', `/notice/${encodeURIComponent(arriveId)}/${subId(noticeSubId)}`, undefined));
    return {
      noticeSubId,
      noticeType: n.notice_type ?? '',
      correctType: n.correct_type,
      title: n.notice_title,
      sentence: n.notice_sentence ?? '',
      issuedAt: toDate(n.notice_issue_date),
      issuedAtText: n.notice_issue_date,
      correctExpiresOn: n.correct_expired_date && parseEgovDate(n.correct_expired_date) ? n.correct_expired_date : undefined,
    };
  }

  /** GET /official_document/{arrive_id}/{notice_sub_id}: the document ZIP and the names of the files in it. */
  async officialDocument(
    token: string,
    arriveId: string,
    noticeSubId: number,
    opts: EgovCallOptions = {},
  ): Promise<{ fileName: string; data: Buffer; fileNames: string[] }> {
    const r = parseOfficialDocument(
      await this.api(token, 'GET', `/official_document/${encodeURIComponent(arriveId)}/${subId(noticeSubId)}`, undefined, opts),
    );
    return {
      fileName: `${arriveId}_${noticeSubId}.zip`,
      data: Buffer.from(r.file_data, 'base64'),
      fileNames: r.file_name_list.map((f) => f.file_name),
    };
  }

  /** POST /official_document (公文書取得完了): registers that we stored the document. */
  async acknowledgeOfficialDocument(token: string, arriveId: string, noticeSubId: number, opts: EgovCallOptions = {}): Promise<void> {
    const req: OfficialDocumentCompleteRequest = { arrive_id: arriveId, notice_sub_id: subIdNumber(noticeSubId) };
    parseOfficialDocumentComplete(await this.api(token, 'POST', '/official_document', req, opts));
  }

  /** GET /procedure/{proc_id}: the official skeleton (kousei, 申請書 XML, XSL, check rules) to confirm ids and versions. */
  async procedure(token: string, procId: string): Promise<ProcedureResults> {
    return parseProcedure(await this.api(token, 'GET', `/procedure/${encodeURIComponent(procId)}`, undefined));
  }
}

/** notice_sub_id is an integer 1–999 on the wire; anything else is our bug, not something to send. */
function subIdNumber(n: number): number {
  if (!Number.isInteger(n) || n < 1 || n > 999) throw new EgovError('permanent', 'invalid notice_sub_id');
  return n;
}
function subId(n: number): string {
  return String(subIdNumber(n));
}
