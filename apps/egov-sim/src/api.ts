import type { SimContext } from './context';
import { HttpError, json, mediaType, notFound, problem, type Reply, type SimRequest } from './http';
import { accessTokenSubject } from './oauth';
import { buildOfficialDocumentZip, checkPackage, type CheckedPackage, type PackageEndpoint, type ReportItem } from './package';
import { APPLY_TYPE, findProcedure, KOUSEI_FILE_NAME, KOUSEI_FORM_ID, type ProcedureDef } from './procedures';
import { validateAgainstSpec, type SpecSchemaName } from './spec';
import { jstDate, jstDateTime, type SimCase } from './state';
import { EGOV_STATUS } from './types';
import { formXml, kouseiXml } from './xml';
import { zipEntries } from './zip';

/**
 * The e-Gov API v2 (電子申請) as the published OpenAPI document defines it,
 * served under /shinsei/v2. Every route needs a Bearer access token (401 with
 * only `WWW-Authenticate`); every 2xx answer is `{metadata, results}`; errors
 * are `{title, detail, type, instance}` (+ report_list); 404 has no body.
 */

export const API_PREFIX = '/shinsei/v2';
const ARRIVE_ID = /^\d{16,18}$/;
const SUB_ID = /^[1-9]\d{0,2}$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const JST_OFFSET_MS = 9 * 3600_000;
/** `metadata.type`: the spec's 「APIドキュメントURL」. */
const API_DOC = 'https://developer.e-gov.go.jp/';

interface Call {
  ctx: SimContext;
  req: SimRequest;
  account: string;
  params: string[];
  /** The endpoint URI: `instance` of errors and metadata. */
  instance: string;
  /** X-eGovAPI-Trial: true */
  trial: boolean;
}

type Handler = (call: Call) => Promise<Reply> | Reply;

const ROUTES: Array<{ method: string; pattern: RegExp; handler: Handler; title: string }> = [
  { method: 'GET', pattern: /^\/procedure\/([^/]+)$/, handler: getProcedure, title: '手続選択' },
  { method: 'POST', pattern: /^\/apply$/, handler: apply, title: '申請データ送信' },
  { method: 'POST', pattern: /^\/apply\/check$/, handler: applyCheck, title: '形式チェック実行' },
  { method: 'GET', pattern: /^\/apply\/lists$/, handler: applyLists, title: '申請案件一覧取得' },
  { method: 'POST', pattern: /^\/apply\/amend$/, handler: amend, title: '補正データ送信' },
  { method: 'POST', pattern: /^\/apply\/withdraw$/, handler: withdraw, title: '取り下げ依頼送信' },
  { method: 'GET', pattern: /^\/apply\/([^/]+)$/, handler: getCase, title: '申請案件取得' },
  { method: 'GET', pattern: /^\/notice\/([^/]+)\/([^/]+)$/, handler: getNotice, title: '申請案件に関する通知取得' },
  { method: 'GET', pattern: /^\/official_document\/([^/]+)\/([^/]+)$/, handler: getOfficialDocument, title: '公文書取得' },
  { method: 'POST', pattern: /^\/official_document$/, handler: completeOfficialDocument, title: '公文書取得完了' },
];

