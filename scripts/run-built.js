#!/usr/bin/env node
// Runs the compiled API entry (main or cli), building it first when its sources
// changed since the last build, so that `npm run cli -- ...` always runs current code.
const { ensureBuilt } = require('./build-if-changed');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const entry = process.argv[2];
const target = path.join(root, 'dist/apps/api/apps/api/src', `${entry}.js`);

// Built when its sources changed since the last build (scripts/build-if-changed.js); the build's output goes to stderr.
ensureBuilt('api', { quiet: true });
// Make the entry see its own arguments as if started with `node <entry>.js ...`.
process.argv.splice(1, 2, target);
require(target);
