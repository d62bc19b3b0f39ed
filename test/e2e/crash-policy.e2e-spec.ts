import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Client } from 'pg';
import request from 'supertest';
import { createTestDatabase, TestDatabase } from '../support/db';

/**
 * The process-level safety net (apps/api/src/crash-policy.ts) on the real
 * `process` events, in a child process running the built app (jest catches
 * those events in its own workers): an error that escapes every handler inside
 * a request is logged with the request id, audited as
 * `system.unhandled_error`, answered 500 problem+json, and the process goes on
 * serving. Needs `npm run build` first (the test command does it).
 */
const child = path.resolve(__dirname, '../fixtures/crash-policy-child.js');
const built = path.resolve(__dirname, '../../dist/apps/api/apps/api/src/crash-policy.js');

describe('Crash policy (unhandled rejections and uncaught exceptions)', () => {
  let db: TestDatabase;
  let proc: ChildProcess;
  let out = '';
  let crashUrl: string;
  let appUrl: string;

  beforeAll(async () => {
    expect(fs.existsSync(built)).toBe(true);
    db = await createTestDatabase();
    proc = spawn(process.execPath, [child], { env: { ...process.env, DATABASE_URL: db.url }, stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const ports = await new Promise<string[]>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`child did not start: ${out}`)), 45_000);
      const poll = setInterval(() => {
        const m = /READY (\d+) (\d+)/.exec(out);
        if (m || proc.exitCode !== null) {
          clearInterval(poll);
          clearTimeout(timer);
          if (m) resolve([m[1], m[2]]);
          else reject(new Error(`child exited: ${out}`));
        }
      }, 50);
    });
    crashUrl = `http://127.0.0.1:${ports[0]}`;
    appUrl = `http://127.0.0.1:${ports[1]}`;
  });
  afterAll(async () => {
    proc?.kill('SIGKILL');
    await db?.drop();
  });

  /** The child's log line arrives on its own pipe, a moment after the answer. */
  const logLine = async (re: RegExp) => {
    for (let i = 0; i < 100 && !re.test(out); i++) await new Promise((res) => setTimeout(res, 20));
    return out;
  };

  const events = async (requestId: string) => {
    const c = new Client({ connectionString: db.url });
    await c.connect();
    try {
      for (let i = 0; i < 100; i++) {
        const r = await c.query(
          `SELECT details, request_id FROM audit_events WHERE action = 'system.unhandled_error' AND request_id = $1`,
          [requestId],
        );
        if (r.rows.length) return r.rows;
        await new Promise((res) => setTimeout(res, 50));
      }
      return [];
    } finally {
      await c.end();
    }
  };

  it('answers an unhandled rejection with 500 problem+json and its request id, audits it and keeps serving', async () => {
    const res = await request(crashUrl).get('/reject').set('X-Request-Id', 'crash-test-0001').expect(500);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ code: 'internal_error', status: 500, requestId: 'crash-test-0001' });
    expect(JSON.stringify(res.body)).not.toContain('escaped');
    const line = /LOG .*"kind":"unhandledRejection".*"requestId":"crash-test-0001"/;
    expect(await logLine(line)).toMatch(line);
    // The audit event holds the class only, never the message (it may carry input).
    expect(await events('crash-test-0001')).toEqual([
      { details: { kind: 'unhandledRejection', errorClass: 'TypeError' }, request_id: 'crash-test-0001' },
    ]);
    await request(crashUrl).get('/ok').expect(200);
    await request(appUrl).get('/health/live').expect(200);
    expect(proc.exitCode).toBeNull();
  });

  it('answers an uncaught exception thrown in a callback of the request the same way', async () => {
    const res = await request(crashUrl).get('/throw').set('X-Request-Id', 'crash-test-0002').expect(500);
    expect(res.body).toMatchObject({ code: 'internal_error', requestId: 'crash-test-0002' });
    const line = /LOG .*"kind":"uncaughtException".*"requestId":"crash-test-0002"/;
    expect(await logLine(line)).toMatch(line);
    expect(await events('crash-test-0002')).toHaveLength(1);
    await request(crashUrl).get('/ok').expect(200);
    await request(appUrl).get('/health/live').expect(200);
    expect(proc.exitCode).toBeNull();
  });
});
