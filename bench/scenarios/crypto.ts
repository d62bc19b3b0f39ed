/**
 * Envelope-encryption benchmark (libs/crypto/src/envelope): the sealed formats
 * next to a raw AES-256-GCM loop over the same bytes, measured in the same run.
 *
 *   seal+open of 1 KiB values          ops/s (one op = sealValue + openValue)
 *   seal+open of 1 MiB / 100 MiB streams  MiB/s of plaintext through createSealStream -> createOpenStream
 *   peak RSS growth while sealing (and seal->open) 100 MiB streamed from a generator
 *
 * "raw" is crypto.createCipheriv('aes-256-gcm') + createDecipheriv over the same
 * bytes with the same AAD size: for values one cipher pair per value, for streams
 * one cipher pair over the whole stream fed in the same 64 KiB pieces (the ceiling
 * of what GCM can do here, no chunking, no stream machinery). ratio = ours / raw.
 *
 * Needs no database. Alone (no app, no PostgreSQL):
 *
 *   npx tsc -p bench/tsconfig.json; node --expose-gc -r ./dist/bench/bench/lib/aliases.js dist/bench/bench/scenarios/crypto.js
 *
 * (--expose-gc only gives the RSS baseline a clean heap; BENCH_DURATION = seconds per
 * measurement, default 3.) Inside the full run (`npm run bench`, after registering
 * cryptoScenarios in scenarios/index.ts) each measurement is one row; the raw figures,
 * ratios and RSS growth are in the row's details (BENCH_RESULT) and on stderr.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes, randomFillSync } from 'node:crypto';
import { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  createOpenStream,
  createSealStream,
  DEFAULT_CHUNK_SIZE,
  encodeSealContext,
  openValue,
  type SealContext,
  sealedStreamSize,
  sealValue,
} from '@charlotte/crypto';
import { machineInfo } from '../lib/report';
import type { BenchContext, Scenario, ScenarioResult } from '../lib/types';

const KiB = 1024;
const MiB = 1024 * KiB;
/** Writes arrive in 64 KiB pieces, as from fs.createReadStream or an upload. */
const PIECE = 64 * KiB;
/** Printed, not asserted (the brief: sealing 100 MiB must stay well below this over the baseline). */
const RSS_BUDGET_MIB = 64;
/** Issue 20: ours / raw AES-256-GCM ≥ 0.70 for values and streams of every size. */
const RATIO_GOAL = 0.7;
const ratioGoal = { metric: 'ratio', op: '>=', value: RATIO_GOAL, text: `≥ ${RATIO_GOAL.toFixed(2)}×` } as const;

const dek = randomBytes(32);
const KEY_VERSION = 1;
const sealCtx: SealContext = { tenantId: '00000000-0000-4000-8000-00000000b0b0', purpose: 'bench.crypto', recordId: 'bench-record-1' };
/** Same AAD length as a sealed value's (20-byte header + context), so raw GCM hashes as many AAD bytes. */
const rawAad = Buffer.concat([Buffer.alloc(20), encodeSealContext(sealCtx)]);
const getDek = () => dek;

const log = (m: string) => process.stderr.write(`bench: ${m}\n`);
const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;
const mib = (bytes: number) => bytes / MiB;

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

interface Timing {
  ops: number;
  seconds: number;
  latenciesMs: number[];
}

/** Runs `fn` until `seconds` have passed (and at least `minOps` times); per-call latencies in ms. */
async function timeLoop(seconds: number, minOps: number, fn: () => void | Promise<void>): Promise<Timing> {
  const latenciesMs: number[] = [];
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(Math.round(seconds * 1e9));
  for (;;) {
    const t0 = process.hrtime.bigint();
    await fn();
    const t1 = process.hrtime.bigint();
    latenciesMs.push(Number(t1 - t0) / 1e6);
    if (latenciesMs.length >= minOps && t1 >= deadline) break;
  }
  latenciesMs.sort((a, b) => a - b);
  return { ops: latenciesMs.length, seconds: Number(process.hrtime.bigint() - start) / 1e9, latenciesMs };
}

