import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { check, ensureBuilt, TARGETS } = require('../../scripts/build-if-changed.js') as {
  check(name: string, opts?: { root?: string; targets?: Record<string, unknown> }): { build: boolean };
  ensureBuilt(name: string, opts?: { root?: string; targets?: Record<string, unknown>; quiet?: boolean }): boolean;
  TARGETS: Record<string, { inputs: string[]; output: string }>;
};

/**
 * `npm start` and `npm run cli` build only what changed (scripts/build-if-changed.js):
 * on a scratch tree whose "build" counts its runs, a second start builds nothing;
 * an edit, a new file, a deleted file or a missing output builds again.
 */
describe('build only what changed (npm start, npm run cli)', () => {
  let root: string;
  const targets = {
    part: {
      inputs: ['src', 'tsconfig.json'],
      exts: ['.ts'],
      skip: /\.spec\.ts$/,
      output: 'out/main.js',
      command: `node -e "const fs=require('fs');fs.mkdirSync('out',{recursive:true});fs.appendFileSync('builds','x');fs.writeFileSync('out/main.js','')"`,
    },
  };
  const builds = () => (fs.existsSync(path.join(root, 'builds')) ? fs.readFileSync(path.join(root, 'builds'), 'utf8').length : 0);
  const start = () => ensureBuilt('part', { root, targets, quiet: true });
  /** mtimes have a coarse resolution on some filesystems: make an edit visibly later. */
  const later = (f: string) => {
    const t = new Date(Date.now() + 5000);
    fs.utimesSync(path.join(root, f), t, t);
  };

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'charlotte-build-'));
    fs.mkdirSync(path.join(root, 'src/sub'), { recursive: true });
    fs.writeFileSync(path.join(root, 'src/a.ts'), 'export const a = 1;\n');
    fs.writeFileSync(path.join(root, 'src/sub/b.ts'), 'export const b = 2;\n');
    fs.writeFileSync(path.join(root, 'tsconfig.json'), '{}\n');
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('builds the first time, then not again while nothing changed', () => {
    expect(start()).toBe(true);
    expect(start()).toBe(false);
    expect(start()).toBe(false);
    expect(builds()).toBe(1);
  });

  it('builds again after an edit, a new file, a deleted file, a config change or a missing output', () => {
    start();
    fs.writeFileSync(path.join(root, 'src/a.ts'), 'export const a = 10;\n');
    later('src/a.ts');
    expect(start()).toBe(true);
    fs.writeFileSync(path.join(root, 'src/sub/c.ts'), 'export const c = 3;\n');
    expect(start()).toBe(true);
    fs.rmSync(path.join(root, 'src/sub/b.ts'));
    expect(start()).toBe(true);
    fs.writeFileSync(path.join(root, 'tsconfig.json'), '{ "x": 1 }\n');
    expect(start()).toBe(true);
    fs.rmSync(path.join(root, 'out'), { recursive: true });
    expect(start()).toBe(true);
    expect(builds()).toBe(6);
    expect(start()).toBe(false);
  });

  it('ignores what is not an input (tests, other extensions)', () => {
    start();
    fs.writeFileSync(path.join(root, 'src/a.spec.ts'), 'test\n');
    fs.writeFileSync(path.join(root, 'src/notes.md'), 'x\n');
    expect(check('part', { root, targets }).build).toBe(false);
  });

  it('trusts a build made another way (npm run build) when its output is newer than every input', () => {
    fs.mkdirSync(path.join(root, 'out'));
    fs.writeFileSync(path.join(root, 'out/main.js'), '');
    later('out/main.js');
    expect(start()).toBe(false);
    expect(builds()).toBe(0);
  });

  it('knows the real parts: the API, the SPA and the e-Gov simulator', () => {
    expect(Object.keys(TARGETS).sort()).toEqual(['api', 'sim', 'web']);
    expect(TARGETS.api.output).toBe('dist/apps/api/apps/api/src/main.js');
    expect(TARGETS.web.inputs).toContain('apps/web/src');
    expect(fs.readFileSync(path.join(__dirname, '../../scripts/start.sh'), 'utf8')).not.toMatch(/npm run -s build\b/);
  });
});
