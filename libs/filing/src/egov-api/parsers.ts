import { EgovError } from './egov-error';
import { parseEgovDate, parseEgovDateTime } from './jst';
import type {
  AmendResults,
  ApplyCheckResults,
  ApplyDetailResults,
  ApplyLinks,
  ApplyListItem,
  ApplyListsResults,
  ApplyResults,
  EgovErrorBody,
  EgovMetadata,
  EgovReportItem,
  EgovResultSet,
  IntrospectAnswer,
  NoticeListItem,
  NoticeResults,
  OfficialDocumentCompleteResults,
  OfficialDocumentResults,
  OfficialListItem,
  ProcedureResults,
  TokenAnswer,
  WithdrawResults,
} from './types';

/**
 * Runtime parsers of e-Gov's answers: each checks the shape the specification promises (required
 * fields, types, the formats we rely on: arrive_id 16–18 digits, integer notice_sub_id, JST dates)
 * and unwraps `{metadata, results}`. An answer that does not fit is not guessed at: it is an
 * EgovError('transient'), with `maybeProcessed` as the caller says (a 2xx to a POST we could not read
 * may mean e-Gov acted). Only field names go into the message, never values (they may be personal data).
 */
type Obj = Record<string, unknown>;

class Malformed extends Error {}

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function obj(v: unknown, path: string): Obj {
  if (!isObj(v)) throw new Malformed(`${path} is not an object`);
  return v;
}
function str(o: Obj, k: string, path: string, opt?: { min?: number; max?: number }): string {
  const v = o[k];
  if (typeof v !== 'string') throw new Malformed(`${path}.${k} is not a string`);
  if ((opt?.min !== undefined && v.length < opt.min) || (opt?.max !== undefined && v.length > opt.max))
    throw new Malformed(`${path}.${k} has a wrong length`);
  return v;
}
function optStr(o: Obj, k: string, path: string): string | undefined {
  return o[k] === undefined || o[k] === null ? undefined : str(o, k, path);
}
function int(o: Obj, k: string, path: string, min = 0, max = 9999): number {
  const v = o[k];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    throw new Malformed(`${path}.${k} is not an integer in ${min}–${max}`);
  return v;
}
function bool(o: Obj, k: string, path: string): boolean {
  if (typeof o[k] !== 'boolean') throw new Malformed(`${path}.${k} is not a boolean`);
  return o[k] as boolean;
}
function arr(o: Obj, k: string, path: string): unknown[] | undefined {
  const v = o[k];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw new Malformed(`${path}.${k} is not an array`);
  return v;
}
function arriveId(o: Obj, k: string, path: string): string {
  const v = str(o, k, path);
  if (!/^\d{16,18}$/.test(v)) throw new Malformed(`${path}.${k} is not 16–18 digits`);
  return v;
}
function dateTime(o: Obj, k: string, path: string): string {
  const v = str(o, k, path);
  if (!parseEgovDateTime(v)) throw new Malformed(`${path}.${k} is not "YYYY-MM-DD HH:MM:SS"`);
  return v;
}
function optDateTime(o: Obj, k: string, path: string): string | undefined {
  return o[k] === undefined || o[k] === null ? undefined : dateTime(o, k, path);
}
function optDate(o: Obj, k: string, path: string): string | undefined {
  if (o[k] === undefined || o[k] === null) return undefined;
  const v = str(o, k, path);
  if (!parseEgovDate(v)) throw new Malformed(`${path}.${k} is not "YYYY-MM-DD"`);
  return v;
}

function metadata(v: unknown): EgovMetadata {
  const m = obj(v, 'metadata');
  return {
    title: str(m, 'title', 'metadata'),
    detail: str(m, 'detail', 'metadata'),
    type: str(m, 'type', 'metadata'),
    instance: str(m, 'instance', 'metadata'),
  };
}

/** Runs a parser; a shape error becomes EgovError('transient'). */
function run<T>(what: string, maybeProcessed: boolean, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof Malformed)
      throw new EgovError('transient', `e-Gov ${what} answer is malformed: ${e.message}`, undefined, undefined, maybeProcessed);
    throw e;
  }
}

/** `{metadata, results}` → results (as an object), after checking metadata. */
function unwrap(body: unknown): { top: Obj; results: Obj } {
  const top = obj(body, 'answer');
  metadata(top.metadata);
  return { top, results: obj(top.results, 'results') };
}

