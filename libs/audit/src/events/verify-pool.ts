import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { RangeResult } from './chain-range';
import type { VerifyWorkerData } from './verify-worker';

// Compiled (dist: npm start, the CLI, the bench): the worker is the .js beside this file.
const WORKER_JS = path.join(__dirname, 'verify-worker.js');
// From source (jest runs the TypeScript through ts-jest): the three files the worker
// needs (it imports only them, pg and node built-ins) are transpiled once in this
// thread and handed to the worker, which compiles them instead of the missing .js.
const WORKER_SOURCES = ['verify-worker.ts', 'chain-range.ts', 'canonical.ts'].map((f) => path.join(__dirname, f));
const TS_BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
const Module = require('node:module');
Module._extensions['.ts'] = function (m, filename) {
  m._compile(workerData.compiled[filename], filename);
};
Module.createRequire(workerData.entry)(workerData.entry);
`;
let compiled: Record<string, string> | undefined;

function transpiled(): Record<string, string> {
  if (!compiled) {
    // only ever reached from source (tests), where typescript is installed
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const ts = require('typescript') as typeof import('typescript');
    compiled = {};
    for (const file of WORKER_SOURCES) {
      compiled[file] = ts.transpileModule(fs.readFileSync(file, 'utf8'), {
        fileName: file,
        compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
      }).outputText;
    }
  }
  return compiled;
}

function startWorker(data: VerifyWorkerData): Worker {
  if (fs.existsSync(WORKER_JS)) return new Worker(WORKER_JS, { workerData: data });
  return new Worker(TS_BOOTSTRAP, { eval: true, workerData: { ...data, entry: WORKER_SOURCES[0], compiled: transpiled() } });
}

const asBuffer = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

/** Buffers come back from a worker as Uint8Array (structured clone). */
function revive(r: RangeResult): RangeResult {
  return {
    first: r.first && { seq: r.first.seq, prevHash: asBuffer(r.first.prevHash) },
    checked: r.checked,
    last: r.last && { seq: r.last.seq, hash: asBuffer(r.last.hash) },
    broken: r.broken,
  };
}

/** One worker thread per range; terminate() stops those still running (after a break). */
export function verifyRangesInWorkers(data: VerifyWorkerData[]): { results: Array<Promise<RangeResult>>; terminate: () => Promise<void> } {
  const workers = data.map(startWorker);
  const results = workers.map(
    (w) =>
      new Promise<RangeResult>((resolve, reject) => {
        w.once('message', (m: { result?: RangeResult; error?: string }) =>
          m.result ? resolve(revive(m.result)) : reject(new Error(`audit verification worker: ${m.error}`)),
        );
        w.once('error', reject);
        w.once('exit', (code) => reject(new Error(`audit verification worker exited (${code})`)));
      }),
  );
  // a rejection nobody awaits (a range after a break) must not surface as unhandled
  for (const r of results) r.catch(() => undefined);
  return { results, terminate: async () => void (await Promise.all(workers.map((w) => w.terminate()))) };
}
