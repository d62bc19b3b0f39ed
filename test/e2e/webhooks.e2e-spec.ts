import { execFileSync } from 'node:child_process';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { promises as dns } from 'node:dns';
import * as fs from 'node:fs';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import request from 'supertest';
import { StatusTrackerService, SubmissionsService } from '@charlotte/filing';
import { WebhookDestinations, WebhookSender, WebhooksService, WebhookWorker } from '@charlotte/webhooks';
import type { EgovSim } from '../../apps/egov-sim/src/server';
import { login, LoggedIn, seedTenant, Seeded, startTestApp, TestApp } from '../support/app';
import { EgovProxy, egovEnv, linkEgovAccount, startEgovProxy, startTestSim, VALID_FORM } from '../support/egov';

interface Received {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * Webhooks for integrators (api.md "Webhooks", issue 19) against a real HTTPS receiver: a CA and a
 * leaf for `receiver.test` made with openssl at test time, the CA trusted through WEBHOOK_CA_FILE and
 * the receiver allowed through WEBHOOK_ALLOW_HOSTS. `receiver.test` exists in no DNS: the test
 * resolver answers 127.0.0.1 for it, and the deliveries only arrive because the connection goes to
 * the address the guard checked. A filing walked through the simulator sends signed events; a
 * failing receiver is retried with backoff, then disabled with an お知らせ; SSRF attempts are refused
 * at creation and at delivery; redirects are not followed; other tenants see 404.
 */
describe('Webhooks', () => {
  let dir: string;
  let receiver: https.Server;
  let port: number;
  let base: string;
  const received: Received[] = [];
  let sim: EgovSim;
  let proxy: EgovProxy;
  let now = Date.now();
  let t: TestApp;
  let a: Seeded;
  let b: Seeded;
  let adminA: LoggedIn;
  let memberA: LoggedIn;
  let adminB: LoggedIn;
  let officeId: string;
  /** What the test resolver answers per name (anything else: the system's resolver). */
  const names = new Map<string, string>();
  const lookups: string[] = [];
  let hook: { id: string; secret: string };

  const worker = () => t.app.get(WebhookWorker);
  const post = (s: LoggedIn, url: string) => s.agent.post(url).set('X-CSRF-Token', s.csrf);
  const patch = (s: LoggedIn, url: string) => s.agent.patch(url).set('X-CSRF-Token', s.csrf);
  const del = (s: LoggedIn, url: string) => s.agent.delete(url).set('X-CSRF-Token', s.csrf);
  const ALL_EVENTS = [
    'application.submitted',
    'application.arrived',
    'application.correction_requested',
    'application.completed',
    'application.failed',
    'document.available',
  ];

  function verify(r: Received, secret: string): Record<string, unknown> {
    const ts = String(r.headers['charlotte-webhook-timestamp']);
    expect(ts).toMatch(/^\d{10}$/);
    expect(Math.abs(Number(ts) - Date.now() / 1000)).toBeLessThan(300);
    const expected = `v1=${createHmac('sha256', secret).update(`${ts}.${r.body}`).digest('hex')}`;
    const got = String(r.headers['charlotte-signature']);
    expect(got.length).toBe(expected.length);
    expect(timingSafeEqual(Buffer.from(got), Buffer.from(expected))).toBe(true);
    const body = JSON.parse(r.body) as Record<string, unknown>;
    expect(r.headers['charlotte-webhook-id']).toBe(body.id);
    expect(r.headers['content-type']).toMatch(/^application\/json/);
    return body;
  }

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'charlotte-webhooks-'));
    const f = (n: string) => path.join(dir, n);
    const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
    ssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', f('ca.key'));
    ssl('req', '-x509', '-new', '-key', f('ca.key'), '-out', f('ca.pem'), '-days', '2', '-subj', '/CN=Charlotte Test Webhook CA');
    ssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', f('leaf.key'));
    ssl('req', '-new', '-key', f('leaf.key'), '-out', f('leaf.csr'), '-subj', '/CN=receiver.test');
    fs.writeFileSync(f('leaf.ext'), 'subjectAltName=DNS:receiver.test\nbasicConstraints=CA:FALSE\n');
    ssl(
      'x509',
      '-req',
      '-in',
      f('leaf.csr'),
      '-CA',
      f('ca.pem'),
      '-CAkey',
      f('ca.key'),
      '-CAcreateserial',
      '-out',
      f('leaf.pem'),
      '-days',
      '2',
      '-extfile',
      f('leaf.ext'),
    );