function reportList(o: Obj, path: string): EgovReportItem[] | undefined {
  return arr(o, 'report_list', path)?.map((x, i) => {
    const r = obj(x, `${path}.report_list[${i}]`);
    const p = `${path}.report_list[${i}]`;
    return {
      form_name: optStr(r, 'form_name', p),
      attached_file_name: optStr(r, 'attached_file_name', p),
      file_name: optStr(r, 'file_name', p),
      item: optStr(r, 'item', p),
      content: optStr(r, 'content', p),
    };
  });
}

function noticeItem(x: unknown, p: string): NoticeListItem {
  const n = obj(x, p);
  return {
    notice_sub_id: int(n, 'notice_sub_id', p, 1, 999),
    issue_date: optDateTime(n, 'issue_date', p),
    notice_data_type: optStr(n, 'notice_data_type', p),
    notice_title: optStr(n, 'notice_title', p),
    notice_sentence: optStr(n, 'notice_sentence', p),
    issuer_organization: optStr(n, 'issuer_organization', p),
    correct_expired_date: optDate(n, 'correct_expired_date', p),
    correct_completed_date: optDateTime(n, 'correct_completed_date', p),
  };
}

function officialItem(x: unknown, p: string): OfficialListItem {
  const d = obj(x, p);
  return {
    notice_sub_id: int(d, 'notice_sub_id', p, 1, 999),
    allowed_date: optDateTime(d, 'allowed_date', p),
    doc_title: optStr(d, 'doc_title', p),
    doc_download_expired_date: optDate(d, 'doc_download_expired_date', p),
    doc_download_date: optDateTime(d, 'doc_download_date', p),
    sign: optStr(d, 'sign', p),
  };
}

/** POST /apply (200): results + _links. */
export function parseApply(body: unknown): { results: ApplyResults; links: ApplyLinks } {
  return run('apply', true, () => {
    const { top, results: r } = unwrap(body);
    const l = obj(top._links, '_links');
    const form = r.apply_form === undefined ? {} : obj(r.apply_form, 'results.apply_form');
    return {
      results: {
        arrive_id: arriveId(r, 'arrive_id', 'results'),
        arrive_date: dateTime(r, 'arrive_date', 'results'),
        corporation_name: str(r, 'corporation_name', 'results'),
        applicant_name: str(r, 'applicant_name', 'results'),
        apply_type: str(r, 'apply_type', 'results'),
        proc_name: str(r, 'proc_name', 'results'),
        ministry_name: str(r, 'ministry_name', 'results'),
        submission_destination: str(r, 'submission_destination', 'results'),
        apply_form: form as ApplyResults['apply_form'],
      },
      links: { self: str(l, 'self', '_links'), status: str(l, 'status', '_links') },
    };
  });
}

/** POST /apply/amend (200). */
export function parseAmend(body: unknown): AmendResults {
  return run('amend', true, () => {
    const { results: r } = unwrap(body);
    return { arrive_id: arriveId(r, 'arrive_id', 'results'), amend_date: dateTime(r, 'amend_date', 'results') };
  });
}

/** POST /apply/withdraw (200). */
export function parseWithdraw(body: unknown): WithdrawResults {
  return run('withdraw', true, () => {
    const { results: r } = unwrap(body);
    return {
      arrive_id: arriveId(r, 'arrive_id', 'results'),
      withdraw_date: dateTime(r, 'withdraw_date', 'results'),
      corporation_name: optStr(r, 'corporation_name', 'results'),
      applicant_name: str(r, 'applicant_name', 'results'),
      proc_name: str(r, 'proc_name', 'results'),
      ministry_name: str(r, 'ministry_name', 'results'),
      submission_destination: optStr(r, 'submission_destination', 'results'),
    };
  });
}

/** POST /apply/check (200): a package with errors is still a 200 with error_count > 0. */
export function parseApplyCheck(body: unknown): ApplyCheckResults {
  return run('check', false, () => {
    const { results: r } = unwrap(body);
    return { message: str(r, 'message', 'results'), error_count: int(r, 'error_count', 'results'), report_list: reportList(r, 'results') };
  });
}

/**
 * GET /apply/lists (200). The specification puts `resultset` at the top level beside `results`
 * (required there); an answer carrying it inside `results` is accepted too (an older reading of it).
 */