/** Synchronous variant for the value loops (no await per op: it would dominate a ~10 µs operation). */
function timeLoopSync(seconds: number, fn: () => void): Timing {
  const latenciesMs: number[] = [];
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(Math.round(seconds * 1e9));
  let t1 = start;
  while (t1 < deadline) {
    const t0 = t1;
    fn();
    t1 = process.hrtime.bigint();
    latenciesMs.push(Number(t1 - t0) / 1e6);
  }
  latenciesMs.sort((a, b) => a - b);
  return { ops: latenciesMs.length, seconds: Number(t1 - start) / 1e9, latenciesMs };
}

/** Alternating rounds of both loops, so that noise from other processes hits raw and ours alike. */
const ROUNDS = 4;

function merge(timings: Timing[]): Timing {
  return {
    ops: timings.reduce((n, t) => n + t.ops, 0),
    seconds: timings.reduce((n, t) => n + t.seconds, 0),
    latenciesMs: timings.flatMap((t) => t.latenciesMs).sort((a, b) => a - b),
  };
}

async function alternate(
  seconds: number,
  measure: (seconds: number, fn: () => void | Promise<void>) => Timing | Promise<Timing>,
  raw: () => void | Promise<void>,
  ours: () => void | Promise<void>,
): Promise<{ raw: Timing; ours: Timing }> {
  const r: Timing[] = [];
  const o: Timing[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    r.push(await measure(seconds / ROUNDS, raw));
    o.push(await measure(seconds / ROUNDS, ours));
  }
  return { raw: merge(r), ours: merge(o) };
}

/** `total` bytes as 64 KiB views of one random block: streams 100 MiB without holding it. */
function* source(total: number, block: Buffer, onPiece?: (piece: Buffer) => void): Generator<Buffer> {
  for (let off = 0; off < total; off += PIECE) {
    const start = off % block.length;
    const piece = block.subarray(start, start + Math.min(PIECE, total - off));
    onPiece?.(piece);
    yield piece;
  }
}

function sink(onChunk: (chunk: Buffer) => void): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      onChunk(chunk);
      callback();
    },
  });
}

// ---------------------------------------------------------------- values

function rawValueSealOpen(plaintext: Buffer, iv: Buffer): void {
  randomFillSync(iv);
  const cipher = createCipheriv('aes-256-gcm', dek, iv, { authTagLength: 16 });
  cipher.setAAD(rawAad);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  const decipher = createDecipheriv('aes-256-gcm', dek, iv, { authTagLength: 16 });
  decipher.setAAD(rawAad);
  decipher.setAuthTag(cipher.getAuthTag());
  const out = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  if (out.length !== plaintext.length) throw new Error('raw GCM round trip lost bytes');
}

export async function measureValues(seconds: number, size = KiB): Promise<ScenarioResult> {
  const name = `crypto seal+open ${size / KiB} KiB value`;
  const plaintext = randomBytes(size);
  const check = openValue(getDek, sealCtx, sealValue(dek, KEY_VERSION, sealCtx, plaintext));
  if (!check.equals(plaintext)) throw new Error(`${name}: round trip does not give the plaintext back`);

  const iv = Buffer.alloc(12);
  const { raw, ours } = await alternate(
    seconds,
    (sec, fn) => timeLoopSync(sec, fn as () => void),
    () => rawValueSealOpen(plaintext, iv),
    () => void openValue(getDek, sealCtx, sealValue(dek, KEY_VERSION, sealCtx, plaintext)),
  );
  const oursOps = ours.ops / ours.seconds;
  const rawOps = raw.ops / raw.seconds;
  const ratio = oursOps / rawOps;
  log(`${name}: ${Math.round(oursOps)} ops/s vs raw AES-GCM ${Math.round(rawOps)} ops/s (ratio ${round(ratio)})`);
  return {
    name,
    opsPerSec: oursOps,
    p50Ms: percentile(ours.latenciesMs, 50),
    p99Ms: percentile(ours.latenciesMs, 99),
    non2xx: 0,
    errors: 0,
    total: ours.ops,
    figure: { value: round(oursOps), unit: 'seal+open/s' },
    reference: { label: 'raw AES-256-GCM', value: round(rawOps), unit: 'seal+open/s' },
    ratio: round(ratio, 3),
    goal: ratioGoal,
    details: { unit: 'seal+open pairs/s', rawOpsPerSec: round(rawOps), ratio: round(ratio, 3), seconds: round(ours.seconds) },
  };
}

