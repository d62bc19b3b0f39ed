import * as fs from 'node:fs';
import * as path from 'node:path';
import { EgovError } from './egov-error';
import { egovTextToIso, formatEgovDate, formatEgovDateTime, parseEgovDate, parseEgovDateTime } from './jst';
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
} from './parsers';
import { matchOrphanCase } from './recovery';

const recorded = (name: string): Record<string, unknown> =>
  JSON.parse(fs.readFileSync(path.join(__dirname, 'recorded', `${name}.json`), 'utf8')) as Record<string, unknown>;
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

function malformed(f: () => unknown, maybeProcessed: boolean): void {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(EgovError);
  expect((err as EgovError).kind).toBe('transient');
  expect((err as EgovError).maybeProcessed).toBe(maybeProcessed);
}

describe('e-Gov answer parsers', () => {
  it('reads every recorded answer in the real shape', () => {
    const apply = parseApply(recorded('apply'));
    expect(apply.results.arrive_id).toBe('202604010930000123');
    expect(apply.links.status).toBe('/shinsei/v2/apply/202604010930000123');
    expect(parseAmend(recorded('amend')).amend_date).toBe('2026-04-04 11:20:00');
    expect(parseWithdraw(recorded('withdraw')).withdraw_date).toBe('2026-04-04 16:05:00');
    const check = parseApplyCheck(recorded('apply-check'));
    expect(check.error_count).toBe(1);
    expect(check.report_list?.[0].item).toBe('被保険者氏名（カナ）');
    const lists = parseApplyLists(recorded('apply-lists'));
    expect(lists.resultset).toEqual({ all_count: 2, limit: 50, offset: 0, count: 2 });
    expect(lists.results.apply_list?.map((c) => c.arrive_id)).toEqual(['202604010930000123', '202604011015000456']);
    const detail = parseApplyDetail(recorded('apply-detail'));
    expect(detail.status).toBe('審査中（補正待ち）');
    expect(detail.notice_list?.[0].notice_sub_id).toBe(1);
    expect(detail.official_list?.[0].notice_sub_id).toBe(2);
    const notice = parseNotice(recorded('notice'));
    expect(notice.correct_type).toBe('部分補正');
    expect(notice.correct_expired_date).toBe('2026-04-17');
    expect(parseOfficialDocument(recorded('official-document')).file_name_list).toEqual([
      { file_name: 'kagami.xml' },
      { file_name: 'tsuchisho.pdf' },
    ]);
    expect(parseOfficialDocumentComplete(recorded('official-document-complete')).notice_sub_id).toBe(2);
    expect(parseProcedure(recorded('procedure')).file_info[0].form_id).toBe('495013521019030837');
    expect(parseToken(recorded('token')).token_type).toBe('Bearer');
    expect(parseIntrospect(recorded('introspect')).active).toBe(true);
  });

  it('refuses an answer that is not wrapped in {metadata, results}', () => {
    const bare = (recorded('apply-detail') as { results: unknown }).results;
    malformed(() => parseApplyDetail(bare), false);
    const noMeta = clone(recorded('apply-detail'));
    delete noMeta.metadata;
    malformed(() => parseApplyDetail(noMeta), false);
  });

  it('marks a malformed 2xx to a POST as maybe processed, and one to a GET as not', () => {
    const a = clone(recorded('apply'));
    (a.results as Record<string, unknown>).arrive_id = '12345';
    malformed(() => parseApply(a), true);
    const noLinks = clone(recorded('apply'));
    delete noLinks._links;
    malformed(() => parseApply(noLinks), true);
    const w = clone(recorded('withdraw'));
    delete (w.results as Record<string, unknown>).withdraw_date;
    malformed(() => parseWithdraw(w), true);
    const d = clone(recorded('apply-detail'));
    delete (d.results as Record<string, unknown>).status;
    malformed(() => parseApplyDetail(d), false);
  });

  it('refuses a notice_sub_id that is a string, not an integer', () => {
    const d = clone(recorded('apply-detail'));
    (d.results as { notice_list: Array<Record<string, unknown>> }).notice_list[0].notice_sub_id = '1';
    malformed(() => parseApplyDetail(d), false);
    const c = clone(recorded('official-document-complete'));
    (c.results as Record<string, unknown>).notice_sub_id = 1.5;
    malformed(() => parseOfficialDocumentComplete(c), true);
  });

  it('refuses dates in another format (ISO with a zone, a day that does not exist)', () => {
    const a = clone(recorded('amend'));
    (a.results as Record<string, unknown>).amend_date = '2026-04-04T11:20:00+09:00';
    malformed(() => parseAmend(a), true);
    const n = clone(recorded('notice'));
    (n.results as { notice: Record<string, unknown> }).notice.notice_issue_date = '2026-02-30 10:00:00';
    malformed(() => parseNotice(n), false);
  });

  it('refuses a list whose resultset is missing or does not match its lines', () => {
    const l = clone(recorded('apply-lists'));
    delete l.resultset;
    malformed(() => parseApplyLists(l), false);
    const m = clone(recorded('apply-lists'));
    (m.resultset as Record<string, unknown>).count = 3;
    malformed(() => parseApplyLists(m), false);
  });

  it('refuses an official document that is not base64 or has no file list', () => {
    const o = clone(recorded('official-document'));
    (o.results as Record<string, unknown>).file_data = 'not base64!';
    malformed(() => parseOfficialDocument(o), false);
    const p = clone(recorded('official-document'));
    delete (p.results as Record<string, unknown>).file_name_list;
    malformed(() => parseOfficialDocument(p), false);
  });

  it('refuses a token answer without a refresh token, and names no value in its message', () => {
    const t = clone(recorded('token'));
    delete t.refresh_token;
    malformed(() => parseToken(t), false);
    const a = clone(recorded('apply'));
    (a.results as Record<string, unknown>).arrive_id = 'SECRET-VALUE';
    try {
      parseApply(a);
    } catch (e) {
      expect((e as Error).message).not.toContain('SECRET-VALUE');
    }
  });

  it('keeps report_list items (form_name, item, content) of an error, without the "-" placeholders', () => {
    const r = readErrorBody(recorded('error-400-report'));
    expect(r.message).toBe('形式チェックエラー');
    expect(r.report).toEqual([
      {
        formName: '健康保険・厚生年金保険被保険者資格取得届／厚生年金保険７０歳以上被用者該当届',
        item: '被保険者生年月日',
        content: '日付が正しくありません。',
      },
    ]);
    expect(readErrorBody(undefined)).toEqual({ report: [] });
    expect(readErrorBody({ report_list: [{ form_name: '-', item: '-', content: '-' }], title: 'Bad Request' })).toEqual({
      message: 'Bad Request',
      report: [],
    });
  });
});

