#!/usr/bin/env node
// Runs the compiled API entry (main or cli), building it first when the sources
// are newer than the build, so that `npm run cli -- ...` always runs current code.
const { execSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const entry = process.argv[2];
const target = path.join(root, 'dist/apps/api/apps/api/src', `${entry}.js`);

function newest(dir) {
  let t = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) t = Math.max(t, newest(p));
    else if (e.name.endsWith('.ts')) t = Math.max(t, fs.statSync(p).mtimeMs);
  }
  return t;
}

const built = fs.existsSync(target) ? fs.statSync(target).mtimeMs : 0;
const src = Math.max(newest(path.join(root, 'apps/api/src')), newest(path.join(root, 'libs')));
if (src > built) {
  process.stderr.write('building the API (sources changed)...\n');
  execSync('npx nest build api', { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
}
// Make the entry see its own arguments as if started with `node <entry>.js ...`.
process.argv.splice(1, 2, target);
require(target);
