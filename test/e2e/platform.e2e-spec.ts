import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import request from 'supertest';
import { OperatorBootstrapService } from '@charlotte/auth';
import { startTestApp, TestApp } from '../support/app';

describe('Platform: health, OpenAPI, SPA hosting, security headers, first start', () => {
  let t: TestApp;
  let webDir: string;

  beforeAll(async () => {
    webDir = fs.mkdtempSync(path.join(os.tmpdir(), 'charlotte-web-'));
    fs.writeFileSync(path.join(webDir, 'index.html'), '<!doctype html><title>Charlotte SPA</title><div id="app"></div>');
    fs.mkdirSync(path.join(webDir, 'assets'));
    fs.writeFileSync(path.join(webDir, 'assets', 'app.js'), 'console.log("spa")');
    t = await startTestApp({ WEB_DIST_DIR: webDir });
  });
  afterAll(async () => {
    await t.close();
    fs.rmSync(webDir, { recursive: true, force: true });
  });

  it('answers liveness and readiness with the database check', async () => {
    expect((await request(t.http).get('/health/live').expect(200)).body).toEqual({ status: 'ok' });
    const ready = await request(t.http).get('/health/ready').expect(200);
    expect(ready.body).toMatchObject({ status: 'ok', details: { database: { status: 'up' } } });
  });

  it('publishes an OpenAPI document generated from the controllers and DTOs', async () => {
    const doc = (await request(t.http).get('/api/docs/openapi.json').expect(200)).body;
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/auth/login',
        '/api/v1/auth/session',
        '/api/v1/auth/logout',
        '/api/v1/users',
        '/api/v1/users/{id}',
        '/api/v1/users/{id}/invite',
        '/health/ready',
        '/api/v1/applications/{id}/submit',
        '/api/v1/applications/{id}/amend',
        '/api/v1/applications/{id}/withdraw',
        '/api/v1/applications/{id}/documents',
        '/api/v1/notices',
      ]),
    );
    const amend = doc.paths['/api/v1/applications/{id}/amend'].post;
    expect(amend.parameters.map((p: { name: string }) => p.name)).toContain('Idempotency-Key');
    expect(Object.keys(amend.responses)).toContain('202');
    expect(doc.components.schemas.WithdrawApplicationDto.required).toEqual(['reason']);
    expect(Object.keys(doc.components.schemas.ApplicationDetail.properties)).toEqual(
      expect.arrayContaining(['arriveId', 'egovStatus', 'failureReason', 'egovNotices', 'lastAction']),
    );
    expect(doc.components.schemas.LoginDto.required).toEqual(expect.arrayContaining(['tenant', 'email', 'password']));
    expect(doc.components.schemas.CreateUserDto.properties.role.enum).toEqual(['admin', 'member']);
    const ui = await request(t.http).get('/api/docs').redirects(1);
    expect(ui.status).toBe(200);
    expect(ui.text).toMatch(/swagger/i);
  });

  it('serves the SPA at / with history fallback, but never for API paths', async () => {
    const root = await request(t.http).get('/').expect(200);
    expect(root.text).toContain('Charlotte SPA');
    const deep = await request(t.http).get('/users/some/deep/link').set('Accept', 'text/html').expect(200);
    expect(deep.text).toContain('Charlotte SPA');
    expect((await request(t.http).get('/assets/app.js').expect(200)).text).toContain('spa');
    const api = await request(t.http).get('/api/v1/unknown').expect(404);
    expect(api.headers['content-type']).toMatch(/problem\+json/);
  });

  it('sets security headers and a request id on every answer', async () => {
    const res = await request(t.http).get('/health/live');
    expect(res.headers['x-powered-by']).toBeUndefined();
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const echoed = await request(t.http).get('/health/live').set('X-Request-Id', 'abc-12345678');
    expect(echoed.headers['x-request-id']).toBe('abc-12345678');
    const refused = await request(t.http).get('/health/live').set('X-Request-Id', 'bad id\twith spaces');
    expect(refused.headers['x-request-id']).not.toContain('bad');
  });

  it('creates the first platform operator once, with a one-time setup secret that sets the password', async () => {
    const boot = t.app.get(OperatorBootstrapService);
    const write = process.stdout.write;
    process.stdout.write = (() => true) as typeof process.stdout.write;
    let url: string | undefined;
    let second: string | undefined;
    try {
      url = await boot.ensureFirstOperator();
      second = await boot.ensureFirstOperator();
    } finally {
      process.stdout.write = write;
    }
    expect(url).toMatch(/\/invite\/[A-Za-z0-9_-]{43}$/);
    expect(second).toBeUndefined();
    expect(fs.readFileSync(path.join(t.config.dataDir, 'setup-secret'), 'utf8').trim()).toBe(url);
    expect(fs.statSync(path.join(t.config.dataDir, 'setup-secret')).mode & 0o777).toBe(0o600);
    const token = (url as string).split('/').pop();
    const accepted = await request(t.http)
      .post('/api/v1/auth/invitations/accept')
      .send({ token, password: 'operator password 123' })
      .expect(200);
    // No tenant, and the 契約コード to log in with (issue 18: the setup page ended blank on tenant: null).
    expect(accepted.body).toEqual({ ok: true, tenant: null, email: t.config.operatorEmail, loginCode: 'platform' });
    const res = await request(t.http)
      .post('/api/v1/auth/login')
      .send({ tenant: 'platform', email: t.config.operatorEmail, password: 'operator password 123' })
      .expect(200);
    // the operator has no key yet: the first login enrols one (the setup secret opened that door once)
    expect(res.body.step).toBe('enroll_keyfile');
    const { login } = await import('../support/app');
    const op = await login(t, 'platform', t.config.operatorEmail, 'operator password 123');
    expect((await op.agent.get('/api/v1/auth/session').expect(200)).body.user.role).toBe('operator');
  });
});