describe('e-Gov dates (JST)', () => {
  it('reads "YYYY-MM-DD HH:MM:SS" as Japan time (+09:00)', () => {
    expect(parseEgovDateTime('2026-04-01 09:30:00')?.toISOString()).toBe('2026-04-01T00:30:00.000Z');
    expect(parseEgovDateTime('2026-01-01 08:59:59')?.toISOString()).toBe('2025-12-31T23:59:59.000Z');
    expect(parseEgovDate('2026-04-17')?.toISOString()).toBe('2026-04-16T15:00:00.000Z');
  });
  it('refuses other shapes and days that do not exist', () => {
    for (const bad of ['2026-04-01T09:30:00', '2026-04-01 09:30', '2026-02-29 00:00:00', '2026-13-01 00:00:00', '2026-04-01 24:00:00', ''])
      expect(parseEgovDateTime(bad)).toBeUndefined();
    expect(parseEgovDateTime('2028-02-29 12:00:00')).toBeDefined();
  });
  it('writes the JST day and time of an instant', () => {
    expect(formatEgovDate(new Date('2026-03-31T15:00:00Z'))).toBe('2026-04-01');
    expect(formatEgovDate(new Date('2026-03-31T14:59:59Z'))).toBe('2026-03-31');
    expect(formatEgovDateTime(new Date('2026-04-01T00:30:00Z'))).toBe('2026-04-01 09:30:00');
  });
  it('answers e-Gov text with its +09:00 offset, so a browser outside Japan reads the same instant', () => {
    const iso = egovTextToIso('2026-04-01 09:30:00');
    expect(iso).toBe('2026-04-01T09:30:00+09:00');
    expect(new Date(iso).toISOString()).toBe('2026-04-01T00:30:00.000Z');
    expect(egovTextToIso('2026-04-17')).toBe('2026-04-17');
    expect(egovTextToIso('2026-02-30 10:00:00')).toBe('2026-02-30 10:00:00');
  });
});

describe(matchOrphanCase.name, () => {
  const PROC = '健康保険・厚生年金保険被保険者資格取得届（2024年12月以降）';
  const since = new Date('2026-04-01T00:00:00Z'); // 09:00 JST
  const until = new Date('2026-04-01T03:00:00Z'); // 12:00 JST
  const line = (arrive_id: string, arrive_date: string, proc_name = PROC) => ({ arrive_id, arrive_date, proc_name });

  it('adopts the one unknown case of the procedure arrived in the window', () => {
    const cases = [
      line('202604010930000123', '2026-04-01 09:30:00'),
      line('202604010931000124', '2026-04-01 09:31:00', '雇用保険被保険者資格取得届'),
      line('202604010800000001', '2026-04-01 08:00:00'),
      line('202604011000000002', '2026-04-01 10:00:00'),
    ];
    expect(matchOrphanCase(cases, { since, until, procName: PROC, known: new Set(['202604011000000002']) })).toEqual({
      kind: 'one',
      arriveId: '202604010930000123',
    });
  });
  it('ignores width and spacing differences of the procedure name', () => {
    const cases = [line('202604010930000123', '2026-04-01 09:30:00', '健康保険・厚生年金保険被保険者資格取得届 (2024年12月以降)')];
    expect(matchOrphanCase(cases, { since, until, procName: PROC, known: new Set() }).kind).toBe('one');
  });
  it('does not guess between two candidates', () => {
    const cases = [line('202604010930000123', '2026-04-01 09:30:00'), line('202604010945000125', '2026-04-01 09:45:00')];
    expect(matchOrphanCase(cases, { since, until, procName: PROC, known: new Set() })).toEqual({ kind: 'ambiguous', count: 2 });
  });
  it('counts a line without a date or a name as a candidate it cannot exclude', () => {
    const cases = [line('202604010930000123', '2026-04-01 09:30:00'), { arrive_id: '202604010945000125' }];
    expect(matchOrphanCase(cases, { since, until, procName: PROC, known: new Set() }).kind).toBe('ambiguous');
  });
  it('finds none when nothing fits', () => {
    expect(
      matchOrphanCase([line('202604010800000001', '2026-04-01 08:00:00')], { since, until, procName: PROC, known: new Set() }),
    ).toEqual({ kind: 'none' });
  });
});
