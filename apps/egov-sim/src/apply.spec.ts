import { startEgovSim, type EgovSim } from './server';
import { callApi, kouseiXml, login, manualClock, unzip, validPackage, zipOf } from './testing';

const CLIENT = { clientId: 'sw-0002', clientSecret: 'api-key-0002' };
const PROC = '900A010200001000';

type CaseBody = {
  arrive_id: string;
  proc_id: string;
  status: string;
  status_history: Array<{ status: string; date: string }>;
  notice_list: Array<{ notice_sub_id: number; notice_type: string; title: string; date: string }>;
  official_list: Array<{ notice_sub_id: number; doc_title: string; doc_download_expired_date: string; downloaded: boolean }>;
};

async function packageOf(entries: Record<string, string>): Promise<{ file_name: string; file_data: string }> {
  return { file_name: 'apply.zip', file_data: (await zipOf(entries)).toString('base64') };
}

describe('egov-sim API (manual clock)', () => {
  const clock = manualClock();
  let sut: EgovSim;
  let token: string;
  let otherToken: string;

  beforeAll(async () => {
    // Long-lived access tokens: the tests move the clock by days.
    sut = await startEgovSim({
      ...CLIENT,
      now: clock.now,
      clock: { arriveToReviewMs: 2000, reviewToFinishMs: 5000 },
      accessTokenTtlSec: 10 * 365 * 86400,
    });
    token = (await login(sut, { ...CLIENT, accountId: 'office-a' })).access_token;
    otherToken = (await login(sut, { ...CLIENT, accountId: 'office-b' })).access_token;
  });
  afterAll(() => sut.close());

  const api = <T = Record<string, unknown>>(method: string, path: string, body?: unknown, as = token) =>
    callApi<T>(sut, as, method, path, body);
  const submit = async (as = token) => {
    const res = await api<{ arrive_id: string }>('POST', '/apply', { proc_id: PROC, send_file: await validPackage(PROC) }, as);
    expect(res.status).toBe(200);
    return res.body.arrive_id;
  };
  const caseOf = async (arriveId: string) => (await api<CaseBody>('GET', `/apply/${arriveId}`)).body;

  it('accepts a valid package and answers a 16-digit arrive_id; two POSTs make two cases', async () => {
    const pkg = await validPackage(PROC);
    const first = await api('POST', '/apply', { proc_id: PROC, send_file: pkg });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({
      arrive_id: expect.stringMatching(/^\d{16}$/),
      arrive_date: new Date(clock.now()).toISOString(),
      proc_id: PROC,
      status: '到達',
    });
    // JST date of the manual clock (2026-11-26 10:00 JST) then a sequence.
    expect(first.body.arrive_id).toMatch(/^20261126\d{8}$/);
    const second = await api('POST', '/apply', { proc_id: PROC, send_file: pkg });
    expect(second.status).toBe(200);
    expect(second.body.arrive_id).not.toBe(first.body.arrive_id);
  });

  describe('refuses a bad package with 400 problem+json and creates no case', () => {
    const cases: Array<[string, () => Promise<unknown>, string]> = [
      [
        'file_data that is not base64',
        async () => ({ proc_id: PROC, send_file: { file_name: 'a.zip', file_data: '###' } }),
        'send_file.file_data',
      ],
      [
        'bytes that are not a ZIP',
        async () => ({ proc_id: PROC, send_file: { file_name: 'a.zip', file_data: Buffer.from('not a zip at all').toString('base64') } }),
        'send_file.file_data',
      ],
      ['a ZIP without kousei.xml', async () => ({ proc_id: PROC, send_file: await packageOf({ 'form.xml': '<申請書/>' }) }), 'kousei.xml'],
      [
        'a kousei.xml without 手続番号',
        async () => ({ proc_id: PROC, send_file: await packageOf({ 'kousei.xml': '<構成情報/>', 'form.xml': '<申請書/>' }) }),
        'kousei.xml/手続番号',
      ],
      [
        'a 手続番号 that differs from proc_id',
        async () => ({
          proc_id: PROC,
          send_file: await packageOf({ 'kousei.xml': kouseiXml('999X999999999999'), 'form.xml': '<申請書/>' }),
        }),
        'kousei.xml/手続番号',
      ],
      [
        'a package without a form XML',
        async () => ({ proc_id: PROC, send_file: await packageOf({ 'kousei.xml': kouseiXml(PROC), 'note.txt': 'x' }) }),
        '申請書',
      ],
      [
        'a form XML that is not well-formed',
        async () => ({
          proc_id: PROC,
          send_file: await packageOf({ 'kousei.xml': kouseiXml(PROC), 'form.xml': '<申請書><氏名></申請書>' }),
        }),
        'form.xml',
      ],
      [
        'an XML with a DOCTYPE',
        async () => ({
          proc_id: PROC,
          send_file: await packageOf({ 'kousei.xml': kouseiXml(PROC), 'form.xml': '<!DOCTYPE x [<!ENTITY a "b">]><申請書>&a;</申請書>' }),
        }),
        'form.xml',
      ],
      [
        'a file_name that is not .zip',
        async () => ({ proc_id: PROC, send_file: { ...(await validPackage(PROC)), file_name: 'apply.xml' } }),
        'send_file.file_name',
      ],
      ['no send_file', async () => ({ proc_id: PROC }), 'send_file'],
      ['no proc_id', async () => ({ send_file: await validPackage(PROC) }), 'proc_id'],
    ];

    it.each(cases)('%s', async (_label, makeBody, item) => {
      const before = (await api<{ total: number }>('GET', '/apply/lists')).body.total;
      const res = await api<{ report_list: Array<{ item: string }> }>('POST', '/apply', await makeBody());
      expect(res.status).toBe(400);
      expect(res.contentType).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({
        type: 'urn:egov-sim:problem:invalid-package',
        title: expect.any(String),
        status: 400,
        detail: expect.any(String),
      });
      expect(res.body.report_list.map((r) => r.item)).toContain(item);
      expect((await api<{ total: number }>('GET', '/apply/lists')).body.total).toBe(before);
    });
  });

  it('answers 400 problem+json to a body that is not JSON, 415 to another media type', async () => {
    const res = await fetch(`${sut.url}/apply`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: '{',
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const text = await fetch(`${sut.url}/apply`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'text/plain' },
      body: '{}',
    });
    expect(text.status).toBe(415);
  });

  it('reports with POST /apply/check without creating a case', async () => {
    const before = (await api<{ total: number }>('GET', '/apply/lists')).body.total;
    const ok = await api('POST', '/apply/check', { proc_id: PROC, send_file: await validPackage(PROC) });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ error_count: 0, report_list: [] });
    const bad = await api('POST', '/apply/check', { proc_id: PROC, send_file: await packageOf({ 'form.xml': '<a/>', 'b.xml': '<b>' }) });
    expect(bad.status).toBe(200);
    expect(bad.body).toEqual({
      error_count: 2,
      report_list: [
        { item: 'kousei.xml', message: expect.stringContaining('kousei.xml') },
        { item: 'b.xml', message: expect.any(String) },
      ],
    });
    expect((await api<{ total: number }>('GET', '/apply/lists')).body.total).toBe(before);
  });

  it("lists this account's cases only, with date filters and paging", async () => {
    const mine = await submit();
    const theirs = await submit(otherToken);
    const all = await api<{ results: Array<{ arrive_id: string }>; total: number }>('GET', '/apply/lists');
    expect(all.status).toBe(200);
    const ids = all.body.results.map((r) => r.arrive_id);
    expect(ids).toContain(mine);
    expect(ids).not.toContain(theirs);
    expect(all.body.total).toBe(ids.length);
    expect(all.body.results[0]).toEqual({
      arrive_id: expect.any(String),
      proc_id: PROC,
      status: expect.any(String),
      arrive_date: expect.any(String),
    });

    const page = await api<{ results: Array<{ arrive_id: string }>; total: number }>('GET', '/apply/lists?limit=1&offset=1');
    expect(page.body.total).toBe(ids.length);
    expect(page.body.results.map((r) => r.arrive_id)).toEqual([ids[1]]);

    // The manual clock is on 2026-11-26 (JST).
    expect((await api<{ total: number }>('GET', '/apply/lists?date_from=2026-11-26&date_to=2026-11-26')).body.total).toBe(ids.length);
    expect((await api<{ total: number }>('GET', '/apply/lists?date_from=2026-11-27')).body.total).toBe(0);
    expect((await api<{ total: number }>('GET', '/apply/lists?date_to=2026-11-25')).body.total).toBe(0);
    expect((await api('GET', '/apply/lists?date_from=2026-02-30')).status).toBe(400);
    expect((await api('GET', '/apply/lists?limit=0')).status).toBe(400);
  });

  it("answers 404 for another account's case, like an unknown one", async () => {
    const theirs = await submit(otherToken);
    clock.advance(7000); // 審査終了: a notice and an official document exist
    const own = await callApi<CaseBody>(sut, otherToken, 'GET', `/apply/${theirs}`);
    expect(own.status).toBe(200);
    const noticeId = own.body.notice_list[0].notice_sub_id;
    const docId = own.body.official_list[0].notice_sub_id;

    const attempts = [
      await api('GET', `/apply/${theirs}`),
      await api('GET', `/notice/${theirs}/${noticeId}`),
      await api('GET', `/official_document/${theirs}/${docId}`),
      await api('POST', '/official_document', { arrive_id: theirs, notice_sub_id: docId }),
      await api('POST', '/apply/withdraw', { arrive_id: theirs, reason: 'x' }),
      await api('POST', '/apply/amend', { arrive_id: theirs, send_file: await validPackage(PROC) }),
    ];
    for (const res of attempts) {
      expect(res.status).toBe(404);
      expect(res.contentType).toMatch(/^application\/problem\+json/);
    }
    const unknown = await api('GET', '/apply/2026112699999999');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ type: attempts[0].body.type, title: attempts[0].body.title });
    // Nothing happened to the other account's case.
    const after = await callApi<CaseBody>(sut, otherToken, 'GET', `/apply/${theirs}`);
    expect(after.body.status).toBe('審査終了');
    expect(after.body.official_list[0].downloaded).toBe(false);
  });

  it('moves 到達 → 審査中 → 審査終了 on the clock, with exact history dates and one official document', async () => {
    const id = await submit();
    const t0 = clock.now();
    expect((await caseOf(id)).status).toBe('到達');
    clock.advance(1999);
    expect((await caseOf(id)).status).toBe('到達');
    clock.advance(1);
    expect((await caseOf(id)).status).toBe('審査中');
    clock.advance(4999);
    expect((await caseOf(id)).status).toBe('審査中');
    clock.advance(1);
    const done = await caseOf(id);
    expect(done).toMatchObject({ arrive_id: id, proc_id: PROC, status: '審査終了' });
    expect(done.status_history).toEqual([
      { status: '到達', date: new Date(t0).toISOString() },
      { status: '審査中', date: new Date(t0 + 2000).toISOString() },
      { status: '審査終了', date: new Date(t0 + 7000).toISOString() },
    ]);
    expect(done.official_list).toEqual([
      {
        notice_sub_id: expect.any(Number),
        doc_title: expect.any(String),
        doc_download_expired_date: expect.any(String),
        downloaded: false,
      },
    ]);
    expect(Date.parse(done.official_list[0].doc_download_expired_date)).toBeGreaterThan(t0);
    expect(done.notice_list).toEqual([
      { notice_sub_id: expect.any(Number), notice_type: 'お知らせ', title: expect.any(String), date: new Date(t0 + 7000).toISOString() },
    ]);
    // Stays 審査終了 until the download is confirmed.
    clock.advance(86400_000);
    expect((await caseOf(id)).status).toBe('審査終了');
  });

  it('serves the official document as a ZIP with a PDF and an XML, only once review is finished', async () => {
    const id = await submit();
    expect((await api('GET', `/official_document/${id}/1`)).status).toBe(404);
    clock.advance(7000);
    const docId = (await caseOf(id)).official_list[0].notice_sub_id;
    const res = await api<{ file_name: string; file_data: string }>('GET', `/official_document/${id}/${docId}`);
    expect(res.status).toBe(200);
    expect(res.body.file_name).toMatch(/\.zip$/);
    const files = await unzip(Buffer.from(res.body.file_data, 'base64'));
    const names = [...files.keys()];
    const pdf = names.find((n) => n.endsWith('.pdf'));
    const xml = names.find((n) => n.endsWith('.xml'));
    expect(pdf).toBeDefined();
    expect(xml).toBeDefined();
    expect(files.get(pdf!)!.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(files.get(pdf!)!.toString('latin1').trimEnd().endsWith('%%EOF')).toBe(true);
    const xmlText = files.get(xml!)!.toString('utf8');
    expect(xmlText).toContain(`<到達番号>${id}</到達番号>`);
    expect(xmlText).toContain(`<手続番号>${PROC}</手続番号>`);
    // It restates the filed form, as a real 通知書 names the insured person…
    expect(xmlText).toContain('<申請内容>山田 太郎</申請内容>');
    // … which the unauthenticated state view never shows.
    expect(JSON.stringify(sut.state.snapshot())).not.toContain('山田');
    // Downloading alone does not complete the case.
    expect((await caseOf(id)).status).toBe('審査終了');
  });

  it('completes the case (手続終了) on POST /official_document and marks the document downloaded', async () => {
    const id = await submit();
    clock.advance(7000);
    const docId = (await caseOf(id)).official_list[0].notice_sub_id;
    const res = await api('POST', '/official_document', { arrive_id: id, notice_sub_id: docId });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ arrive_id: id, notice_sub_id: docId, status: '手続終了' });
    const after = await caseOf(id);
    expect(after.status).toBe('手続終了');
    expect(after.official_list[0].downloaded).toBe(true);
    expect(after.status_history.map((h) => h.status)).toEqual(['到達', '審査中', '審査終了', '手続終了']);
    // Unknown document id.
    expect((await api('POST', '/official_document', { arrive_id: id, notice_sub_id: 999 })).status).toBe(404);
  });

  it('refuses POST /official_document before the document exists', async () => {
    const id = await submit();
    const res = await api('POST', '/official_document', { arrive_id: id, notice_sub_id: 1 });
    expect(res.status).toBe(404);
    expect((await caseOf(id)).status).toBe('到達');
  });

  it('runs the correction flow: 審査中（補正待ち） with a 補正 notice, amend → 審査中 → 審査終了', async () => {
    sut.state.addFailurePlan([{ correctionFor: 'next' }]);
    const id = await submit();
    const plain = await submit(); // only the next case needs a correction
    clock.advance(7000);
    expect((await caseOf(plain)).status).toBe('審査終了');
    const waiting = await caseOf(id);
    expect(waiting.status).toBe('審査中（補正待ち）');
    expect(waiting.official_list).toEqual([]);
    const correction = waiting.notice_list.find((n) => n.notice_type === '補正');
    expect(correction).toBeDefined();

    const notice = await api('GET', `/notice/${id}/${correction!.notice_sub_id}`);
    expect(notice.status).toBe(200);
    expect(notice.body).toEqual({
      notice_sub_id: correction!.notice_sub_id,
      notice_type: '補正',
      title: correction!.title,
      body: expect.any(String),
      date: correction!.date,
    });

    // A bad amendment is refused and changes nothing.
    const bad = await api('POST', '/apply/amend', { arrive_id: id, send_file: await packageOf({ 'form.xml': '<a/>' }) });
    expect(bad.status).toBe(400);
    expect((await caseOf(id)).status).toBe('審査中（補正待ち）');

    const amended = await api('POST', '/apply/amend', { arrive_id: id, send_file: await validPackage(PROC) });
    expect(amended.status).toBe(200);
    expect(amended.body).toMatchObject({ arrive_id: id, status: '審査中' });
    expect((await caseOf(id)).status).toBe('審査中');
    clock.advance(5000);
    const finished = await caseOf(id);
    expect(finished.status).toBe('審査終了');
    expect(finished.status_history.map((h) => h.status)).toEqual(['到達', '審査中', '審査中（補正待ち）', '審査中', '審査終了']);
  });

  it('applies a correction asked for a given arrive_id', async () => {
    const id = await submit();
    const other = await submit();
    clock.advance(3000); // both 審査中
    sut.state.addFailurePlan([{ correctionFor: id }]);
    clock.advance(4000);
    expect((await caseOf(id)).status).toBe('審査中（補正待ち）');
    expect((await caseOf(other)).status).toBe('審査終了');
    expect(() => sut.state.addFailurePlan([{ correctionFor: other }])).toThrow(/審査終了/);
  });

  it('refuses an amendment when no correction was asked (409)', async () => {
    const id = await submit();
    const res = await api('POST', '/apply/amend', { arrive_id: id, send_file: await validPackage(PROC) });
    expect(res.status).toBe(409);
    expect(res.contentType).toMatch(/^application\/problem\+json/);
  });

  it('withdraws a case before review ends: 手続終了 with a 取下げ notice; refuses after 審査終了', async () => {
    const id = await submit();
    clock.advance(2500); // 審査中
    const noReason = await api('POST', '/apply/withdraw', { arrive_id: id });
    expect(noReason.status).toBe(400);
    const res = await api('POST', '/apply/withdraw', { arrive_id: id, reason: '二重申請のため' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ arrive_id: id, status: '手続終了', notice_sub_id: expect.any(Number) });
    const after = await caseOf(id);
    expect(after.status).toBe('手続終了');
    expect(after.official_list).toEqual([]);
    const notice = after.notice_list.find((n) => n.notice_type === '取下げ');
    expect(notice).toBeDefined();
    expect((await api<{ body: string }>('GET', `/notice/${id}/${notice!.notice_sub_id}`)).body.body).toContain('二重申請のため');
    // The clock no longer moves it.
    clock.advance(10_000);
    expect((await caseOf(id)).status).toBe('手続終了');
    expect((await caseOf(id)).official_list).toEqual([]);

    const finished = await submit();
    clock.advance(7000);
    const late = await api('POST', '/apply/withdraw', { arrive_id: finished, reason: 'too late' });
    expect(late.status).toBe(409);
    expect((await caseOf(finished)).status).toBe('審査終了');
  });

  it('answers 404 problem+json for an unknown notice and an unknown endpoint, 405 for a wrong method', async () => {
    const id = await submit();
    expect((await api('GET', `/notice/${id}/42`)).status).toBe(404);
    const unknown = await api('GET', '/no/such/thing');
    expect(unknown.status).toBe(404);
    expect(unknown.contentType).toMatch(/^application\/problem\+json/);
    const wrong = await api('DELETE', '/apply');
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST');
  });
});

