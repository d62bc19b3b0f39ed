import request from 'supertest';
import { login, LoggedIn, seedTenant, Seeded, startTestApp, TestApp } from '../support/app';

/**
 * お知らせ over HTTP (api.md "Notices and incidents", issue 18): the list is the user's own and
 * the tenant-wide ones, unread first, page by page ({items, nextCursor}); POST /notices/read-all
 * marks exactly those read — never another user's, never another tenant's.
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

  describe('pages', () => {
    let c: Seeded;
    let memberC: LoggedIn;
    /** The order the API promises: unread first, then newest first; the id breaks ties. */
    let expected: string[];

    const page = async (who: LoggedIn, query: Record<string, string | number>) =>
      (await who.agent.get('/api/v1/notices').query(query).expect(200)).body as {
        items: Array<{ id: string; readAt: string | null }>;
        nextCursor: string | null;
        unread: number;
      };

    beforeAll(async () => {
      c = await seedTenant(t, 'tenant-c');
      memberC = await login(t, 'tenant-c', c.memberEmail);
      // 23 notices, many sharing a creation time (ties the cursor must break), a third of them read,
      // some addressed to the whole tenant.
      await t.ds.query(
        `INSERT INTO notices (tenant_id, user_id, kind, created_at, read_at)
         SELECT $1, CASE WHEN i % 4 = 0 THEN NULL ELSE $2::uuid END, 'arrived',
                date_trunc('minute', now()) - (i % 5) * interval '1 minute' + (i % 2) * interval '1 microsecond',
                CASE WHEN i % 3 = 0 THEN now() ELSE NULL END
           FROM generate_series(1, 23) AS i`,
        [c.tenantId, c.memberId],
      );
      expected = (
        await t.ds.query(
          `SELECT id FROM notices WHERE tenant_id = $1 AND (user_id = $2 OR user_id IS NULL)
            ORDER BY (read_at IS NULL) DESC, created_at DESC, id DESC`,
          [c.tenantId, c.memberId],
        )
      ).map((r: { id: string }) => r.id);
      expect(expected).toHaveLength(23);
    });

    it('walks every お知らせ once, in order, with the cursor (ties on the creation time included)', async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const body = await page(memberC, cursor ? { limit: 4, cursor } : { limit: 4 });
        expect(body.items.length).toBeLessThanOrEqual(4);
        expect(body.unread).toBe(16);
        seen.push(...body.items.map((n) => n.id));
        cursor = body.nextCursor;
        pages++;
      } while (cursor && pages < 20);
      expect(seen).toEqual(expected);
      expect(pages).toBe(6);
    });

    it('skips nothing when one is read between two pages (it may come again, later, as read)', async () => {
      const first = await page(memberC, { limit: 5 });
      const shown = first.items.find((n) => n.readAt === null)!;
      await memberC.agent.post(`/api/v1/notices/${shown.id}/read`).set('X-CSRF-Token', memberC.csrf).expect(204);
      const seen = first.items.map((n) => n.id);
      let cursor = first.nextCursor;
      while (cursor) {
        const body = await page(memberC, { limit: 5, cursor });
        seen.push(...body.items.map((n) => n.id));
        cursor = body.nextCursor;
      }
      expect(new Set(seen)).toEqual(new Set(expected));
      expect(seen.filter((id) => id === shown.id)).toHaveLength(2);
      expect(seen).toHaveLength(24);
    });

    it('answers the latest ones first for a small limit (the bell) and defaults to 50', async () => {
      expect((await page(memberC, { limit: 1 })).items).toHaveLength(1);
      const all = await page(memberC, {});
      expect(all.items).toHaveLength(23);
      expect(all.nextCursor).toBeNull();
    });

    it('refuses a bad limit or a forged cursor with 400 validation_failed, never 500', async () => {
      const forged = (key: Record<string, string>) => Buffer.from(JSON.stringify(key)).toString('base64url');
      const good = (await page(memberC, { limit: 2 })).nextCursor!;
      const key = JSON.parse(Buffer.from(good, 'base64url').toString('utf8')) as Record<string, string>;
      for (const query of [
        { limit: 0 },
        { limit: 101 },
        { limit: 'ten' },
        { cursor: 'not a cursor!' },
        { cursor: forged({ ...key, u: '2' }) },
        { cursor: forged({ ...key, c: '2026-02-30T00:00:00Z' }) },
        { cursor: forged({ ...key, i: 'x' }) },
        { cursor: forged({ c: key.c, i: key.i }) },
      ]) {
        const res = await memberC.agent.get('/api/v1/notices').query(query);
        expect([query, res.status, res.body.code]).toEqual([query, 400, 'validation_failed']);
      }
    });

    it("never pages into another user's or another tenant's お知らせ", async () => {
      const mine = new Set<string>();
      let cursor: string | null = null;
      do {
        const body = await page(memberA, cursor ? { limit: 1, cursor } : { limit: 1 });
        body.items.forEach((n) => mine.add(n.id));
        cursor = body.nextCursor;
      } while (cursor);
      const others: Array<{ id: string }> = await t.ds.query(
        `SELECT id FROM notices WHERE NOT (tenant_id = $1 AND (user_id = $2 OR user_id IS NULL))`,
        [a.tenantId, a.memberId],
      );
      expect(others.filter((o) => mine.has(o.id))).toEqual([]);
      expect(mine.size).toBe(3);
    });
  });

  it("lists the user's own and the tenant-wide お知らせ, unread first", async () => {
    const res = await memberA.agent.get('/api/v1/notices').expect(200);
    expect(res.body.unread).toBe(2);
    expect(res.body.nextCursor).toBeNull();
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