    receiver = https.createServer({ key: fs.readFileSync(f('leaf.key')), cert: fs.readFileSync(f('leaf.pem')) }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const p = req.url ?? '/';
        received.push({ path: p, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        if (p.startsWith('/failing')) res.writeHead(500).end('broken');
        else if (p.startsWith('/redirect')) res.writeHead(302, { Location: `https://receiver.test:${port}/target` }).end();
        else if (p.startsWith('/slow'))
          return; // never answers
        else res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    port = (receiver.address() as AddressInfo).port;
    base = `https://receiver.test:${port}`;

    sim = await startTestSim(() => now);
    proxy = await startEgovProxy(sim);
    t = await startTestApp({
      ...egovEnv(sim, proxy.url),
      WEBHOOK_CA_FILE: f('ca.pem'),
      WEBHOOK_ALLOW_HOSTS: `receiver.test:${port}`,
    });
    names.set('receiver.test', '127.0.0.1');
    names.set('loopback.test', '127.0.0.1');
    names.set('private.test', '10.1.2.3');
    t.app.get(WebhookDestinations).resolve = async (host) => {
      lookups.push(host);
      const fixed = names.get(host);
      if (fixed) return [{ address: fixed, family: fixed.includes(':') ? 6 : 4 }];
      return dns.lookup(host, { all: true });
    };
    a = await seedTenant(t, 'hook-a');
    b = await seedTenant(t, 'hook-b');
    adminA = await login(t, 'hook-a', a.adminEmail);
    memberA = await login(t, 'hook-a', a.memberEmail);
    adminB = await login(t, 'hook-b', b.adminEmail);
    await linkEgovAccount(t, adminA, sim);
    officeId = (
      await post(adminA, '/api/v1/offices')
        .send({ name: '本社', address: '東京都千代田区霞が関1-2-2', pensionOfficeCode: '01-イロハ', pensionOfficeNumber: '12345' })
        .expect(201)
    ).body.id;
  });
  afterAll(async () => {
    await t?.close();
    await proxy?.close();
    await sim?.close();
    receiver?.closeAllConnections();
    await new Promise<void>((resolve) => (receiver ? receiver.close(() => resolve()) : resolve()));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function readyApplication(title: string): Promise<string> {
    const app = await post(adminA, '/api/v1/applications')
      .send({ procedureCode: 'shaho-shutoku', officeId, title, form: VALID_FORM })
      .expect(201);
    await post(adminA, `/api/v1/applications/${app.body.id}/validate`).expect(200);
    return app.body.id;
  }
  const submit = (id: string) => post(adminA, `/api/v1/applications/${id}/submit`).set('Idempotency-Key', `key-${id}`).expect(202);
  const eventsFor = (applicationId: string, p = '/hooks') =>
    received
      .filter((r) => r.path === p)
      .map((r) => ({
        r,
        body: JSON.parse(r.body) as { type: string; data: { applicationId: string; status: string; documentId?: string } },
      }))
      .filter((x) => x.body.data.applicationId === applicationId);

  it('creates a webhook: the secret is answered once, sealed at rest, never listed; members and API tokens cannot manage webhooks', async () => {
    const res = await post(adminA, '/api/v1/webhooks')
      .send({ url: `${base}/hooks`, events: ALL_EVENTS, description: '基幹システム連携' })
      .expect(201);
    expect(res.body).toMatchObject({ url: `${base}/hooks`, events: ALL_EVENTS, status: 'active', description: '基幹システム連携' });
    expect(res.body.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    hook = { id: res.body.id, secret: res.body.secret };

    const list = await adminA.agent.get('/api/v1/webhooks').expect(200);
    expect(list.body.items.map((w: { id: string }) => w.id)).toEqual([hook.id]);
    expect(JSON.stringify(list.body)).not.toContain(hook.secret);
    expect(JSON.stringify((await adminA.agent.get(`/api/v1/webhooks/${hook.id}`).expect(200)).body)).not.toContain(hook.secret);

    const stored = await t.ds.query(`SELECT * FROM webhooks WHERE id = $1`, [hook.id]);
    expect(JSON.stringify(stored)).not.toContain(hook.secret);
    expect(stored[0].secret_sealed.includes(Buffer.from(hook.secret))).toBe(false);
    const audit = await t.ds.query(`SELECT details FROM audit_events WHERE action = 'webhook.created' AND target_id = $1`, [hook.id]);
    expect(audit).toEqual([{ details: { host: `receiver.test:${port}`, events: ALL_EVENTS } }]);

    await memberA.agent.get('/api/v1/webhooks').expect(403);
    await post(memberA, '/api/v1/webhooks')
      .send({ url: `${base}/x`, events: ['application.arrived'] })
      .expect(403);
    const token = (
      await post(adminA, '/api/v1/api-tokens')
        .send({ name: 'erp', scopes: ['applications:read', 'documents:read'] })
        .expect(201)
    ).body.token as string;
    const byToken = await request(t.http).get('/api/v1/webhooks').set('Authorization', `Bearer ${token}`).expect(403);
    expect(byToken.body.code).toBe('token_not_allowed');
  });

  it('sends a signed event for each status change of a filing walked through the simulator, ids and states only', async () => {
    const id = await readyApplication('資格取得 山田太郎');
    await submit(id);
    await worker().drain();
    await t.app.get(SubmissionsService).runDue();
    await worker().drain();
    const tracker = t.app.get(StatusTrackerService);
    for (let i = 0; i < 3; i++) {
      now += 1500;
      await tracker.pollAll();
      await worker().drain();
    }
    expect((await adminA.agent.get(`/api/v1/applications/${id}`).expect(200)).body.status).toBe('completed');

    const got = eventsFor(id);
    expect(got.map((x) => x.body.type)).toEqual(
      expect.arrayContaining(['application.submitted', 'application.arrived', 'document.available', 'application.completed']),
    );
    expect(got.filter((x) => x.body.type === 'application.completed')).toHaveLength(1);
    const docs = (await adminA.agent.get(`/api/v1/applications/${id}/documents`).expect(200)).body.items.map((d: { id: string }) => d.id);
    expect(
      got
        .filter((x) => x.body.type === 'document.available')
        .map((x) => x.body.data.documentId)
        .sort(),
    ).toEqual([...docs].sort());
    for (const { r } of got) {
      const body = verify(r, hook.secret);
      expect(Object.keys(body).sort()).toEqual(['createdAt', 'data', 'id', 'tenant', 'type']);
      expect(body.tenant).toBe('hook-a');
      const data = body.data as Record<string, unknown>;
      expect(Object.keys(data).filter((k) => !['applicationId', 'status', 'documentId'].includes(k))).toEqual([]);
      // No personal data or form content: the receiver fetches details with its own token.
      expect(r.body).not.toContain('山田');
      expect(r.body).not.toContain('本社');
    }
    const statusOf = (type: string) => got.find((x) => x.body.type === type)!.body.data.status;
    expect([statusOf('application.submitted'), statusOf('application.arrived'), statusOf('application.completed')]).toEqual([
      'submitting',
      'arrived',
      'completed',
    ]);
    // Every event has its own id; the log shows the receiver's answers.
    expect(new Set(got.map((x) => x.r.headers['charlotte-webhook-id'])).size).toBe(got.length);
    const log = (await adminA.agent.get(`/api/v1/webhooks/${hook.id}/deliveries`).query({ limit: 100 }).expect(200)).body;
    expect(log.items.length).toBe(got.length);
    for (const d of log.items) expect(d).toMatchObject({ status: 'delivered', statusCode: 204, error: null, attempts: 1 });
    expect(log.items[0].responseTimeMs).toEqual(expect.any(Number));
    // The connection went to the checked address, resolved once per attempt (never again by the HTTP client).
    expect(lookups.filter((h) => h === 'receiver.test').length).toBe(got.length + 1); // + the check at creation
  });

  it('sends application.correction_requested and application.failed too', async () => {
    sim.state.setFailurePlan([{ correctionFor: 'next' }]);
    const corrected = await readyApplication('補正あり');
    await submit(corrected);
    await t.app.get(SubmissionsService).runDue();
    const tracker = t.app.get(StatusTrackerService);
    for (let i = 0; i < 2; i++) {
      now += 1500;
      await tracker.pollAll();
    }
    const refused = await readyApplication('却下');
    await submit(refused);
    // The simulator has no permanent-refusal kind: the proxy answers e-Gov's 400 for this one filing.
    proxy.rules.push({
      method: 'POST',
      path: '/apply',
      times: 1,
      respond: {
        status: 400,
        headers: { 'content-type': 'application/problem+json' },
        body: JSON.stringify({ title: 'Bad Request', detail: '手続が不正です' }),
      },
    });
    await t.app.get(SubmissionsService).runDue();
    await worker().drain();
    expect(eventsFor(corrected).map((x) => x.body.type)).toContain('application.correction_requested');
    expect(eventsFor(corrected).find((x) => x.body.type === 'application.correction_requested')!.body.data.status).toBe(
      'correction_requested',
    );
    expect(eventsFor(refused).map((x) => x.body.type)).toEqual(['application.submitted', 'application.failed']);
    for (const { r } of [...eventsFor(corrected), ...eventsFor(refused)]) verify(r, hook.secret);
  });

  it('refuses SSRF targets at creation (422 webhook_url_not_allowed), http:// included, and stores nothing', async () => {
    const urls = [
      'https://127.0.0.1/hook',
      'https://10.0.0.1/hook',
      'https://169.254.169.254/latest/meta-data/',
      'https://[::1]/hook',
      'https://[::ffff:127.0.0.1]/hook',
      'https://0x7f000001/hook',
      'https://100.64.0.1/hook',
      'https://[fd00::1]/hook',
      `https://localhost:${port}/hook`,
      'https://loopback.test/hook',
      'https://private.test/hook',
      // Allowed is host:port: the same host on another port is not.
      `https://receiver.test:${port + 1}/hook`,
      `http://receiver.test:${port}/hook`,
      'http://example.com/hook',
      `https://user:pass@receiver.test:${port}/hook`,
      'https://does-not-exist.invalid/hook',
    ];
    for (const url of urls) {
      const res = await post(adminA, '/api/v1/webhooks').send({ url, events: ['application.arrived'] });
      expect([url, res.status, res.body.code]).toEqual([url, 422, 'webhook_url_not_allowed']);
    }
    const bad = await post(adminA, '/api/v1/webhooks')
      .send({ url: 'not a url', events: ['application.arrived'] })
      .expect(400);
    expect(bad.body.code).toBe('validation_failed');
    await post(adminA, '/api/v1/webhooks')
      .send({ url: `${base}/x`, events: ['application.unknown'] })
      .expect(400);
    await post(adminA, '/api/v1/webhooks')
      .send({ url: `${base}/x`, events: [] })
      .expect(400);
    // Duplicates are taken once, in the order of the contract.
    const dup = await post(adminA, '/api/v1/webhooks')
      .send({ url: `${base}/dup`, events: ['application.failed', 'application.arrived', 'application.failed'] })
      .expect(201);
    expect(dup.body.events).toEqual(['application.arrived', 'application.failed']);
    await del(adminA, `/api/v1/webhooks/${dup.body.id}`).expect(204);
    const res = await patch(adminA, `/api/v1/webhooks/${hook.id}`).send({ url: 'https://169.254.169.254/' }).expect(422);
    expect(res.body.code).toBe('webhook_url_not_allowed');
    expect((await t.ds.query(`SELECT count(*)::int AS n FROM webhooks WHERE tenant_id = $1`, [a.tenantId]))[0].n).toBe(1);
    expect((await adminA.agent.get(`/api/v1/webhooks/${hook.id}`).expect(200)).body.url).toBe(`${base}/hooks`);
  });

  it('checks the address again at delivery: a name that now resolves to loopback (DNS rebinding) gets nothing', async () => {
    names.set('rebind.test', '93.184.216.34');
    // On the receiver's port: were the guard skipped, the request would reach the receiver (and fail TLS, not the guard).
    const w = await post(adminA, '/api/v1/webhooks')
      .send({ url: `https://rebind.test:${port}/rebind`, events: ['application.failed'] })
      .expect(201);
    names.set('rebind.test', '127.0.0.1');
    const ping = await post(adminA, `/api/v1/webhooks/${w.body.id}/ping`).expect(200);
    expect(ping.body).toMatchObject({ ok: false, delivery: { status: 'failed', error: 'address_not_allowed', statusCode: null } });
    await t.ds.transaction((m) =>
      t.app
        .get(WebhooksService)
        .onFilingEvent(m, { tenantId: a.tenantId, type: 'application.failed', applicationId: a.adminId, status: 'failed' }),
    );
    await worker().drain();
    const log = (await adminA.agent.get(`/api/v1/webhooks/${w.body.id}/deliveries`).expect(200)).body.items;
    expect(log[0]).toMatchObject({ type: 'application.failed', status: 'pending', error: 'address_not_allowed', attempts: 1 });
    expect(received.filter((r) => r.path === '/rebind')).toEqual([]);
    await del(adminA, `/api/v1/webhooks/${w.body.id}`).expect(204);
  });

  it('does not follow redirects, and gives up on a receiver that does not answer in time', async () => {
    const w = await post(adminA, '/api/v1/webhooks')
      .send({ url: `${base}/redirect`, events: ['application.failed'] })
      .expect(201);
    const ping = await post(adminA, `/api/v1/webhooks/${w.body.id}/ping`).expect(200);
    expect(ping.body).toMatchObject({
      ok: false,
      delivery: { type: 'ping', status: 'failed', statusCode: 302, error: 'redirect', attempts: 1 },
    });
    expect(received.some((r) => r.path === '/target')).toBe(false);
    const pinged = received.filter((r) => r.path === '/redirect');
    expect(pinged).toHaveLength(1);
    expect(verify(pinged[0], w.body.secret)).toMatchObject({ type: 'ping', tenant: 'hook-a', data: { webhookId: w.body.id } });

    const sender = t.app.get(WebhookSender);
    sender.timeoutMs = 300; // api.md says 10 s; the same code path, shortened
    try {
      await patch(adminA, `/api/v1/webhooks/${w.body.id}`)
        .send({ url: `${base}/slow` })
        .expect(200);
      const slow = await post(adminA, `/api/v1/webhooks/${w.body.id}/ping`).expect(200);
      expect(slow.body).toMatchObject({ ok: false, delivery: { status: 'failed', statusCode: null, error: 'timeout' } });
    } finally {
      sender.timeoutMs = 10_000;
    }
    await del(adminA, `/api/v1/webhooks/${w.body.id}`).expect(204);
  });

  it('retries a failing receiver with backoff (first retry within 60 s), then after a day disables it with an お知らせ to administrators', async () => {
    const w = await post(adminA, '/api/v1/webhooks')
      .send({ url: `${base}/failing`, events: ['application.failed'] })
      .expect(201);
    const emit = () =>
      t.ds.transaction((m) =>
        t.app
          .get(WebhooksService)
          .onFilingEvent(m, { tenantId: a.tenantId, type: 'application.failed', applicationId: a.memberId, status: 'failed' }),
      );
    await emit();
    const row = async () =>
      (
        await t.ds.query(
          `SELECT id, status, attempts, last_status_code, last_error, EXTRACT(EPOCH FROM next_attempt_at - last_attempt_at)::float AS wait
             FROM webhook_deliveries WHERE webhook_id = $1 AND event_type = 'application.failed'`,
          [w.body.id],
        )
      )[0];
    await worker().drain();
    let r = await row();
    expect(r).toMatchObject({ status: 'pending', attempts: 1, last_status_code: 500, last_error: 'http_status' });
    expect(r.wait).toBeGreaterThan(0);
    expect(r.wait).toBeLessThanOrEqual(60);
    // Time passes: due again.
    await t.ds.query(`UPDATE webhook_deliveries SET next_attempt_at = now() WHERE id = $1`, [r.id]);
    await worker().drain();
    const first = r.wait;
    r = await row();
    expect(r).toMatchObject({ status: 'pending', attempts: 2 });
    expect(r.wait).toBeGreaterThan(first); // backoff grows
    // A day later, still failing: given up, and the webhook is switched off.
    await t.ds.query(`UPDATE webhook_deliveries SET next_attempt_at = now(), created_at = now() - interval '25 hours' WHERE id = $1`, [
      r.id,
    ]);
    await emit(); // another event waiting for the same receiver
    await t.ds.query(
      `UPDATE webhook_deliveries SET next_attempt_at = now() + interval '1 hour' WHERE webhook_id = $1 AND status = 'pending' AND id <> $2`,
      [w.body.id, r.id],
    );
    await worker().drain();
    r = await row();
    expect(r).toMatchObject({ status: 'failed', attempts: 3, last_status_code: 500 });
    expect(received.filter((x) => x.path === '/failing')).toHaveLength(3);
    const got = (await adminA.agent.get(`/api/v1/webhooks/${w.body.id}`).expect(200)).body;
    expect(got).toMatchObject({ status: 'disabled', disabledReason: 'failures' });
    // What it still had to send is given up with it.
    const pending = await t.ds.query(`SELECT status, last_error FROM webhook_deliveries WHERE webhook_id = $1 AND id <> $2`, [
      w.body.id,
      r.id,
    ]);
    expect(pending).toEqual([{ status: 'failed', last_error: 'webhook_disabled' }]);
    const adminNotices = (await adminA.agent.get('/api/v1/notices').expect(200)).body.items.map((n: { kind: string }) => n.kind);
    expect(adminNotices).toContain('webhook_disabled');
    const memberNotices = (await memberA.agent.get('/api/v1/notices').expect(200)).body.items.map((n: { kind: string }) => n.kind);
    expect(memberNotices).not.toContain('webhook_disabled');
    const audit = await t.ds.query(`SELECT actor_type, details FROM audit_events WHERE action = 'webhook.disabled' AND target_id = $1`, [
      w.body.id,
    ]);
    expect(audit).toEqual([
      { actor_type: 'system', details: expect.objectContaining({ reason: 'failures', attempts: 3, statusCode: 500 }) },
    ]);
    expect(JSON.stringify(audit)).not.toContain('whsec_');

    // A disabled webhook gets nothing and cannot redeliver; re-enabled (audited), redelivery works again.
    const rows = async () =>
      (await t.ds.query(`SELECT count(*)::int AS n FROM webhook_deliveries WHERE webhook_id = $1`, [w.body.id]))[0].n;
    const before = await rows();
    await emit();
    await worker().drain();
    expect(await rows()).toBe(before);
    const redeliver = await post(adminA, `/api/v1/webhooks/${w.body.id}/deliveries/${r.id}/redeliver`).expect(409);
    expect(redeliver.body.code).toBe('webhook_disabled');
    await patch(adminA, `/api/v1/webhooks/${w.body.id}`)
      .send({ status: 'active', url: `${base}/recovered` })
      .expect(200);
    const enabled = await t.ds.query(`SELECT details FROM audit_events WHERE action = 'webhook.enabled' AND target_id = $1`, [w.body.id]);
    expect(enabled).toEqual([{ details: { previousReason: 'failures' } }]);
    const again = await post(adminA, `/api/v1/webhooks/${w.body.id}/deliveries/${r.id}/redeliver`).expect(202);
    expect(again.body).toMatchObject({ status: 'pending', redeliveryOf: r.id, type: 'application.failed' });
    await worker().drain();
    const redelivered = received.filter((x) => x.path === '/recovered');
    expect(redelivered).toHaveLength(1);
    const original = received.find((x) => x.path === '/failing')!;
    // The same event (id and body), signed afresh.
    expect(redelivered[0].headers['charlotte-webhook-id']).toBe(original.headers['charlotte-webhook-id']);
    expect(redelivered[0].body).toBe(original.body);
    verify(redelivered[0], w.body.secret);
    await del(adminA, `/api/v1/webhooks/${w.body.id}`).expect(204);
    expect(await t.ds.query(`SELECT 1 FROM webhook_deliveries WHERE webhook_id = $1`, [w.body.id])).toEqual([]);
  });

  it("answers 404 for another tenant's webhooks and deliveries, and never sends one tenant's events to another", async () => {
    const delivery = (await adminA.agent.get(`/api/v1/webhooks/${hook.id}/deliveries`).expect(200)).body.items[0].id;
    const mine = await post(adminB, '/api/v1/webhooks')
      .send({ url: `${base}/tenant-b`, events: ALL_EVENTS })
      .expect(201);
    expect((await adminB.agent.get('/api/v1/webhooks').expect(200)).body.items.map((w: { id: string }) => w.id)).toEqual([mine.body.id]);
    await adminB.agent.get(`/api/v1/webhooks/${hook.id}`).expect(404);
    await patch(adminB, `/api/v1/webhooks/${hook.id}`).send({ status: 'disabled' }).expect(404);
    await post(adminB, `/api/v1/webhooks/${hook.id}/ping`).expect(404);
    await adminB.agent.get(`/api/v1/webhooks/${hook.id}/deliveries`).expect(404);
    await post(adminB, `/api/v1/webhooks/${hook.id}/deliveries/${delivery}/redeliver`).expect(404);
    // B's own webhook id with A's delivery id: still 404.
    await post(adminB, `/api/v1/webhooks/${mine.body.id}/deliveries/${delivery}/redeliver`).expect(404);
    await del(adminB, `/api/v1/webhooks/${hook.id}`).expect(404);
    expect((await adminA.agent.get(`/api/v1/webhooks/${hook.id}`).expect(200)).body.status).toBe('active');

    const id = await readyApplication('テナント分離');
    await submit(id);
    await worker().drain();
    expect(eventsFor(id).map((x) => x.body.type)).toEqual(['application.submitted']);
    expect(received.filter((r) => r.path === '/tenant-b')).toHaveLength(0);
    await adminA.agent.get('/api/v1/webhooks/not-a-uuid').expect(400);
  });
});
