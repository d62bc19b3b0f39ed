import * as fs from 'node:fs';
import * as path from 'node:path';
import en from '../../../../apps/web/src/i18n/en';
import ja from '../../../../apps/web/src/i18n/ja';
import { AUDIT_ACTIONS, isAuditAction } from './audit-actions';

const ROOT = path.resolve(__dirname, '../../../..');

/** `audit.actions.<group>.<verb>` of one locale's messages, or undefined. */
function labelOf(messages: unknown, code: string): unknown {
  return ['audit', 'actions', ...code.split('.')].reduce<unknown>(
    (node, key) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined),
    messages,
  );
}

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : sources(p);
    return /\.ts$/.test(e.name) && !/\.(spec|int-spec|e2e-spec|browser-spec)\.ts$/.test(e.name) ? [p] : [];
  });
}

describe('AUDIT_ACTIONS', () => {
  it('has no duplicates and only dotted lowercase codes (as the list filter accepts)', () => {
    expect(new Set(AUDIT_ACTIONS).size).toBe(AUDIT_ACTIONS.length);
    for (const code of AUDIT_ACTIONS) expect(code).toMatch(/^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$/);
  });

  it.each([
    ['ja', ja],
    ['en', en],
  ])('every code has a label in the SPA (%s)', (_locale, messages) => {
    const missing = AUDIT_ACTIONS.filter((code) => typeof labelOf(messages, code) !== 'string' || !labelOf(messages, code));
    expect(missing).toEqual([]);
  });

  it('labels no code the catalogue does not know (a renamed code would keep a stale label)', () => {
    const labelled = (messages: { audit: { actions: Record<string, Record<string, string>> } }) =>
      Object.entries(messages.audit.actions).flatMap(([group, verbs]) => Object.keys(verbs).map((verb) => `${group}.${verb}`));
    expect(labelled(ja).filter((c) => !isAuditAction(c))).toEqual([]);
    expect(labelled(en).filter((c) => !isAuditAction(c))).toEqual([]);
  });

  // The type of AuditRecord.action already refuses other codes at compile time; this catches a
  // code that reaches the service through a cast or an untyped path, as jest does not type-check.
  it('holds every action literal the API code passes to the audit trail', () => {
    const found = new Map<string, string>();
    for (const file of [...sources(path.join(ROOT, 'libs')), ...sources(path.join(ROOT, 'apps/api/src'))]) {
      const text = fs.readFileSync(file, 'utf8');
      for (const m of text.matchAll(/\baction:[^,;\n]*/g)) {
        for (const lit of m[0].matchAll(/'([a-z][a-z0-9_]*\.[a-z][a-z0-9_]*)'/g)) found.set(lit[1], path.relative(ROOT, file));
      }
      for (const m of text.matchAll(/\b(?:record|recordBoth)\(\s*(?:[a-z]+,\s*)?'([a-z][a-z0-9_]*\.[a-z][a-z0-9_]*)'/g))
        found.set(m[1], path.relative(ROOT, file));
    }
    expect(found.size).toBeGreaterThan(50);
    const unknown = [...found].filter(([code]) => !isAuditAction(code)).map(([code, file]) => `${code} (${file})`);
    expect(unknown).toEqual([]);
  });
});
