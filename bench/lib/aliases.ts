import * as fs from 'node:fs';
import * as path from 'node:path';
import { register } from 'tsconfig-paths';
import * as ts from 'typescript';

/**
 * Maps the `@charlotte/*` path aliases to the compiled copies next to this file
 * (dist/bench/libs/<name>/src). The mapping is read from tsconfig.base.json `paths`,
 * so a new lib alias needs no change here. Must be the first import of run.ts: it has
 * to run before anything requires an alias.
 *
 * Not `node -r tsconfig-paths/register`: that one reads the root tsconfig.json, whose
 * paths point at the TypeScript sources (libs/<name>/src), not at compiled JavaScript.
 */
const distRoot = path.resolve(__dirname, '..', '..'); // dist/bench/bench/lib -> dist/bench
const repoRoot = path.resolve(distRoot, '..', '..');
const baseConfigFile = path.join(repoRoot, 'tsconfig.base.json');

const parsed = ts.parseConfigFileTextToJson(baseConfigFile, fs.readFileSync(baseConfigFile, 'utf8'));
if (parsed.error)
  throw new Error(`bench: cannot read ${baseConfigFile}: ${ts.flattenDiagnosticMessageText(parsed.error.messageText, '\n')}`);
const paths = (parsed.config as { compilerOptions?: { paths?: Record<string, string[]> } }).compilerOptions?.paths ?? {};

register({ baseUrl: distRoot, paths, addMatchAll: false });
