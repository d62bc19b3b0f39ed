import { createHash } from 'node:crypto';
import request from 'supertest';
import { canonicalJson, JsonValue } from '@charlotte/audit';
import { UsersService } from '@charlotte/auth';
import { ContractService, DeletionService } from '@charlotte/backup';
import { StatusTrackerService, SubmissionsService } from '@charlotte/filing';
import { DraftDigestJob, MailWorker } from '@charlotte/notifications';
import type { EgovSim } from '../../apps/egov-sim/src/server';
import { login, LoggedIn, PASSWORD, seedTenant, Seeded, startTestApp, TestApp } from '../support/app';
import { EgovProxy, egovEnv, linkEgovAccount, startEgovProxy, startTestSim, VALID_FORM } from '../support/egov';
import { SmtpSink, startSmtpSink } from '../support/smtp-sink';

/**
 * The mails customers receive, end to end through a real SMTP server: the filing user's mails as a
 * case moves at e-Gov (simulator), the opt-out, the administrators' daily digest of drafts, and the
 * deletion certificate mail.
 */
describe('Customer mails', () => {
  // The default PUBLIC_URL: the simulator checks the e-Gov redirect URI made from it.
  let PUBLIC: string;
  const PROCEDURE = '健康保険・厚生年金保険 被保険者資格取得届';
  let now = Date.parse('2026-04-01T01:00:00Z');
  let sim: EgovSim;
  let proxy: EgovProxy;
  let sink: SmtpSink;
  let t: TestApp;
  let a: Seeded;
  let admin: LoggedIn;
  let member: LoggedIn;
  let officeId: string;

  const drain = () => t.app.get(MailWorker).drain();
  const poll = async () => {
    now += 1500;
    await t.app.get(StatusTrackerService).pollAll();
  };

  async function submitted(by: LoggedIn, title: string): Promise<string> {
    const app = await by.agent
      .post('/api/v1/applications')
      .set('X-CSRF-Token', by.csrf)
      .send({ procedureCode: 'shaho-shutoku', officeId, title, form: VALID_FORM })
      .expect(201);
    await by.agent.post(`/api/v1/applications/${app.body.id}/validate`).set('X-CSRF-Token', by.csrf).expect(200);
    await by.agent
      .post(`/api/v1/applications/${app.body.id}/submit`)
      .set('X-CSRF-Token', by.csrf)
      .set('Idempotency-Key', `k-${app.body.id}`)
      .expect(202);
    await t.app.get(SubmissionsService).runDue();
    return app.body.id;
  }
  const status = async (id: string) => (await admin.agent.get(`/api/v1/applications/${id}`).expect(200)).body;

  beforeAll(async () => {
    sink = await startSmtpSink();
    sim = await startTestSim(() => now);
    proxy = await startEgovProxy(sim);
    t = await startTestApp({ ...egovEnv(sim, proxy.url), SMTP_URL: sink.url });
    PUBLIC = t.config.publicUrl;
    a = await seedTenant(t, 'mail-a');
    admin = await login(t, 'mail-a', a.adminEmail);
    member = await login(t, 'mail-a', a.memberEmail);
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
    await proxy?.close();
    await sim?.close();
    await sink?.close();
  });

  beforeEach(async () => {
    await drain();
    sink.clear();
  });

  it('mails the filing user (and nobody else) when the application arrives, then at 手続終了 and for the 公文書', async () => {
    const id = await submitted(member, '社員A 資格取得');
    expect((await status(id)).status).toBe('arrived');
    await drain();
    expect(sink.messages).toHaveLength(1);
    const [arrived] = sink.messages;
    expect(arrived.to).toEqual([a.memberEmail]);
    expect(arrived.subject.startsWith(`申請が到達しました：${PROCEDURE} / Your application has arrived: `)).toBe(true);
    expect(arrived.subject).toContain(PROCEDURE);
    expect(arrived.text).toContain(`${PUBLIC}/applications/${id}`);
    expect(arrived.html).toContain(`href="${PUBLIC}/applications/${id}"`);
    // No personal data of the insured person, nor the title the user wrote.
    for (const personal of ['山田', '太郎', 'ヤマダ', '1234-567890', '霞が関', '社員A']) {
      expect(arrived.text).not.toContain(personal);
      expect(arrived.html).not.toContain(personal);
    }
    sink.clear();

    await poll(); // 審査中
    await poll(); // 審査終了: documents fetched
    now += 10;
    await t.app.get(StatusTrackerService).pollAll(); // 手続終了
    expect((await status(id)).status).toBe('completed');
    await drain();
    expect(sink.to(a.adminEmail)).toEqual([]);
    const subjects = sink.to(a.memberEmail).map((m) => m.subject.split(' / ')[0]);
    expect(subjects.sort()).toEqual([`公文書が発行されました：${PROCEDURE}`, `手続が終了しました：${PROCEDURE}`].sort());
  });

  it('mails a 補正 request to the filing user', async () => {
    sim.state.setFailurePlan([{ correctionFor: 'next' }]);
    const id = await submitted(admin, '補正あり');
    await poll();
    await poll();
    expect((await status(id)).status).toBe('correction_requested');
    await drain();
    expect(sink.to(a.memberEmail)).toEqual([]);
    expect(sink.to(a.adminEmail).map((m) => m.subject.split(' / ')[0])).toEqual([
      `申請が到達しました：${PROCEDURE}`,
      `補正の依頼があります：${PROCEDURE}`,
    ]);
    const correction = sink.to(a.adminEmail)[1];
    expect(correction.text).toContain('A correction is requested');
    expect(correction.text).toContain(`${PUBLIC}/applications/${id}`);
  });

  it('mails a failed filing to the filing user', async () => {
    proxy.rules.push({ method: 'POST', path: '/apply', times: 1, rewriteJson: (b) => ({ ...b, proc_id: '900A000000000000' }) });
    const id = await submitted(member, '失敗');
    expect((await status(id)).status).toBe('failed');
    await drain();
    expect(sink.messages.map((m) => [m.to[0], m.subject.split(' / ')[0]])).toEqual([
      [a.memberEmail, `申請を送信できませんでした：${PROCEDURE}`],
    ]);
  });

  it('lets a user opt out (audited): the お知らせ stays, the mail is not sent; other users are not affected', async () => {
    expect((await member.agent.get('/api/v1/me/notification-settings').expect(200)).body).toEqual({ filingMail: true, draftDigest: true });
    const bad = await member.agent
      .put('/api/v1/me/notification-settings')
      .set('X-CSRF-Token', member.csrf)
      .send({ filingMail: 'no', draftDigest: true })
      .expect(400);
    expect(bad.body.code).toBe('validation_failed');
    await member.agent.put('/api/v1/me/notification-settings').set('X-CSRF-Token', member.csrf).send({ filingMail: false }).expect(400);
    await request(t.http).get('/api/v1/me/notification-settings').expect(401);
    const saved = await member.agent
      .put('/api/v1/me/notification-settings')
      .set('X-CSRF-Token', member.csrf)
      .send({ filingMail: false, draftDigest: true })
      .expect(200);
    expect(saved.body).toEqual({ filingMail: false, draftDigest: true });
    expect((await member.agent.get('/api/v1/me/notification-settings').expect(200)).body).toEqual({ filingMail: false, draftDigest: true });
    expect((await admin.agent.get('/api/v1/me/notification-settings').expect(200)).body).toEqual({ filingMail: true, draftDigest: true });
    const events = await t.ds.query(`SELECT actor_id, target_id, details FROM audit_events WHERE action = 'notification.settings_changed'`);
    expect(events).toEqual([{ actor_id: a.memberId, target_id: a.memberId, details: { filing: false, draftDigest: true } }]);

    const id = await submitted(member, 'オプトアウト後');
    expect((await status(id)).status).toBe('arrived');
    await drain();
    expect(sink.messages).toEqual([]);
    const notices = (await member.agent.get('/api/v1/notices').expect(200)).body.items as Array<{ kind: string; applicationId: string }>;
    expect(notices.filter((n) => n.applicationId === id).map((n) => n.kind)).toEqual(['arrived']);
    // The admin's own filing still mails the admin.
    await submitted(admin, '管理者の申請');
    await drain();
    expect(sink.messages.map((m) => m.to[0])).toEqual([a.adminEmail]);
    await member.agent
      .put('/api/v1/me/notification-settings')
      .set('X-CSRF-Token', member.csrf)
      .send({ filingMail: true, draftDigest: true })
      .expect(200);
  });

  describe('daily digest of drafts', () => {
    let b: Seeded;
    let c: Seeded;

    beforeAll(async () => {
      b = await seedTenant(t, 'mail-b'); // no drafts
      c = await seedTenant(t, 'mail-c');
      const adminC = await login(t, 'mail-c', c.adminEmail);
      const officeC = (await adminC.agent.post('/api/v1/offices').set('X-CSRF-Token', adminC.csrf).send({ name: 'C 本社' }).expect(201))
        .body.id;
      for (let i = 0; i < 7; i++)
        await adminC.agent
          .post('/api/v1/applications')
          .set('X-CSRF-Token', adminC.csrf)
          .send({ procedureCode: 'shaho-shutoku', officeId: officeC, title: `C 下書き ${i}`, form: {} })
          .expect(201);
      // A second administrator of C, who opts out of the digest.
      const second = await t.app
        .get(UsersService)
        .create(c.tenantId, { email: 'admin2@mail-c.example', displayName: '管理者2', role: 'admin', password: PASSWORD });
      await t.ds.query(`UPDATE users SET status = 'active' WHERE id = $1`, [second.user.id]);
      await t.ds.query(`INSERT INTO notification_preferences (tenant_id, user_id, draft_digest) VALUES ($1, $2, false)`, [
        c.tenantId,
        second.user.id,
      ]);
      // Drafts of A: the ones these tests left as drafts, plus one made 3 days old.
      const draftA = await admin.agent
        .post('/api/v1/applications')
        .set('X-CSRF-Token', admin.csrf)
        .send({ procedureCode: 'shaho-shutoku', officeId, title: 'A 下書き', form: {} })
        .expect(201);
      await t.ds.query(`UPDATE applications SET created_at = now() - interval '3 days 2 hours' WHERE id = $1`, [draftA.body.id]);
    });

    it("mails each administrator who wants it the count and the oldest draft's age, per tenant, never another tenant's counts; nothing for zero drafts", async () => {
      const draftsOf = async (tenantId: string) =>
        (await t.ds.query(`SELECT count(*)::int AS n FROM applications WHERE tenant_id = $1 AND status = 'draft'`, [tenantId]))[0]
          .n as number;
      const nA = await draftsOf(a.tenantId);
      expect(nA).toBeGreaterThanOrEqual(1);
      expect(await draftsOf(b.tenantId)).toBe(0);
      expect(await draftsOf(c.tenantId)).toBe(7);
      expect(nA).not.toBe(7);

      const report = await t.app.get(DraftDigestJob).run(new Date());
      expect(report).toMatchObject({ mails: 2 });
      await drain();
      expect(sink.messages.map((m) => m.to[0]).sort()).toEqual([a.adminEmail, c.adminEmail].sort());
      // Members, the opted-out admin and the tenant without drafts get nothing.
      expect(sink.to(a.memberEmail)).toEqual([]);
      expect(sink.to('admin2@mail-c.example')).toEqual([]);
      expect(sink.to(b.adminEmail)).toEqual([]);

      const [mailA] = sink.to(a.adminEmail);
      expect(mailA.subject).toBe(`未提出の下書きが ${nA} 件あります / ${nA} draft(s) not yet submitted`);
      expect(mailA.text).toContain('最も古い下書きは 3 日前に作成されました');
      expect(mailA.text).toContain(`${PUBLIC}/applications?status=draft`);
      expect(mailA.text).not.toContain('7 件');
      const [mailC] = sink.to(c.adminEmail);
      expect(mailC.subject).toBe('未提出の下書きが 7 件あります / 7 draft(s) not yet submitted');
      expect(mailC.text).toContain('最も古い下書きは 0 日前');
      expect(mailC.text).not.toContain(`${nA} 件`);
      expect(await t.ds.query(`SELECT tenant_id FROM mail_outbox WHERE template = 'draft_digest' ORDER BY tenant_id`)).toEqual(
        [{ tenant_id: a.tenantId }, { tenant_id: c.tenantId }].sort((x, y) => x.tenant_id.localeCompare(y.tenant_id)),
      );
    });

    it('sends it once per day even when a second run (another instance) comes after the first', async () => {
      expect(await t.app.get(DraftDigestJob).run(new Date())).toEqual({ mailed: [], mails: 0 });
      await drain();
      expect(sink.messages).toEqual([]);
      // The next day (JST) it goes again.
      const tomorrow = new Date(Date.now() + 86_400_000);
      expect((await t.app.get(DraftDigestJob).run(tomorrow))?.mails).toBe(2);
    });
  });

  it('mails the deletion certificate to the administrators recorded before the deletion, with the PDF', async () => {
    const d = await seedTenant(t, 'mail-del');
    await t.app.get(ContractService).cancel('mail-del');
    const jobId = await t.app.get(DeletionService).request('mail-del', 'operator');
    const certificateId = await t.app.get(DeletionService).run(jobId);
    // The tenant's users are gone; the address was kept with the certificate.
    expect(await t.ds.query(`SELECT 1 FROM users WHERE tenant_id = $1`, [d.tenantId])).toEqual([]);
    const queued = await t.ds.query(`SELECT tenant_id, recipient, vars FROM mail_outbox WHERE template = 'deletion_certificate'`);
    expect(queued).toHaveLength(1);
    expect(queued[0]).toMatchObject({ tenant_id: null, recipient: d.adminEmail });
    expect(JSON.stringify(queued[0].vars)).not.toContain('@');

    await drain();
    expect(sink.messages).toHaveLength(1);
    const [m] = sink.messages;
    expect(m.to).toEqual([d.adminEmail]);
    expect(m.subject).toBe('データ消去証明書の発行（テナントコード mail-del） / Deletion certificate issued (tenant mail-del)');
    const cert = (await t.ds.query(`SELECT body FROM deletion_certificates WHERE id = $1`, [certificateId]))[0].body;
    const sha = createHash('sha256')
      .update(canonicalJson(cert as JsonValue))
      .digest('hex');
    expect(m.text).toContain(`証明書 ID：${certificateId}`);
    expect(m.text).toContain(`証明書の SHA-256：${sha}`);
    expect(m.text).toContain(`消去日：${new Date(Date.parse(cert.deletedAt) + 9 * 3_600_000).toISOString().slice(0, 10)}`);
    expect(m.attachments).toHaveLength(1);
    expect(m.attachments[0]).toMatchObject({ filename: `deletion-certificate-${certificateId}.pdf`, contentType: 'application/pdf' });
    expect(m.attachments[0].content.subarray(0, 5).toString('latin1')).toBe('%PDF-');
  });
});
