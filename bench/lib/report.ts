import * as os from 'node:os';
import type { LoadSettings, ScenarioResult } from './types';

export interface RunInfo {
  machine: { cpu: string; cores: number; memoryGiB: number; platform: string };
  node: string;
  database: { kind: 'embedded' | 'external'; description: string; serverVersion?: string };
  load: LoadSettings;
  seededUsers: number;
}

/** A scenario that did not produce a valid measurement; `measured` when it got as far as measuring. */
export interface Failure {
  name: string;
  message: string;
  measured?: ScenarioResult;
}

export function machineInfo(): RunInfo['machine'] {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: typeof os.availableParallelism === 'function' ? os.availableParallelism() : cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
  };
}

const fmt = (n: number, digits: number) => (Number.isFinite(n) ? n.toFixed(digits) : '-');

/** The human-readable report: header lines and one aligned table. */
export function renderTable(info: RunInfo, results: ScenarioResult[], failures: Failure[]): string {
  const header = ['scenario', 'requests/s (mean)', 'p50 ms', 'p99 ms', 'non-2xx', 'errors'];
  const row = (name: string, r: ScenarioResult) => [
    name,
    fmt(r.opsPerSec, 1),
    fmt(r.p50Ms, 2),
    fmt(r.p99Ms, 2),
    String(r.non2xx),
    String(r.errors),
  ];
  const rows = results.map((r) => row(r.name, r));
  for (const f of failures) rows.push(f.measured ? row(`${f.name} (FAILED)`, f.measured) : [`${f.name} (FAILED)`, '-', '-', '-', '-', '-']);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  const sep = `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [
    `machine:  ${info.machine.cpu}, ${info.machine.cores} cores, ${info.machine.memoryGiB} GiB, ${info.machine.platform}`,
    `node:     ${info.node}`,
    `database: ${info.database.description}${info.database.serverVersion ? `, PostgreSQL ${info.database.serverVersion}` : ''}`,
    `load:     autocannon, ${info.load.connections} connections, ${info.load.durationSec} s per scenario, ` +
      (info.load.workers > 0 ? `${info.load.workers} worker thread(s)` : 'on the app event loop') +
      `; tenant with ${info.seededUsers} users`,
    '',
    line(header),
    sep,
    ...rows.map(line),
  ].join('\n');
}

/** One machine-readable line: `BENCH_RESULT {...}`. */
export function renderJson(info: RunInfo, results: ScenarioResult[], failures: Failure[]): string {
  return `BENCH_RESULT ${JSON.stringify({
    version: 1,
    ok: failures.length === 0,
    at: new Date().toISOString(),
    ...info,
    results: results.map((r) => ({
      name: r.name,
      requestsPerSec: round(r.opsPerSec, 2),
      p50Ms: r.p50Ms,
      p99Ms: r.p99Ms,
      non2xx: r.non2xx,
      errors: r.errors,
      total: r.total,
      ...(r.details ? { details: r.details } : {}),
    })),
    failures: failures.map((f) => ({ name: f.name, message: f.message })),
  })}`;
}

const round = (n: number, d: number) => Math.round(n * 10 ** d) / 10 ** d;