export function parseApplyLists(body: unknown): { resultset: EgovResultSet; results: ApplyListsResults } {
  return run('list', false, () => {
    const { top, results: r } = unwrap(body);
    const rs = obj(top.resultset ?? r.resultset, 'resultset');
    const resultset = {
      all_count: int(rs, 'all_count', 'resultset'),
      limit: int(rs, 'limit', 'resultset', 1),
      offset: int(rs, 'offset', 'resultset'),
      count: int(rs, 'count', 'resultset'),
    };
    const list: ApplyListItem[] = (arr(r, 'apply_list', 'results') ?? []).map((x, i) => {
      const p = `results.apply_list[${i}]`;
      const a = obj(x, p);
      return {
        no: a.no === undefined ? undefined : int(a, 'no', p),
        send_number: optStr(a, 'send_number', p),
        send_date: optStr(a, 'send_date', p),
        status: optStr(a, 'status', p),
        arrive_id: arriveId(a, 'arrive_id', p),
        arrive_date: optDateTime(a, 'arrive_date', p),
        corporation_name: optStr(a, 'corporation_name', p),
        applicant_name: optStr(a, 'applicant_name', p),
        proc_name: optStr(a, 'proc_name', p),
        submission_destination: optStr(a, 'submission_destination', p),
        withdraw_flag: a.withdraw_flag === undefined ? undefined : bool(a, 'withdraw_flag', p),
        notice_count: a.notice_count === undefined ? undefined : int(a, 'notice_count', p),
        doc_count: a.doc_count === undefined ? undefined : int(a, 'doc_count', p),
      };
    });
    if (list.length !== resultset.count) throw new Malformed('resultset.count does not match results.apply_list');
    return { resultset, results: { apply_list: list } };
  });
}

/** GET /apply/{arrive_id} (200). */
export function parseApplyDetail(body: unknown): ApplyDetailResults {
  return run('case', false, () => {
    const { results: r } = unwrap(body);
    const p = 'results';
    return {
      status: str(r, 'status', p, { min: 1 }),
      arrive_id: arriveId(r, 'arrive_id', p),
      arrive_date: dateTime(r, 'arrive_date', p),
      corporation_name: str(r, 'corporation_name', p),
      applicant_name: str(r, 'applicant_name', p),
      proc_name: str(r, 'proc_name', p),
      submission_destination: str(r, 'submission_destination', p),
      withdraw_flag: bool(r, 'withdraw_flag', p),
      pay_status: str(r, 'pay_status', p),
      notice_count: int(r, 'notice_count', p),
      doc_count: int(r, 'doc_count', p),
      apply_pay_count: int(r, 'apply_pay_count', p),
      notice_list: arr(r, 'notice_list', p)?.map((x, i) => noticeItem(x, `${p}.notice_list[${i}]`)),
      official_list: arr(r, 'official_list', p)?.map((x, i) => officialItem(x, `${p}.official_list[${i}]`)),
    };
  });
}

/** GET /notice/{arrive_id}/{notice_sub_id} (200). */
export function parseNotice(body: unknown): NoticeResults['notice'] {
  return run('notice', false, () => {
    const { results: r } = unwrap(body);
    const n = obj(r.notice, 'results.notice');
    const p = 'results.notice';
    return {
      issuer_organization: str(n, 'issuer_organization', p),
      notice_issue_date: dateTime(n, 'notice_issue_date', p),
      notice_type: optStr(n, 'notice_type', p),
      correct_type: optStr(n, 'correct_type', p),
      correct_expired_date: optDate(n, 'correct_expired_date', p),
      correct_completed_date: optDateTime(n, 'correct_completed_date', p),
      notice_title: str(n, 'notice_title', p),
      notice_sentence: optStr(n, 'notice_sentence', p),
      proc_name: str(n, 'proc_name', p),
    };
  });
}

/** GET /official_document/{arrive_id}/{notice_sub_id} (200). */
export function parseOfficialDocument(body: unknown): OfficialDocumentResults {
  return run('official document', false, () => {
    const { results: r } = unwrap(body);
    const data = str(r, 'file_data', 'results', { min: 1 });
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(data)) throw new Malformed('results.file_data is not base64');
    const names = (arr(r, 'file_name_list', 'results') ?? null) as unknown[] | null;
    if (!names) throw new Malformed('results.file_name_list is missing');
    return {
      file_data: data,
      file_name_list: names.map((x, i) => ({
        file_name: str(obj(x, `results.file_name_list[${i}]`), 'file_name', 'results.file_name_list', { min: 1 }),
      })),
    };
  });
}

