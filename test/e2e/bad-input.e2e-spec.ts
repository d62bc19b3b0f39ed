import request from 'supertest';
import { login, LoggedIn, seedTenant, Seeded, startTestApp, TestApp } from '../support/app';

/** Bad input everywhere gets a 4xx problem+json, changes nothing, and never a 500. */
describe('Bad input', () => {
  let t: TestApp;
  let acme: Seeded;
  let admin: LoggedIn;
  let snapshot: () => Promise<string>;

  beforeAll(async () => {
    t = await startTestApp();
    acme = await seedTenant(t, 'acme');
    admin = await login(t, 'acme', acme.adminEmail);
    snapshot = async () =>
      JSON.stringify(
        await t.ds.query('SELECT id, email, display_name, display_name_sealed, role, status, password_hash FROM users ORDER BY id'),
      );
  });
  afterAll(() => t.close());

  const expectProblem = (res: request.Response, status: number, code: string) => {
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status, code, type: `urn:charlotte:problem:${code}`, title: expect.any(String) });
  };

  const loginCases: Array<[string, unknown]> = [
    ['missing fields', {}],
    ['wrong types', { tenant: 1, email: ['a'], password: { x: 1 } }],
    ['unknown field', { tenant: 'acme', email: 'admin@acme.example', password: 'x', admin: true }],
    ['empty strings', { tenant: '', email: '', password: '' }],
    ['a JSON array', [1, 2, 3]],
  ];
  it.each(loginCases)('login with %s → 400 validation_failed', async (_name, body) => {
    const res = await request(t.http).post('/api/v1/auth/login').set('Content-Type', 'application/json').send(JSON.stringify(body));
    expectProblem(res, 400, 'validation_failed');
  });

  it('lists every field problem at once', async () => {
    const res = await request(t.http).post('/api/v1/auth/login').send({ tenant: 5, extra: 1 });
    expectProblem(res, 400, 'validation_failed');
    const fields = res.body.errors.map((e: { field: string }) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['tenant', 'email', 'password', 'extra']));
  });

  it.each([
    ['truncated JSON', '{"tenant": "acme",'],
    ['a bare null (strict JSON: objects and arrays only)', 'null'],
  ])('%s → 400 malformed_body', async (_name, raw) => {
    const res = await request(t.http).post('/api/v1/auth/login').set('Content-Type', 'application/json').send(raw);
    expectProblem(res, 400, 'malformed_body');
  });

  it('a 2 MB JSON body → 413 payload_too_large, nothing changed', async () => {
    const before = await snapshot();
    const big = JSON.stringify({ email: 'big@acme.example', displayName: 'x'.repeat(2 * 1024 * 1024), role: 'member' });
    const res = await admin.agent.post('/api/v1/users').set('X-CSRF-Token', admin.csrf).set('Content-Type', 'application/json').send(big);
    expectProblem(res, 413, 'payload_too_large');
    expect(await snapshot()).toBe(before);
  });

  const userCases: Array<[string, object]> = [
    ['missing fields', {}],
    ['bad e-mail', { email: 'not-an-email', displayName: 'x', role: 'member' }],
    ['unknown role', { email: 'r@acme.example', displayName: 'x', role: 'operator' }],
    ['too short password', { email: 'p@acme.example', displayName: 'x', role: 'member', password: 'short' }],
    ['unknown field', { email: 'u@acme.example', displayName: 'x', role: 'member', tenantId: '00000000-0000-4000-8000-000000000000' }],
    ['wrong types', { email: 42, displayName: false, role: ['admin'] }],
    ['too long display name', { email: 'l@acme.example', displayName: 'あ'.repeat(101), role: 'member' }],
  ];
  it.each(userCases)('create user with %s → 400 validation_failed, nothing changed', async (_name, body) => {
    const before = await snapshot();
    const res = await admin.agent.post('/api/v1/users').set('X-CSRF-Token', admin.csrf).send(body);
    expectProblem(res, 400, 'validation_failed');
    expect(res.body.errors.length).toBeGreaterThan(0);
    expect(await snapshot()).toBe(before);
  });

  const patchCases: Array<[string, object]> = [
    ['unknown status', { status: 'deleted' }],
    ['role operator', { role: 'operator' }],
    ['unknown field', { email: 'new@acme.example' }],
    ['password field', { passwordHash: 'x' }],
  ];
  it.each(patchCases)('patch user with %s → 400, nothing changed', async (_name, body) => {
    const before = await snapshot();
    const res = await admin.agent.patch(`/api/v1/users/${acme.memberId}`).set('X-CSRF-Token', admin.csrf).send(body);
    expectProblem(res, 400, 'validation_failed');
    expect(await snapshot()).toBe(before);
  });

  it('a non-UUID id → 400 validation_failed', async () => {
    expectProblem(await admin.agent.get('/api/v1/users/not-a-uuid'), 400, 'validation_failed');
    expectProblem(await admin.agent.get("/api/v1/users/1' OR '1'='1"), 400, 'validation_failed');
  });

  it.each([
    ['limit=0', { limit: '0' }],
    ['limit=101', { limit: '101' }],
    ['limit=abc', { limit: 'abc' }],
    ['unknown query parameter', { tenantId: 'x' }],
  ])('list users with %s → 400', async (_name, query) => {
    expectProblem(await admin.agent.get('/api/v1/users').query(query), 400, 'validation_failed');
  });

  it('an unknown API route → 404 problem+json, an unknown method → 404', async () => {
    expectProblem(await request(t.http).get('/api/v1/nothing-here'), 404, 'not_found');
    expectProblem(await admin.agent.delete(`/api/v1/users/${acme.memberId}`).set('X-CSRF-Token', admin.csrf), 404, 'not_found');
  });

  it('an XML body outside the metadata import is refused as invalid, never a 500', async () => {
    const res = await request(t.http).post('/api/v1/auth/login').set('Content-Type', 'application/xml').send('<login tenant="acme"/>');
    expectProblem(res, 400, 'validation_failed');
  });

  it('a non-JSON content type is not parsed and fails validation', async () => {
    const res = await request(t.http).post('/api/v1/auth/login').set('Content-Type', 'text/plain').send('tenant=acme');
    expectProblem(res, 400, 'validation_failed');
  });
});
