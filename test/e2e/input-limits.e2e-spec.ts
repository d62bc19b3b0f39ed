import request from 'supertest';
import { login, LoggedIn, seedTenant, Seeded, startTestApp, TestApp } from '../support/app';

/**
 * Issue 13, findings 6 and 12: bodies too deep or too wide for the parser, and
 * dates and cursors that PostgreSQL refuses, are refused at the edge with a 4xx
 * problem+json (they answered 500 and stalled the event loop).
 */
describe('Input limits (JSON shape, dates, cursors)', () => {
  let t: TestApp;
  let acme: Seeded;
  let admin: LoggedIn;
  let token: string;

  beforeAll(async () => {
    t = await startTestApp();
    acme = await seedTenant(t, 'acme');
    admin = await login(t, 'acme', acme.adminEmail);
    const res = await admin.agent
      .post('/api/v1/api-tokens')
      .set('X-CSRF-Token', admin.csrf)
      .send({ name: 'limits', scopes: ['audit:read', 'applications:read'] })
      .expect(201);
    token = res.body.token;
  });
  afterAll(() => t.close());

  const expectProblem = (res: request.Response, status: number, code?: string) => {
    expect({ status: res.status, type: res.headers['content-type'] }).toEqual({
      status,
      type: expect.stringMatching(/^application\/problem\+json/),
    });
    if (code) expect(res.body).toMatchObject({ status, code });
  };
  const live = async () => expect((await request(t.http).get('/health/live')).status).toBe(200);

  /** `[[[…]]]` of the given depth, or an object chain `{"a":{"a":…}}`. */
  const nested = (depth: number, kind: 'array' | 'object' = 'array') =>
    kind === 'array' ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);

  describe('deeply nested or huge JSON bodies (finding 6)', () => {
    it.each([
      ['a 404 path', '/api/v1/nothing-here'],
      ['/api/v1/auth/login', '/api/v1/auth/login'],
      ['an authenticated route without session', '/api/v1/applications'],
    ])('refuses depth 100 000 arrays on %s with 400 body_too_complex, and /health/live answers', async (_name, path) => {
      const pending = request(t.http).post(path).set('Content-Type', 'application/json').send(nested(100_000));
      const during = request(t.http).get('/health/live');
      const [res, liveRes] = await Promise.all([pending, during]);
      expectProblem(res, 400, 'body_too_complex');
      expect(liveRes.status).toBe(200);
      await live();
    });

    it('refuses deep objects on login (wrapped in the expected fields) with 400', async () => {
      const body = `{"tenant":"acme","email":"a@acme.example","password":${nested(50_000, 'object')}}`;
      expectProblem(
        await request(t.http).post('/api/v1/auth/login').set('Content-Type', 'application/json').send(body),
        400,
        'body_too_complex',
      );
      await live();
    });

    it('refuses a body with too many values (a flat array of 200 000 zeros) with 400', async () => {
      const body = `[${Array(200_000).fill('0').join(',')}]`;
      expectProblem(
        await request(t.http).post('/api/v1/auth/login').set('Content-Type', 'application/json').send(body),
        400,
        'body_too_complex',
      );
    });

    it('refuses deep bodies of a logged-in admin on a route with a nested DTO (PUT /tenant/sso)', async () => {
      const body = `{"attributeMapping":${nested(40, 'object')}}`;
      const res = await admin.agent
        .put('/api/v1/tenant/sso')
        .set('X-CSRF-Token', admin.csrf)
        .set('Content-Type', 'application/json')
        .send(body);
      expectProblem(res, 400, 'body_too_complex');
    });

    it('accepts depth 32 and still validates (400 validation_failed, not a parser refusal)', async () => {
      const body = `{"tenant":"acme","email":"a@acme.example","password":${nested(31)}}`;
      expectProblem(
        await request(t.http).post('/api/v1/auth/login').set('Content-Type', 'application/json').send(body),
        400,
        'validation_failed',
      );
    });

    it('does not count brackets inside strings', async () => {
      const res = await request(t.http)
        .post('/api/v1/auth/login')
        .send({ tenant: 'acme', email: acme.adminEmail, password: '['.repeat(40) + '\\"{'.repeat(40) });
      expectProblem(res, 401);
    });

    it('refuses an escaped NUL in a JSON string with 400 malformed_body (PostgreSQL cannot store it)', async () => {
      const res = await request(t.http)
        .post('/api/v1/auth/login')
        .set('Content-Type', 'application/json')
        .send('{"tenant":"ac\\u0000me","email":"a@acme.example","password":"x"}');
      expectProblem(res, 400, 'malformed_body');
      // …but the text backslash-u-0-0-0-0 (an escaped backslash) is ordinary text
      const ok = await request(t.http).post('/api/v1/auth/login').send({ tenant: 'acme', email: acme.adminEmail, password: '\\u0000xx' });
      expectProblem(ok, 401);
    });
  });

  describe('dates and cursors out of range (finding 12)', () => {
    const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
    const badDates = [
      '99999-01-01',
      '0000-00-00',
      '0000-01-01',
      '2026-02-30',
      '2026-13-01',
      '2026-W01',
      '2026-001',
      '1899-12-31',
      '2026-01-01T24:00:00Z',
    ];

    it.each(badDates)('GET /audit-events?from=%s → 400 validation_failed naming the field', async (d) => {
      for (const field of ['from', 'to']) {
        const res = await admin.agent.get('/api/v1/audit-events').query({ [field]: d });
        expectProblem(res, 400, 'validation_failed');
        expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
      }
    });

    it.each(badDates)('GET /applications?from=%s → 400 validation_failed naming the field', async (d) => {
      for (const field of ['from', 'to']) {
        const res = await admin.agent.get('/api/v1/applications').query({ [field]: d });
        expectProblem(res, 400, 'validation_failed');
        expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
      }
    });

    it('still accepts valid dates on both lists', async () => {
      await admin.agent.get('/api/v1/audit-events').query({ from: '2026-02-28', to: '2999-01-01T00:00:00+09:00' }).expect(200);
      await admin.agent.get('/api/v1/audit-events').query({ from: '2026-01-01T15:00:00.000Z' }).expect(200);
      await admin.agent.get('/api/v1/applications').query({ from: '2024-02-29', to: '2026-12-31' }).expect(200);
    });

    const badCursors: Array<[string, string]> = [
      ['base64 of garbage', b64('\u0001\u0002garbage')],
      ['not base64url at all', '!!!%%%'],
      ['JSON with wrong types', b64({ c: 1, i: true, s: {} })],
      ['JSON null', b64(null)],
      ['a JSON string', b64('"x"')],
      ['a date out of range', b64({ c: '99999-01-01T00:00:00Z', i: '00000000-0000-4000-8000-000000000000', s: '99999999999999999999' })],
      ['a rolled-over date', b64({ c: '2026-02-30T00:00:00.000000Z', i: '00000000-0000-4000-8000-000000000000', s: '-1' })],
      ['a non-uuid id', b64({ c: '2026-01-01T00:00:00.000000Z', i: "1' OR '1'='1", s: 'NaN' })],
      ['a seq that is not a number', b64({ c: '2026-01-01T00:00:00.000000Z', i: 'x', s: '1e400' })],
      ['a NUL in a field', b64({ c: '2026-01-01T00:00:00Z\u0000', i: '\u0000', s: '1\u0000' })],
    ];
    const lists = ['/api/v1/audit-events', '/api/v1/applications', '/api/v1/users'];

    it.each(badCursors)('a cursor of %s → 400 validation_failed on every cursor list', async (_name, cursor) => {
      for (const path of lists) {
        const res = await admin.agent.get(path).query({ cursor });
        expectProblem(res, 400, 'validation_failed');
        expect(res.body.errors).toEqual([expect.objectContaining({ field: 'cursor' })]);
      }
      // the same through an API token (audit and applications accept tokens)
      for (const path of lists.slice(0, 2)) {
        expectProblem(await request(t.http).get(path).set('Authorization', `Bearer ${token}`).query({ cursor }), 400, 'validation_failed');
      }
    });

    it('a cursor the server made still works', async () => {
      for (const path of lists) {
        const first = await admin.agent.get(path).query({ limit: 1 }).expect(200);
        if (first.body.nextCursor) await admin.agent.get(path).query({ limit: 1, cursor: first.body.nextCursor }).expect(200);
      }
      // users: acme has an admin and a member, so there is a second page
      const users = await admin.agent.get('/api/v1/users').query({ limit: 1 }).expect(200);
      expect(users.body.nextCursor).toEqual(expect.any(String));
      const next = await admin.agent.get('/api/v1/users').query({ limit: 1, cursor: users.body.nextCursor }).expect(200);
      expect(next.body.items).toHaveLength(1);
    });
  });
  describe('found by the OpenAPI fuzz test (each was a 500)', () => {
    it.each([
      ['/api/v1/users', { q: 'a\u0000b' }, 'q'],
      ['/api/v1/audit-events', { actor: '\u0000' }, 'actor'],
      ['/api/v1/applications', { procedure: '\u0000' }, 'procedure'],
    ])('a NUL in the query string of %s → 400 validation_failed naming the parameter', async (path, query, field) => {
      const res = await admin.agent.get(path).query(query);
      expectProblem(res, 400, 'validation_failed');
      expect(res.body.errors).toEqual([expect.objectContaining({ field })]);
    });

    it('a NUL in a path segment → 400 validation_failed', async () => {
      expectProblem(await request(t.http).get('/api/v1/auth/saml/ac%00me/metadata'), 400, 'validation_failed');
    });

    it.each([
      ['a lone high surrogate', '{"email":"\\ud800","displayName":"x","role":"member"}'],
      ['a lone low surrogate', '{"email":"a@acme.example","displayName":"x\\udc00","role":"member"}'],
    ])('%s in a JSON string → 400 malformed_body (isEmail threw URIError)', async (_name, body) => {
      const res = await admin.agent
        .post('/api/v1/users')
        .set('X-CSRF-Token', admin.csrf)
        .set('Content-Type', 'application/json')
        .send(body);
      expectProblem(res, 400, 'malformed_body');
    });

    it.each([{ displayName: null }, { role: null }, { status: null }])(
      'PATCH /users/:id with %j → 400 validation_failed, nothing changed',
      async (body) => {
        const before = await t.ds.query('SELECT display_name_sealed, role, status FROM users WHERE id = $1', [acme.memberId]);
        const res = await admin.agent.patch(`/api/v1/users/${acme.memberId}`).set('X-CSRF-Token', admin.csrf).send(body);
        expectProblem(res, 400, 'validation_failed');
        expect(await t.ds.query('SELECT display_name_sealed, role, status FROM users WHERE id = $1', [acme.memberId])).toEqual(before);
      },
    );

    it('PATCH /applications/:id and POST /applications with null fields → 400 validation_failed', async () => {
      const office = await admin.agent.post('/api/v1/offices').set('X-CSRF-Token', admin.csrf).send({ name: '本社' }).expect(201);
      const app = await admin.agent
        .post('/api/v1/applications')
        .set('X-CSRF-Token', admin.csrf)
        .send({ procedureCode: 'shaho-shutoku', officeId: office.body.id, title: 't' })
        .expect(201);
      for (const body of [
        { version: 1, title: null },
        { version: 1, officeId: null },
        { version: 1, form: null },
      ]) {
        const res = await admin.agent.patch(`/api/v1/applications/${app.body.id}`).set('X-CSRF-Token', admin.csrf).send(body);
        expectProblem(res, 400, 'validation_failed');
      }
      const created = await admin.agent
        .post('/api/v1/applications')
        .set('X-CSRF-Token', admin.csrf)
        .send({ procedureCode: 'shaho-shutoku', officeId: office.body.id, title: 't', form: null });
      expectProblem(created, 400, 'validation_failed');

      // a multipart upload without a boundary: busboy threw synchronously
      const upload = await admin.agent
        .post(`/api/v1/applications/${app.body.id}/attachments`)
        .set('X-CSRF-Token', admin.csrf)
        .set('Content-Type', 'multipart/form-data')
        .send('no boundary at all');
      expectProblem(upload, 400, 'validation_failed');
    });
  });
});
