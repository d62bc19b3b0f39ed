import { X509Certificate } from 'node:crypto';
import * as path from 'node:path';
import { EgovActionsService, StatusTrackerService, SubmissionsService } from '@charlotte/filing';
import { startEgovSim, type EgovSim } from '../../apps/egov-sim/src/server';
import { unzip } from '../../apps/egov-sim/src/testing';
import { verifyPackageSignature } from '../../libs/filing/src/package';
import { makeTestP12 } from '../../libs/filing/src/signing/test-pkcs12';
import { login, LoggedIn, seedTenant, Seeded, startTestApp, TestApp } from '../support/app';
import { egovEnv, linkEgovAccount, SIM_CLIENT, startEgovProxy, VALID_FORM, type EgovProxy } from '../support/egov';

const PIN = 'sign-e2e-PIN-4711';
const SIGNER_CN = '署名 花子';

/** The JSON body of a request the proxy forwarded to the simulator (apply, amend, withdraw all carry send_file). */
interface SentBody {
  send_file: { file_name: string; file_data: string };
}

/** The files of a sent package by bare name (the ZIP holds them under a folder), as verifyPackageSignature reads them. */
async function filesOf(body: SentBody): Promise<Array<{ name: string; data: Buffer }>> {
  const entries = await unzip(Buffer.from(body.send_file.file_data, 'base64'));
  return [...entries].map(([name, data]) => ({ name: path.posix.basename(name), data }));
}

/**
 * Signed filing end to end: the tenant's uploaded PKCS#12 certificate signs what the app sends to a
 * simulator that refuses unsigned packages (requireSignature), for a new filing, a 部分補正 and a 取下げ;
 * a tenant without a certificate sees e-Gov's refusal as the application's failure reason.
 */
