import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@charlotte/core';

/**
 * How a call to e-Gov failed: retry later (`transient`), never (`permanent`),
 * or the token is bad (`auth`). `maybeProcessed` is true when e-Gov may have
 * acted on the request even though we got no usable answer (a timeout, a
 * dropped connection, a 2xx we could not read): a retry of a non-idempotent
 * call must then first look at what e-Gov has. An error answer (4xx, 5xx,
 * 429) means it did not act.
 */
export class EgovError extends Error {
  constructor(
    readonly kind: 'transient' | 'permanent' | 'auth',
    message: string,
    readonly status?: number,
    readonly retryAfterMs?: number,
    readonly maybeProcessed = false,
  ) {
    super(message);
    this.name = 'EgovError';
  }
}

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
}

export interface EgovCase {
  arrive_id: string;
  proc_id?: string;
  status: string;
  notice_list?: Array<{ notice_sub_id: string; notice_type?: string; title?: string; date?: string }>;
  official_list?: Array<{ notice_sub_id: string; doc_title?: string; doc_download_expired_date?: string; downloaded?: boolean }>;
}

export interface EgovNotice {
  notice_sub_id: string;
  notice_type: string;
  title: string;
  body: string;
  date?: string;
}

/**
 * The one client for the e-Gov API v2 (the simulator and the real service
 * alike): OAuth 2.0 authorization code + PKCE against the account server,
 * then JSON calls with a Bearer token. Every failure is an EgovError that says
 * whether a retry can help (5xx, timeouts, 429 with Retry-After, malformed
 * answers) or not (other 4xx).
 */
@Injectable()
export class EgovClient {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  authorizeUrl(state: string, codeChallenge: string, redirectUri: string): string {
    const u = new URL(`${this.config.egovAuthBase}/authorize`);
    u.search = new URLSearchParams({
      response_type: 'code',
      client_id: this.config.egovClientId,
      redirect_uri: redirectUri,
      scope: 'openid offline_access',
      state,
      code_challenge: codeChallenge,
      code_challenge_method: 'S256',
    }).toString();
    return u.toString();
  }

  private basic(): string {
    return `Basic ${Buffer.from(`${encodeURIComponent(this.config.egovClientId)}:${encodeURIComponent(this.config.egovClientSecret)}`).toString('base64')}`;
  }

