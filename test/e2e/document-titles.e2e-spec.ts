import { StatusTrackerService, SubmissionsService } from '@charlotte/filing';
import type { EgovSim } from '../../apps/egov-sim/src/server';
import { login, LoggedIn, seedTenant, Seeded, startTestApp, TestApp } from '../support/app';
import { egovEnv, linkEgovAccount, startTestSim, VALID_FORM } from '../support/egov';

/**
 * Issue 18 bug 7, against apps/egov-sim: a 公文書 whose e-Gov title carries a
 * procedure id (「999X000000000001 審査結果通知書」) is shown under the
 * procedure's Japanese name, never with the id.
 */
describe('Official document titles (simulator)', () => {
  let sim: EgovSim;
  let now = Date.now();
  let t: TestApp;
  let a: Seeded;
  let admin: LoggedIn;
  let officeId: string;

  beforeAll(async () => {
    sim = await startTestSim(() => now);
    t = await startTestApp(egovEnv(sim));
    a = await seedTenant(t, 'doc-title-a');
    admin = await login(t, 'doc-title-a', a.adminEmail);
    officeId = (
      await admin.agent
        .post('/api/v1/offices')
        .set('X-CSRF-Token', admin.csrf)
        .send({ name: '本社', address: '東京都千代田区霞が関1-2-2', pensionOfficeCode: '01-イロハ', pensionOfficeNumber: '12345' })
        .expect(201)
    ).body.id;
    await linkEgovAccount(t, admin, sim);
  });
  afterAll(async () => {
    await t?.close();
    await sim?.close();
  });

  it('shows the procedure’s Japanese name instead of the id e-Gov put in the title', async () => {
    const created = await admin.agent
      .post('/api/v1/applications')
      .set('X-CSRF-Token', admin.csrf)
      .send({ procedureCode: 'shaho-shutoku', officeId, title: '公文書の件名', form: VALID_FORM })
      .expect(201);
    const id = created.body.id as string;
    await admin.agent.post(`/api/v1/applications/${id}/validate`).set('X-CSRF-Token', admin.csrf).expect(200);
    await admin.agent
      .post(`/api/v1/applications/${id}/submit`)
      .set('X-CSRF-Token', admin.csrf)
      .set('Idempotency-Key', 'doc-title-0001')
      .expect(202);
    await t.app.get(SubmissionsService).runDue();
    const arriveId = (await t.ds.query(`SELECT arrive_id FROM applications WHERE id = $1`, [id]))[0].arrive_id as string;
    // The simulator titles its 通知書 after the case's procedure name: give it the placeholder id the issue saw.
    const c = sim.state.cases.get(arriveId)!;
    (c.info as { procName: string }).procName = '999X000000000001 審査結果';

    const tracker = t.app.get(StatusTrackerService);
    for (let i = 0; i < 3; i++) {
      now += 1500;
      await tracker.pollAll();
    }
    const docs = await admin.agent.get(`/api/v1/applications/${id}/documents`).expect(200);
    expect(docs.body.items.length).toBeGreaterThan(0);
    for (const d of docs.body.items as Array<{ title: string }>) {
      expect(d.title).toBe('健康保険・厚生年金保険 被保険者資格取得届 審査結果 通知書');
      expect(d.title).not.toMatch(/999X|[0-9A-Z]{16}/);
    }
  });
});
