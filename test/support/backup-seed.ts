import { EgovActionsService, StatusTrackerService, SubmissionsService } from '@charlotte/filing';
import type { EgovSim } from '../../apps/egov-sim/src/server';
import { LoggedIn, TestApp } from './app';
import { linkEgovAccount, VALID_FORM } from './egov';

/** Distinctive strings put into every sealed field of a tenant (and an attachment) by seedCanaries. */
export const BACKUP_CANARY = {
  userName: 'カナリア利用者BK9W',
  officeName: 'カナリア事業所BK9W',
  officeAddress: 'カナリア住所BK9W-1-2-3',
  appTitle: 'カナリア申請BK9W',
  formName: 'カナリア氏名BK9W',
  myNumber: '987654321018',
  fileName: 'カナリア添付BK9W.pdf',
  fileContent: 'CanaryContentBK9W-inside-the-pdf',
  filedName: 'カナリア被保険者ＢＫ９Ｗ',
  withdrawReason: 'カナリア取下理由BK9W',
};

export interface SeededCanaries {
  applicationId: string;
  attachmentId: string;
  filedApplicationId: string;
  officeId: string;
  pdf: Buffer;
}

/**
 * A tenant with a canary in every sealed field: a user's display name, an
 * office, an application (title, form, My Number), an attachment (name and
 * bytes), and a filed application whose official documents (from the e-Gov
 * simulator) restate the form, plus a withdrawal reason in e-Gov's notice.
 */
export async function seedCanaries(t: TestApp, admin: LoggedIn, sim: EgovSim, advance: (ms: number) => void): Promise<SeededCanaries> {
  const csrf = admin.csrf;
  await admin.agent
    .post('/api/v1/users')
    .set('X-CSRF-Token', csrf)
    .send({ email: `canary-${Date.now()}@bk.example`, displayName: BACKUP_CANARY.userName, role: 'member' })
    .expect(201);
  const office = await admin.agent
    .post('/api/v1/offices')
    .set('X-CSRF-Token', csrf)
    .send({ name: BACKUP_CANARY.officeName, address: BACKUP_CANARY.officeAddress })
    .expect(201);
  const app = await admin.agent
    .post('/api/v1/applications')
    .set('X-CSRF-Token', csrf)
    .send({
      procedureCode: 'shaho-shutoku',
      officeId: office.body.id,
      title: BACKUP_CANARY.appTitle,
      form: { familyName: BACKUP_CANARY.formName, myNumber: BACKUP_CANARY.myNumber },
    })
    .expect(201);
  const pdf = Buffer.from(`%PDF-1.4\n% ${BACKUP_CANARY.fileContent}\n%%EOF\n`, 'latin1');
  const file = await admin.agent
    .post(`/api/v1/applications/${app.body.id}/attachments`)
    .set('X-CSRF-Token', csrf)
    .attach('file', pdf, { filename: BACKUP_CANARY.fileName })
    .expect(201);

  await linkEgovAccount(t, admin, sim);
  const filingOffice = (
    await admin.agent
      .post('/api/v1/offices')
      .set('X-CSRF-Token', csrf)
      .send({ name: '本社', address: '東京都千代田区霞が関1-2-2', pensionOfficeCode: '01-イロハ', pensionOfficeNumber: '12345' })
      .expect(201)
  ).body.id as string;
  const fileOne = async (title: string, key: string) => {
    const made = await admin.agent
      .post('/api/v1/applications')
      .set('X-CSRF-Token', csrf)
      .send({ procedureCode: 'shaho-shutoku', officeId: filingOffice, title, form: { ...VALID_FORM, familyName: BACKUP_CANARY.filedName } })
      .expect(201);
    await admin.agent.post(`/api/v1/applications/${made.body.id}/validate`).set('X-CSRF-Token', csrf).expect(200);
    await admin.agent.post(`/api/v1/applications/${made.body.id}/submit`).set('X-CSRF-Token', csrf).set('Idempotency-Key', key).expect(202);
    return made.body.id as string;
  };
  const filed = await fileOne('公文書あり', `bk-filed-${Date.now()}`);
  const withdrawn = await fileOne('取下げ', `bk-withdrawn-${Date.now()}`);
  await t.app.get(SubmissionsService).runDue();
  await admin.agent
    .post(`/api/v1/applications/${withdrawn}/withdraw`)
    .set('X-CSRF-Token', csrf)
    .set('Idempotency-Key', `bk-withdraw-${Date.now()}`)
    .send({ reason: BACKUP_CANARY.withdrawReason })
    .expect(202);
  await t.app.get(EgovActionsService).runDue();
  const tracker = t.app.get(StatusTrackerService);
  for (const step of [1500, 1500, 10]) {
    advance(step);
    await tracker.pollAll();
  }
  return { applicationId: app.body.id, attachmentId: file.body.id, filedApplicationId: filed, officeId: office.body.id, pdf };
}