/** POST /official_document (200): the completion was registered. */
export function parseOfficialDocumentComplete(body: unknown): OfficialDocumentCompleteResults {
  return run('official document completion', true, () => {
    const { results: r } = unwrap(body);
    const p = 'results';
    return {
      arrive_id: arriveId(r, 'arrive_id', p),
      notice_sub_id: int(r, 'notice_sub_id', p, 1, 999),
      proc_name: str(r, 'proc_name', p),
      doc_title: str(r, 'doc_title', p),
      download_date: dateTime(r, 'download_date', p),
      file_name_list: (arr(r, 'file_name_list', p) ?? []).map((x, i) => ({
        file_name: str(obj(x, `${p}.file_name_list[${i}]`), 'file_name', p),
      })),
    };
  });
}

/** GET /procedure/{proc_id} (200). */
export function parseProcedure(body: unknown): ProcedureResults {
  return run('procedure', false, () => {
    const { results: r } = unwrap(body);
    const p = 'results';
    return {
      file_data: str(r, 'file_data', p, { min: 1 }),
      configuration_file_name: (arr(r, 'configuration_file_name', p) ?? []).map((x, i) => {
        if (typeof x !== 'string') throw new Malformed(`${p}.configuration_file_name[${i}] is not a string`);
        return x;
      }),
      file_info: (arr(r, 'file_info', p) ?? []).map((x, i) => {
        const f = obj(x, `${p}.file_info[${i}]`);
        const q = `${p}.file_info[${i}]`;
        return {
          form_id: optStr(f, 'form_id', q),
          form_version: f.form_version === undefined ? undefined : int(f, 'form_version', q, 1),
          form_name: optStr(f, 'form_name', q),
          apply_file_name: optStr(f, 'apply_file_name', q),
        };
      }),
    };
  });
}

/** POST {auth}/token (200): not enveloped. */
export function parseToken(body: unknown): TokenAnswer {
  return run('token', false, () => {
    const t = obj(body, 'token');
    return {
      access_token: str(t, 'access_token', 'token', { min: 1 }),
      expires_in: int(t, 'expires_in', 'token', 1, 2 ** 31 - 1),
      refresh_expires_in: t.refresh_expires_in === undefined ? 0 : int(t, 'refresh_expires_in', 'token', 0, 2 ** 31 - 1),
      refresh_token: str(t, 'refresh_token', 'token', { min: 1 }),
      token_type: str(t, 'token_type', 'token'),
      id_token: optStr(t, 'id_token', 'token'),
      scope: optStr(t, 'scope', 'token'),
      session_state: optStr(t, 'session_state', 'token'),
    };
  });
}

/** POST {auth}/token/introspect (200). */
export function parseIntrospect(body: unknown): IntrospectAnswer {
  return run('introspection', false, () => {
    const t = obj(body, 'introspection');
    return {
      active: bool(t, 'active', 'introspection'),
      exp: typeof t.exp === 'number' ? t.exp : undefined,
      iat: typeof t.iat === 'number' ? t.iat : undefined,
      scope: typeof t.scope === 'string' ? t.scope : undefined,
      client_id: typeof t.client_id === 'string' ? t.client_id : undefined,
    };
  });
}

/**
 * An error answer's body, read leniently (it only decorates an error we raise anyway): title/detail,
 * and report_list items that say something ("-" means "not about a form / an item").
 */
export function readErrorBody(body: unknown): { message?: string; report: Array<{ formName?: string; item?: string; content: string }> } {
  if (!isObj(body)) return { report: [] };
  const b = body as Partial<EgovErrorBody> & { error?: unknown; error_description?: unknown };
  const pick = (v: unknown) => (typeof v === 'string' && v.trim() && v !== '-' ? v.slice(0, 256) : undefined);
  const report = (Array.isArray(b.report_list) ? b.report_list : [])
    .filter(isObj)
    .flatMap((r) => {
      const content = pick(r.content);
      return content ? [{ formName: pick(r.form_name), item: pick(r.item), content }] : [];
    })
    .slice(0, 50);
  const message = pick(b.detail) ?? pick(b.error_description) ?? pick(b.title) ?? pick(b.error);
  return { message, report };
}
