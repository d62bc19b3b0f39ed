#!/usr/bin/env node
// Builds a part of the product (api, web, sim) only when its sources changed
// since its last build. `npm start` (scripts/start.sh) and `npm run cli`
// (scripts/run-built.js) go through it, so a start with nothing changed
// builds nothing.
//
// "Changed": the fingerprint of its inputs (every source file's path, size and
// mtime, so an edit, a new file and a deleted file all count) differs from the
// one recorded after its last successful build by this script, or its output is
// missing. A build made another way (`npm run build`) has no record: it is
// trusted when its output is newer than every input, and recorded then.
//
// Usage: node scripts/build-if-changed.js [api] [web] [sim]   (default: api web)
const { execSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');

/** What each part is built from, what proves it was built, and how to build it (paths relative to the root). */
const TARGETS = {
  api: {
    inputs: ['apps/api/src', 'libs', 'apps/api/tsconfig.app.json', 'tsconfig.base.json', 'nest-cli.json', 'package-lock.json'],
    exts: ['.ts', '.json'],
    skip: /\.(spec|int-spec)\.ts$/,
    output: 'dist/apps/api/apps/api/src/main.js',
    command: 'npx nest build api',
  },
  web: {
    inputs: [
      'apps/web/src',
      'apps/web/index.html',
      'apps/web/vite.config.ts',
      'apps/web/package.json',
      'apps/web/public',
      'libs/procedures/src',
      'package-lock.json',
    ],
    exts: ['.ts', '.vue', '.json', '.css', '.html', '.svg', '.png', '.ico', '.woff2', '.txt'],
    skip: /\.(spec|int-spec)\.ts$/,
    output: 'apps/web/dist/index.html',
    command: 'npm run -s build -w apps/web',
  },
  sim: {
    inputs: ['apps/egov-sim/src', 'apps/egov-sim/tsconfig.build.json', 'tsconfig.base.json'],
    exts: ['.ts', '.json'],
    skip: /\.spec\.ts$/,
    output: 'dist/egov-sim/apps/egov-sim/src/main.js',
    command: 'npx tsc -p apps/egov-sim/tsconfig.build.json',
  },
};

/** Every input file under `rel` (a file or a directory), as [relative path, size, mtimeMs]. */
function files(root, rel, t, out) {
  const p = path.join(root, rel);
  let st;
  try {
    st = fs.statSync(p);
  } catch {
    return out; // an optional input that does not exist
  }
  if (st.isDirectory()) {
    for (const e of fs.readdirSync(p, { withFileTypes: true })) {
      if (e.name === 'node_modules' || e.name === 'dist' || e.name.startsWith('.')) continue;
      files(root, path.join(rel, e.name), t, out);
    }
  } else if (st.isFile() && (t.inputs.includes(rel) || t.exts.some((x) => rel.endsWith(x))) && !t.skip.test(rel)) {
    out.push([rel.split(path.sep).join('/'), st.size, st.mtimeMs]);
  }
  return out;
}

function inputsOf(root, t) {
  const all = [];
  for (const i of t.inputs) files(root, i, t, all);
  return all.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

const fingerprint = (list) => crypto.createHash('sha256').update(JSON.stringify(list)).digest('hex');
const stampFile = (root, name) => path.join(root, 'dist/.build-stamps', `${name}.sha256`);

/**
 * Whether `name` must be built; `why` says why (for the message). `targets` and
 * `root` are parameters so that the test can run this on a scratch directory.
 */
function check(name, { root = ROOT, targets = TARGETS } = {}) {
  const t = targets[name];
  if (!t) throw new Error(`unknown build target: ${name}`);
  const list = inputsOf(root, t);
  const fp = fingerprint(list);
  const out = path.join(root, t.output);
  if (!fs.existsSync(out)) return { build: true, why: 'not built yet', fp };
  let recorded;
  try {
    recorded = fs.readFileSync(stampFile(root, name), 'utf8').trim();
  } catch {
    recorded = undefined;
  }
  if (recorded === fp) return { build: false, fp };
  if (recorded === undefined) {
    const newest = list.reduce((m, f) => Math.max(m, f[2]), 0);
    if (fs.statSync(out).mtimeMs >= newest) return { build: false, fp, record: true };
  }
  return { build: true, why: 'sources changed', fp };
}

/** Builds `name` when needed; returns whether it built. */
function ensureBuilt(name, opts = {}) {
  const root = opts.root ?? ROOT;
  const targets = opts.targets ?? TARGETS;
  const c = check(name, { root, targets });
  if (c.build) {
    process.stderr.write(`building ${name} (${c.why})...\n`);
    // Progress on stderr: stdout stays the started program's (the CLI prints JSON there).
    execSync(targets[name].command, { cwd: root, stdio: ['ignore', opts.quiet ? 'ignore' : process.stderr, 'inherit'] });
  }
  // The fingerprint taken before the build: a file edited while it ran is built next time.
  if (c.build || c.record) {
    fs.mkdirSync(path.dirname(stampFile(root, name)), { recursive: true });
    fs.writeFileSync(stampFile(root, name), `${c.fp}\n`);
  }
  return c.build;
}

module.exports = { TARGETS, check, ensureBuilt };

if (require.main === module) {
  const names = process.argv.slice(2);
  for (const n of names.length ? names : ['api', 'web']) ensureBuilt(n);
}
