import request from 'supertest';
import { login, LoggedIn, seedTenant, Seeded, startTestApp, TestApp } from '../support/app';

/**
 * お知らせ over HTTP (api.md "Notices and incidents", issue 18): the list is the user's own and
 * the tenant-wide ones, unread first; POST /notices/read-all marks exactly those read — never
 * another user's, never another tenant's.
 */
describe('notices', () => {
  let t: TestApp;
  let a: Seeded;
  let b: Seeded;
  let memberA: LoggedIn;
  let adminA: LoggedIn;

  const unreadOf = async (tenantId: string, userId: string | null): Promise<number> =>
    (
      await t.ds.query(
        `SELECT count(*)::int AS n FROM notices WHERE tenant_id = $1 AND user_id IS NOT DISTINCT FROM $2 AND read_at IS NULL`,
        [tenantId, userId],
      )
    )[0].n;

  beforeAll(async () => {
    t = await startTestApp();
    a = await seedTenant(t, 'tenant-a');
    b = await seedTenant(t, 'tenant-b');
    memberA = await login(t, 'tenant-a', a.memberEmail);
    adminA = await login(t, 'tenant-a', a.adminEmail);
    await t.ds.query(
      `INSERT INTO notices (tenant_id, user_id, kind, created_at, read_at) VALUES
         ($1, $2, 'arrived', now() - interval '3 hours', now() - interval '2 hours'),
         ($1, $2, 'completed', now() - interval '1 hour', NULL),
         ($1, NULL, 'failed', now() - interval '2 hours', NULL),
         ($1, $3, 'completed', now(), NULL),
         ($4, $5, 'completed', now(), NULL)`,
      [a.tenantId, a.memberId, a.adminId, b.tenantId, b.memberId],
    );
  });
  afterAll(() => t?.close());

  it("lists the user's own and the tenant-wide お知らせ, unread first", async () => {
    const res = await memberA.agent.get('/api/v1/notices').expect(200);
    expect(res.body.unread).toBe(2);
    expect(res.body.items.map((n: { kind: string; readAt: string | null }) => [n.kind, n.readAt === null])).toEqual([
      ['completed', true],
      ['failed', true],
      ['arrived', false],
    ]);
  });

  it('refuses read-all without the CSRF token and to anonymous callers', async () => {
    await memberA.agent.post('/api/v1/notices/read-all').expect(403);
    await request(t.http).post('/api/v1/notices/read-all').expect(401);
    expect(await unreadOf(a.tenantId, a.memberId)).toBe(1);
  });

  it("marks all of the user's unread お知らせ read, and nobody else's", async () => {
    const res = await memberA.agent.post('/api/v1/notices/read-all').set('X-CSRF-Token', memberA.csrf).expect(200);
    expect(res.body).toEqual({ marked: 2 });
    expect(await unreadOf(a.tenantId, a.memberId)).toBe(0);
    expect(await unreadOf(a.tenantId, null)).toBe(0);
    // The admin's own notice and the other tenant's stay unread.
    expect(await unreadOf(a.tenantId, a.adminId)).toBe(1);
    expect(await unreadOf(b.tenantId, b.memberId)).toBe(1);
    expect((await memberA.agent.get('/api/v1/notices').expect(200)).body.unread).toBe(0);
    expect((await adminA.agent.get('/api/v1/notices').expect(200)).body.unread).toBe(1);

    // Nothing left: still 200, nothing marked.
    const again = await memberA.agent.post('/api/v1/notices/read-all').set('X-CSRF-Token', memberA.csrf).expect(200);
    expect(again.body).toEqual({ marked: 0 });
  });
});