  private async call(url: string, init: RequestInit): Promise<unknown> {
    let res: Response;
    try {
      res = await fetch(url, { ...init, signal: AbortSignal.timeout(this.config.egovTimeoutMs) });
    } catch (e) {
      // A refused connection never reached e-Gov; a timeout or a reset may have.
      const code = ((e as { cause?: { code?: string } }).cause ?? {}).code;
      throw new EgovError(
        'transient',
        `e-Gov unreachable or too slow: ${(e as Error).name}`,
        undefined,
        undefined,
        code !== 'ECONNREFUSED',
      );
    }
    let text: string;
    try {
      text = await res.text();
    } catch (e) {
      throw new EgovError('transient', `e-Gov answer cut off: ${(e as Error).name}`, res.status, undefined, res.status < 400);
    }
    if (res.status === 429) throw new EgovError('transient', 'e-Gov rate limit', 429, parseRetryAfter(res.headers.get('retry-after')));
    if (res.status >= 500)
      throw new EgovError('transient', `e-Gov answered ${res.status}`, res.status, parseRetryAfter(res.headers.get('retry-after')));
    if (res.status === 401) throw new EgovError('auth', 'e-Gov refused the token', 401);
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : {};
    } catch {
      throw new EgovError('transient', 'e-Gov answered something that is not JSON', res.status, undefined, res.status < 400);
    }
    if (res.status >= 400) {
      const b = body as { detail?: string; title?: string; error?: string; error_description?: string };
      // Only the government's own wording (no user data of ours) goes into the reason.
      throw new EgovError(
        'permanent',
        (b.detail ?? b.error_description ?? b.title ?? b.error ?? `HTTP ${res.status}`).slice(0, 500),
        res.status,
      );
    }
    return body;
  }

  private tokens(body: unknown): EgovTokens {
    const b = body as { access_token?: string; refresh_token?: string; expires_in?: number };
    if (!b.access_token || !b.refresh_token) throw new EgovError('transient', 'e-Gov token answer is incomplete');
    return { accessToken: b.access_token, refreshToken: b.refresh_token, expiresAt: Date.now() + (b.expires_in ?? 3600) * 1000 };
  }

  async exchangeCode(code: string, verifier: string, redirectUri: string): Promise<EgovTokens> {
    const body = await this.call(`${this.config.egovAuthBase}/token`, {
      method: 'POST',
      headers: { Authorization: this.basic(), 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: redirectUri }).toString(),
    });
    return this.tokens(body);
  }

  async refresh(refreshToken: string): Promise<EgovTokens> {
    const body = await this.call(`${this.config.egovAuthBase}/token`, {
      method: 'POST',
      headers: { Authorization: this.basic(), 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }).toString(),
    });
    return this.tokens(body);
  }

  private api(token: string, method: string, path: string, json?: unknown): Promise<unknown> {
    return this.call(`${this.config.egovApiBase}${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${token}`,
        ...(json !== undefined ? { 'Content-Type': 'application/json' } : {}),
        Accept: 'application/json',
      },
      body: json !== undefined ? JSON.stringify(json) : undefined,
    });
  }

  async apply(token: string, procId: string, fileName: string, zip: Buffer): Promise<{ arriveId: string; arriveDate?: string }> {
    const b = (await this.api(token, 'POST', '/apply', {
      proc_id: procId,
      send_file: { file_name: fileName, file_data: zip.toString('base64') },
    })) as {
      arrive_id?: string;
      arrive_date?: string;
    };
    if (!b.arrive_id) throw new EgovError('transient', 'e-Gov accepted the filing without an arrive_id', undefined, undefined, true);
    return { arriveId: b.arrive_id, arriveDate: b.arrive_date };
  }

  async listCases(
    token: string,
    dateFrom: string,
    dateTo: string,
  ): Promise<Array<{ arrive_id: string; proc_id?: string; arrive_date?: string }>> {
    const q = new URLSearchParams({ date_from: dateFrom, date_to: dateTo, limit: '100', offset: '0' });
    const b = (await this.api(token, 'GET', `/apply/lists?${q.toString()}`)) as {
      results?: Array<{ arrive_id: string; proc_id?: string; arrive_date?: string }>;
    };
    return b.results ?? [];
  }

  async getCase(token: string, arriveId: string): Promise<EgovCase> {
    const b = (await this.api(token, 'GET', `/apply/${encodeURIComponent(arriveId)}`)) as EgovCase;
    if (typeof b.status !== 'string') throw new EgovError('transient', 'e-Gov case answer has no status');
    return b;
  }

  async officialDocument(token: string, arriveId: string, noticeSubId: string): Promise<{ fileName: string; data: Buffer }> {
    const b = (await this.api(token, 'GET', `/official_document/${encodeURIComponent(arriveId)}/${encodeURIComponent(noticeSubId)}`)) as {
      file_name?: string;
      file_data?: string;
    };
    if (!b.file_data) throw new EgovError('transient', 'e-Gov official document answer has no data');
    return { fileName: b.file_name ?? `${arriveId}-${noticeSubId}.zip`, data: Buffer.from(b.file_data, 'base64') };
  }

  /** 補正: the corrected package for a case waiting for correction (審査中（補正待ち）). */
  async amend(token: string, arriveId: string, procId: string, fileName: string, zip: Buffer): Promise<{ status?: string }> {
    const b = (await this.api(token, 'POST', '/apply/amend', {
      arrive_id: arriveId,
      proc_id: procId,
      send_file: { file_name: fileName, file_data: zip.toString('base64') },
    })) as { status?: string };
    return { status: typeof b.status === 'string' ? b.status : undefined };
  }

  /** 取下げ, with the applicant's reason. */
  async withdraw(token: string, arriveId: string, reason: string): Promise<{ status?: string }> {
    const b = (await this.api(token, 'POST', '/apply/withdraw', { arrive_id: arriveId, reason })) as { status?: string };
    return { status: typeof b.status === 'string' ? b.status : undefined };
  }

  /** One notice (お知らせ, 補正, 取下げ) of a case, with its text. */
  async notice(token: string, arriveId: string, noticeSubId: string): Promise<EgovNotice> {
    const b = (await this.api(token, 'GET', `/notice/${encodeURIComponent(arriveId)}/${encodeURIComponent(noticeSubId)}`)) as Partial<
      Record<keyof EgovNotice, unknown>
    >;
    return {
      notice_sub_id: String(b.notice_sub_id ?? noticeSubId),
      notice_type: typeof b.notice_type === 'string' ? b.notice_type : '',
      title: typeof b.title === 'string' ? b.title : '',
      body: typeof b.body === 'string' ? b.body : '',
      date: typeof b.date === 'string' ? b.date : undefined,
    };
  }

  async acknowledgeOfficialDocument(token: string, arriveId: string, noticeSubId: string): Promise<void> {
    await this.api(token, 'POST', '/official_document', { arrive_id: arriveId, notice_sub_id: noticeSubId });
  }
}
