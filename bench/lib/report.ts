import * as os from 'node:os';
import type { Goal, LoadSettings, ScenarioResult } from './types';

export interface RunInfo {
  machine: { cpu: string; cores: number; memoryGiB: number; platform: string };
  node: string;
  database: { kind: 'embedded' | 'external'; description: string; serverVersion?: string };
  load: LoadSettings;
  seededUsers: number;
  /** BENCH_QUICK=1: smaller sizes, same rows. */
  quick?: boolean;
  /** 1-minute load average when the run started and when it ended: other work on the machine skews every figure. */
  loadAverage?: { start: number; end: number };
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

/** The figure a goal compares: the named column, the row's ratio or its own figure; undefined when the row lacks it. */
export function goalValue(r: ScenarioResult, metric: Goal['metric']): number | undefined {
  switch (metric) {
    case 'p99Ms':
      return r.p99Ms;
    case 'opsPerSec':
      return r.opsPerSec;
    case 'ratio':
      return r.ratio;
    case 'figure':
      return r.figure?.value;
  }
}

/**
 * Whether the row meets its goal: true/false, or undefined when it has no goal or the compared
 * figure is missing or not a finite number (e.g. the reference could not be measured in this run).
 */
export function goalMet(r: ScenarioResult): boolean | undefined {
  if (!r.goal) return undefined;
  const v = goalValue(r, r.goal.metric);
  if (v === undefined || !Number.isFinite(v)) return undefined;
  const b = r.goal.value;
  switch (r.goal.op) {
    case '<':
      return v < b;
    case '<=':
      return v <= b;
    case '>=':
      return v >= b;
    case '>':
      return v > b;
  }
}

/** Numbers as a reader wants them: 3 significant digits for small ones, thousands separators for large ones. */
export function fmtNum(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return '-';
  const a = Math.abs(n);
  if (a >= 1000) return Math.round(n).toLocaleString('en');
  if (a >= 100) return n.toFixed(0);
  if (a >= 10) return n.toFixed(1);
  if (a >= 1) return n.toFixed(2);
  if (a === 0) return '0';
  return n.toPrecision(2);
}

/** The row's headline figure with its unit: its own `figure`, else the column its goal names, else ops/s. */
export function headlineFigure(r: ScenarioResult): { value: number; unit: string } {
  if (r.figure) return r.figure;
  if (r.goal?.metric === 'p99Ms') return { value: r.p99Ms, unit: 'ms p99' };
  return { value: r.opsPerSec, unit: 'ops/s' };
}

const mark = (r: ScenarioResult): string => {
  if (!r.goal) return '—';
  const met = goalMet(r);
  if (met === undefined) return r.goal.metric === 'ratio' ? '? (no reference)' : '? (no figure)';
  return met ? '✅' : '❌';
};

/** Display width in a terminal: CJK, full-width forms and ✅/❌ take two columns. */
export function width(s: string): number {
  let w = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    const wide =
      cp === 0x2705 ||
      cp === 0x274c ||
      (cp >= 0x2e80 && cp <= 0xa4cf) ||
      (cp >= 0xac00 && cp <= 0xd7a3) ||
      (cp >= 0xf900 && cp <= 0xfaff) ||
      (cp >= 0xff00 && cp <= 0xff60) ||
      (cp >= 0xffe0 && cp <= 0xffe6) ||
      cp >= 0x1f300;
    w += wide ? 2 : 1;
  }
  return w;
}

/** A markdown table, numeric columns (`right`) right-aligned. */
export function table(header: string[], rows: string[][], right: boolean[]): string[] {
  const widths = header.map((h, i) => Math.max(width(h), ...rows.map((r) => width(r[i]))));
  const pad = (c: string, i: number) => {
    const fill = ' '.repeat(Math.max(0, widths[i] - width(c)));
    return right[i] ? fill + c : c + fill;
  };
  const line = (cells: string[]) => `| ${cells.map(pad).join(' | ')} |`;
  const sep = `|${widths.map((w, i) => (right[i] ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`;
  return [line(header), sep, ...rows.map(line)];
}

/** Table 1: one line per row: figure, reference, ratio, goal and ✅/❌ (— without a goal). */
export function renderGoals(results: ScenarioResult[], failures: Failure[]): string[] {
  const rows = results.map((r) => {
    const f = headlineFigure(r);
    return [
      r.name,
      `${fmtNum(f.value)} ${f.unit}`,
      r.reference ? `${fmtNum(r.reference.value)} ${r.reference.unit} (${r.reference.label})` : '—',
      r.ratio !== undefined ? `${fmtNum(r.ratio)}×` : '—',
      r.goal?.text ?? '—',
      mark(r),
    ];
  });
  for (const f of failures) rows.push([`${f.name} (FAILED)`, '-', '-', '-', f.measured?.goal?.text ?? '—', '❌ failed']);
  return table(['row', 'figure', 'reference (same run)', 'ratio', 'goal', 'met'], rows, [false, true, false, true, false, false]);
}

