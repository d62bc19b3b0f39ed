import request from 'supertest';
import { AuditRecord, AuditService } from '@charlotte/audit';
import { login, LoggedIn, seedTenant, Seeded, startTestApp, TestApp } from '../support/app';

interface Named {
  type: string;
  id: string | null;
  label: string | null;
  deleted: boolean;
}
interface Ev {
  id: string;
  action: string;
  actor: Named;
  target: Named | null;
}

/**
 * Issue 18 「監査ログ in words」: the audit log names its targets and actors for the viewer, at
 * read time (an application's title, a user's name, an office, an API token), within the viewer's
 * tenant only, with 削除済み for what is gone; the hashed events themselves hold ids only.
 */
describe('Audit log targets in words (/api/v1/audit-events)', () => {
  let t: TestApp;
  let a: Seeded;
  let b: Seeded;
  let adminA: LoggedIn;
  let adminB: LoggedIn;
  let officeA: string;

  const createApplication = async (s: LoggedIn, officeId: string, title: string): Promise<string> =>
    (
      await s.agent
        .post('/api/v1/applications')
        .set('X-CSRF-Token', s.csrf)
        .send({ procedureCode: 'shaho-shutoku', officeId, title, form: {} })
        .expect(201)
    ).body.id;

  const eventsOf = async (s: LoggedIn | { auth: string }, query: Record<string, string> = {}): Promise<Ev[]> => {
    const req =
      'agent' in s ? s.agent.get('/api/v1/audit-events') : request(t.http).get('/api/v1/audit-events').set('Authorization', s.auth);
    return (await req.query({ limit: '100', ...query }).expect(200)).body.items;
  };

  beforeAll(async () => {
    t = await startTestApp();
    a = await seedTenant(t, 'words-a');
    b = await seedTenant(t, 'words-b');
    adminA = await login(t, 'words-a', a.adminEmail);
    adminB = await login(t, 'words-b', b.adminEmail);
    officeA = (await adminA.agent.post('/api/v1/offices').set('X-CSRF-Token', adminA.csrf).send({ name: '本社' }).expect(201)).body.id;
  });
  afterAll(() => t.close());

  it('names an application by its title, and the acting user by display name, in list and detail', async () => {
    const id = await createApplication(adminA, officeA, '山田太郎 資格取得届');
    const ev = (await eventsOf(adminA, { action: 'application.created' })).find((e) => e.target?.id === id)!;
    expect(ev.target).toEqual({ type: 'application', id, label: '山田太郎 資格取得届', deleted: false });
    expect(ev.actor).toEqual({ type: 'user', id: a.adminId, label: '管理者', deleted: false });

    const detail = await adminA.agent.get(`/api/v1/audit-events/${ev.id}`).expect(200);
    expect(detail.body.target).toEqual(ev.target);

    // A new title shows at once for the old event too: the name is not part of the event.
    await adminA.agent
      .patch(`/api/v1/applications/${id}`)
      .set('X-CSRF-Token', adminA.csrf)
      .send({ title: '山田花子 資格取得届', version: 1 })
      .expect(200);
    const again = (await eventsOf(adminA, { action: 'application.created' })).find((e) => e.id === ev.id)!;
    expect(again.target?.label).toBe('山田花子 資格取得届');
    const stored = await t.ds.query(`SELECT details::text AS d, target_id FROM audit_events WHERE id = $1`, [ev.id]);
    expect(stored[0].d).not.toContain('山田');
  });

  it('names offices, users and API tokens', async () => {
    const token = await adminA.agent
      .post('/api/v1/api-tokens')
      .set('X-CSRF-Token', adminA.csrf)
      .send({ name: '給与システム連携', scopes: ['audit:read'] })
      .expect(201);
    await adminA.agent.patch(`/api/v1/users/${a.memberId}`).set('X-CSRF-Token', adminA.csrf).send({ role: 'admin' }).expect(200);
    const evs = await eventsOf(adminA);
    expect(evs.find((e) => e.action === 'office.created')?.target).toEqual({ type: 'office', id: officeA, label: '本社', deleted: false });
    expect(evs.find((e) => e.action === 'api_token.created')?.target).toEqual({
      type: 'api_token',
      id: token.body.id,
      label: '給与システム連携',
      deleted: false,
    });
    expect(evs.find((e) => e.action === 'user.role_changed')?.target).toMatchObject({ id: a.memberId, label: '一般', deleted: false });
  });

  it('shows a deleted application as deleted, without a name', async () => {
    const id = await createApplication(adminA, officeA, '削除する申請');
    await adminA.agent.delete(`/api/v1/applications/${id}`).set('X-CSRF-Token', adminA.csrf).expect(204);
    const evs = (await eventsOf(adminA)).filter((e) => e.target?.id === id);
    expect(evs.map((e) => e.action).sort()).toEqual(['application.created', 'application.deleted']);
    for (const e of evs) expect(e.target).toEqual({ type: 'application', id, label: null, deleted: true });
  });

  it('never names another tenant’s records, even when an event of this tenant carries their ids', async () => {
    const officeB = (await adminB.agent.post('/api/v1/offices').set('X-CSRF-Token', adminB.csrf).send({ name: 'B社の本社' }).expect(201))
      .body.id;
    const appB = await createApplication(adminB, officeB, 'B社の秘密の申請');
    // An event in A's chain naming B's ids (as a probe for another tenant's id would leave).
    const probe = (action: AuditRecord['action'], type: string, id: string) =>
      t.app.get(AuditService).record({
        category: 'operation',
        action,
        outcome: 'denied',
        tenantId: a.tenantId,
        actor: { type: 'user', id: a.adminId },
        target: { type, id },
      });
    await probe('application.sensitive_viewed', 'application', appB);
    await probe('office.updated', 'office', officeB);
    await probe('user.updated', 'user', b.adminId);
    await probe('egov.account_linked', 'tenant', b.tenantId);
    const res = await adminA.agent.get('/api/v1/audit-events').query({ limit: '100' }).expect(200);
    const probes = (res.body.items as Ev[]).filter((e) => e.target && [appB, officeB, b.adminId, b.tenantId].includes(e.target.id!));
    expect(probes).toHaveLength(4);
    for (const e of probes) expect(e.target).toMatchObject({ label: null, deleted: true });
    expect(JSON.stringify(res.body)).not.toContain('B社');
    // B sees its own names.
    const own = (await eventsOf(adminB, { action: 'application.created' })).find((e) => e.target?.id === appB);
    expect(own?.target?.label).toBe('B社の秘密の申請');
  });

  it('gives an API token only the names its scopes let it read', async () => {
    const mk = async (scopes: string[]) =>
      `Bearer ${
        (
          await adminA.agent
            .post('/api/v1/api-tokens')
            .set('X-CSRF-Token', adminA.csrf)
            .send({ name: `監査 ${scopes.length}`, scopes })
            .expect(201)
        ).body.token
      }`;
    const auditOnly = await eventsOf({ auth: await mk(['audit:read']) }, { action: 'application.created' });
    expect(auditOnly.length).toBeGreaterThan(0);
    for (const e of auditOnly) {
      expect(e.target).toMatchObject({ type: 'application', label: null, deleted: false });
      // user names are personal data no scope grants
      expect(e.actor.label).toBeNull();
    }
    const withApps = await eventsOf({ auth: await mk(['audit:read', 'applications:read']) }, { action: 'application.created' });
    expect(withApps.map((e) => e.target?.label)).toContain('山田花子 資格取得届');
  });
});
