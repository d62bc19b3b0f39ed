import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import request from 'supertest';
import { BackupJobs, DeletionJobs } from '@charlotte/backup';
import { loadConfig, MetricsServer, startMetricsServer } from '@charlotte/core';
import { MALWARE_SCANNER, MalwareScanner } from '@charlotte/storage';
import { login, seedTenant, Seeded, startTestApp, TestApp } from '../support/app';

/**
 * Prometheus metrics (issue 17): `/metrics` on its own listener, loopback by
 * default, never on the public port; the series the operator's dashboards
 * rely on exist after some traffic, labelled by route template, not raw path.
 */
describe('Prometheus metrics', () => {
  let t: TestApp;
  let acme: Seeded;
  let metrics: MetricsServer;
  const missingId = randomUUID();

  const scrape = async () => {
    const r = await fetch(`http://127.0.0.1:${metrics.port}/metrics`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    return r.text();
  };

  beforeAll(async () => {
    t = await startTestApp({ CLAMD_SOCKET: process.env.CLAMD_SOCKET ?? '/tmp/charlotte-clamd/clamd.sock' });
    acme = await seedTenant(t, 'metricsco');
    // As main.ts does, on the configured host; port 0 lets the OS choose a free one for the test.
    metrics = await startMetricsServer(t.config.metricsHost, 0);
  });
  afterAll(async () => {
    await metrics?.close();
    await t?.close();
  });

  it('binds to loopback on port 9464 unless told otherwise, and can be switched off', () => {
    const defaults = loadConfig({});
    expect(defaults.metricsHost).toBe('127.0.0.1');
    expect(defaults.metricsPort).toBe(9464);
    expect(metrics.host).toBe('127.0.0.1');
    expect(loadConfig({ METRICS_PORT: '0' }).metricsPort).toBe(0);
    expect(loadConfig({ METRICS_PORT: '' }).metricsPort).toBe(0);
    expect(() => loadConfig({ PORT: '3000', METRICS_PORT: '3000' })).toThrow(/METRICS_PORT must differ from PORT/);
  });

  it('is not served on the public port', async () => {
    for (const path of ['/metrics', '/metrics/', '/metrics?format=prometheus']) {
      const r = await request(t.http).get(path);
      expect(r.status).toBe(404);
      expect(r.text).not.toContain('charlotte_');
    }
  });

  it('answers 404 on the metrics port for anything but GET /metrics', async () => {
    expect((await fetch(`http://127.0.0.1:${metrics.port}/`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${metrics.port}/metrics`, { method: 'POST' })).status).toBe(404);
  });

  it('exposes HTTP by route template, DB pool, jobs, scanner, audit, login failures and process metrics', async () => {
    const me = await login(t, acme.code, acme.adminEmail);
    // A route with an id: the label must be the template, never the id.
    const missing = await me.agent.get(`/api/v1/applications/${missingId}`);
    expect(missing.status).toBe(404);
    await request(t.http).get('/no/such/path/at/all').set('Accept', 'application/json');
    const bad = await request(t.http)
      .post('/api/v1/auth/login')
      .send({ tenant: acme.code, email: acme.adminEmail, password: 'wrong wrong wrong' });
    expect(bad.status).toBe(401);
    await t.app.get(BackupJobs).verifyNewest();
    await t.app.get(DeletionJobs).sweep();
    const scanner = t.app.get<MalwareScanner>(MALWARE_SCANNER);
    await scanner.scan(Readable.from([Buffer.from('hello metrics')])).catch(() => undefined);

    const text = await scrape();
    const sample = (re: RegExp) => text.split('\n').find((l) => re.test(l));
    expect(
      sample(/^charlotte_http_request_duration_seconds_count\{method="GET",route="\/api\/v1\/applications\/:id",status="404"\} 1$/),
    ).toBeDefined();
    expect(
      sample(/^charlotte_http_request_duration_seconds_count\{method="POST",route="\/api\/v1\/auth\/login",status="200"\}/),
    ).toBeDefined();
    expect(sample(/^charlotte_http_request_duration_seconds_count\{method="GET",route="unmatched",status="404"\}/)).toBeDefined();
    expect(text).not.toContain(missingId);
    expect(text).not.toContain('/no/such/path');
    expect(text).not.toContain(acme.code);
    expect(text).not.toContain(acme.adminEmail);

    expect(Number(sample(/^charlotte_db_pool_connections /)?.split(' ')[1])).toBeGreaterThan(0);
    expect(sample(/^charlotte_db_pool_idle_connections /)).toBeDefined();
    expect(sample(/^charlotte_db_pool_waiting_clients /)).toBeDefined();
    expect(sample(/^charlotte_job_duration_seconds_count\{job="backup_verification"\} 1$/)).toBeDefined();
    expect(sample(/^charlotte_job_duration_seconds_count\{job="tenant_deletion"\} 1$/)).toBeDefined();
    expect(sample(/^charlotte_job_failures_total\{job="tenant_deletion"\} 0$/)).toBeDefined();
    expect(sample(/^charlotte_scanner_duration_seconds_count\{result="(clean|unavailable)"\} 1$/)).toBeDefined();
    expect(Number(sample(/^charlotte_audit_events_appended_total\{category="security"\}/)?.split(' ')[1])).toBeGreaterThanOrEqual(2);
    expect(sample(/^charlotte_login_failures_total\{reason="invalid_password"\} 1$/)).toBeDefined();
    expect(sample(/^charlotte_process_cpu_seconds_total /)).toBeDefined();
    expect(sample(/^charlotte_nodejs_eventloop_lag_seconds /)).toBeDefined();
  });

  it('records a failed job run as a failure of that job', async () => {
    const { observeJob } = await import('@charlotte/core');
    await expect(observeJob('metrics_test_job', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    const text = await scrape();
    expect(text).toMatch(/^charlotte_job_failures_total\{job="metrics_test_job"\} 1$/m);
    expect(text).toMatch(/^charlotte_job_duration_seconds_count\{job="metrics_test_job"\} 1$/m);
  });
});
