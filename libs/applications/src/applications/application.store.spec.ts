import * as fs from 'node:fs';
import * as path from 'node:path';
import { isAllowedTransition, TRANSITIONS } from './application.store';

const root = path.resolve(__dirname, '../../../..');
const STORE = path.join('libs', 'applications', 'src', 'applications', 'application.store.ts');

/** Every TypeScript source file of the server (tests and migrations aside: fixtures and schema may write rows). */
function sources(dir: string): string[] {
  return fs.readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'migrations' || e.name === 'node_modules' ? [] : sources(rel);
    return /\.ts$/.test(e.name) && !/\.(spec|int-spec|e2e-spec)\.ts$/.test(e.name) ? [rel] : [];
  });
}

/** Writes of the two tables the store owns, however the SQL is laid out (case, line breaks). */
const WRITES = [
  /\bUPDATE\s+applications\b/i,
  /\bINSERT\s+INTO\s+applications\b/i,
  /\bDELETE\s+FROM\s+applications\b/i,
  /\bINSERT\s+INTO\s+application_events\b/i,
  /\bUPDATE\s+application_events\b/i,
  /\bDELETE\s+FROM\s+application_events\b/i,
];

describe('ApplicationStore ownership', () => {
  it('is the only code that writes applications rows, their status and application_events', () => {
    const files = [...sources('libs'), ...sources(path.join('apps', 'api', 'src'))];
    expect(files).toContain(STORE);
    const offenders = files
      .filter((f) => f !== STORE)
      .flatMap((f) => {
        const text = fs.readFileSync(path.join(root, f), 'utf8');
        return WRITES.filter((re) => re.test(text)).map((re) => `${f}: ${re.source}`);
      });
    expect(offenders).toEqual([]);
  });

  it('finds a writer where there is one (the check is not vacuous)', () => {
    const text = fs.readFileSync(path.join(root, STORE), 'utf8');
    expect(WRITES.filter((re) => re.test(text)).length).toBeGreaterThanOrEqual(4);
  });
});

describe('TRANSITIONS', () => {
  it('never leaves a final status except to follow e-Gov', () => {
    expect(TRANSITIONS.filter((t) => t.from === 'completed' || t.from === 'withdrawn')).toEqual([]);
    expect(isAllowedTransition('submitting', 'draft')).toBe(false);
    expect(isAllowedTransition('draft', 'submitting')).toBe(false);
  });
});
