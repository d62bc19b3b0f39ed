import { fmtNum, goalMet, headlineFigure, renderJson, renderTable, type RunInfo, width } from './report';
import type { Goal, ScenarioResult } from './types';

const row = (over: Partial<ScenarioResult> = {}): ScenarioResult => ({
  name: 'row',
  opsPerSec: 1000,
  p50Ms: 10,
  p99Ms: 40,
  non2xx: 0,
  errors: 0,
  total: 10_000,
  ...over,
});
const goal = (metric: Goal['metric'], op: Goal['op'], value: number, text = `${metric} ${op} ${value}`): Goal => ({
  metric,
  op,
  value,
  text,
});

const info: RunInfo = {
  machine: { cpu: 'cpu', cores: 2, memoryGiB: 4, platform: 'linux' },
  node: 'v22',
  database: { kind: 'external', description: 'db' },
  load: { connections: 32, durationSec: 10, workers: 1 },
  seededUsers: 10_001,
};

describe('bench report: goals', () => {
  it('compares the column the goal names, with every operator, bounds included or not', () => {
    expect(goalMet(row({ goal: goal('p99Ms', '<', 50) }))).toBe(true);
    expect(goalMet(row({ goal: goal('p99Ms', '<', 40) }))).toBe(false); // 40 is not < 40
    expect(goalMet(row({ goal: goal('p99Ms', '<=', 40) }))).toBe(true);
    expect(goalMet(row({ goal: goal('opsPerSec', '>=', 1000) }))).toBe(true);
    expect(goalMet(row({ goal: goal('opsPerSec', '>', 1000) }))).toBe(false);
    expect(goalMet(row({ goal: goal('opsPerSec', '>=', 5000) }))).toBe(false);
    expect(goalMet(row({ ratio: 1.49, goal: goal('ratio', '<=', 1.5) }))).toBe(true);
    expect(goalMet(row({ ratio: 1.51, goal: goal('ratio', '<=', 1.5) }))).toBe(false);
    expect(goalMet(row({ figure: { value: 300, unit: 'MiB' }, goal: goal('figure', '<=', 256) }))).toBe(false);
    expect(goalMet(row({ figure: { value: 200, unit: 'MiB' }, goal: goal('figure', '<=', 256) }))).toBe(true);
  });

  it('is undefined without a goal, and when the compared figure is missing or not a number', () => {
    expect(goalMet(row())).toBeUndefined();
    expect(goalMet(row({ goal: goal('ratio', '<=', 1.5) }))).toBeUndefined(); // reference skipped: no ratio
    expect(goalMet(row({ goal: goal('figure', '<=', 1) }))).toBeUndefined();
    expect(goalMet(row({ ratio: NaN, goal: goal('ratio', '<=', 1.5) }))).toBeUndefined();
  });

  it('shows the figure the goal is about, with its unit', () => {
    expect(headlineFigure(row({ goal: goal('p99Ms', '<', 50) }))).toEqual({ value: 40, unit: 'ms p99' });
    expect(headlineFigure(row())).toEqual({ value: 1000, unit: 'ops/s' });
    expect(headlineFigure(row({ figure: { value: 12, unit: 'MiB/s' } }))).toEqual({ value: 12, unit: 'MiB/s' });
  });

  it('formats numbers for reading', () => {
    expect(fmtNum(123456.7)).toBe('123,457');
    expect(fmtNum(123.4)).toBe('123');
    expect(fmtNum(12.34)).toBe('12.3');
    expect(fmtNum(1.234)).toBe('1.23');
    expect(fmtNum(0.01234)).toBe('0.012');
    expect(fmtNum(0)).toBe('0');
    expect(fmtNum(undefined)).toBe('-');
    expect(fmtNum(Infinity)).toBe('-');
  });
});

