/**
 * Attachment benchmark (issue 20): a 20 MB clean PDF through the whole upload path
 * (HTTP multipart → busboy → clamd INSTREAM and, at the same time, the sealing
 * stream into the blob store → row, event and audit), and back out (blob store →
 * open stream → HTTP), each next to what the same bytes cost without Charlotte,
 * measured in the same run with alternating rounds:
 *
 *   upload      one client uploads the file (streamed from a temporary file) and
 *               waits for the 201; reference: `clamdscan --stream` of the same file
 *               against the same clamd (the scan alone, which the upload cannot beat:
 *               it waits for clamd's verdict). ratio = upload / clamdscan [≤ 1.5×].
 *   peak RSS    8 clients upload the file at once; RSS of this process (app and
 *               clients) sampled every 5 ms, over the baseline just before
 *               [≤ +128 MiB]. The clients stream from disk, so they add no file-sized buffers.
 *   download    GET of the attachment, body read to its end; reference: reading the
 *               plain file from disk (fs.createReadStream to a counting sink, page
 *               cache warm) [≤ 1.5×]. The bare-HTTP cost (the plain file served by a
 *               node:http server on loopback) is measured too and kept in details.
 *
 * Sizes: 20 MB (20,000,000 bytes: the default ATTACHMENT_MAX_BYTES is 20 MiB) in both
 * modes; BENCH_QUICK=1 only takes fewer rounds. Rounds: BENCH_ATTACH_ROUNDS (default
 * 8, quick 3) of each side. clamd: the run's (lib/environment.ts); clamdscan must be
 * on PATH (Debian package clamdscan, scripts/setup-system.sh).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { APP_CONFIG, type AppConfig } from '@charlotte/core';
import type { BenchContext, Scenario, ScenarioResult } from '../lib/types';

const run = promisify(execFile);
const MiB = 1024 * 1024;
const FILE_BYTES = 20_000_000;
const CONCURRENT = 8;
const RATIO_GOAL = 1.5;
const RSS_GOAL_MIB = 128;

const log = (m: string) => process.stderr.write(`bench: ${m}\n`);
const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;
const quick = () => process.env.BENCH_QUICK === '1';

function rounds(): number {
  const raw = process.env.BENCH_ATTACH_ROUNDS?.trim();
  if (raw) {
    if (!/^\d+$/.test(raw) || Number(raw) < 1) throw new Error(`BENCH_ATTACH_ROUNDS must be an integer >= 1, got "${raw}"`);
    return Number(raw);
  }
  return quick() ? 3 : 8;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
const median = (xs: number[]) =>
  percentile(
    [...xs].sort((a, b) => a - b),
    50,
  );

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = process.hrtime.bigint();
  const value = await fn();
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, value };
}

/** A PDF by its head (what sniffType looks at), random bytes after it: nothing clamd's signatures match. */
function writeFile(dir: string): string {
  const file = path.join(dir, 'bench-20mb.pdf');
  const head = Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\nstream\n', 'latin1');
  const tail = Buffer.from('\nendstream\n%%EOF\n', 'latin1');
  const fd = fs.openSync(file, 'w');
  try {
    fs.writeSync(fd, head);
    let left = FILE_BYTES - head.length - tail.length;
    const block = randomBytes(MiB);
    while (left > 0) left -= fs.writeSync(fd, block, 0, Math.min(block.length, left));
    fs.writeSync(fd, tail);
  } finally {
    fs.closeSync(fd);
  }
  if (fs.statSync(file).size !== FILE_BYTES) throw new Error('bench file has the wrong size');
  return file;
}

interface Session {
  baseUrl: string;
  cookie: string;
  csrf: string;
}

