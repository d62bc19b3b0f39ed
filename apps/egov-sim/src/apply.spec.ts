import { assertSpec, validateAgainstSpec, type SpecSchemaName } from './spec';
import { startEgovSim, type EgovSim } from './server';
import { callApi, login, manualClock, testCertificate, unzip, validPackage, withdrawalPackage, type ApiResult } from './testing';
import { EGOV_STATUS } from './types';

const CLIENT = { clientId: 'sw-0001', clientSecret: 'api-key-0001' };
const PROC = '4950013521019000';
const FORM = '495013521019030837';
const DATETIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Every answer the tests read is validated against the spec schema first. */
function spec(name: SpecSchemaName, res: ApiResult<unknown>, status = 200): Json {
  expect({ status: res.status, text: res.text.slice(0, 600) }).toMatchObject({ status });
  assertSpec(name, res.body);
  return res.body as Json;
}

describe('egov-sim API v2 (/shinsei/v2)', () => {
  const clock = manualClock(Date.parse('2026-12-03T01:00:00Z'));
  let sim: EgovSim;
  let token: string;
  let otherToken: string;

  beforeAll(async () => {
    sim = await startEgovSim({ ...CLIENT, now: clock.now, clock: { arriveToReviewMs: 1000, reviewToFinishMs: 2000 } });
    token = (await login(sim, { ...CLIENT, accountId: 'office-a' })).access_token;
    otherToken = (await login(sim, { ...CLIENT, accountId: 'office-b' })).access_token;
  });
  afterAll(() => sim.close());
  afterEach(() => sim.state.setFailurePlan([]));

  const apply = async (pkg?: Json, headers: Record<string, string> = {}, tok = token) =>
    callApi(sim, tok, 'POST', '/apply', { proc_id: PROC, send_file: pkg ?? (await validPackage(PROC)) }, headers);

  it('serves at /shinsei/v2 and files a real-structure package: envelope, 17-digit arrive_id, JST date, values from the kousei, _links', async () => {
    expect(sim.url).toMatch(/\/shinsei\/v2$/);
    const body = spec('apply_response', await apply());
    const r = body.results;
    expect(r.arrive_id).toMatch(/^\d{17}$/);
    expect(r.arrive_date).toMatch(DATETIME);
    expect(r.arrive_date).toBe('2026-12-03 10:00:00');
    expect(r).toMatchObject({
      applicant_name: '山田　太郎',
      corporation_name: '株式会社サンプル',
      apply_type: '新規申請',
      ministry_name: '厚生労働省',
      submission_destination: '日本年金機構',
      apply_form: { form: [{ form_name: '健康保険・厚生年金保険被保険者資格取得届' }], attached_file: [] },
    });
    expect(body._links.status).toBe(`${sim.url}/apply/${r.arrive_id}`);
    expect(body.metadata).toMatchObject({ title: '申請データ送信', instance: '/shinsei/v2/apply' });
  });

  it('answers GET /apply/{arrive_id} in the spec shape and moves the status on with the clock', async () => {
    const id = spec('apply_response', await apply()).results.arrive_id;
    let r = spec('apply_detail_response', await callApi(sim, token, 'GET', `/apply/${id}`)).results;
    expect(r).toMatchObject({
      status: EGOV_STATUS.arrived,
      withdraw_flag: true,
      notice_count: 0,
      doc_count: 0,
      notice_list: [],
      official_list: [],
    });
    clock.advance(3000);
    r = spec('apply_detail_response', await callApi(sim, token, 'GET', `/apply/${id}`)).results;
    expect(r.status).toBe(EGOV_STATUS.reviewFinished);
    expect(r.withdraw_flag).toBe(false);
    expect(r.official_list).toHaveLength(1);
    const doc = r.official_list[0];
    expect(Number.isInteger(doc.notice_sub_id)).toBe(true);
    expect(doc).toMatchObject({
      allowed_date: expect.stringMatching(DATETIME),
      doc_download_expired_date: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
      sign: 'なし',
    });
    expect(doc.doc_download_date).toBeUndefined();
    const n = r.notice_list[0];
    const notice = spec('notice_response', await callApi(sim, token, 'GET', `/notice/${id}/${n.notice_sub_id}`)).results.notice;
    expect(notice).toMatchObject({ notice_type: 'お知らせ', proc_name: expect.any(String), issuer_organization: '日本年金機構' });

    const got = spec('official_document_response', await callApi(sim, token, 'GET', `/official_document/${id}/${doc.notice_sub_id}`));
    const files = await unzip(Buffer.from(got.results.file_data, 'base64'));
    expect([...files.keys()].sort()).toEqual(got.results.file_name_list.map((f: Json) => f.file_name).sort());
    expect(files.get(got.results.file_name_list[1].file_name)?.toString()).toContain('<申請内容>年金 花子 令和 2 4 1</申請内容>');
    const done = spec(
      'official_document_complete_response',
      await callApi(sim, token, 'POST', '/official_document', { arrive_id: id, notice_sub_id: doc.notice_sub_id }),
    );
    expect(done.results.download_date).toMatch(DATETIME);
    r = spec('apply_detail_response', await callApi(sim, token, 'GET', `/apply/${id}`)).results;
    expect(r.status).toBe(EGOV_STATUS.completed);
    expect(r.official_list[0].doc_download_date).toMatch(DATETIME);
  });

  it('answers 401 with only WWW-Authenticate and no body', async () => {
    for (const tok of [undefined, 'not-a-token']) {
      const res = await callApi(sim, tok, 'GET', '/apply/lists?date_from=2026-12-01&date_to=2026-12-31');
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm=/);
      expect(res.text).toBe('');
    }
  });

  it("answers 404 without a body for an unknown case, another account's case, an unknown notice and an unknown path", async () => {
    const id = spec('apply_response', await apply()).results.arrive_id;
    for (const [tok, path] of [
      [token, '/apply/20261203999999999'],
      [otherToken, `/apply/${id}`],
      [otherToken, `/notice/${id}/1`],
      [token, `/notice/${id}/999`],
      [token, '/no/such/thing'],
    ] as const) {
      const res = await callApi(sim, tok, 'GET', path);
      expect({ path, status: res.status, text: res.text }).toEqual({ path, status: 404, text: '' });
    }
    const res = await callApi(sim, otherToken, 'POST', '/apply/withdraw', { arrive_id: id, send_file: await withdrawalPackage(id) });
    expect(res.status).toBe(404);
  });

  it.each([
    ['the old invented withdraw body', '/apply/withdraw', { arrive_id: '20261203000000001', reason: '誤り' }],
    [
      'proc_id in amend',
      '/apply/amend',
      { arrive_id: '20261203000000001', proc_id: PROC, send_file: { file_name: 'a.zip', file_data: 'UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA==' } },
    ],
    [
      'a 15-character proc_id',
      '/apply',
      { proc_id: '495001352101900', send_file: { file_name: 'a.zip', file_data: 'UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA==' } },
    ],
    [
      'an unknown member',
      '/apply',
      { proc_id: PROC, send_file: { file_name: 'a.zip', file_data: 'UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA==' }, extra: 1 },
    ],
    ['send_file without file_name', '/apply', { proc_id: PROC, send_file: { file_data: 'UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA==' } }],
    ['notice_sub_id as a string', '/official_document', { arrive_id: '20261203000000001', notice_sub_id: '1' }],
  ])('refuses %s with 400 {title, detail, type, instance}', async (_name, path, body) => {
    const res = await callApi(sim, token, 'POST', path, body);
    expect(res.status).toBe(400);
    assertSpec('error', res.body);
    expect(res.body.detail).toMatch(/仕様/);
    expect(res.body.instance).toBe(`/shinsei/v2${path}`);
  });

  it('refuses a body that is not JSON, and a wrong content type, with 400 (never 5xx)', async () => {
    for (const [body, type] of [
      ['{', 'application/json'],
      ['proc_id=1', 'application/x-www-form-urlencoded'],
    ]) {
      const res = await callApi(sim, token, 'POST', '/apply', body, { 'content-type': type });
      expect(res.status).toBe(400);
      assertSpec('error', res.body);
    }
  });

  it('pages GET /apply/lists with limit 1-50, offset, date_from/date_to, resultset beside results', async () => {
    const own = await callApi(sim, token, 'GET', '/apply/lists?date_from=2026-12-03&date_to=2026-12-03&limit=2&offset=0');
    const page1 = spec('apply_lists_response', own);
    expect(page1.resultset.limit).toBe(2);
    expect(page1.resultset.count).toBe(2);
    expect(page1.results.apply_list[0]).toMatchObject({ no: 1, arrive_id: expect.stringMatching(/^\d{17}$/), status: expect.any(String) });
    expect(page1._links.next).toContain('offset=2');
    const all = page1.resultset.all_count;
    const page2 = spec(
      'apply_lists_response',
      await callApi(sim, token, 'GET', '/apply/lists?date_from=2026-12-03&date_to=2026-12-03&limit=2&offset=2'),
    );
    expect(page2.results.apply_list[0].no).toBe(3);
    expect(page2._links.previous).toContain('offset=0');
    const other = spec(
      'apply_lists_response',
      await callApi(sim, otherToken, 'GET', '/apply/lists?date_from=2026-12-03&date_to=2026-12-03'),
    );
    expect(other.resultset.all_count).toBe(0);
    const before = spec('apply_lists_response', await callApi(sim, token, 'GET', '/apply/lists?date_from=2026-12-01&date_to=2026-12-02'));
    expect(before.resultset.all_count).toBe(0);
    expect(all).toBeGreaterThanOrEqual(3);
    for (const q of ['limit=51', 'limit=0', 'offset=-1', 'date_from=2026-02-30', 'foo=1', '']) {
      const res = await callApi(
        sim,
        token,
        'GET',
        `/apply/lists?date_from=2026-12-01&date_to=2026-12-31&${q}`.replace(
          /date_from=2026-12-01&(date_to=2026-12-31&)date_from=2026-02-30/,
          'date_from=2026-02-30&$1',
        ),
      );
      if (q === '') expect(res.status).toBe(200);
      else expect({ q, status: res.status }).toEqual({ q, status: 400 });
    }
    expect((await callApi(sim, token, 'GET', '/apply/lists')).status).toBe(400);
  });

  it('validates a trial (X-eGovAPI-Trial: true) fully, answers in the real shape and creates no case', async () => {
    const count = sim.state.cases.size;
    const body = spec('apply_response', await apply(undefined, { 'X-eGovAPI-Trial': 'true' }));
    expect(body.results.arrive_id).toMatch(/^\d{8}9\d{8}$/);
    expect(sim.state.cases.size).toBe(count);
    expect((await callApi(sim, token, 'GET', `/apply/${body.results.arrive_id}`)).status).toBe(404);
    const bad = await apply(await validPackage(PROC, { kousei: (x) => x.replace(FORM, '495013520714030511') }), {
      'X-eGovAPI-Trial': 'true',
    });
    expect(bad.status).toBe(400);
    assertSpec('error_report', bad.body);
    expect(sim.state.cases.size).toBe(count);
  });

  it('POST /apply/check answers {message, error_count, report_list} and creates nothing', async () => {
    const count = sim.state.cases.size;
    const good = spec(
      'apply_check_response',
      await callApi(sim, token, 'POST', '/apply/check', { proc_id: PROC, send_file: await validPackage(PROC) }),
    );
    expect(good.results).toMatchObject({ error_count: 0, report_list: [] });
    const bad = spec(
      'apply_check_response',
      await callApi(sim, token, 'POST', '/apply/check', {
        proc_id: PROC,
        send_file: await validPackage(PROC, { form: (x) => x.replace(`<様式ID>${FORM}`, '<様式ID>495013520714030511') }),
      }),
    );
    expect(bad.results.error_count).toBeGreaterThan(0);
    expect(bad.results.report_list[0]).toMatchObject({ file_name: `${FORM}_01.xml`, item: '様式ID' });
    expect(sim.state.cases.size).toBe(count);
  });

  it('部分補正: the correction notice says so, POST /apply/amend takes a 部分補正 package and review restarts', async () => {
    sim.state.setFailurePlan([{ correctionFor: 'next' }]);
    const id = spec('apply_response', await apply()).results.arrive_id;
    // Amending before any correction is asked: 400 with report
    const early = await callApi(sim, token, 'POST', '/apply/amend', {
      arrive_id: id,
      send_file: await validPackage(PROC, { applyType: '部分補正', firstArriveId: id }),
    });
    expect(early.status).toBe(400);
    assertSpec('error_report', early.body);
    clock.advance(3000);
    const r = spec('apply_detail_response', await callApi(sim, token, 'GET', `/apply/${id}`)).results;
    expect(r.status).toBe(EGOV_STATUS.correctionRequested);
    const n = r.notice_list.find((x: Json) => x.notice_data_type === '補正');
    const notice = spec('notice_response', await callApi(sim, token, 'GET', `/notice/${id}/${n.notice_sub_id}`)).results.notice;
    expect(notice).toMatchObject({
      notice_type: '補正',
      correct_type: '部分補正',
      correct_expired_date: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
    });
    // A 新規申請 package is refused on /apply/amend; the 初回受付番号 must be the case.
    const wrongType = await callApi(sim, token, 'POST', '/apply/amend', { arrive_id: id, send_file: await validPackage(PROC) });
    expect(wrongType.status).toBe(400);
    expect(JSON.stringify(wrongType.body.report_list)).toContain('申請種別');
    const amended = spec(
      'apply_amend_response',
      await callApi(sim, token, 'POST', '/apply/amend', {
        arrive_id: id,
        send_file: await validPackage(PROC, { applyType: '部分補正', firstArriveId: id }),
      }),
    );
    expect(amended.results).toEqual({ arrive_id: id, amend_date: expect.stringMatching(DATETIME) });
    const after = spec('apply_detail_response', await callApi(sim, token, 'GET', `/apply/${id}`)).results;
    expect(after.status).toBe(EGOV_STATUS.underReview);
    expect(after.notice_list.find((x: Json) => x.notice_data_type === '補正').correct_completed_date).toMatch(DATETIME);
  });

  it('再提出: amend is refused, a new POST /apply with 申請種別 再提出 and 初回受付番号 makes a new case', async () => {
    sim.state.setFailurePlan([{ correctionFor: 'next', correctType: '再提出' }]);
    const id = spec('apply_response', await apply()).results.arrive_id;
    clock.advance(3000);
    const r = spec('apply_detail_response', await callApi(sim, token, 'GET', `/apply/${id}`)).results;
    const n = r.notice_list.find((x: Json) => x.notice_data_type === '補正');
    expect(spec('notice_response', await callApi(sim, token, 'GET', `/notice/${id}/${n.notice_sub_id}`)).results.notice.correct_type).toBe(
      '再提出',
    );
    const amend = await callApi(sim, token, 'POST', '/apply/amend', {
      arrive_id: id,
      send_file: await validPackage(PROC, { applyType: '部分補正', firstArriveId: id }),
    });
    expect(amend.status).toBe(400);
    assertSpec('error_report', amend.body);
    expect((amend.body as Json).report_list[0].content).toContain('再提出');
    // 再提出 naming another account's case, or with no 初回受付番号, is refused
    const foreign = await apply(await validPackage(PROC, { applyType: '再提出', firstArriveId: id }), {}, otherToken);
    expect(foreign.status).toBe(400);
    const again = spec('apply_response', await apply(await validPackage(PROC, { applyType: '再提出', firstArriveId: id })));
    expect(again.results.apply_type).toBe('再提出');
    expect(again.results.arrive_id).not.toBe(id);
    const old = spec('apply_detail_response', await callApi(sim, token, 'GET', `/apply/${id}`)).results;
    expect(old.status).toBe(EGOV_STATUS.completed);
    // once resubmitted, it cannot be resubmitted again
    expect((await apply(await validPackage(PROC, { applyType: '再提出', firstArriveId: id }))).status).toBe(400);
  });

  it('withdraws with the withdrawal package (9990000000000003, 取下げ依頼, torisageirai.xml) and refuses it afterwards', async () => {
    const id = spec('apply_response', await apply()).results.arrive_id;
    const wrongTarget = await callApi(sim, token, 'POST', '/apply/withdraw', {
      arrive_id: id,
      send_file: await withdrawalPackage('20261203000000001', { firstArriveId: id }),
    });
    expect(wrongTarget.status).toBe(400);
    assertSpec('error_report_withdraw', wrongTarget.body);
    const res = spec(
      'apply_withdraw_response',
      await callApi(sim, token, 'POST', '/apply/withdraw', { arrive_id: id, send_file: await withdrawalPackage(id) }),
    );
    expect(res.results).toMatchObject({ arrive_id: id, withdraw_date: expect.stringMatching(DATETIME), applicant_name: '山田　太郎' });
    const r = spec('apply_detail_response', await callApi(sim, token, 'GET', `/apply/${id}`)).results;
    expect(r.status).toBe(EGOV_STATUS.withdrawn);
    expect(r.withdraw_flag).toBe(false);
    expect(r.notice_list.at(-1).notice_data_type).toBe('取下げ');
    const twice = await callApi(sim, token, 'POST', '/apply/withdraw', { arrive_id: id, send_file: await withdrawalPackage(id) });
    expect(twice.status).toBe(400);
    assertSpec('error_report_withdraw', twice.body);
    // an ordinary package is no withdrawal
    const id2 = spec('apply_response', await apply()).results.arrive_id;
    const notWithdrawal = await callApi(sim, token, 'POST', '/apply/withdraw', { arrive_id: id2, send_file: await validPackage(PROC) });
    expect(notWithdrawal.status).toBe(400);
    assertSpec('error_report_withdraw', notWithdrawal.body);
  });

  it('serves GET /procedure/{proc_id} skeletons for our four procedures and the withdrawal one, 404 otherwise', async () => {
    for (const [procId, form] of [
      ['4950013521019000', '495013521019030837'],
      ['4950013520714000', '495013520714030511'],
      ['4950013520733000', '495013520733030526'],
      ['4950008680033000', '495008680033800330'],
      ['9990000000000003', '999000000000000003'],
    ]) {
      const body = spec('procedure_response', await callApi(sim, token, 'GET', `/procedure/${procId}`));
      expect(body.results.file_info[0].form_id).toBe(form);
      const files = await unzip(Buffer.from(body.results.file_data, 'base64'));
      expect(files.has(`${procId}/kousei.xml`)).toBe(true);
      expect([...files.keys()].every((k) => k.startsWith(`${procId}/`))).toBe(true);
      expect(files.get(`${procId}/kousei.xml`)?.toString()).toContain(`<手続ID>${procId}</手続ID>`);
    }
    expect((await callApi(sim, token, 'GET', '/procedure/900A010200001000')).status).toBe(404);
  });

  it('never answers 5xx to broken input (truncated kousei / 申請書, odd bodies)', async () => {
    const errors = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    const statuses = new Set<number>();
    for (let i = 1; i < 40; i++) {
      const cut = (x: string): string => x.slice(0, Math.floor((x.length * i) / 40));
      for (const opts of [{ kousei: cut }, { form: cut }]) {
        const res = await callApi(sim, token, 'POST', '/apply/check', { proc_id: PROC, send_file: await validPackage(PROC, opts) });
        statuses.add(res.status);
        expect(res.status).toBe(200);
        expect((res.body as Json).results.error_count).toBeGreaterThan(0);
      }
    }
    for (const body of [
      'null',
      '[]',
      '"x"',
      '{"proc_id":{"a":1},"send_file":[]}',
      `{"proc_id":"${'9'.repeat(100000)}"}`,
      '{'.repeat(5000),
    ]) {
      const res = await callApi(sim, token, 'POST', '/apply', body, { 'content-type': 'application/json' });
      statuses.add(res.status);
      expect(res.status).toBe(400);
    }
    expect([...statuses].every((s) => s < 500)).toBe(true);
    expect(errors).not.toHaveBeenCalled();
    errors.mockRestore();
  });

  it('keeps the schemas able to fail', () => {
    expect(validateAgainstSpec('apply_response', { metadata: {}, results: {} }).valid).toBe(false);
    expect(
      validateAgainstSpec('apply_detail_response', {
        metadata: { title: 'a', detail: 'b', type: 'c', instance: 'd' },
        results: { notice_list: [{ notice_sub_id: '1' }] },
      }).valid,
    ).toBe(false);
  });
});

