import type { SimContext } from './context';
import { HttpError, json, jsonBody, problem, problemError, type Reply, type SimRequest } from './http';
import { accessTokenSubject } from './oauth';
import { buildOfficialDocumentZip, checkPackage, type CheckedPackage } from './package';
import type { SimCase } from './state';
import { EGOV_STATUS } from './types';

/**
 * The e-Gov API v2 subset, relative to /api/v2. Every route needs a Bearer
 * access token; every error is application/problem+json.
 */

const ARRIVE_ID = /^\d{16}$/;
const SUB_ID = /^[1-9]\d{0,8}$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const JST_OFFSET_MS = 9 * 3600_000;

export async function handleApi(ctx: SimContext, req: SimRequest, path: string): Promise<Reply> {
  const route = matchRoute(req.method, path);
  if (route === undefined) throw problemError(404, 'not-found', 'Not Found', `no such endpoint: ${path}`);
  if ('allow' in route) {
    throw new HttpError(problem(405, 'method-not-allowed', 'Method Not Allowed', `${req.method} ${path}`, {}, { allow: route.allow }));
  }
  const account = authenticate(ctx, req);
  return route.handler(ctx, req, account, route.params);
}

type Handler = (ctx: SimContext, req: SimRequest, account: string, params: string[]) => Promise<Reply> | Reply;

const ROUTES: Array<{ method: string; pattern: RegExp; handler: Handler }> = [
  { method: 'POST', pattern: /^\/apply$/, handler: apply },
  { method: 'POST', pattern: /^\/apply\/check$/, handler: applyCheck },
  { method: 'GET', pattern: /^\/apply\/lists$/, handler: applyLists },
  { method: 'POST', pattern: /^\/apply\/amend$/, handler: amend },
  { method: 'POST', pattern: /^\/apply\/withdraw$/, handler: withdraw },
  { method: 'GET', pattern: /^\/apply\/([^/]+)$/, handler: getCase },
  { method: 'GET', pattern: /^\/notice\/([^/]+)\/([^/]+)$/, handler: getNotice },
  { method: 'GET', pattern: /^\/official_document\/([^/]+)\/([^/]+)$/, handler: getOfficialDocument },
  { method: 'POST', pattern: /^\/official_document$/, handler: markOfficialDocumentDownloaded },
];

function matchRoute(method: string, path: string): { handler: Handler; params: string[] } | { allow: string } | undefined {
  const allowed: string[] = [];
  for (const route of ROUTES) {
    const m = route.pattern.exec(path);
    if (!m) continue;
    if (route.method === method) return { handler: route.handler, params: m.slice(1).map(safeDecode) };
    allowed.push(route.method);
  }
  return allowed.length > 0 ? { allow: [...new Set(allowed)].join(', ') } : undefined;
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Bearer access token (RFC 6750); the subject is the e-Gov account every query is scoped to. */
function authenticate(ctx: SimContext, req: SimRequest): string {
  const m = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(req.headers.authorization ?? '');
  if (!m) {
    throw new HttpError(
      problem(
        401,
        'unauthorized',
        'Unauthorized',
        'アクセストークン（Bearer）が必要です。',
        {},
        { 'www-authenticate': 'Bearer realm="egov-sim"' },
      ),
    );
  }
  const account = accessTokenSubject(ctx, m[1]);
  if (!account) {
    throw new HttpError(
      problem(
        401,
        'invalid-token',
        'Unauthorized',
        'アクセストークンが無効か期限切れです。',
        {},
        { 'www-authenticate': 'Bearer realm="egov-sim", error="invalid_token"' },
      ),
    );
  }
  return account;
}

function caseNotFound(arriveId: string): HttpError {
  return problemError(404, 'case-not-found', 'Not Found', `到達番号 ${arriveId} の申請は見つかりません。`);
}

/** Another account's case answers exactly like an unknown one (no existence oracle). */
function requireCase(ctx: SimContext, account: string, arriveId: unknown): SimCase {
  if (typeof arriveId !== 'string' || !ARRIVE_ID.test(arriveId)) {
    if (typeof arriveId === 'string') throw caseNotFound(arriveId);
    throw problemError(400, 'invalid-request', 'Bad Request', 'arrive_id（16 桁の到達番号）を指定してください。');
  }
  const c = ctx.state.findCase(account, arriveId);
  if (!c) throw caseNotFound(arriveId);
  return c;
}

function parseSubId(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isInteger(value) && value > 0) return value;
  if (typeof value === 'string' && SUB_ID.test(value)) return Number(value);
  return undefined;
}

function packageProblem(checked: CheckedPackage): HttpError {
  return problemError(400, 'invalid-package', 'Invalid package', checked.report.map((r) => `${r.item}: ${r.message}`).join(' / '), {
    report_list: checked.report,
  });
}