async function api<T>(s: Session, method: string, url: string, body?: object): Promise<T> {
  const res = await fetch(`${s.baseUrl}${url}`, {
    method,
    headers: { cookie: s.cookie, 'x-csrf-token': s.csrf, accept: 'application/json', 'content-type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  if (res.status < 200 || res.status > 299) throw new Error(`${method} ${url}: ${res.status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

/** multipart/form-data with the file streamed from disk (64 KiB reads): the client holds no copy of it. */
function upload(s: Session, applicationId: string, file: string): Promise<{ status: number; body: string }> {
  const boundary = `----charlottebench${randomBytes(8).toString('hex')}`;
  const pre = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="bench.pdf"\r\nContent-Type: application/pdf\r\n\r\n`,
  );
  const post = Buffer.from(`\r\n--${boundary}--\r\n`);
  const url = new URL(`${s.baseUrl}/api/v1/applications/${applicationId}/attachments`);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        agent: false,
        headers: {
          cookie: s.cookie,
          'x-csrf-token': s.csrf,
          accept: 'application/json',
          'content-type': `multipart/form-data; boundary=${boundary}`,
          'content-length': String(pre.length + FILE_BYTES + post.length),
        },
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (d: Buffer) => parts.push(d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.write(pre);
    const rs = fs.createReadStream(file, { highWaterMark: 64 * 1024 });
    rs.on('error', reject);
    rs.on('end', () => req.end(post));
    rs.pipe(req, { end: false });
  });
}

async function uploadOk(s: Session, applicationId: string, file: string): Promise<string> {
  const res = await upload(s, applicationId, file);
  if (res.status !== 201) throw new Error(`upload: ${res.status} ${res.body.slice(0, 300)}`);
  const view = JSON.parse(res.body) as { id: string; size: number };
  if (view.size !== FILE_BYTES) throw new Error(`upload stored ${view.size} bytes for ${FILE_BYTES}`);
  return view.id;
}

/** Reads `url`'s body to its end; bytes received. */
function getBody(url: string, headers: Record<string, string>): Promise<{ status: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers, agent: false }, (res) => {
      let bytes = 0;
      res.on('data', (d: Buffer) => (bytes += d.length));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

async function readPlain(file: string): Promise<number> {
  let bytes = 0;
  await pipeline(
    fs.createReadStream(file, { highWaterMark: 64 * 1024 }),
    new Writable({
      write(chunk: Buffer, _e, cb) {
        bytes += chunk.length;
        cb();
      },
    }),
  );
  return bytes;
}

/** A bare node:http server that streams the plain file: what a download costs without sealing, auth or audit. */
async function plainServer(file: string): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/pdf', 'content-length': String(FILE_BYTES) });
    fs.createReadStream(file, { highWaterMark: 64 * 1024 }).pipe(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  if (!addr || typeof addr === 'string') throw new Error('plain server has no address');
  return {
    url: `http://127.0.0.1:${addr.port}/`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

async function clamdscan(configFile: string, file: string): Promise<void> {
  const { stdout } = await run('clamdscan', ['--stream', '--no-summary', `--config-file=${configFile}`, file], { timeout: 120_000 });
  if (!/: OK\s*$/m.test(stdout)) throw new Error(`clamdscan did not say OK: ${stdout.slice(0, 300)}`);
}

async function clamdscanAvailable(): Promise<string | undefined> {
  try {
    await run('clamdscan', ['--version'], { timeout: 10_000 });
    return undefined;
  } catch (e) {
    return `clamdscan is not available (${e instanceof Error ? e.message.split('\n')[0] : String(e)}); install Debian's clamdscan (scripts/setup-system.sh)`;
  }
}

function result(name: string, latenciesMs: number[], extra: Partial<ScenarioResult>): ScenarioResult {
  const sorted = [...latenciesMs].sort((a, b) => a - b);
  const totalSec = sorted.reduce((a, b) => a + b, 0) / 1000;
  return {
    name,
    opsPerSec: totalSec > 0 ? sorted.length / totalSec : 0,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    non2xx: 0,
    errors: 0,
    total: sorted.length,
    ...extra,
  };
}

export async function measureAttachments(ctx: BenchContext, clamdSocket: string): Promise<ScenarioResult[]> {
  const missing = await clamdscanAvailable();
  if (missing) throw new Error(missing);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'charlotte-bench-attach-'));
  try {
    const file = writeFile(dir);
    const conf = path.join(dir, 'clamd.conf');
    fs.writeFileSync(conf, `LocalSocket ${clamdSocket}\n`);
    const s: Session = { baseUrl: ctx.baseUrl, cookie: ctx.adminCookie, csrf: ctx.adminCsrf };
    const office = await api<{ id: string }>(s, 'POST', '/api/v1/offices', { name: 'ベンチ 添付' });
    const newApp = async () =>
      (await api<{ id: string }>(s, 'POST', '/api/v1/applications', { procedureCode: 'shaho-shoyo', officeId: office.id, title: 'bench' }))
        .id;
    const appId = await newApp();
    const n = rounds();

    // Warm-up: JIT, clamd's first INSTREAM, the tenant's key, the page cache.
    await clamdscan(conf, file);
    const firstId = await uploadOk(s, appId, file);

    // ---- upload vs clamdscan --stream, alternating
    const up: number[] = [];
    const ref: number[] = [];
    for (let i = 0; i < n; i++) {
      ref.push((await timed(() => clamdscan(conf, file))).ms);
      up.push((await timed(() => uploadOk(s, appId, file))).ms);
    }
    const upMed = median(up);
    const refMed = median(ref);
    const upRatio = upMed / refMed;
    log(`20 MB upload: median ${round(upMed)} ms vs clamdscan --stream ${round(refMed)} ms (ratio ${round(upRatio)})`);

    // ---- download vs reading the plain file (and vs a bare HTTP server of the plain file)
    const dlHeaders = { cookie: ctx.adminCookie, accept: 'application/pdf' };
    const dlUrl = `${ctx.baseUrl}/api/v1/applications/${appId}/attachments/${firstId}`;
    const plain = await plainServer(file);
    const dl: number[] = [];
    const disk: number[] = [];
    const bare: number[] = [];
    try {
      const check = await getBody(dlUrl, dlHeaders);
      if (check.status !== 200 || check.bytes !== FILE_BYTES) throw new Error(`download: ${check.status}, ${check.bytes} bytes`);
      await readPlain(file);
      for (let i = 0; i < n * 2; i++) {
        disk.push(
          (
            await timed(async () => {
              if ((await readPlain(file)) !== FILE_BYTES) throw new Error('short read of the plain file');
            })
          ).ms,
        );
        bare.push(
          (
            await timed(async () => {
              const r = await getBody(plain.url, {});
              if (r.status !== 200 || r.bytes !== FILE_BYTES) throw new Error('bare HTTP server gave a short file');
            })
          ).ms,
        );
        dl.push(
          (
            await timed(async () => {
              const r = await getBody(dlUrl, dlHeaders);
              if (r.status !== 200 || r.bytes !== FILE_BYTES) throw new Error(`download: ${r.status}, ${r.bytes} bytes`);
            })
          ).ms,
        );
      }
    } finally {
      await plain.close();
    }
    const dlMed = median(dl);
    const diskMed = median(disk);
    const bareMed = median(bare);
    const dlRatio = dlMed / diskMed;
    log(
      `20 MB download: median ${round(dlMed)} ms vs plain file read ${round(diskMed)} ms (ratio ${round(dlRatio)}); ` +
        `bare HTTP of the plain file ${round(bareMed)} ms (ratio ${round(dlMed / bareMed)})`,
    );

    // ---- peak RSS, 8 concurrent uploads
    const rssApp = await newApp();
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    await new Promise((r) => setTimeout(r, 200));
    const baseline = process.memoryUsage.rss();
    let peak = baseline;
    const timer = setInterval(() => {
      const r = process.memoryUsage.rss();
      if (r > peak) peak = r;
    }, 5);
    let concurrentMs: number;
    try {
      concurrentMs = (await timed(() => Promise.all(Array.from({ length: CONCURRENT }, () => uploadOk(s, rssApp, file))))).ms;
    } finally {
      clearInterval(timer);
    }
    const growth = (peak - baseline) / MiB;
    log(
      `${CONCURRENT} concurrent 20 MB uploads in ${round(concurrentMs)} ms: peak RSS +${round(growth, 1)} MiB over ${round(baseline / MiB, 1)} MiB`,
    );

    const mbps = (ms: number) => FILE_BYTES / 1e6 / (ms / 1000);
    return [
      result('20 MB PDF upload end to end', up, {
        figure: { value: round(upMed), unit: 'ms (median)' },
        reference: { label: 'clamdscan --stream alone', value: round(refMed), unit: 'ms (median)' },
        ratio: round(upRatio, 3),
        goal: { metric: 'ratio', op: '<=', value: RATIO_GOAL, text: `≤ ${RATIO_GOAL}×` },
        details: {
          unit: 'uploads/s, one client; p50/p99 per upload',
          bytes: FILE_BYTES,
          rounds: n,
          uploadMsMedian: round(upMed),
          uploadMBperSec: round(mbps(upMed)),
          clamdscanMsMedian: round(refMed),
          clamdscanMs: ref.map((x) => round(x)),
          uploadMs: up.map((x) => round(x)),
        },
      }),
      result(`${CONCURRENT} concurrent 20 MB uploads: peak RSS growth`, [concurrentMs], {
        figure: { value: round(growth, 1), unit: 'MiB' },
        goal: { metric: 'figure', op: '<=', value: RSS_GOAL_MIB, text: `≤ +${RSS_GOAL_MIB} MiB` },
        details: {
          unit: 'batches/s; p50 = time for all uploads',
          concurrent: CONCURRENT,
          rssBaselineMiB: round(baseline / MiB, 1),
          rssPeakMiB: round(peak / MiB, 1),
          rssGrowthMiB: round(growth, 1),
          gcExposed: Boolean(gc),
        },
      }),
      result('20 MB download (open stream)', dl, {
        figure: { value: round(dlMed), unit: 'ms (median)' },
        reference: { label: 'reading the plain file', value: round(diskMed), unit: 'ms (median)' },
        ratio: round(dlRatio, 3),
        goal: { metric: 'ratio', op: '<=', value: RATIO_GOAL, text: `≤ ${RATIO_GOAL}×` },
        details: {
          unit: 'downloads/s, one client; p50/p99 per download',
          bytes: FILE_BYTES,
          rounds: n * 2,
          downloadMsMedian: round(dlMed),
          downloadMBperSec: round(mbps(dlMed)),
          plainReadMsMedian: round(diskMed),
          bareHttpMsMedian: round(bareMed),
          ratioVsBareHttp: round(dlMed / bareMed, 3),
        },
      }),
    ];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export const attachmentScenarios: Scenario[] = [
  {
    name: 'attachments upload, download, RSS (20 MB)',
    description: '20 MB PDF upload vs clamdscan --stream; peak RSS of 8 concurrent uploads; download vs reading the plain file',
    // The socket the app itself scans with (lib/environment.ts sets it).
    run: (ctx) => measureAttachments(ctx, ctx.app.get<AppConfig>(APP_CONFIG).clamdSocket),
  },
];