// ---------------------------------------------------------------- streams

async function oursStreamSealOpen(total: number, block: Buffer): Promise<void> {
  let got = 0;
  await pipeline(
    Readable.from(source(total, block)),
    createSealStream(dek, KEY_VERSION, sealCtx),
    createOpenStream(getDek, sealCtx),
    sink((c) => (got += c.length)),
  );
  if (got !== total) throw new Error(`seal->open gave ${got} bytes for ${total}`);
}

function rawStreamSealOpen(total: number, block: Buffer): void {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', dek, iv, { authTagLength: 16 });
  const decipher = createDecipheriv('aes-256-gcm', dek, iv, { authTagLength: 16 });
  cipher.setAAD(rawAad);
  decipher.setAAD(rawAad);
  let got = 0;
  for (const piece of source(total, block)) got += decipher.update(cipher.update(piece)).length;
  cipher.final();
  decipher.setAuthTag(cipher.getAuthTag());
  decipher.final();
  if (got !== total) throw new Error(`raw GCM gave ${got} bytes for ${total}`);
}

/** Checks once, untimed, that the streamed round trip returns exactly the plaintext (SHA-256 both sides). */
async function verifyStream(total: number, block: Buffer): Promise<void> {
  const hIn = createHash('sha256');
  const hOut = createHash('sha256');
  let sealedBytes = 0;
  await pipeline(
    Readable.from(source(total, block, (p) => hIn.update(p))),
    createSealStream(dek, KEY_VERSION, sealCtx),
    new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        sealedBytes += chunk.length;
        callback(null, chunk);
      },
    }),
    createOpenStream(getDek, sealCtx),
    sink((c) => hOut.update(c)),
  );
  if (sealedBytes !== sealedStreamSize(total))
    throw new Error(`sealed ${sealedBytes} bytes, sealedStreamSize says ${sealedStreamSize(total)}`);
  if (!hIn.digest().equals(hOut.digest())) throw new Error('seal->open did not give the plaintext back');
}

export async function measureStream(seconds: number, total: number): Promise<ScenarioResult> {
  const name = `crypto seal+open ${mib(total)} MiB stream (MiB/s)`;
  const block = randomBytes(Math.min(total, MiB));
  await verifyStream(total, block);

  const { raw, ours } = await alternate(
    seconds,
    (sec, fn) => timeLoop(sec, 1, fn),
    () => rawStreamSealOpen(total, block),
    () => oursStreamSealOpen(total, block),
  );
  const oursMiBps = (mib(total) * ours.ops) / ours.seconds;
  const rawMiBps = (mib(total) * raw.ops) / raw.seconds;
  const ratio = oursMiBps / rawMiBps;
  log(`${name}: ${round(oursMiBps, 1)} MiB/s vs raw AES-GCM ${round(rawMiBps, 1)} MiB/s (ratio ${round(ratio)})`);
  return {
    name,
    opsPerSec: oursMiBps,
    p50Ms: percentile(ours.latenciesMs, 50),
    p99Ms: percentile(ours.latenciesMs, 99),
    non2xx: 0,
    errors: 0,
    total: ours.ops,
    figure: { value: round(oursMiBps, 1), unit: 'MiB/s' },
    reference: { label: 'raw AES-256-GCM', value: round(rawMiBps, 1), unit: 'MiB/s' },
    ratio: round(ratio, 3),
    goal: ratioGoal,
    details: {
      unit: 'MiB/s of plaintext sealed and opened; p50/p99 per stream',
      chunkSize: DEFAULT_CHUNK_SIZE,
      rawMiBPerSec: round(rawMiBps, 1),
      ratio: round(ratio, 3),
      streams: ours.ops,
      seconds: round(ours.seconds),
    },
  };
}

