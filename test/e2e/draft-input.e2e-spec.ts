import { login, LoggedIn, seedTenant, Seeded, startTestApp, TestApp } from '../support/app';

/**
 * Issue 18 bugs 4 and 6, over HTTP: a draft saves whatever a Japanese office
 * worker types (全角数字, 半角カナ, spaces are normalised; a value that still
 * does not fit is kept with its error at the field and the rest is saved),
 * and 入力チェック refuses implausible dates (birth after acquisition, …).
 */
describe('Draft input and plausibility (/api/v1/applications)', () => {
  let t: TestApp;
  let a: Seeded;
  let member: LoggedIn;
  let officeId: string;

  beforeAll(async () => {
    t = await startTestApp();
    a = await seedTenant(t, 'drafts-a');
    member = await login(t, 'drafts-a', a.memberEmail);
    const office = await post('/api/v1/offices', { name: '株式会社サンプル 本社', address: '東京都千代田区' }).expect(201);
    officeId = office.body.id;
  });
  afterAll(() => t.close());

  const post = (url: string, body: object) => member.agent.post(url).set('X-CSRF-Token', member.csrf).send(body);
  const patch = (url: string, body: object) => member.agent.patch(url).set('X-CSRF-Token', member.csrf).send(body);
  const create = async (form: Record<string, unknown> = {}) =>
    (await post('/api/v1/applications', { procedureCode: 'shaho-shutoku', officeId, title: '入力テスト', form }).expect(201)).body;

  it('saves 全角 numbers, 半角カナ and surrounding spaces in their canonical form', async () => {
    const app = await create();
    const res = await patch(`/api/v1/applications/${app.id}`, {
      version: app.version,
      form: {
        remunerationCash: '２５０，０００',
        familyNameKana: 'ﾔﾏﾀﾞ',
        givenNameKana: ' ﾀﾛｳ ',
        familyName: '\u3000山田 ',
        basicPensionNumber: '１２３４－５６７８９０',
        birthDate: '１９９０/４/１',
      },
    }).expect(200);
    expect(res.body.fieldErrors).toEqual([]);
    const full = await member.agent.get(`/api/v1/applications/${app.id}`).query({ unmask: 'sensitive' }).expect(200);
    expect(full.body.form).toMatchObject({
      remunerationCash: 250000,
      familyNameKana: 'ヤマダ',
      givenNameKana: 'タロウ',
      familyName: '山田',
      basicPensionNumber: '1234567890',
      birthDate: '1990-04-01',
    });
  });

  it('saves the rest of a draft when one field does not fit, and the field carries its error', async () => {
    const app = await create();
    const res = await patch(`/api/v1/applications/${app.id}`, {
      version: app.version,
      form: { remunerationCash: '25万', familyName: '山田' },
    }).expect(200);
    expect(res.body.version).toBe(app.version + 1);
    expect(res.body.fieldErrors).toEqual([
      expect.objectContaining({ field: 'remunerationCash', code: 'invalid_type', message: expect.stringMatching(/^報酬月額.*整数/) }),
    ]);
    // Kept as typed, so the user finds it again after a reload, with its error.
    const again = await member.agent.get(`/api/v1/applications/${app.id}`).query({ unmask: 'sensitive' }).expect(200);
    expect(again.body.form).toMatchObject({ remunerationCash: '25万', familyName: '山田' });
    expect(again.body.fieldErrors.map((e: { field: string }) => e.field)).toEqual(['remunerationCash']);
    // 入力チェック still refuses it.
    const check = await post(`/api/v1/applications/${app.id}/validate`, {}).expect(200);
    expect(check.body.valid).toBe(false);
    expect(
      check.body.errors.some((e: { field: string; code: string }) => e.field === 'remunerationCash' && e.code === 'invalid_type'),
    ).toBe(true);
  });

  it('still refuses what no one types: JSON of the wrong type and unknown fields', async () => {
    const app = await create();
    const bad = await patch(`/api/v1/applications/${app.id}`, { version: app.version, form: { familyName: 123 } }).expect(400);
    expect(bad.body.errors[0]).toMatchObject({ field: 'form.familyName', code: 'invalid_type' });
    await patch(`/api/v1/applications/${app.id}`, { version: app.version, form: { nope: '1' } }).expect(400);
  });

  it('入力チェック refuses a birth date after the date of acquisition, with a Japanese message and a code', async () => {
    // Issue 18 bug 6: 生年月日 2030-04-01 after 資格取得年月日 2026-12-01 passed.
    const app = await create({ birthDate: '2030-04-01', acquisitionDate: '2026-12-01' });
    const check = await post(`/api/v1/applications/${app.id}/validate`, {}).expect(200);
    expect(check.body.valid).toBe(false);
    const birth = check.body.errors.filter((e: { field: string }) => e.field === 'birthDate');
    expect(birth).toEqual([
      expect.objectContaining({ code: 'date_order', message: expect.stringMatching(/^生年月日は資格取得年月日より前/) }),
      expect.objectContaining({ code: 'date_too_far_ahead', message: '生年月日に今日より後の日付は入力できません。' }),
    ]);
  });
});