/** Table 2: the raw measurements of every row. */
export function renderMeasurements(results: ScenarioResult[], failures: Failure[]): string[] {
  const row = (name: string, r: ScenarioResult) => [
    name,
    fmtNum(r.opsPerSec),
    fmtNum(r.p50Ms),
    fmtNum(r.p99Ms),
    String(r.total),
    String(r.non2xx),
    String(r.errors),
  ];
  const rows = results.map((r) => row(r.name, r));
  for (const f of failures)
    rows.push(f.measured ? row(`${f.name} (FAILED)`, f.measured) : [`${f.name} (FAILED)`, '-', '-', '-', '-', '-', '-']);
  return table(['row', 'ops/s (mean)', 'p50 ms', 'p99 ms', 'total', 'non-2xx', 'errors'], rows, [
    false,
    true,
    true,
    true,
    true,
    true,
    true,
  ]);
}

/** The human-readable report: header lines, the goals table, then the raw measurements. */
export function renderTable(info: RunInfo, results: ScenarioResult[], failures: Failure[]): string {
  const withGoal = results.filter((r) => r.goal);
  const met = withGoal.filter((r) => goalMet(r) === true).length;
  const missed = withGoal.filter((r) => goalMet(r) === false).length;
  const unknown = withGoal.length - met - missed;
  return [
    `machine:  ${info.machine.cpu}, ${info.machine.cores} cores, ${info.machine.memoryGiB} GiB, ${info.machine.platform}`,
    `node:     ${info.node}`,
    `database: ${info.database.description}${info.database.serverVersion ? `, PostgreSQL ${info.database.serverVersion}` : ''}`,
    `load:     autocannon, ${info.load.connections} connections, ${info.load.durationSec} s per scenario, ` +
      (info.load.workers > 0 ? `${info.load.workers} worker thread(s)` : 'on the app event loop') +
      `; tenant with ${info.seededUsers} users`,
    ...(info.loadAverage
      ? [
          `busy:     1-min load average ${info.loadAverage.start.toFixed(1)} at the start, ${info.loadAverage.end.toFixed(1)} at the end ` +
            `(${info.machine.cores} cores${Math.max(info.loadAverage.start, info.loadAverage.end) > info.machine.cores ? ': other work competed for the CPU, figures are pessimistic' : ''})`,
        ]
      : []),
    `sizes:    ${info.quick ? 'BENCH_QUICK=1 (smaller sizes, same rows: figures are not the goals’ sizes)' : 'full'}`,
    '',
    `Goals: ${met} met, ${missed} not met${unknown ? `, ${unknown} not measurable in this run` : ''}` +
      `${failures.length ? `, ${failures.length} scenario(s) failed` : ''} (${results.length - withGoal.length} row(s) without a goal)`,
    '',
    ...renderGoals(results, failures),
    '',
    'Measurements',
    '',
    ...renderMeasurements(results, failures),
  ].join('\n');
}

/** One machine-readable line: `BENCH_RESULT {...}`. */
export function renderJson(info: RunInfo, results: ScenarioResult[], failures: Failure[]): string {
  return `BENCH_RESULT ${JSON.stringify({
    version: 2,
    ok: failures.length === 0,
    at: new Date().toISOString(),
    ...info,
    results: results.map((r) => {
      const met = goalMet(r);
      return {
        name: r.name,
        requestsPerSec: round(r.opsPerSec, 2),
        p50Ms: r.p50Ms,
        p99Ms: r.p99Ms,
        non2xx: r.non2xx,
        errors: r.errors,
        total: r.total,
        figure: headlineFigure(r),
        ...(r.reference ? { reference: r.reference } : {}),
        ...(r.ratio !== undefined ? { ratio: round(r.ratio, 4) } : {}),
        goal: r.goal ?? null,
        met: met ?? null,
        ...(r.details ? { details: r.details } : {}),
      };
    }),
    failures: failures.map((f) => ({
      name: f.name,
      message: f.message,
      ...(f.measured?.goal ? { goal: f.measured.goal, met: false } : {}),
    })),
  })}`;
}

const round = (n: number, d: number) => Math.round(n * 10 ** d) / 10 ** d;
