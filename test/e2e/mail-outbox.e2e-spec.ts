import * as fs from 'node:fs';
import * as path from 'node:path';
import { simpleParser } from 'mailparser';
import { NestExpressApplication } from '@nestjs/platform-express';
import { DataSource } from 'typeorm';
import { MailOutboxService, MailToSend, MailWorker } from '@charlotte/notifications';
import { createApp } from '../../apps/api/src/app.factory';
import { seedTenant, startTestApp, TestApp } from '../support/app';
import { startAppOn } from '../support/egov';
import { SmtpSink, startSmtpSink } from '../support/smtp-sink';

/**
 * The e-mail outbox end to end: a real SMTP server (smtp-server as a sink) and the real worker on a
 * real PostgreSQL. A mail exists iff its transaction committed, survives a restart between commit and
 * send, is retried after a refusal and delivered once, and without SMTP_URL lands as an .eml file.
 */
describe('Mail outbox', () => {
  let sink: SmtpSink;
  let t: TestApp;
  let tenantId: string;
  /** The instance that replaces the file's TestApp after the crash test closed it. */
  let next: NestExpressApplication | undefined;

  const mail = (to: string, procedureName = '健康保険・厚生年金保険被保険者資格取得届'): MailToSend => ({
    to,
    template: 'filing_status',
    vars: { kind: 'arrived', applicationId: '6f1f6a53-1d7e-4d6b-9a39-0a5c2f0f7d11', procedureName },
    tenantId,
  });
  const outbox = () => t.app.get(MailOutboxService);
  const worker = () => t.app.get(MailWorker);

  beforeAll(async () => {
    sink = await startSmtpSink();
    t = await startTestApp({ SMTP_URL: sink.url, PUBLIC_URL: 'https://charlotte.example.jp' });
    tenantId = (await seedTenant(t, 'mailco')).tenantId;
  });

  afterAll(async () => {
    if (next) {
      await next.close();
      await t.db.drop();
      fs.rmSync(t.config.dataDir, { recursive: true, force: true });
    } else await t?.close();
    await sink?.close();
  });

  beforeEach(() => sink.clear());

  it('delivers a mail whose transaction committed, and none whose transaction rolled back', async () => {
    const id = await t.ds.transaction((m) => outbox().enqueue(m, mail('committed@example.jp')));
    await expect(
      t.ds.transaction(async (m) => {
        await outbox().enqueue(m, mail('rolledback@example.jp'));
        throw new Error('the business change failed');
      }),
    ).rejects.toThrow('the business change failed');

    expect(await worker().drain()).toBe(1);
    expect(sink.messages).toHaveLength(1);
    const [m] = sink.messages;
    expect(m.to).toEqual(['committed@example.jp']);
    expect(m.messageId).toBe(`<${id}@charlotte.example.jp>`);
    expect(m.subject).toBe(
      '申請が到達しました：健康保険・厚生年金保険被保険者資格取得届 / Your application has arrived: 健康保険・厚生年金保険被保険者資格取得届',
    );
    // Japanese first, English second; the link under PUBLIC_URL.
    expect(m.text.indexOf('申請が e-Gov に到達しました')).toBeLessThan(m.text.indexOf('Your application has reached e-Gov'));
    expect(m.text).toContain('https://charlotte.example.jp/applications/6f1f6a53-1d7e-4d6b-9a39-0a5c2f0f7d11');
    expect(m.html).toContain('href="https://charlotte.example.jp/applications/6f1f6a53-1d7e-4d6b-9a39-0a5c2f0f7d11"');
    const rows = await t.ds.query(`SELECT recipient, status, attempts, message_id, sent_at FROM mail_outbox ORDER BY created_at`);
    expect(rows).toEqual([
      {
        recipient: 'committed@example.jp',
        status: 'sent',
        attempts: 1,
        message_id: `<${id}@charlotte.example.jp>`,
        sent_at: expect.any(Date),
      },
    ]);
    // Sent once: another drain has nothing to do.
    expect(await worker().drain()).toBe(0);
    expect(sink.messages).toHaveLength(1);
  });

  it('escapes every var in the HTML part (the text part keeps it as written)', async () => {
    await outbox().enqueue(t.ds, mail('escape@example.jp', '<script>alert("x")</script> & <b>届</b>'));
    await worker().drain();
    const [m] = await sink.waitFor(1);
    expect(m.html).not.toContain('<script>');
    expect(m.html).not.toContain('<b>届</b>');
    expect(m.html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;届&lt;/b&gt;');
    expect(m.text).toContain('<script>alert("x")</script> & <b>届</b>');
  });

  it('refuses a var that carries an e-mail address, and an unknown template', async () => {
    await expect(
      outbox().enqueue(t.ds, {
        ...mail('x@example.jp'),
        vars: { kind: 'arrived', applicationId: 'a', procedureName: 'mail me at someone@example.jp' },
      }),
    ).rejects.toThrow(/procedureName must not carry an e-mail address/);
    await expect(outbox().enqueue(t.ds, { ...mail('x@example.jp'), template: 'nope' as never })).rejects.toThrow(/unknown mail template/);
    await expect(outbox().enqueue(t.ds, mail('a@example.jp, b@example.jp'))).rejects.toThrow(/one plain address/);
    expect(await t.ds.query(`SELECT count(*)::int AS n FROM mail_outbox WHERE status = 'pending'`)).toEqual([{ n: 0 }]);
  });

  it('retries after the server answers 451, with backoff, and delivers exactly one message', async () => {
    const w = worker();
    w.retryBaseMs = 400;
    try {
      sink.failNext(1);
      const id = await outbox().enqueue(t.ds, mail('retry@example.jp'));
      const attemptsBefore = sink.attempts;
      expect(await w.drain()).toBe(1);
      expect(sink.messages).toHaveLength(0);
      const [row] = await t.ds.query(
        `SELECT status, attempts, last_error, next_attempt_at > now() AS waiting FROM mail_outbox WHERE id = $1`,
        [id],
      );
      expect(row).toMatchObject({ status: 'pending', attempts: 1, waiting: true });
      expect(row.last_error).toContain('451');
      expect(row.last_error).not.toContain('retry@example.jp');
      // Not due yet: the backoff holds it back.
      expect(await w.drain()).toBe(0);
      await new Promise((r) => setTimeout(r, 600));
      expect(await w.drain()).toBe(1);
      expect(await w.drain()).toBe(0);
      expect(sink.messages).toHaveLength(1);
      expect(sink.messages[0].messageId).toBe(`<${id}@charlotte.example.jp>`);
      expect(sink.attempts - attemptsBefore).toBe(2);
      expect(await t.ds.query(`SELECT status, attempts, last_error FROM mail_outbox WHERE id = $1`, [id])).toEqual([
        { status: 'sent', attempts: 2, last_error: null },
      ]);
    } finally {
      w.retryBaseMs = 30_000;
    }
  });

  it('gives up after a day of failures: status failed and a system audit event without the address', async () => {
    const w = worker();
    sink.failNext(1);
    const id = await outbox().enqueue(t.ds, mail('giveup@example.jp'));
    // As if the mail had been waiting for a day already.
    await t.ds.query(`UPDATE mail_outbox SET created_at = now() - interval '24 hours' WHERE id = $1`, [id]);
    expect(await w.drain()).toBe(1);
    expect(await w.drain()).toBe(0);
    expect(sink.messages).toHaveLength(0);
    expect(await t.ds.query(`SELECT status FROM mail_outbox WHERE id = $1`, [id])).toEqual([{ status: 'failed' }]);
    const events: Array<{ category: string; tenant_id: string; target_id: string; details: object }> = await t.ds.query(
      `SELECT category, tenant_id, target_id, details FROM audit_events WHERE action = 'mail.failed'`,
    );
    expect(events).toEqual([
      { category: 'system', tenant_id: tenantId, target_id: id, details: { template: 'filing_status', attempts: 1, permanent: false } },
    ]);
    expect(JSON.stringify(events)).not.toContain('giveup@example.jp');
  });

  it('sends each mail once when two instances drain the outbox at the same time', async () => {
    const other = await startAppOn(t, { SMTP_URL: sink.url, PUBLIC_URL: 'https://charlotte.example.jp' });
    try {
      const ids: string[] = [];
      for (let i = 0; i < 12; i++) ids.push(await outbox().enqueue(t.ds, mail(`many-${i}@example.jp`)));
      const handled = await Promise.all([worker().drain(), other.app.get(MailWorker).drain()]);
      expect(handled[0] + handled[1]).toBe(12);
      expect(sink.messages).toHaveLength(12);
      expect(new Set(sink.messages.map((m) => m.messageId))).toEqual(new Set(ids.map((id) => `<${id}@charlotte.example.jp>`)));
      expect(await t.ds.query(`SELECT DISTINCT status, attempts FROM mail_outbox WHERE id = ANY($1)`, [ids])).toEqual([
        { status: 'sent', attempts: 1 },
      ]);
    } finally {
      await other.close();
    }
  });

  it('with scheduling on (npm start), an instance sends what is due without being asked', async () => {
    const scheduled = await startAppOn(t, { SMTP_URL: sink.url, PUBLIC_URL: 'https://charlotte.example.jp' }, { schedule: true });
    try {
      const id = await outbox().enqueue(t.ds, mail('scheduled@example.jp'));
      const [m] = await sink.waitFor(1, 15_000);
      expect(m.messageId).toBe(`<${id}@charlotte.example.jp>`);
    } finally {
      await scheduled.close();
    }
    expect(await t.ds.query(`SELECT status FROM mail_outbox WHERE recipient = 'scheduled@example.jp'`)).toEqual([{ status: 'sent' }]);
  });

  it('never sends SMTP credentials in clear: smtp:// with a password and no STARTTLS is a failure, retried', async () => {
    const withPassword = sink.url.replace('smtp://', 'smtp://charlotte:s3cret@');
    const other = await startAppOn(t, { SMTP_URL: withPassword, PUBLIC_URL: 'https://charlotte.example.jp' });
    try {
      const id = await outbox().enqueue(t.ds, mail('clear@example.jp'));
      expect(await other.app.get(MailWorker).drain()).toBe(1);
      expect(sink.messages).toEqual([]);
      const [row] = await t.ds.query(`SELECT status, last_error FROM mail_outbox WHERE id = $1`, [id]);
      expect(row.status).toBe('pending');
      expect(row.last_error).toMatch(/STARTTLS/i);
      expect(row.last_error).not.toContain('s3cret');
      // Delivered once a proper transport takes it.
      await t.ds.query(`UPDATE mail_outbox SET next_attempt_at = now() WHERE id = $1`, [id]);
      expect(await worker().drain()).toBe(1);
      expect(sink.to('clear@example.jp')).toHaveLength(1);
    } finally {
      await other.close();
    }
  });

  it('sends a mail committed before a crash exactly once, from the next instance on the same database', async () => {
    // Two mails committed while no worker ran: one never claimed, one claimed by a worker that then died (its lease ran out).
    const waiting = await outbox().enqueue(t.ds, mail('crash-1@example.jp'));
    const claimed = await outbox().enqueue(t.ds, mail('crash-2@example.jp'));
    await t.ds.query(`UPDATE mail_outbox SET attempts = 1, next_attempt_at = now() - interval '1 second' WHERE id = $1`, [claimed]);
    await t.app.close();

    let next: NestExpressApplication | undefined;
    try {
      next = await createApp(t.config, t.db.url, { nestLogs: false, schedule: false });
      expect(await next.get(MailWorker).drain()).toBe(2);
      expect(await next.get(MailWorker).drain()).toBe(0);
      expect(sink.messages.map((m) => m.messageId).sort()).toEqual(
        [`<${waiting}@charlotte.example.jp>`, `<${claimed}@charlotte.example.jp>`].sort(),
      );
      expect(sink.to('crash-1@example.jp')).toHaveLength(1);
      expect(sink.to('crash-2@example.jp')).toHaveLength(1);
      const rows = await next.get(DataSource).query(`SELECT status FROM mail_outbox WHERE id = ANY($1)`, [[waiting, claimed]]);
      expect(rows).toEqual([{ status: 'sent' }, { status: 'sent' }]);
    } finally {
      // The file's TestApp is closed already; the next instance takes its place for afterAll.
      if (next) t = { ...t, app: next, ds: next.get(DataSource) };
    }
  });
});

describe('Mail outbox without SMTP_URL', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ PUBLIC_URL: 'http://localhost:3000' });
  });

  afterAll(async () => {
    await t?.close();
  });

  it('writes each mail as an .eml file under DATA_DIR/outbox, named to sort by time, that a mail parser reads', async () => {
    const outbox = t.app.get(MailOutboxService);
    const first = await outbox.enqueue(t.ds, {
      to: 'newcomer@example.jp',
      template: 'filing_status',
      vars: { kind: 'correction_requested', applicationId: 'a1', procedureName: '<雇用保険>' },
      tenantId: null,
    });
    expect(await t.app.get(MailWorker).drain()).toBe(1);
    await new Promise((r) => setTimeout(r, 5));
    const second = await outbox.enqueue(t.ds, {
      to: 'newcomer@example.jp',
      template: 'filing_status',
      vars: { kind: 'completed', applicationId: 'a2', procedureName: '算定基礎届' },
      tenantId: null,
    });
    expect(await t.app.get(MailWorker).drain()).toBe(1);

    const dir = path.join(t.config.dataDir, 'outbox');
    const files = fs.readdirSync(dir).sort();
    expect(files).toHaveLength(2);
    for (const f of files) expect(f).toMatch(/^\d{8}T\d{9}Z-[0-9a-f-]{36}\.eml$/);
    expect(files[0]).toContain(first);
    expect(files[1]).toContain(second);
    const raw = fs.readFileSync(path.join(dir, files[0]));
    expect(raw.toString('latin1')).toContain('\r\n'); // RFC 5322 line ends
    const parsed = await simpleParser(raw);
    expect(parsed.messageId).toBe(`<${first}@localhost>`);
    expect(parsed.subject).toBe('補正の依頼があります：<雇用保険> / A correction is requested: <雇用保険>');
    expect(parsed.from?.value).toEqual([{ name: 'Charlotte', address: 'no-reply@localhost' }]);
    expect(parsed.text).toContain('http://localhost:3000/applications/a1');
    expect(parsed.html).toContain('&lt;雇用保険&gt;');
    expect(await t.ds.query(`SELECT status FROM mail_outbox ORDER BY created_at`)).toEqual([{ status: 'sent' }, { status: 'sent' }]);
  });
});