export async function handleApi(ctx: SimContext, req: SimRequest, path: string): Promise<Reply> {
  let found: { route: (typeof ROUTES)[number]; params: string[] } | undefined;
  const allowed: string[] = [];
  for (const route of ROUTES) {
    const m = route.pattern.exec(path);
    if (!m) continue;
    if (route.method === req.method) {
      found = { route, params: m.slice(1).map(safeDecode) };
      break;
    }
    allowed.push(route.method);
  }
  if (!found) {
    if (allowed.length > 0) {
      return problem(
        405,
        'method-not-allowed',
        'Method Not Allowed',
        `${req.method} は使えません / method not allowed`,
        { instance: API_PREFIX + path },
        { allow: [...new Set(allowed)].join(', ') },
      );
    }
    throw notFound();
  }
  const account = authenticate(ctx, req);
  const trialHeader = req.headers['x-egovapi-trial'];
  if (trialHeader !== undefined && trialHeader !== 'true' && trialHeader !== 'false') {
    throw bad(API_PREFIX + path, 'X-eGovAPI-Trial は true または false にしてください / X-eGovAPI-Trial must be true or false.');
  }
  const call: Call = { ctx, req, account, params: found.params, instance: API_PREFIX + path, trial: trialHeader === 'true' };
  const reply = await found.route.handler(call);
  return reply;
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Bearer access token (RFC 6750). 401 carries only WWW-Authenticate (ISO-8859-1, so ASCII here), no body. */
function authenticate(ctx: SimContext, req: SimRequest): string {
  const m = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(req.headers.authorization ?? '');
  if (!m) {
    throw new HttpError({
      status: 401,
      headers: { 'www-authenticate': 'Bearer realm="egov-sim", error="invalid_request", error_description="access token required"' },
      body: '',
    });
  }
  const account = accessTokenSubject(ctx, m[1]);
  if (!account) {
    throw new HttpError({
      status: 401,
      headers: {
        'www-authenticate': 'Bearer realm="egov-sim", error="invalid_token", error_description="the access token is invalid or expired"',
      },
      body: '',
    });
  }
  return account;
}

function bad(instance: string, detail: string, extra: Record<string, unknown> = {}): HttpError {
  return new HttpError(problem(400, 'bad-request', 'Bad Request', detail, { instance, ...extra }));
}

/** The success envelope. */
function ok(call: Call, title: string, results: unknown, extra: Record<string, unknown> = {}): Reply {
  return json(200, {
    metadata: { title, detail: '正常に処理が完了しました。', type: API_DOC, instance: call.instance },
    results,
    ...extra,
  });
}

/** Parses the JSON body and validates it against the spec's request schema. */
function body<T>(call: Call, schema: SpecSchemaName): T {
  if (mediaType(call.req) !== 'application/json') {
    throw bad(call.instance, 'Content-Type は application/json にしてください / Content-Type must be application/json.');
  }
  let value: unknown;
  try {
    value = JSON.parse(call.req.body.toString('utf8'));
  } catch {
    throw bad(call.instance, 'リクエスト本文が JSON として解析できません / the body is not valid JSON.');
  }
  const v = validateAgainstSpec(schema, value);
  if (!v.valid)
    throw bad(call.instance, `リクエストの形式が仕様と異なります / the request does not match the specification: ${v.errors.join('; ')}`);
  return value as T;
}

function requireCase(call: Call, arriveId: string): SimCase {
  if (!ARRIVE_ID.test(arriveId)) throw bad(call.instance, '到達番号は 16〜18 桁の数字です / arrive_id must be 16 to 18 digits.');
  const c = call.ctx.state.findCase(call.account, arriveId);
  // Another account's case answers exactly like an unknown one (no existence oracle).
  if (!c) throw notFound();
  return c;
}

function parseSubId(call: Call, value: string): number {
  if (!SUB_ID.test(value)) throw bad(call.instance, '通知通番は 1〜999 の整数です / notice_sub_id must be an integer from 1 to 999.');
  return Number(value);
}

function packageProblem(call: Call, checked: CheckedPackage, withdraw = false): HttpError {
  const first = checked.report[0];
  const detail = `申請データに誤りがあります（${checked.report.length} 件）: ${first?.content ?? ''} / the package was refused`;
  const report_list = withdraw
    ? checked.report.map((r: ReportItem) => ({ file_name: r.file_name, item: r.item, content: r.content.slice(0, 256) }))
    : checked.report;
  return bad(call.instance, detail, { report_list });
}

function stateRefused(call: Call, content: string, withdraw = false): HttpError {
  const item = withdraw
    ? { file_name: '-', item: 'arrive_id', content }
    : { form_name: '-', attached_file_name: '-', file_name: '-', item: 'arrive_id', content };
  return bad(call.instance, content, { report_list: [item] });
}

function packageContext(call: Call, endpoint: PackageEndpoint, procId: string, arriveId?: string) {
  return {
    endpoint,
    procId,
    arriveId,
    requireSignature: call.ctx.requireSignature,
    now: call.ctx.state.now(),
    findOwnCase: (id: string) => call.ctx.state.findCase(call.account, id),
  };
}

// --- 手続選択 ----------------------------------------------------------------------

async function getProcedure(call: Call): Promise<Reply> {
  const [procId] = call.params;
  if (!/^[0-9A-Za-z]{16}$/.test(procId))
    throw bad(call.instance, '手続識別子は 16 桁の英数字です / proc_id must be 16 alphanumeric characters.');
  const proc = findProcedure(procId);
  if (!proc) throw notFound();
  const zip = await skeletonZip(proc);
  return ok(call, '手続選択', {
    file_data: zip.toString('base64'),
    configuration_file_name: [KOUSEI_FILE_NAME],
    file_info: [
      {
        form_id: proc.formId,
        form_version: Number(proc.formVersion),
        form_name: proc.formName,
        apply_file_name: proc.formFileName,
        xsl_file_name: `${proc.formId}.xsl`,
      },
    ],
  });
}

/** The skeleton: a root folder named after the 手続ID holding kousei.xml, its XSL, the 申請書 skeleton and its XSL. */
export async function skeletonZip(proc: ProcedureDef): Promise<Buffer> {
  const xsl = (id: string): string =>
    `<?xml version="1.0" encoding="UTF-8"?>\n<!-- egov-sim placeholder stylesheet for ${id}: the real one renders the form -->\n<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"/>\n`;
  const dir = `${proc.procId}/`;
  return zipEntries({
    [`${dir}${KOUSEI_FILE_NAME}`]: kouseiXml({
      proc,
      applyType: proc.procId === '9990000000000003' ? APPLY_TYPE.withdrawal : APPLY_TYPE.new,
      applicant: { 氏名: '' },
    }),
    [`${dir}${KOUSEI_FORM_ID}.xsl`]: xsl(KOUSEI_FORM_ID),
    [`${dir}${proc.formFileName}`]: formXml(proc),
    [`${dir}${proc.formId}.xsl`]: xsl(proc.formId),
  });
}

// --- 申請データ送信, 形式チェック -------------------------------------------------------

interface SendBody {
  proc_id: string;
  send_file: { file_name: string; file_data: string };
}

async function apply(call: Call): Promise<Reply> {
  const b = body<SendBody>(call, 'apply_request');
  const checked = await checkPackage(b.send_file, packageContext(call, 'apply', b.proc_id));
  if (!checked.info) throw packageProblem(call, checked);
  const info = checked.info;
  const proc = findProcedure(info.procId) as ProcedureDef;
  let original: SimCase | undefined;
  if (info.applyType === APPLY_TYPE.resubmit) {
    original = call.ctx.state.findCase(call.account, info.firstArriveId) as SimCase;
    const last = call.ctx.state.latestCorrection(original);
    if (original.status !== EGOV_STATUS.correctionRequested || last?.correct_type !== '再提出' || last.correctCompletedAtMs !== undefined) {
      throw stateRefused(
        call,
        `到達番号 ${original.arrive_id} の申請は再提出を求められていません / no resubmission was asked for this case.`,
      );
    }
  }
  const caseInfo = {
    procName: info.procName,
    applicantName: info.applicantName,
    corporationName: info.corporationName,
    submissionDestination: info.submissionDestination,
    ministryName: proc.ministryName,
  };
  let arriveId: string;
  let arriveDate: string;
  if (call.trial) {
    // Trial (X-eGovAPI-Trial: true): checked like a real filing, answered in the real shape, nothing created.
    arriveId = call.ctx.state.trialArriveId();
    arriveDate = jstDateTime(call.ctx.state.now());
  } else {
    const c = call.ctx.state.createCase(
      call.account,
      info.procId,
      caseInfo,
      {
        file_name: info.fileName,
        size: info.size,
        entries: info.entries,
        apply_type: info.applyType,
        signed: info.signed,
        form_text: info.formText,
      },
      original?.arrive_id,
    );
    if (original) {
      const now = call.ctx.state.now();
      const last = call.ctx.state.latestCorrection(original);
      if (last) last.correctCompletedAtMs = now;
      call.ctx.state.setStatus(original, EGOV_STATUS.completed, now);
    }
    arriveId = c.arrive_id;
    arriveDate = c.arrive_date;
  }
  return ok(
    call,
    '申請データ送信',
    {
      arrive_id: arriveId,
      arrive_date: arriveDate,
      corporation_name: caseInfo.corporationName,
      applicant_name: caseInfo.applicantName,
      apply_type: info.applyType,
      proc_name: caseInfo.procName,
      ministry_name: caseInfo.ministryName,
      submission_destination: caseInfo.submissionDestination,
      apply_form: {
        form: info.formNames.map((form_name) => ({ form_name })),
        attached_file: info.attachmentNames.map((attached_file_name) => ({ attached_file_name })),
      },
    },
    { _links: { self: `${call.ctx.apiBase}/apply`, status: `${call.ctx.apiBase}/apply/${arriveId}` } },
  );
}

async function applyCheck(call: Call): Promise<Reply> {
  const b = body<SendBody>(call, 'apply_check_request');
  const checked = await checkPackage(b.send_file, packageContext(call, 'check', b.proc_id));
  const n = checked.report.length;
  return ok(call, '形式チェック実行', {
    message: n === 0 ? '形式チェックでエラーはありませんでした。' : `形式チェックで ${n} 件のエラーがありました。`,
    error_count: n,
    report_list: checked.report,
  });
}

// --- 申請案件一覧 -----------------------------------------------------------------

function parseDay(call: Call, name: string, value: string): number {
  const m = DATE.exec(value);
  const ms = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : NaN;
  // Round-trip check refuses 2026-02-30 and friends.
  if (!m || Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== value) {
    throw bad(call.instance, `${name} は YYYY-MM-DD で指定してください / ${name} must be YYYY-MM-DD.`);
  }
  return ms - JST_OFFSET_MS; // JST calendar day
}

function parseIntParam(call: Call, name: string, value: string | null, fallback: number, min: number, max: number): number {
  if (value === null) return fallback;
  if (!/^\d{1,4}$/.test(value) || Number(value) < min || Number(value) > max) {
    throw bad(call.instance, `${name} は ${min}〜${max} の整数で指定してください / ${name} must be an integer from ${min} to ${max}.`);
  }
  return Number(value);
}

const LIST_PARAMS = ['send_number', 'date_from', 'date_to', 'limit', 'offset'];

function applyLists(call: Call): Reply {
  const q = call.req.url.searchParams;
  for (const key of q.keys()) {
    if (!LIST_PARAMS.includes(key)) throw bad(call.instance, `不明なパラメータ ${key} / unknown query parameter ${key}.`);
    if (q.getAll(key).length > 1) throw bad(call.instance, `${key} が複数あります / ${key} given twice.`);
  }
  const sendNumber = q.get('send_number');
  let mine: SimCase[];
  let limit = 50;
  let offset = 0;
  if (sendNumber !== null) {
    // 送信番号 only: it names a bulk submission (POST /bulk-apply), which the simulator does not serve.
    if (LIST_PARAMS.slice(1).some((k) => q.has(k)))
      throw bad(call.instance, '送信番号と期間は同時に指定できません / give send_number alone.');
    if (!/^\d{18}$/.test(sendNumber)) throw bad(call.instance, '送信番号は 18 桁の数字です / send_number must be 18 digits.');
    mine = [];
  } else {
    const fromRaw = q.get('date_from');
    const toRaw = q.get('date_to');
    if (fromRaw === null || toRaw === null) {
      throw bad(
        call.instance,
        'date_from と date_to を指定してください（または send_number）/ give date_from and date_to (or send_number).',
      );
    }
    const from = parseDay(call, 'date_from', fromRaw);
    const to = parseDay(call, 'date_to', toRaw) + 86400_000;
    if (to <= from) throw bad(call.instance, 'date_to は date_from 以降にしてください / date_to must not be before date_from.');
    limit = parseIntParam(call, 'limit', q.get('limit'), 50, 1, 50);
    offset = parseIntParam(call, 'offset', q.get('offset'), 0, 0, 9999);
    mine = [...call.ctx.state.cases.values()]
      .filter((c) => c.account === call.account && c.arrivedAtMs >= from && c.arrivedAtMs < to)
      .sort((a, b) => a.arrive_id.localeCompare(b.arrive_id));
  }
  const page = mine.slice(offset, offset + limit);
  for (const c of page) call.ctx.state.advance(c);
  const self = `${call.ctx.apiBase}/apply/lists${call.req.url.search}`;
  const pageUrl = (o: number): string => {
    const p = new URLSearchParams(call.req.url.searchParams);
    p.set('offset', String(o));
    p.set('limit', String(limit));
    return `${call.ctx.apiBase}/apply/lists?${p}`;
  };
  const links: Record<string, string> = { self };
  if (sendNumber === null && offset > 0) links.previous = pageUrl(Math.max(0, offset - limit));
  if (sendNumber === null && offset + limit < mine.length) links.next = pageUrl(offset + limit);
  return json(200, {
    metadata: { title: '申請案件一覧取得', detail: '正常に処理が完了しました。', type: API_DOC, instance: call.instance },
    resultset: { all_count: Math.min(mine.length, 9999), limit, offset, count: page.length },
    results: { apply_list: page.map((c, i) => ({ no: offset + i + 1, ...caseSummary(call, c) })) },
    _links: links,
  });
}

// --- 申請案件取得, 通知 -------------------------------------------------------------

const WITHDRAWABLE: string[] = [EGOV_STATUS.arrived, EGOV_STATUS.underReview, EGOV_STATUS.correctionRequested];

function caseSummary(call: Call, c: SimCase): Record<string, unknown> {
  return {
    status: c.status,
    arrive_id: c.arrive_id,
    arrive_date: c.arrive_date,
    corporation_name: c.info.corporationName,
    applicant_name: c.info.applicantName,
    proc_name: c.info.procName,
    submission_destination: c.info.submissionDestination,
    withdraw_flag: WITHDRAWABLE.includes(c.status),
    // OUR CHOICE: no fee procedures in the simulator; the spec gives no value list for 納付状況.
    pay_status: '納付なし',
    notice_count: c.notices.length,
    doc_count: c.officials.length,
    apply_pay_count: 0,
    applied_account: call.account.slice(0, 128),
  };
}

export function caseView(call: Call, c: SimCase): Record<string, unknown> {
  return {
    ...caseSummary(call, c),
    notice_list: c.notices.map((n) => ({
      notice_sub_id: n.notice_sub_id,
      issue_date: jstDateTime(n.issuedAtMs),
      notice_data_type: n.notice_type,
      notice_title: n.title,
      notice_sentence: n.body.slice(0, 512),
      issuer_organization: issuer(c),
      ...(n.correct_expired_date ? { correct_expired_date: n.correct_expired_date } : {}),
      ...(n.correctCompletedAtMs !== undefined ? { correct_completed_date: jstDateTime(n.correctCompletedAtMs) } : {}),
    })),
    official_list: c.officials.map((d) => ({
      notice_sub_id: d.notice_sub_id,
      allowed_date: jstDateTime(d.issuedAtMs),
      doc_title: d.doc_title,
      doc_download_expired_date: d.doc_download_expired_date,
      ...(d.downloadedAtMs !== undefined ? { doc_download_date: jstDateTime(d.downloadedAtMs) } : {}),
      sign: 'なし',
    })),
  };
}

function issuer(c: SimCase): string {
  return findProcedure(c.proc_id)?.destinationName || c.info.ministryName;
}

function getCase(call: Call): Reply {
  const c = requireCase(call, call.params[0]);
  return ok(call, '申請案件取得', caseView(call, c));
}

function getNotice(call: Call): Reply {
  const c = requireCase(call, call.params[0]);
  const id = parseSubId(call, call.params[1]);
  const n = c.notices.find((x) => x.notice_sub_id === id);
  if (!n) throw notFound();
  return ok(call, '申請案件に関する通知取得', {
    notice: {
      issuer_organization: issuer(c),
      notice_issue_date: jstDateTime(n.issuedAtMs),
      notice_type: n.notice_type,
      ...(n.correct_type ? { correct_type: n.correct_type } : {}),
      ...(n.correct_expired_date ? { correct_expired_date: n.correct_expired_date } : {}),
      ...(n.correctCompletedAtMs !== undefined ? { correct_completed_date: jstDateTime(n.correctCompletedAtMs) } : {}),
      notice_title: n.title,
      notice_sentence: n.body.slice(0, 512),
      corporation_name_list: [{ corporation_name: c.info.corporationName }],
      applicant_name_list: [{ applicant_name: c.info.applicantName }],
      proc_name: c.info.procName,
      notified_account: call.account.slice(0, 128),
    },
  });
}

// --- 補正, 取下げ -------------------------------------------------------------------

interface CaseBody {
  arrive_id: string;
  send_file: { file_name: string; file_data: string };
}

async function amend(call: Call): Promise<Reply> {
  const b = body<CaseBody>(call, 'apply_amend_request');
  const c = requireCase(call, b.arrive_id);
  const last = call.ctx.state.latestCorrection(c);
  if (c.status !== EGOV_STATUS.correctionRequested || !last || last.correctCompletedAtMs !== undefined) {
    throw stateRefused(
      call,
      `到達番号 ${c.arrive_id} の申請は補正を求められていません（${c.status}）/ no correction is pending for this case.`,
    );
  }
  if (last.correct_type !== '部分補正') {
    throw stateRefused(
      call,
      `補正種別が「${last.correct_type}」のため、補正データ送信は使えません。申請データ送信（申請種別 再提出）を使ってください / resubmit with POST /apply.`,
    );
  }
  const checked = await checkPackage(b.send_file, packageContext(call, 'amend', c.proc_id, c.arrive_id));
  if (!checked.info) throw packageProblem(call, checked);
  const now = call.ctx.state.now();
  const info = checked.info;
  c.packages.push({
    file_name: info.fileName,
    size: info.size,
    entries: info.entries,
    receivedAtMs: now,
    apply_type: info.applyType,
    signed: info.signed,
    form_text: info.formText,
  });
  last.correctCompletedAtMs = now;
  call.ctx.state.setStatus(c, EGOV_STATUS.underReview, now);
  c.reviewStartedAtMs = now;
  return ok(call, '補正データ送信', { arrive_id: c.arrive_id, amend_date: jstDateTime(now) });
}

/**
 * 取下げ依頼. The case must still be under way (withdraw_flag); the package is
 * the withdrawal procedure's (9990000000000003, 取下げ依頼, torisageirai.xml).
 * The resulting status string is our choice: EGOV_STATUS.withdrawn (README).
 */
async function withdraw(call: Call): Promise<Reply> {
  const b = body<CaseBody>(call, 'apply_withdraw_request');
  const c = requireCase(call, b.arrive_id);
  if (!WITHDRAWABLE.includes(c.status)) {
    throw stateRefused(
      call,
      `到達番号 ${c.arrive_id} の申請は取り下げられません（${c.status}）/ this case can no longer be withdrawn.`,
      true,
    );
  }
  const checked = await checkPackage(b.send_file, packageContext(call, 'withdraw', '', c.arrive_id));
  if (!checked.info) throw packageProblem(call, checked, true);
  const now = call.ctx.state.now();
  const info = checked.info;
  c.packages.push({
    file_name: info.fileName,
    size: info.size,
    entries: info.entries,
    receivedAtMs: now,
    apply_type: info.applyType,
    signed: info.signed,
  });
  c.pendingCorrection = undefined;
  c.withdrawn = { reason: info.withdrawalReason ?? '', atMs: now };
  call.ctx.state.addNotice(c, '取下げ', '取下げ依頼の受付について', `到達番号 ${c.arrive_id} の申請の取下げ依頼を受け付けました。`, now);
  call.ctx.state.setStatus(c, EGOV_STATUS.withdrawn, now);
  return ok(call, '取り下げ依頼送信', {
    arrive_id: c.arrive_id,
    withdraw_date: jstDateTime(now),
    corporation_name: c.info.corporationName,
    applicant_name: c.info.applicantName,
    proc_name: c.info.procName,
    ministry_name: c.info.ministryName,
    submission_destination: c.info.submissionDestination,
  });
}

// --- 公文書 ------------------------------------------------------------------------

async function getOfficialDocument(call: Call): Promise<Reply> {
  const c = requireCase(call, call.params[0]);
  const id = parseSubId(call, call.params[1]);
  const doc = c.officials.find((d) => d.notice_sub_id === id);
  if (!doc) throw notFound();
  if (doc.doc_download_expired_date < jstDate(call.ctx.state.now())) {
    throw bad(call.instance, `公文書の取得期限（${doc.doc_download_expired_date}）を過ぎています / the download period has ended.`);
  }
  const { zip, names } = await buildOfficialDocumentZip({
    arriveId: c.arrive_id,
    procId: c.proc_id,
    noticeSubId: doc.notice_sub_id,
    docTitle: doc.doc_title,
    issuedAt: jstDateTime(doc.issuedAtMs),
    formText: c.packages.filter((p) => p.form_text !== undefined).at(-1)?.form_text,
  });
  return ok(
    call,
    '公文書取得',
    { file_data: zip.toString('base64'), file_name_list: names.map((file_name) => ({ file_name })) },
    {
      _links: {
        self: `${call.ctx.apiBase}/official_document/${c.arrive_id}/${doc.notice_sub_id}`,
        complete: `${call.ctx.apiBase}/official_document`,
      },
    },
  );
}

/** 取得完了: dates the download; once every document is, the case is 手続終了. Repeating it is harmless. Trial: nothing recorded. */
function completeOfficialDocument(call: Call): Reply {
  const b = body<{ arrive_id: string; notice_sub_id: number }>(call, 'official_document_complete_request');
  const c = requireCase(call, b.arrive_id);
  const doc = c.officials.find((d) => d.notice_sub_id === b.notice_sub_id);
  if (!doc) throw notFound();
  const now = call.ctx.state.now();
  if (!call.trial) {
    doc.downloadedAtMs ??= now;
    if (c.status === EGOV_STATUS.reviewFinished && c.officials.every((d) => d.downloadedAtMs !== undefined)) {
      call.ctx.state.setStatus(c, EGOV_STATUS.completed, now);
    }
  }
  const stem = `kobunsho_${c.arrive_id}_${doc.notice_sub_id}`;
  return ok(call, '公文書取得完了', {
    arrive_id: c.arrive_id,
    notice_sub_id: doc.notice_sub_id,
    proc_name: c.info.procName,
    doc_title: doc.doc_title,
    download_date: jstDateTime(doc.downloadedAtMs ?? now),
    file_name_list: [{ file_name: `${stem}.pdf` }, { file_name: `${stem}.xml` }],
  });
}
