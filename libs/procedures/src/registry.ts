import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseDefinition, ProcedureDefinitionError } from './definition';
import type { ProcedureDefinition } from './definition';
import { attachEgovMapping, parseEgovMapping } from './egov';

/** Where the definition files live, relative to the repository root. */
export const DEFINITIONS_RELATIVE_DIR = path.join('libs', 'procedures', 'src', 'definitions');

const FILE_NAME = /^([a-z][a-z0-9]*(?:-[a-z0-9]+)*)\.v([1-9][0-9]*)\.json$/;
/** The e-Gov mapping beside a definition (egov.ts). */
const EGOV_FILE_NAME = /^([a-z][a-z0-9]*(?:-[a-z0-9]+)*)\.v([1-9][0-9]*)\.egov\.json$/;

/** One definition file's name and raw text. */
export interface DefinitionFile {
  readonly fileName: string;
  readonly text: string;
}

/**
 * Finds the definitions directory: `definitions/` beside this file when it was
 * copied there (a build that ships the JSON as assets), otherwise the first
 * ancestor of `from` that contains libs/procedures/src/definitions
 * (ts-jest runs the sources; the compiled app runs from dist/apps/api/... inside
 * the repository).
 */
export function findDefinitionsDir(from: string = __dirname): string {
  const beside = path.join(from, 'definitions');
  if (isDirectory(beside)) return beside;
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, DEFINITIONS_RELATIVE_DIR);
    if (isDirectory(candidate)) return candidate;
    if (path.dirname(dir) === dir) break;
  }
  throw new ProcedureDefinitionError(`no procedure definitions directory (${DEFINITIONS_RELATIVE_DIR}) above ${from}`);
}

function isDirectory(dir: string): boolean {
  try {
    return fs.statSync(dir).isDirectory();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return false;
    throw e;
  }
}

/**
 * The supported procedures: every version of every definition file, parsed
 * strictly once at start-up. Adding a procedure (or a new version of a form)
 * is adding `<code>.v<N>.json`. Stored applications keep the version they were
 * written against, so old versions stay loadable.
 */
export class ProcedureRegistry {
  private readonly byCode: ReadonlyMap<string, readonly ProcedureDefinition[]>;

  private constructor(definitions: readonly ProcedureDefinition[]) {
    const byCode = new Map<string, ProcedureDefinition[]>();
    for (const def of definitions) {
      const versions = byCode.get(def.code) ?? [];
      if (versions.some((v) => v.version === def.version)) {
        throw new ProcedureDefinitionError(`${def.code} v${def.version} is defined twice`);
      }
      versions.push(def);
      byCode.set(def.code, versions);
    }
    for (const versions of byCode.values()) versions.sort((a, b) => a.version - b.version);
    this.byCode = byCode;
  }

  /**
   * Reads and parses every `*.json` in `dir` (default: findDefinitionsDir()).
   * Synchronous on purpose: it runs once while the app boots, and a broken
   * file must stop the boot with its name in the message.
   */
  static load(dir: string = findDefinitionsDir()): ProcedureRegistry {
    const files = fs
      .readdirSync(dir)
      .filter((name) => name.endsWith('.json'))
      .sort()
      .map((fileName) => ({ fileName, text: fs.readFileSync(path.join(dir, fileName), 'utf8') }));
    if (files.length === 0) throw new ProcedureDefinitionError(`no procedure definitions (*.json) in ${dir}`);
    return ProcedureRegistry.fromFiles(files);
  }

  /** Parses definition files already read (file name `<code>.v<N>.json` must match the content). */
  static fromFiles(files: readonly DefinitionFile[]): ProcedureRegistry {
    const egovFiles = files.filter((f) => f.fileName.endsWith('.egov.json'));
    const registry = new ProcedureRegistry(
      files
        .filter((f) => !f.fileName.endsWith('.egov.json'))
        .map(({ fileName, text }) => {
          const m = FILE_NAME.exec(fileName);
          if (!m) throw new ProcedureDefinitionError(`${fileName}: a definition file is named <code>.v<version>.json`);
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch (e) {
            throw new ProcedureDefinitionError(`${fileName}: not valid JSON: ${(e as Error).message}`);
          }
          const def = parseDefinition(json, fileName);
          if (def.code !== m[1] || def.version !== Number(m[2])) {
            throw new ProcedureDefinitionError(`${fileName}: contains ${def.code} v${def.version}, the file name says ${m[1]} v${m[2]}`);
          }
          return def;
        }),
    );
    // Each `<code>.v<N>.egov.json` belongs to the definition of the same name and is checked against it.
    for (const { fileName, text } of egovFiles) {
      const m = EGOV_FILE_NAME.exec(fileName);
      if (!m) throw new ProcedureDefinitionError(`${fileName}: an e-Gov mapping file is named <code>.v<version>.egov.json`);
      const def = registry.get(m[1], Number(m[2]));
      if (!def) throw new ProcedureDefinitionError(`${fileName}: there is no definition ${m[1]}.v${m[2]}.json for it`);
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (e) {
        throw new ProcedureDefinitionError(`${fileName}: not valid JSON: ${(e as Error).message}`);
      }
      attachEgovMapping(def, parseEgovMapping(json, def, fileName));
    }
    return registry;
  }

  /** A registry of definitions already parsed (tests, tools). */
  static fromDefinitions(definitions: readonly ProcedureDefinition[]): ProcedureRegistry {
    return new ProcedureRegistry(definitions);
  }

  /** The latest version of each procedure, ordered by code. */
  list(): ProcedureDefinition[] {
    return [...this.byCode.keys()].sort().map((code) => {
      const versions = this.byCode.get(code)!;
      return versions[versions.length - 1];
    });
  }

  /** True when at least one version of the procedure is defined. */
  has(code: string): boolean {
    return this.byCode.has(code);
  }

  /** Every version of a procedure, oldest first (empty for an unknown code). */
  versions(code: string): readonly ProcedureDefinition[] {
    return this.byCode.get(code) ?? [];
  }

  /**
   * A procedure by code: the given version, or the latest one. Undefined when
   * unknown, so the caller answers its own typed not-found error.
   */
  get(code: string, version?: number): ProcedureDefinition | undefined {
    const versions = this.byCode.get(code);
    if (!versions) return undefined;
    return version === undefined ? versions[versions.length - 1] : versions.find((v) => v.version === version);
  }
}