describe('bench report: rendering', () => {
  const results = [
    row({ name: 'list p99', goal: goal('p99Ms', '<', 50, 'p99 < 50 ms') }),
    row({ name: 'slow list', p99Ms: 80, goal: goal('p99Ms', '<', 50, 'p99 < 50 ms') }),
    row({
      name: 'backup',
      figure: { value: 3, unit: 's' },
      reference: { label: 'pg_dump + tar', value: 2, unit: 's' },
      ratio: 1.5,
      goal: goal('ratio', '<=', 1.5, '≤ 1.5×'),
    }),
    row({ name: 'upload', goal: goal('ratio', '<=', 1.5, '≤ 1.5×') }),
    row({ name: 'no goal' }),
  ];

  it('prints the goals table first, one line per row with ✅/❌/— and the reference, then the raw measurements', () => {
    const out = renderTable(info, results, [{ name: 'broken', message: 'boom' }]);
    const lines = out.split('\n');
    const goalsAt = lines.findIndex((l) => l.startsWith('| row') && l.includes('goal'));
    const rawAt = lines.findIndex((l) => l.startsWith('| row') && l.includes('p99 ms'));
    expect(goalsAt).toBeGreaterThan(0);
    expect(rawAt).toBeGreaterThan(goalsAt);
    const line = (name: string, from: number) => lines.slice(from).find((l) => l.startsWith(`| ${name} `)) ?? '';
    expect(line('list p99', goalsAt)).toMatch(/\|\s+40\.0 ms p99 \|.*\| p99 < 50 ms\s+\| ✅\s+\|$/);
    expect(line('slow list', goalsAt)).toMatch(/80\.0 ms p99 .*❌/);
    expect(line('backup', goalsAt)).toMatch(/3\.00 s \| 2\.00 s \(pg_dump \+ tar\)\s+\|\s+1\.50× \| ≤ 1\.5×\s+\| ✅/);
    expect(line('upload', goalsAt)).toContain('? (no reference)');
    expect(line('no goal', goalsAt)).toMatch(/1,000 ops\/s \| —\s+\| +— \| —\s+\| —\s+\|$/);
    expect(line('broken (FAILED)', goalsAt)).toContain('❌ failed');
    expect(line('slow list', rawAt)).toMatch(/\|\s+1,000 \|\s+10\.0 \|\s+80\.0 \|\s+10000 \|/);
    expect(out).toContain('Goals: 2 met, 1 not met, 1 not measurable in this run, 1 scenario(s) failed (1 row(s) without a goal)');
  });

  it('aligns the columns by display width (✅ and ❌ take two terminal columns)', () => {
    const lines = renderTable(info, results, [])
      .split('\n')
      .filter((l) => l.startsWith('|'));
    const goalsTable = lines.slice(0, results.length + 2);
    expect(new Set(goalsTable.map(width)).size).toBe(1);
    expect(width('✅')).toBe(2);
    expect(width('—')).toBe(1);
    expect(width('申請')).toBe(4);
  });

  it('says when the sizes are the quick ones', () => {
    expect(renderTable({ ...info, quick: true }, results, [])).toContain('BENCH_QUICK=1');
    expect(renderTable(info, results, [])).toContain('sizes:    full');
  });

  it('puts the same goal, met, figure, reference and ratio in BENCH_RESULT', () => {
    const json = renderJson(info, results, [{ name: 'broken', message: 'boom' }]);
    expect(json.startsWith('BENCH_RESULT {')).toBe(true);
    const parsed = JSON.parse(json.slice('BENCH_RESULT '.length)) as {
      ok: boolean;
      results: Array<{ name: string; met: boolean | null; goal: Goal | null; figure: unknown; ratio?: number; reference?: unknown }>;
    };
    expect(parsed.ok).toBe(false);
    const by = Object.fromEntries(parsed.results.map((r) => [r.name, r]));
    expect(by['list p99']).toMatchObject({
      met: true,
      goal: { metric: 'p99Ms', op: '<', value: 50 },
      figure: { value: 40, unit: 'ms p99' },
    });
    expect(by['slow list'].met).toBe(false);
    expect(by['backup']).toMatchObject({ met: true, ratio: 1.5, reference: { label: 'pg_dump + tar', value: 2, unit: 's' } });
    expect(by['upload'].met).toBeNull();
    expect(by['no goal']).toMatchObject({ met: null, goal: null });
  });
});

describe('bench report: machine load', () => {
  it('says when other work competed for the CPU', () => {
    expect(renderTable({ ...info, loadAverage: { start: 14, end: 9.5 } }, [], [])).toContain(
      '1-min load average 14.0 at the start, 9.5 at the end (2 cores: other work competed for the CPU, figures are pessimistic)',
    );
    expect(renderTable({ ...info, loadAverage: { start: 0.4, end: 1.2 } }, [], [])).toContain('(2 cores)');
  });
});
