import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(__dirname, '../../..');
const fixturePath = path.join(root, 'test/fixtures/lint/wrong-way-import.ts');
const fixture = fs.readFileSync(fixturePath, 'utf8');

/**
 * ESLint's Node API in a child process: eslint.config.mjs is an ES module, which ESLint loads with a
 * dynamic import() that jest's CommonJS sandbox refuses (it needs --experimental-vm-modules).
 */
const RUNNER = `
const { ESLint } = require('eslint');
const req = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));
const eslint = new ESLint({ cwd: process.cwd() });
(async () => {
  const out = { ignored: await eslint.isPathIgnored(req.ignoredPath), results: [] };
  for (const filePath of req.filePaths) {
    const [r] = await eslint.lintText(req.text, { filePath });
    out.results.push(r.messages.map((m) => ({ ruleId: m.ruleId, line: m.line, message: m.message })));
  }
  process.stdout.write(JSON.stringify(out));
})().catch((e) => { console.error(e); process.exit(1); });
`;

interface Linted {
  ignored: boolean;
  results: Array<Array<{ ruleId: string | null; line: number; message: string }>>;
}

function lint(filePaths: string[]): Linted {
  const out = execFileSync(process.execPath, ['-e', RUNNER], {
    cwd: root,
    input: JSON.stringify({ text: fixture, filePaths: filePaths.map((f) => path.join(root, f)), ignoredPath: fixturePath }),
    encoding: 'utf8',
  });
  return JSON.parse(out) as Linted;
}

/** The lib graph of docs/architecture.md is enforced by eslint.config.mjs (no-restricted-imports per lib). */
describe('lib boundaries (eslint.config.mjs)', () => {
  let linted: Linted;
  const restricted = (i: number) => linted.results[i].filter((m) => m.ruleId === 'no-restricted-imports');

  beforeAll(() => {
    linted = lint(['libs/procedures/src/wrong-way-import.ts', 'libs/filing/src/wrong-way-import.ts']);
  }, 60_000);

  it('refuses a wrong-way import, a deep import and a relative path into another lib', () => {
    const errors = restricted(0);
    expect(errors.map((e) => e.line)).toEqual([3, 4, 5]);
    expect(errors[0].message).toMatch(/libs\/procedures may depend only on core/);
    expect(errors[1].message).toMatch(/only through its index/);
    expect(errors[2].message).toMatch(/only through '@charlotte\/<lib>'/);
  });

  it('lets a lib higher up import the same lib through its index, but still no deep import', () => {
    // applications is below filing: line 3 is fine there; the deep and the relative import stay refused.
    expect(restricted(1).map((e) => e.line)).toEqual([4, 5]);
  });

  it('keeps the fixture out of the normal lint run', () => {
    expect(linted.ignored).toBe(true);
  });
});