describe('Signed filing with e-Gov (simulator requiring XML-DSig)', () => {
  let sim: EgovSim;
  let proxy: EgovProxy;
  let now = Date.now();
  let t: TestApp;
  let signed: Seeded;
  let unsigned: Seeded;
  let adminS: LoggedIn;
  let adminU: LoggedIn;
  let officeS: string;
  let officeU: string;
  let certificatePem: string;

  const newOffice = async (u: LoggedIn) =>
    (
      await u.agent
        .post('/api/v1/offices')
        .set('X-CSRF-Token', u.csrf)
        .send({ name: '本社', address: '東京都千代田区霞が関1-2-2', pensionOfficeCode: '01-イロハ', pensionOfficeNumber: '12345' })
        .expect(201)
    ).body.id as string;

  beforeAll(async () => {
    sim = await startEgovSim({
      ...SIM_CLIENT,
      now: () => now,
      clock: { arriveToReviewMs: 1000, reviewToFinishMs: 1000 },
      requireSignature: true,
    });
    // The proxy only records the packages as sent (the simulator keeps their names, not their bytes).
    proxy = await startEgovProxy(sim);
    t = await startTestApp(egovEnv(sim, proxy.url));
    signed = await seedTenant(t, 'sgn-a');
    unsigned = await seedTenant(t, 'sgn-b');
    adminS = await login(t, 'sgn-a', signed.adminEmail);
    adminU = await login(t, 'sgn-b', unsigned.adminEmail);
    officeS = await newOffice(adminS);
    officeU = await newOffice(adminU);
    await linkEgovAccount(t, adminS, sim, 'sharoushi-signed');
    await linkEgovAccount(t, adminU, sim, 'sharoushi-unsigned');

    const p12 = makeTestP12({ pin: PIN, commonName: SIGNER_CN, organization: '署名テスト社労士事務所' });
    certificatePem = p12.certificatePem;
    const up = await adminS.agent
      .post('/api/v1/signing-certificates')
      .set('X-CSRF-Token', adminS.csrf)
      .field('pin', PIN)
      .attach('file', p12.p12, { filename: 'signer.p12', contentType: 'application/x-pkcs12' })
      .expect(201);
    expect(up.body.status ?? 'active').toBe('active');
  });
  afterAll(async () => {
    await t?.close();
    await proxy?.close();
    await sim?.close();
  });

  /** Records the body of the next request to `apiPath` and forwards it unchanged. */
  function capture(apiPath: string): SentBody[] {
    const seen: SentBody[] = [];
    proxy.rules.push({
      method: 'POST',
      path: apiPath,
      times: 1,
      rewriteJson: (b) => {
        seen.push(b as unknown as SentBody);
        return b;
      },
    });
    return seen;
  }

  async function readyApplication(u: LoggedIn, officeId: string, title: string): Promise<string> {
    const app = await u.agent
      .post('/api/v1/applications')
      .set('X-CSRF-Token', u.csrf)
      .send({ procedureCode: 'shaho-shutoku', officeId, title, form: VALID_FORM })
      .expect(201);
    expect((await u.agent.post(`/api/v1/applications/${app.body.id}/validate`).set('X-CSRF-Token', u.csrf).expect(200)).body.valid).toBe(
      true,
    );
    return app.body.id;
  }
  const status = async (u: LoggedIn, id: string) => (await u.agent.get(`/api/v1/applications/${id}`).expect(200)).body;
  const action = (id: string, kind: 'amend' | 'withdraw', key: string, body: Record<string, unknown>) =>
    adminS.agent.post(`/api/v1/applications/${id}/${kind}`).set('X-CSRF-Token', adminS.csrf).set('Idempotency-Key', key).send(body);

  /** The package verifies, and its KeyInfo names the certificate the tenant uploaded. */
  async function expectSignedByUpload(body: SentBody): Promise<void> {
    const files = await filesOf(body);
    const v = verifyPackageSignature(files);
    expect(v).toEqual({ ok: true, certificatePem: expect.any(String) });
    if (!v.ok) return;
    const inPackage = new X509Certificate(v.certificatePem);
    expect(inPackage.fingerprint256).toBe(new X509Certificate(certificatePem).fingerprint256);
    expect(inPackage.subject).toContain(`CN=${SIGNER_CN}`);
    // A byte changed in a signed file breaks it: the check above can fail.
    const form = files.find((f) => f.name !== 'kousei.xml')!;
    const tampered = files.map((f) => (f === form ? { name: f.name, data: Buffer.concat([f.data, Buffer.from(' ')]) } : f));
    expect(verifyPackageSignature(tampered)).toMatchObject({ ok: false });
  }

  async function arrivedSigned(title: string): Promise<{ id: string; arriveId: string; sent: SentBody }> {
    const id = await readyApplication(adminS, officeS, title);
    const sent = capture('/apply');
    await adminS.agent
      .post(`/api/v1/applications/${id}/submit`)
      .set('X-CSRF-Token', adminS.csrf)
      .set('Idempotency-Key', `sk-${id}`)
      .expect(202);
    await t.app.get(SubmissionsService).runDue();
    const s = await status(adminS, id);
    expect({ status: s.status, failureReason: s.failureReason }).toEqual({ status: 'arrived', failureReason: null });
    expect(sent).toHaveLength(1);
    return { id, arriveId: s.arriveId, sent: sent[0] };
  }

  it('files a new application signed with the uploaded certificate: 到達, and the simulator received a signed package', async () => {
    const { arriveId, sent } = await arrivedSigned('署名付き 資格取得');
    expect(arriveId).toMatch(/^\d{16,18}$/);
    const simCase = sim.state.cases.get(arriveId)!;
    expect(simCase.account).toBe('sharoushi-signed');
    expect(simCase.packages).toHaveLength(1);
    expect(simCase.packages[0]).toMatchObject({ apply_type: '新規申請', signed: true });
    await expectSignedByUpload(sent);
    const kousei = (await filesOf(sent)).find((f) => f.name === 'kousei.xml')!.data.toString('utf8');
    expect(kousei).toMatch(/<\/構成情報>\s*<署名情報>\s*<Signature xmlns="http:\/\/www\.w3\.org\/2000\/09\/xmldsig#" Id="\d{14}">/);
  });

  it('a tenant without a certificate: the filing fails and the user sees e-Gov’s reason (電子署名が必要)', async () => {
    const id = await readyApplication(adminU, officeU, '署名なし');
    const sent = capture('/apply');
    // The four procedures accept a GビズID login unsigned (policy optional-gbiz): no 409 up front, e-Gov decides.
    const res = await adminU.agent
      .post(`/api/v1/applications/${id}/submit`)
      .set('X-CSRF-Token', adminU.csrf)
      .set('Idempotency-Key', `sk-${id}`)
      .expect(202);
    expect(res.body.status).toBe('submitting');
    await t.app.get(SubmissionsService).runDue();
    const s = await status(adminU, id);
    expect(s.status).toBe('failed');
    // e-Gov's own report line (item 署名情報), as the application page shows it.
    expect(s.failureReason).toMatch(/署名情報.*この手続は電子署名が必要です（署名情報がありません）。/);
    expect(s.failureReason).not.toMatch(/internal|内部エラー/i);
    expect(s.arriveId ?? null).toBeNull();
    expect(sent).toHaveLength(1);
    const files = await filesOf(sent[0]);
    expect(verifyPackageSignature(files)).toEqual({ ok: false, reason: 'kousei.xml has 0 signatures' });
    expect([...sim.state.cases.values()].filter((c) => c.account === 'sharoushi-unsigned')).toEqual([]);
  });

  it('部分補正: the amendment package is signed too and accepted', async () => {
    sim.state.setFailurePlan([{ correctionFor: 'next' }]);
    const { id, arriveId } = await arrivedSigned('署名付き 補正');
    const tracker = t.app.get(StatusTrackerService);
    now += 1500;
    await tracker.pollAll();
    now += 1500;
    await tracker.pollAll();
    let s = await status(adminS, id);
    expect(s.status).toBe('correction_requested');
    const fixed = await adminS.agent
      .patch(`/api/v1/applications/${id}`)
      .set('X-CSRF-Token', adminS.csrf)
      .send({ version: s.version, form: { ...VALID_FORM, address: '東京都千代田区霞が関1-2-3' } })
      .expect(200);
    const sent = capture('/apply/amend');
    await action(id, 'amend', `amend-${id}`, { version: fixed.body.version }).expect(202);
    expect(await t.app.get(EgovActionsService).runDue()).toBe(1);
    s = await status(adminS, id);
    expect(s).toMatchObject({ status: 'under_review', lastAction: { kind: 'amend', state: 'done', lastError: null } });
    const pkgs = sim.state.cases.get(arriveId)!.packages;
    expect(pkgs).toHaveLength(2);
    expect(pkgs[1]).toMatchObject({ apply_type: '部分補正', signed: true });
    expect(sent).toHaveLength(1);
    await expectSignedByUpload(sent[0]);
  });

  it('取下げ: the withdrawal request of a signed filing is signed too and accepted', async () => {
    const { id, arriveId } = await arrivedSigned('署名付き 取下げ');
    const sent = capture('/apply/withdraw');
    await action(id, 'withdraw', `wd-${id}`, { reason: '資格取得日の誤りのため' }).expect(202);
    expect(await t.app.get(EgovActionsService).runDue()).toBe(1);
    expect(await status(adminS, id)).toMatchObject({ status: 'withdrawn', lastAction: { kind: 'withdraw', state: 'done' } });
    const simCase = sim.state.cases.get(arriveId)!;
    expect(simCase.withdrawn?.reason).toBe('資格取得日の誤りのため');
    expect(simCase.packages.at(-1)).toMatchObject({ apply_type: '取下げ依頼', signed: true });
    expect(sent).toHaveLength(1);
    const files = await filesOf(sent[0]);
    expect(files.map((f) => f.name).sort()).toEqual(['kousei.xml', 'torisageirai.xml']);
    await expectSignedByUpload(sent[0]);
  });
});