// ---------------------------------------------------------------- memory

/**
 * Peak RSS over the baseline while 100 MiB flow from a generator through
 * createSealStream (and, with `open`, on through createOpenStream) into a sink
 * that only hashes/counts. RSS is sampled at every piece in and chunk out and
 * every 5 ms. Verifies the result (sealed size, or SHA-256 of the round trip).
 */
export async function measureRss(total: number, open: boolean): Promise<ScenarioResult> {
  const name = `crypto ${open ? 'seal->open' : 'seal'} ${mib(total)} MiB streamed: peak RSS growth`;
  const block = randomBytes(MiB);
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const baseline = process.memoryUsage.rss();
  let peak = baseline;
  const sample = () => {
    const r = process.memoryUsage.rss();
    if (r > peak) peak = r;
  };
  const timer = setInterval(sample, 5);
  const hIn = createHash('sha256');
  const hOut = createHash('sha256');
  let out = 0;
  const t0 = process.hrtime.bigint();
  try {
    const input = Readable.from(
      source(total, block, (p) => {
        if (open) hIn.update(p);
        sample();
      }),
    );
    const output = sink((c) => {
      out += c.length;
      if (open) hOut.update(c);
      sample();
    });
    const sealer = createSealStream(dek, KEY_VERSION, sealCtx);
    if (open) await pipeline(input, sealer, createOpenStream(getDek, sealCtx), output);
    else await pipeline(input, sealer, output);
  } finally {
    clearInterval(timer);
  }
  const sec = Number(process.hrtime.bigint() - t0) / 1e9;
  if (open ? !hIn.digest().equals(hOut.digest()) : out !== sealedStreamSize(total))
    throw new Error(`${name}: the streamed ${open ? 'round trip' : 'sealing'} did not produce the expected bytes`);
  const growth = mib(peak - baseline);
  log(
    `${name}: ${round(growth, 1)} MiB over a baseline of ${round(mib(baseline), 1)} MiB ` +
      `(budget ${RSS_BUDGET_MIB} MiB: ${growth < RSS_BUDGET_MIB ? 'within' : 'OVER'}; gc ${gc ? 'exposed' : 'not exposed'})`,
  );
  return {
    name,
    opsPerSec: mib(total) / sec,
    p50Ms: 0,
    p99Ms: 0,
    non2xx: 0,
    errors: 0,
    total: 1,
    figure: { value: round(growth, 1), unit: 'MiB' },
    goal: { metric: 'figure', op: '<', value: RSS_BUDGET_MIB, text: `< +${RSS_BUDGET_MIB} MiB` },
    details: {
      unit: 'MiB/s while measuring RSS',
      rssBaselineMiB: round(mib(baseline), 1),
      rssPeakMiB: round(mib(peak), 1),
      rssGrowthMiB: round(growth, 1),
      rssBudgetMiB: RSS_BUDGET_MIB,
      withinBudget: growth < RSS_BUDGET_MIB,
      gcExposed: Boolean(gc),
    },
  };
}

// ---------------------------------------------------------------- registration

const secondsOf = (ctx: BenchContext) => Math.max(1, Math.min(ctx.load.durationSec, 5));

