import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { UsersService } from '@charlotte/auth';
import { BackupJobs } from '@charlotte/backup';
import { KEY_PROVIDER, KeyProvider } from '@charlotte/crypto';
import { EgovClient, EgovReachability } from '@charlotte/filing';
import { AlertMonitorJob, AlertsService, AuditVerifyJob, MailWorker } from '@charlotte/notifications';
import { giveKey, login, LoggedIn, PASSWORD, seedTenant, Seeded, startTestApp, TestApp } from '../support/app';
import { SmtpSink, startSmtpSink } from '../support/smtp-sink';

const run = promisify(execFile);
const root = path.resolve(__dirname, '../..');
const ALERT_TO = 'alerts@ops.example';

interface AlertRecord {
  id: string;
  cause: string;
  kind: string;
  occurrences: number;
  resolved_at: Date | null;
  incident_id: string | null;
  incident_auto: boolean;
  details: Record<string, unknown>;
}

/**
 * Operator alerts end to end (issue 17): our own clamd stopped and started again (never the shared
 * one), a backup store that fails, the disk threshold, a tampered audit row, e-Gov unreachable, the
 * alert → incident rule, N concurrent raises of one cause, and the operator routes. Mails go through
 * the outbox to a real SMTP server (the sink).
 */
describe('Operator alerts', () => {
  let t: TestApp;
  let sink: SmtpSink;
  let clamdDir: string;
  let backupDir: string;
  let a: Seeded;
  let op: LoggedIn;
  let admin: LoggedIn;
  let monitor: AlertMonitorJob;
  let alerts: AlertsService;

  const startClamd = async () => {
    const { stdout } = await run('bash', [path.join(root, 'scripts/clamd-start.sh'), clamdDir]);
    expect(stdout).toContain(`CLAMD_SOCKET=${clamdDir}/clamd.sock`);
  };
  const stopClamd = async () => {
    const pid = Number(fs.readFileSync(path.join(clamdDir, 'clamd.pid'), 'utf8').trim());
    process.kill(pid, 'SIGTERM');
    for (let i = 0; i < 100; i++) {
      try {
        process.kill(pid, 0);
      } catch {
        return;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('clamd did not stop');
  };
  const rows = (cause: string): Promise<AlertRecord[]> =>
    t.ds.query(`SELECT * FROM operator_alerts WHERE cause = $1 ORDER BY opened_at`, [cause]);
  /** Sends what is in the outbox, then the mails about `cause` the sink holds. */
  const mailsAbout = async (cause: string) => {
    await t.app.get(MailWorker).drain();
    return sink.to(ALERT_TO).filter((m) => m.subject.includes(`(${cause})`) || m.subject.includes(`（${cause}）`));
  };

  beforeAll(async () => {
    clamdDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ch-alerts-clamd-'));
    await startClamd();
    sink = await startSmtpSink();
    backupDir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ch-alerts-bk-')), 'primary');
    t = await startTestApp({
      CLAMD_SOCKET: `${clamdDir}/clamd.sock`,
      CLAMD_TIMEOUT_MS: '2000',
      SMTP_URL: sink.url,
      OPERATOR_ALERT_EMAIL: ALERT_TO,
      BACKUP_DIR: backupDir,
      BACKUP_REMOTE_DIR: `${backupDir}-remote`,
      BACKUP_RETRIES: '2',
      DISK_FREE_MIN_PERCENT: '100',
      ALERT_INCIDENT_AFTER_MINUTES: '1',
      EGOV_ALERT_AFTER_MINUTES: '15',
      // Nothing listens on the discard port: every e-Gov call is refused.
      EGOV_API_BASE: 'http://127.0.0.1:9/shinsei/v2',
      EGOV_AUTH_BASE: 'http://127.0.0.1:9/auth',
    });
    a = await seedTenant(t, 'alr-a');
    const email = 'ops@platform.example';
    const { user } = await t.app.get(UsersService).createOperator(email, PASSWORD);
    await giveKey(t, 'platform', null, user.id, email);
    op = await login(t, 'platform', email);
    admin = await login(t, 'alr-a', a.adminEmail);
    monitor = t.app.get(AlertMonitorJob);
    alerts = t.app.get(AlertsService);
  }, 120_000);

  afterAll(async () => {
    await t?.close();
    await sink?.close();
    try {
      const pid = Number(fs.readFileSync(path.join(clamdDir, 'clamd.pid'), 'utf8').trim());
      process.kill(pid, 'SIGTERM');
    } catch {
      // already stopped
    }
    if (clamdDir) fs.rmSync(clamdDir, { recursive: true, force: true });
    if (backupDir) fs.rmSync(path.dirname(backupDir), { recursive: true, force: true });
  });

  it('opens one alert when clamd stops (however often the monitor runs), mails once, and resolves it when clamd is back', async () => {
    const first = await monitor.run();
    expect(first?.passing).toEqual(expect.arrayContaining(['scanner', 'blobs', 'keys', 'backups', 'backupsRemote']));
    expect(await rows('health:scanner')).toEqual([]);

    await stopClamd();
    for (let i = 0; i < 3; i++) expect((await monitor.run())?.failing).toContain('scanner');
    const open = await rows('health:scanner');
    expect(open).toHaveLength(1);
    expect(open[0]).toMatchObject({ kind: 'scanner_down', occurrences: 3, resolved_at: null });
    // Only the error class, never the message with the socket path.
    expect(JSON.stringify(open[0].details)).not.toContain(clamdDir);
    const opened = await mailsAbout('health:scanner');
    expect(opened).toHaveLength(1);
    expect(opened[0].subject).toContain('監視アラート');
    expect(opened[0].rcptTo).toEqual([ALERT_TO]);

    await startClamd();
    expect((await monitor.run())?.passing).toContain('scanner');
    await monitor.run();
    const after = await rows('health:scanner');
    expect(after).toHaveLength(1);
    expect(after[0].resolved_at).not.toBeNull();
    const mails = await mailsAbout('health:scanner');
    expect(mails).toHaveLength(2);
    expect(mails[1].subject).toContain('復旧');

    const audit: Array<{ action: string; details: Record<string, unknown> }> = await t.ds.query(
      `SELECT action, details FROM audit_events WHERE target_id = $1 ORDER BY seq`,
      [open[0].id],
    );
    expect(audit).toEqual([
      { action: 'alert.opened', details: { cause: 'health:scanner', kind: 'scanner_down' } },
      { action: 'alert.resolved', details: { cause: 'health:scanner', kind: 'scanner_down' } },
    ]);
  }, 120_000);

  it('keeps one open alert and sends one mail when N instances raise the same cause at once', async () => {
    await Promise.all(Array.from({ length: 12 }, () => alerts.raise('test.concurrent', { kind: 'health' })));
    const open = await rows('test.concurrent');
    expect(open).toHaveLength(1);
    expect(open[0].occurrences).toBe(12);
    expect(await mailsAbout('test.concurrent')).toHaveLength(1);
    await Promise.all(Array.from({ length: 5 }, () => alerts.clear('test.concurrent')));
    expect(await mailsAbout('test.concurrent')).toHaveLength(2);
  });

  it('raises one backup.failed alert after the retries of a failing backup store; a later successful generation clears it', async () => {
    // The primary backup store's directory is a regular file: every write fails.
    fs.rmSync(backupDir, { recursive: true, force: true });
    fs.writeFileSync(backupDir, 'not a directory');
    const jobs = t.app.get(BackupJobs);
    jobs.backoffMs = 1;
    const cause = `backup.failed:${a.tenantId}`;
    expect(await jobs.runNightly(new Date())).toMatchObject({ failed: [a.tenantId] });
    expect(await rows(cause)).toEqual([expect.objectContaining({ kind: 'backup_failed', occurrences: 1, resolved_at: null })]);
    expect(await jobs.runNightly(new Date())).toMatchObject({ failed: [a.tenantId] });
    expect(await rows(cause)).toEqual([expect.objectContaining({ occurrences: 2, resolved_at: null })]);
    expect(await mailsAbout(cause)).toHaveLength(1);
    // The monitor sees the store too.
    expect((await monitor.run())?.failing).toContain('backups');

    fs.rmSync(backupDir);
    expect(await jobs.runNightly(new Date())).toMatchObject({ completed: [a.tenantId], failed: [] });
    const done = await rows(cause);
    expect(done).toHaveLength(1);
    expect(done[0].resolved_at).not.toBeNull();
    expect(await mailsAbout(cause)).toHaveLength(2);
    expect((await monitor.run())?.passing).toContain('backups');
    expect((await rows('health:backups'))[0].resolved_at).not.toBeNull();
  }, 120_000);

  it('raises backup.remote_failed when the weekly remote copy fails, and clears it with the next successful copy', async () => {
    const remoteDir = `${backupDir}-remote`;
    const cause = `backup.remote_failed:${a.tenantId}`;
    fs.rmSync(remoteDir, { recursive: true, force: true });
    fs.writeFileSync(remoteDir, 'not a directory');
    const jobs = t.app.get(BackupJobs);
    expect(await jobs.runWeekly(new Date())).toMatchObject({ copied: [] });
    expect(await rows(cause)).toEqual([expect.objectContaining({ kind: 'backup_remote_failed', resolved_at: null })]);
    fs.rmSync(remoteDir);
    expect((await jobs.runWeekly(new Date()))?.copied).toHaveLength(1);
    expect((await rows(cause))[0].resolved_at).not.toBeNull();
    expect(await mailsAbout(cause)).toHaveLength(2);
  }, 120_000);

  it('raises disk.low when free space is under DISK_FREE_MIN_PERCENT', async () => {
    const r = await monitor.run();
    expect(r?.diskFreePercent).toBeLessThan(100);
    const open = await rows('disk.low');
    expect(open).toEqual([expect.objectContaining({ kind: 'disk_low', resolved_at: null })]);
    expect(open[0].details).toMatchObject({ thresholdPercent: 100, freePercent: expect.any(Number) });
  });

  it('raises audit.chain_invalid when a verification finds a tampered row, and only a passing verification clears it', async () => {
    const job = t.app.get(AuditVerifyJob);
    expect(await job.run()).toMatchObject({ broken: 0 });
    const tamper = async (sql: string, params: unknown[]) =>
      t.ds.transaction(async (m) => {
        await m.query('SET LOCAL session_replication_role = replica');
        await m.query(sql, params);
      });
    const [row]: Array<{ seq: string; outcome: string }> = await t.ds.query(
      `SELECT seq, outcome FROM audit_events WHERE chain_key = $1 ORDER BY seq LIMIT 1`,
      [a.tenantId],
    );
    const flipped = row.outcome === 'success' ? 'failure' : 'success';
    await tamper(`UPDATE audit_events SET outcome = $3 WHERE chain_key = $1 AND seq = $2`, [a.tenantId, row.seq, flipped]);
    expect(await job.run()).toMatchObject({ broken: 1 });
    expect(await job.run()).toMatchObject({ broken: 1 });
    const open = await rows('audit.chain_invalid');
    expect(open).toEqual([expect.objectContaining({ kind: 'audit_chain_invalid', occurrences: 2, resolved_at: null })]);
    expect(open[0].details).toMatchObject({ chainsBroken: 1, brokenChains: [a.tenantId] });
    // The monitor does not clear it: only a verification does.
    await monitor.run();
    expect((await rows('audit.chain_invalid'))[0].resolved_at).toBeNull();
    await tamper(`UPDATE audit_events SET outcome = $3 WHERE chain_key = $1 AND seq = $2`, [a.tenantId, row.seq, row.outcome]);
    expect(await job.run()).toMatchObject({ broken: 0 });
    expect((await rows('audit.chain_invalid'))[0].resolved_at).not.toBeNull();
  });

  it('turns e-Gov failures into egov.unreachable once they have lasted EGOV_ALERT_AFTER_MINUTES; a success clears it', async () => {
    await expect(t.app.get(EgovClient).procedure('token', '950A010700005000')).rejects.toMatchObject({ kind: 'transient' });
    const waitCondition = async () => {
      for (let i = 0; i < 100; i++) {
        const c: Array<{ failures: number }> = await t.ds.query(`SELECT failures FROM alert_conditions WHERE cause = 'egov.unreachable'`);
        if (c[0]) return c[0];
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error('no condition row');
    };
    await waitCondition();
    // A failure run younger than 15 minutes is not an alert yet.
    expect(await rows('egov.unreachable')).toEqual([]);
    await t.ds.query(`UPDATE alert_conditions SET failing_since = now() - interval '16 minutes' WHERE cause = 'egov.unreachable'`);
    const reach = t.app.get(EgovReachability);
    await reach.failed('ECONNREFUSED');
    expect(await rows('egov.unreachable')).toEqual([
      expect.objectContaining({ kind: 'egov_unreachable', resolved_at: null, details: expect.objectContaining({ error: 'ECONNREFUSED' }) }),
    ]);
    await reach.reached();
    expect((await rows('egov.unreachable'))[0].resolved_at).not.toBeNull();
    expect(await t.ds.query(`SELECT * FROM alert_conditions`)).toEqual([]);
  });

  it('makes a customer-impact alert open longer than ALERT_INCIDENT_AFTER_MINUTES one minor incident for all tenants, resolved with the alert', async () => {
    const reach = t.app.get(EgovReachability);
    await reach.failed('ECONNREFUSED');
    await t.ds.query(`UPDATE alert_conditions SET failing_since = now() - interval '20 minutes'`);
    await reach.failed('ECONNREFUSED');
    const [alert] = (await rows('egov.unreachable')).filter((r) => !r.resolved_at);
    await monitor.run();
    expect((await t.ds.query(`SELECT incident_id FROM operator_alerts WHERE id = $1`, [alert.id]))[0].incident_id).toBeNull();

    await t.ds.query(`UPDATE operator_alerts SET opened_at = now() - interval '2 minutes' WHERE id = $1`, [alert.id]);
    await monitor.run();
    await monitor.run();
    const [linked] = await t.ds.query(`SELECT * FROM operator_alerts WHERE id = $1`, [alert.id]);
    expect(linked).toMatchObject({ incident_auto: true, incident_id: expect.any(String) });
    const incidents: Array<{ id: string; severity: string; all_tenants: boolean; title: string; body: string; alert_id: string }> =
      await t.ds.query(`SELECT * FROM incidents WHERE alert_id = $1`, [alert.id]);
    expect(incidents).toHaveLength(1);
    expect(incidents[0]).toMatchObject({ id: linked.incident_id, severity: 'minor', all_tenants: true });
    expect(incidents[0].title).toContain('e-Gov');
    expect(incidents[0].body).not.toContain('ECONNREFUSED');
    // The tenant's users see it.
    const mine = await admin.agent.get('/api/v1/incidents').expect(200);
    expect(JSON.stringify(mine.body)).toContain(linked.incident_id);

    await reach.reached();
    const [resolved] = await t.ds.query(`SELECT resolved_at FROM incidents WHERE id = $1`, [linked.incident_id]);
    expect(resolved.resolved_at).not.toBeNull();
  });

  it('raises deletion.stuck for a tenant past its deletion due date and not deleted, and clears it once deleted', async () => {
    const b = await seedTenant(t, 'alr-b');
    const cause = `deletion.stuck:${b.tenantId}`;
    await t.ds.query(
      `UPDATE tenants SET status = 'cancelled', cancelled_at = now() - interval '10 days', deletion_due_at = now() - interval '3 days' WHERE id = $1`,
      [b.tenantId],
    );
    await monitor.run();
    await monitor.run();
    expect(await rows(cause)).toEqual([
      expect.objectContaining({
        kind: 'deletion_stuck',
        occurrences: 2,
        resolved_at: null,
        details: expect.objectContaining({ overdue: true }),
      }),
    ]);
    expect(await mailsAbout(cause)).toHaveLength(1);
    // Due today: the sweep still has time, no alert.
    const c = await seedTenant(t, 'alr-c');
    await t.ds.query(
      `UPDATE tenants SET status = 'cancelled', cancelled_at = now() - interval '10 days', deletion_due_at = now() WHERE id = $1`,
      [c.tenantId],
    );
    await t.ds.query(`UPDATE tenants SET status = 'deleted', deleted_at = now() WHERE id = $1`, [b.tenantId]);
    await monitor.run();
    expect((await rows(cause))[0].resolved_at).not.toBeNull();
    expect(await rows(`deletion.stuck:${c.tenantId}`)).toEqual([]);
  });

  describe('operator routes', () => {
    it('lists open alerts first, filters by status, shows one, and refuses tenant users', async () => {
      const list = await op.agent.get('/api/v1/operator/alerts').expect(200);
      const items = list.body.items as Array<{ id: string; status: string; cause: string }>;
      expect(items.length).toBeGreaterThan(3);
      const firstResolved = items.findIndex((i) => i.status === 'resolved');
      expect(items.slice(firstResolved).every((i) => i.status === 'resolved')).toBe(true);
      expect(items.some((i) => i.cause === 'disk.low' && i.status === 'open')).toBe(true);
      const open = await op.agent.get('/api/v1/operator/alerts?status=open').expect(200);
      expect((open.body.items as Array<{ status: string }>).every((i) => i.status === 'open')).toBe(true);
      const resolved = await op.agent.get('/api/v1/operator/alerts?status=resolved').expect(200);
      expect((resolved.body.items as Array<{ status: string }>).every((i) => i.status === 'resolved')).toBe(true);
      const one = await op.agent.get(`/api/v1/operator/alerts/${items[0].id}`).expect(200);
      expect(one.body).toMatchObject({ id: items[0].id, cause: items[0].cause });
      await op.agent.get('/api/v1/operator/alerts/00000000-0000-4000-8000-000000000000').expect(404);
      await op.agent.get('/api/v1/operator/alerts/nope').expect(400);
      await op.agent.get('/api/v1/operator/alerts?status=maybe').expect(400);
      await admin.agent.get('/api/v1/operator/alerts').expect(403);
    });

    it('promotes an open alert to a serious incident once (409 after), and refuses a resolved one', async () => {
      const [disk] = (await rows('disk.low')).filter((r) => !r.resolved_at);
      await op.agent
        .post(`/api/v1/operator/alerts/${disk.id}/incident`)
        .set('X-CSRF-Token', op.csrf)
        .send({ severity: 'urgent' })
        .expect(400);
      await admin.agent
        .post(`/api/v1/operator/alerts/${disk.id}/incident`)
        .set('X-CSRF-Token', admin.csrf)
        .send({ severity: 'minor' })
        .expect(403);
      const res = await op.agent
        .post(`/api/v1/operator/alerts/${disk.id}/incident`)
        .set('X-CSRF-Token', op.csrf)
        .send({ severity: 'serious' })
        .expect(200);
      expect(res.body).toMatchObject({ id: disk.id, incidentId: expect.any(String), incidentAuto: false });
      const inc = await t.ds.query(`SELECT severity, alert_id FROM incidents WHERE id = $1`, [res.body.incidentId]);
      expect(inc).toEqual([{ severity: 'serious', alert_id: disk.id }]);
      const promotedEvents = await t.ds.query(
        `SELECT actor_type, details FROM audit_events WHERE action = 'alert.promoted' AND target_id = $1`,
        [disk.id],
      );
      expect(promotedEvents).toEqual([
        { actor_type: 'user', details: { incidentId: res.body.incidentId, severity: 'serious', kind: 'disk_low' } },
      ]);
      // serious: the administrators of the affected tenants (all of them: disk.low is not about one tenant) get a mail.
      await t.app.get(MailWorker).drain();
      expect(sink.to(a.adminEmail)).toHaveLength(1);
      expect(sink.to(a.memberEmail)).toHaveLength(0);
      const again = await op.agent
        .post(`/api/v1/operator/alerts/${disk.id}/incident`)
        .set('X-CSRF-Token', op.csrf)
        .send({ severity: 'minor' })
        .expect(409);
      expect(again.body.code).toBe('alert_has_incident');
      const [scanner] = await rows('health:scanner');
      const gone = await op.agent
        .post(`/api/v1/operator/alerts/${scanner.id}/incident`)
        .set('X-CSRF-Token', op.csrf)
        .send({ severity: 'minor' })
        .expect(409);
      expect(gone.body.code).toBe('alert_resolved');
    });
  });

  // Last: a closed key provider does not open again in this process.
  it('raises health:keys (key provider, customer impact) when the key provider cannot wrap a key', async () => {
    await t.app.get<KeyProvider>(KEY_PROVIDER).close();
    expect((await monitor.run())?.failing).toContain('keys');
    const [keys] = await rows('health:keys');
    expect(keys).toMatchObject({ kind: 'key_provider', resolved_at: null, details: { check: 'keys', error: 'KeyUnavailableError' } });
    expect((await t.ds.query(`SELECT customer_impact FROM operator_alerts WHERE id = $1`, [keys.id]))[0].customer_impact).toBe(true);
  });
});
