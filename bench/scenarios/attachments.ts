/**
 * Attachment benchmark (issue 20): a 20 MB clean PDF through the whole upload path
 * (HTTP multipart → busboy → clamd INSTREAM and, at the same time, the sealing
 * stream into the blob store → row, event and audit), and back out (blob store →
 * open stream → HTTP), each next to what the same bytes cost without Charlotte,
 * measured in the same run with alternating rounds:
 *
 *   upload      one client (curl, streaming the file from disk) uploads the file and
 *               waits for the 201; reference: `clamdscan --stream` of the same file
 *               against the same clamd (the scan alone, which the upload cannot beat:
 *               it waits for clamd's verdict). ratio = upload / clamdscan [≤ 1.5×].
 *   peak RSS    8 curl clients upload the file at once; RSS of this process (the app;
 *               the clients are other processes) sampled every 5 ms, over the
 *               baseline just before [≤ +128 MiB].
 *   download    GET of the attachment with curl into /dev/null; reference: curl
 *               reading the plain file (file://, page cache warm) [≤ 1.5×]. curl
 *               fetching the plain file from a bare node:http server on loopback (what
 *               HTTP alone costs) is measured too and kept in details.
 *
 * Clients are separate processes on both sides of each ratio (curl, clamdscan): the
 * same process start-up cost is in both, and none of the client's work runs on the
 * app's event loop or counts in its RSS.
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

/**
 * The clients are curl processes, like the clamdscan reference: they stream the file from
 * disk and cost the app's process (its event loop, its RSS) nothing, as real clients would.
 * `Expect:` is sent empty so that curl does not wait for a 100-continue round trip.
 */
async function curl(args: string[]): Promise<{ status: number; bytes: number; body: string }> {
  const { stdout } = await run('curl', ['-sS', '--noproxy', '*', '-H', 'Expect:', '-w', '\n%{http_code} %{size_download}', ...args], {
    timeout: 120_000,
    maxBuffer: 1024 * 1024,
    encoding: 'utf8',
  });
  const nl = stdout.lastIndexOf('\n');
  const [status, bytes] = stdout
    .slice(nl + 1)
    .split(' ')
    .map(Number);
  return { status, bytes, body: stdout.slice(0, nl) };
}

async function uploadOk(s: Session, applicationId: string, file: string): Promise<string> {
  const res = await curl([
    '-H',
    `cookie: ${s.cookie}`,
    '-H',
    `x-csrf-token: ${s.csrf}`,
    '-H',
    'accept: application/json',
    '-F',
    `file=@${file};type=application/pdf;filename=bench.pdf`,
    `${s.baseUrl}/api/v1/applications/${applicationId}/attachments`,
  ]);
  if (res.status !== 201) throw new Error(`upload: ${res.status} ${res.body.slice(0, 300)}`);
  const view = JSON.parse(res.body) as { id: string; size: number };
  if (view.size !== FILE_BYTES) throw new Error(`upload stored ${view.size} bytes for ${FILE_BYTES}`);
  return view.id;
}

/** GETs `url` with curl into /dev/null; fails unless 200 (for http) and the whole file. */
async function download(url: string, headers: string[] = []): Promise<void> {
  const res = await curl([...headers.flatMap((h) => ['-H', h]), '-o', '/dev/null', url]);
  const okStatus = url.startsWith('file:') ? res.status === 0 : res.status === 200;
  if (!okStatus || res.bytes !== FILE_BYTES) throw new Error(`GET ${url}: ${res.status}, ${res.bytes} bytes`);
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

/**
 * CPU seconds, for the CPU-time view of the ratios (kept in details): on a machine shared
 * with other work the wall times stretch with the load, CPU time much less.
 *   self      this process (the app; the bench's own work here is small)
 *   children  waited-for child processes (curl, clamdscan): /proc/self/stat cutime + cstime
 *   clamd     the clamd daemon the app scans with (its pid file next to its socket), 0 if unknown
 */
interface Cpu {
  self: number;
  children: number;
  clamd: number;
}
const TICK = 100; // USER_HZ on Linux

function statTimes(pid: string | number): number[] | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat
      .slice(stat.lastIndexOf(')') + 2)
      .split(' ')
      .map(Number);
  } catch {
    return undefined;
  }
}

function cpuNow(clamdPid: string | undefined): Cpu {
  const u = process.cpuUsage();
  // Fields after "(comm) ": state is index 0, so utime/stime/cutime/cstime are 11..14.
  const self = statTimes('self');
  const clamd = clamdPid ? statTimes(clamdPid) : undefined;
  return {
    self: (u.user + u.system) / 1e6,
    children: self ? (self[13] + self[14]) / TICK : 0,
    clamd: clamd ? (clamd[11] + clamd[12]) / TICK : 0,
  };
}