// --- submission ------------------------------------------------------------------

async function apply(ctx: SimContext, req: SimRequest, account: string): Promise<Reply> {
  const body = jsonBody(req);
  const checked = await checkPackage(body.proc_id, body.send_file);
  if (checked.report.length > 0) throw packageProblem(checked);
  // No idempotency key: like e-Gov, two identical POSTs make two cases.
  const c = ctx.state.createCase(account, body.proc_id as string, {
    file_name: checked.fileName as string,
    size: checked.size ?? 0,
    entries: checked.entries ?? [],
    form_text: checked.formText,
  });
  return json(200, { arrive_id: c.arrive_id, arrive_date: c.arrive_date, proc_id: c.proc_id, status: c.status });
}

async function applyCheck(_ctx: SimContext, req: SimRequest): Promise<Reply> {
  const body = jsonBody(req);
  const checked = await checkPackage(body.proc_id, body.send_file);
  return json(200, { error_count: checked.report.length, report_list: checked.report });
}

function parseDay(name: string, value: string | null, endOfDay: boolean): number | undefined {
  if (value === null || value === '') return undefined;
  const m = DATE.exec(value);
  const ms = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : NaN;
  // Round-trip check refuses 2026-02-30 and friends.
  if (!m || Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== value) {
    throw problemError(400, 'invalid-query', 'Bad Request', `${name} は YYYY-MM-DD で指定してください。`);
  }
  // Days are Japanese calendar days (JST).
  return ms - JST_OFFSET_MS + (endOfDay ? 86400_000 : 0);
}

function parseIntParam(name: string, value: string | null, fallback: number, min: number, max: number): number {
  if (value === null || value === '') return fallback;
  if (!/^\d{1,9}$/.test(value) || Number(value) < min || Number(value) > max) {
    throw problemError(400, 'invalid-query', 'Bad Request', `${name} は ${min}〜${max} の整数で指定してください。`);
  }
  return Number(value);
}

function applyLists(ctx: SimContext, req: SimRequest, account: string): Reply {
  const q = req.url.searchParams;
  const from = parseDay('date_from', q.get('date_from'), false);
  const to = parseDay('date_to', q.get('date_to'), true);
  const limit = parseIntParam('limit', q.get('limit'), 100, 1, 1000);
  const offset = parseIntParam('offset', q.get('offset'), 0, 0, 1_000_000_000);
  const mine = [...ctx.state.cases.values()]
    .filter((c) => c.account === account)
    .filter((c) => (from === undefined || c.arrivedAtMs >= from) && (to === undefined || c.arrivedAtMs < to))
    .sort((a, b) => a.arrive_id.localeCompare(b.arrive_id));
  const page = mine.slice(offset, offset + limit);
  for (const c of page) ctx.state.advance(c);
  return json(200, {
    results: page.map((c) => ({ arrive_id: c.arrive_id, proc_id: c.proc_id, status: c.status, arrive_date: c.arrive_date })),
    total: mine.length,
  });
}

// --- case, notices ---------------------------------------------------------------

export function caseView(c: SimCase): Record<string, unknown> {
  return {
    arrive_id: c.arrive_id,
    proc_id: c.proc_id,
    arrive_date: c.arrive_date,
    status: c.status,
    status_history: c.status_history.map((h) => ({ ...h })),
    notice_list: c.notices.map(({ notice_sub_id, notice_type, title, date }) => ({ notice_sub_id, notice_type, title, date })),
    official_list: c.officials.map(({ notice_sub_id, doc_title, doc_download_expired_date, downloaded }) => ({
      notice_sub_id,
      doc_title,
      doc_download_expired_date,
      downloaded,
    })),
  };
}

function getCase(ctx: SimContext, _req: SimRequest, account: string, [arriveId]: string[]): Reply {
  return json(200, caseView(requireCase(ctx, account, arriveId)));
}

function getNotice(ctx: SimContext, _req: SimRequest, account: string, [arriveId, subId]: string[]): Reply {
  const c = requireCase(ctx, account, arriveId);
  const id = parseSubId(subId);
  const notice = c.notices.find((n) => n.notice_sub_id === id);
  if (!notice) throw problemError(404, 'notice-not-found', 'Not Found', `通知 ${arriveId}/${subId} は見つかりません。`);
  return json(200, { ...notice });
}

// --- correction, withdrawal ------------------------------------------------------