/** Append `...cryptoScenarios` to SCENARIOS in scenarios/index.ts to run these in the full benchmark. */
export const cryptoScenarios: Scenario[] = [
  {
    name: 'crypto seal+open 1 KiB value',
    description: 'sealValue + openValue of 1 KiB (ops/s), next to raw AES-256-GCM',
    run: (ctx) => measureValues(secondsOf(ctx)),
  },
  {
    name: 'crypto seal+open 1 MiB stream (MiB/s)',
    description: 'createSealStream -> createOpenStream of 1 MiB, next to raw AES-256-GCM',
    run: (ctx) => measureStream(secondsOf(ctx), MiB),
  },
  {
    name: 'crypto seal+open 100 MiB stream (MiB/s)',
    description: 'createSealStream -> createOpenStream of 100 MiB, next to raw AES-256-GCM',
    run: (ctx) => measureStream(secondsOf(ctx), 100 * MiB),
  },
  {
    name: 'crypto seal 100 MiB streamed: peak RSS growth',
    description: 'RSS growth while sealing 100 MiB from a generator (details.rssGrowthMiB)',
    run: () => measureRss(100 * MiB, false),
  },
  {
    name: 'crypto seal->open 100 MiB streamed: peak RSS growth',
    description: 'RSS growth while sealing and opening 100 MiB from a generator (details.rssGrowthMiB)',
    run: () => measureRss(100 * MiB, true),
  },
];

// ---------------------------------------------------------------- standalone

async function standalone(): Promise<void> {
  const raw = process.env.BENCH_DURATION?.trim();
  if (raw && !/^\d+$/.test(raw)) throw new Error(`BENCH_DURATION must be an integer number of seconds, got "${raw}"`);
  const seconds = raw ? Math.max(1, Number(raw)) : 3;
  const m = machineInfo();
  log(`envelope crypto benchmark, ${seconds} s per measurement`);
  // Memory first, on a fresh heap, before the throughput runs allocate.
  const results: ScenarioResult[] = [
    await measureRss(100 * MiB, false),
    await measureRss(100 * MiB, true),
    await measureValues(seconds),
    await measureStream(seconds, MiB),
    await measureStream(seconds, 100 * MiB),
  ];
  const d = (r: ScenarioResult, k: string) => r.details?.[k];
  const rows = [
    ['measurement', 'ours', 'raw AES-GCM', 'ours/raw', 'p50 ms', 'p99 ms'],
    ...results.slice(2).map((r) => {
      const unit = r.name.includes('value') ? 'ops/s' : 'MiB/s';
      const rawRate = Number(d(r, 'rawOpsPerSec') ?? d(r, 'rawMiBPerSec'));
      return [
        r.name,
        `${round(r.opsPerSec, 1)} ${unit}`,
        `${round(rawRate, 1)} ${unit}`,
        String(d(r, 'ratio')),
        round(r.p50Ms, 3),
        round(r.p99Ms, 3),
      ];
    }),
    ...results
      .slice(0, 2)
      .map((r) => [r.name, `+${d(r, 'rssGrowthMiB')} MiB`, '', '', `base ${d(r, 'rssBaselineMiB')} MiB`, `peak ${d(r, 'rssPeakMiB')} MiB`]),
  ].map((row) => row.map(String));
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const text = rows.map((r) => `| ${r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`);
  process.stdout.write(
    [
      `machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.platform}`,
      `node:    ${process.version}; chunk size ${DEFAULT_CHUNK_SIZE / KiB} KiB; writes of ${PIECE / KiB} KiB`,
      '',
      text[0],
      `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`,
      ...text.slice(1),
      '',
      `BENCH_CRYPTO_RESULT ${JSON.stringify({ version: 1, at: new Date().toISOString(), machine: m, node: process.version, results })}`,
      '',
    ].join('\n'),
  );
}

if (require.main === module) {
  standalone().then(
    () => process.exit(0),
    (e: unknown) => {
      process.stderr.write(`\nBENCH FAILED: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exit(1);
    },
  );
}