describe('egov-sim with requireSignature: every procedure needs an XML signature', () => {
  let sim: EgovSim;
  let token: string;
  const key = testCertificate('rsa');

  beforeAll(async () => {
    sim = await startEgovSim({ ...CLIENT, requireSignature: true });
    token = (await login(sim, { ...CLIENT, accountId: 'office-s' })).access_token;
  });
  afterAll(() => sim.close());

  it('refuses an unsigned package with 400 and report_list, accepts a signed one, refuses a tampered one', async () => {
    const unsigned = await callApi(sim, token, 'POST', '/apply', { proc_id: PROC, send_file: await validPackage(PROC) });
    expect(unsigned.status).toBe(400);
    assertSpec('error_report', unsigned.body);
    expect((unsigned.body as Json).report_list[0]).toMatchObject({
      file_name: 'kousei.xml',
      item: '署名情報',
      content: expect.stringContaining('電子署名が必要'),
    });

    const signed = spec(
      'apply_response',
      await callApi(sim, token, 'POST', '/apply', { proc_id: PROC, send_file: await validPackage(PROC, { sign: key }) }),
    );
    const id = signed.results.arrive_id;

    const tampered = await validPackage(PROC, {
      sign: key,
      afterSign: (f) => ({ ...f, [`${FORM}_01.xml`]: String(f[`${FORM}_01.xml`]).replace('花子', '桜子') }),
    });
    const refused = await callApi(sim, token, 'POST', '/apply', { proc_id: PROC, send_file: tampered });
    expect(refused.status).toBe(400);
    expect(JSON.stringify(refused.body)).toContain('ダイジェスト');

    // the withdrawal follows the same rule
    const unsignedWithdrawal = await callApi(sim, token, 'POST', '/apply/withdraw', {
      arrive_id: id,
      send_file: await withdrawalPackage(id),
    });
    expect(unsignedWithdrawal.status).toBe(400);
    assertSpec('error_report_withdraw', unsignedWithdrawal.body);
    spec(
      'apply_withdraw_response',
      await callApi(sim, token, 'POST', '/apply/withdraw', { arrive_id: id, send_file: await withdrawalPackage(id, { sign: key }) }),
    );
  });
});