async function amend(ctx: SimContext, req: SimRequest, account: string): Promise<Reply> {
  const body = jsonBody(req);
  const c = requireCase(ctx, account, body.arrive_id);
  if (body.proc_id !== undefined && body.proc_id !== c.proc_id) {
    throw problemError(400, 'invalid-request', 'Bad Request', `proc_id が申請（${c.proc_id}）と一致しません。`);
  }
  if (c.status !== EGOV_STATUS.correctionRequested) {
    throw problemError(
      409,
      'invalid-state',
      'Conflict',
      `補正できるのは「${EGOV_STATUS.correctionRequested}」の申請だけです（現在: ${c.status}）。`,
    );
  }
  const checked = await checkPackage(c.proc_id, body.send_file);
  if (checked.report.length > 0) throw packageProblem(checked);
  const now = ctx.state.now();
  c.packages.push({
    file_name: checked.fileName as string,
    size: checked.size ?? 0,
    entries: checked.entries ?? [],
    received_at: new Date(now).toISOString(),
    form_text: checked.formText,
  });
  ctx.state.setStatus(c, EGOV_STATUS.underReview, now);
  c.reviewStartedAtMs = now;
  return json(200, { arrive_id: c.arrive_id, status: c.status, amend_date: new Date(now).toISOString() });
}

/**
 * 取下げ. Our choice (the real status string for a withdrawn case is not in our
 * notes): the case goes to 手続終了 and gets a notice of type 取下げ carrying
 * the reason; a client tells a withdrawn case from a completed one by that
 * notice (and by official_list being empty).
 */
function withdraw(ctx: SimContext, req: SimRequest, account: string): Reply {
  const body = jsonBody(req);
  const c = requireCase(ctx, account, body.arrive_id);
  const reason = body.reason;
  if (typeof reason !== 'string' || reason.trim().length === 0 || reason.length > 1000) {
    throw problemError(400, 'invalid-request', 'Bad Request', '取下げ理由（reason）を 1〜1000 文字で指定してください。');
  }
  const allowed: string[] = [EGOV_STATUS.arrived, EGOV_STATUS.underReview, EGOV_STATUS.correctionRequested];
  if (!allowed.includes(c.status)) {
    throw problemError(409, 'invalid-state', 'Conflict', `審査終了後の申請は取り下げられません（現在: ${c.status}）。`);
  }
  const now = ctx.state.now();
  c.correctionPending = false;
  c.withdrawn = { reason, date: new Date(now).toISOString() };
  const notice = ctx.state.addNotice(
    c,
    '取下げ',
    '取下げの受付について',
    `到達番号 ${c.arrive_id} の申請の取下げを受け付けました。理由: ${reason}`,
    now,
  );
  ctx.state.setStatus(c, EGOV_STATUS.completed, now);
  return json(200, { arrive_id: c.arrive_id, status: c.status, notice_sub_id: notice.notice_sub_id });
}

// --- official documents -----------------------------------------------------------

async function getOfficialDocument(ctx: SimContext, _req: SimRequest, account: string, [arriveId, subId]: string[]): Promise<Reply> {
  const c = requireCase(ctx, account, arriveId);
  const id = parseSubId(subId);
  const doc = c.officials.find((d) => d.notice_sub_id === id);
  if (!doc) throw problemError(404, 'official-document-not-found', 'Not Found', `公文書 ${arriveId}/${subId} は見つかりません。`);
  if (Date.parse(doc.doc_download_expired_date) <= ctx.state.now()) {
    throw problemError(410, 'official-document-expired', 'Gone', `公文書 ${arriveId}/${subId} のダウンロード期限が過ぎています。`);
  }
  const zip = await buildOfficialDocumentZip({
    arriveId: c.arrive_id,
    procId: c.proc_id,
    noticeSubId: doc.notice_sub_id,
    docTitle: doc.doc_title,
    issuedAt: doc.issued_at,
    formText: c.packages[c.packages.length - 1]?.form_text,
  });
  return json(200, { file_name: `${c.arrive_id}_${doc.notice_sub_id}.zip`, file_data: zip.toString('base64') });
}

/** 取得完了: marks the document downloaded; once every document is, the case is 手続終了. Repeating it is harmless. */
function markOfficialDocumentDownloaded(ctx: SimContext, req: SimRequest, account: string): Reply {
  const body = jsonBody(req);
  const c = requireCase(ctx, account, body.arrive_id);
  const id = parseSubId(body.notice_sub_id);
  if (id === undefined) throw problemError(400, 'invalid-request', 'Bad Request', 'notice_sub_id（正の整数）を指定してください。');
  const doc = c.officials.find((d) => d.notice_sub_id === id);
  if (!doc) throw problemError(404, 'official-document-not-found', 'Not Found', `公文書 ${c.arrive_id}/${id} は見つかりません。`);
  doc.downloaded = true;
  if (c.status === EGOV_STATUS.reviewFinished && c.officials.every((d) => d.downloaded)) {
    ctx.state.setStatus(c, EGOV_STATUS.completed, ctx.state.now());
  }
  return json(200, { arrive_id: c.arrive_id, notice_sub_id: id, status: c.status });
}