const cpuDiff = (a: Cpu, b: Cpu): Cpu => ({ self: b.self - a.self, children: b.children - a.children, clamd: b.clamd - a.clamd });
const cpuSum = (xs: Cpu[]): Cpu =>
  xs.reduce((t, x) => ({ self: t.self + x.self, children: t.children + x.children, clamd: t.clamd + x.clamd }));
const cpuTotal = (c: Cpu) => c.self + c.children + c.clamd;
const cpuMs = (c: Cpu, n: number) => ({
  appMs: round((c.self * 1000) / n),
  clientMs: round((c.children * 1000) / n),
  clamdMs: round((c.clamd * 1000) / n),
});

async function timedCpu<T>(clamdPid: string | undefined, fn: () => Promise<T>): Promise<{ ms: number; cpu: Cpu; value: T }> {
  const c0 = cpuNow(clamdPid);
  const { ms, value } = await timed(fn);
  return { ms, cpu: cpuDiff(c0, cpuNow(clamdPid)), value };
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
    const clamdPid = (() => {
      try {
        return fs.readFileSync(path.join(path.dirname(clamdSocket), 'clamd.pid'), 'utf8').trim() || undefined;
      } catch {
        return undefined;
      }
    })();
    const up: number[] = [];
    const ref: number[] = [];
    const upCpu: Cpu[] = [];
    const refCpu: Cpu[] = [];
    for (let i = 0; i < n; i++) {
      const r = await timedCpu(clamdPid, () => clamdscan(conf, file));
      ref.push(r.ms);
      refCpu.push(r.cpu);
      const u = await timedCpu(clamdPid, () => uploadOk(s, appId, file));
      up.push(u.ms);
      upCpu.push(u.cpu);
    }
    const upMed = median(up);
    const refMed = median(ref);
    const upRatio = upMed / refMed;
    const upCpuTotal = cpuSum(upCpu);
    const refCpuTotal = cpuSum(refCpu);
    const upCpuRatio = cpuTotal(upCpuTotal) / cpuTotal(refCpuTotal);
    log(
      `20 MB upload: median ${round(upMed)} ms vs clamdscan --stream ${round(refMed)} ms (ratio ${round(upRatio)}); ` +
        `CPU per upload ${JSON.stringify(cpuMs(upCpuTotal, n))} vs per clamdscan ${JSON.stringify(cpuMs(refCpuTotal, n))} ` +
        `(CPU ratio ${round(upCpuRatio)}; load ${os
          .loadavg()
          .map((l) => round(l, 1))
          .join(' ')})`,
    );

    // ---- download vs reading the plain file (and vs a bare HTTP server of the plain file), all with curl
    const dlHeaders = [`cookie: ${ctx.adminCookie}`, 'accept: application/pdf'];
    const dlUrl = `${ctx.baseUrl}/api/v1/applications/${appId}/attachments/${firstId}`;
    const fileUrl = `file://${file}`;
    const plain = await plainServer(file);
    const dl: number[] = [];
    const disk: number[] = [];
    const bare: number[] = [];
    const dlCpu: Cpu[] = [];
    const diskCpu: Cpu[] = [];
    try {
      await download(dlUrl, dlHeaders);
      await download(fileUrl);
      await download(plain.url);
      for (let i = 0; i < n * 2; i++) {
        const d = await timedCpu(undefined, () => download(fileUrl));
        disk.push(d.ms);
        diskCpu.push(d.cpu);
        bare.push((await timed(() => download(plain.url))).ms);
        const o = await timedCpu(undefined, () => download(dlUrl, dlHeaders));
        dl.push(o.ms);
        dlCpu.push(o.cpu);
      }
    } finally {
      await plain.close();
    }
    const dlMed = median(dl);
    const diskMed = median(disk);
    const bareMed = median(bare);
    const dlRatio = dlMed / diskMed;
    const dlCpuTotal = cpuSum(dlCpu);
    const diskCpuTotal = cpuSum(diskCpu);
    log(
      `20 MB download: median ${round(dlMed)} ms vs plain file read ${round(diskMed)} ms (ratio ${round(dlRatio)}); ` +
        `bare HTTP of the plain file ${round(bareMed)} ms (ratio ${round(dlMed / bareMed)}); ` +
        `CPU per download ${JSON.stringify(cpuMs(dlCpuTotal, n * 2))} vs plain read ${JSON.stringify(cpuMs(diskCpuTotal, n * 2))}`,
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
          cpuPerUpload: cpuMs(upCpuTotal, n),
          cpuPerClamdscan: cpuMs(refCpuTotal, n),
          cpuRatio: round(upCpuRatio, 3),
          loadAverage: os.loadavg().map((l) => round(l, 2)),
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
        reference: { label: 'reading the plain file (curl file://)', value: round(diskMed), unit: 'ms (median)' },
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
          cpuPerDownload: cpuMs(dlCpuTotal, n * 2),
          cpuPerPlainRead: cpuMs(diskCpuTotal, n * 2),
          loadAverage: os.loadavg().map((l) => round(l, 2)),
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