describe('egov-sim API (real fast clock)', () => {
  let sut: EgovSim;
  let token: string;

  beforeAll(async () => {
    sut = await startEgovSim({ ...CLIENT, clock: { arriveToReviewMs: 50, reviewToFinishMs: 100 } });
    token = (await login(sut, { ...CLIENT, accountId: 'office-a' })).access_token;
  });
  afterAll(() => sut.close());

  it('reaches 審査中 then 審査終了 by itself within the configured times', async () => {
    const applied = await callApi<{ arrive_id: string; status: string }>(sut, token, 'POST', '/apply', {
      proc_id: PROC,
      send_file: await validPackage(PROC),
    });
    const id = applied.body.arrive_id;
    const seen: string[] = [];
    const deadline = Date.now() + 5000;
    for (;;) {
      const status = (await callApi<{ status: string }>(sut, token, 'GET', `/apply/${id}`)).body.status;
      if (seen[seen.length - 1] !== status) seen.push(status);
      if (status === '審査終了' || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(applied.body).toMatchObject({ status: '到達' });
    expect(seen[seen.length - 1]).toBe('審査終了');
    // 審査中 may fall between two polls on a slow machine: the history records it anyway.
    const history = (await callApi<CaseBody>(sut, token, 'GET', `/apply/${id}`)).body.status_history;
    expect(history.map((h) => h.status)).toEqual(['到達', '審査中', '審査終了']);
    const t = history.map((h) => Date.parse(h.date));
    expect(t[1] - t[0]).toBe(50);
    expect(t[2] - t[1]).toBe(100);
  });
});
