import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import request from 'supertest';
import { startTestApp, TestApp } from '../support/app';

type Json = Record<string, unknown>;
interface Operation {
  parameters?: { name: string; in: string; required?: boolean }[];
  responses?: Record<string, { content?: Record<string, { schema?: unknown }> }>;
}

const METHODS = ['get', 'put', 'post', 'patch', 'delete'] as const;

/**
 * Operations whose 2xx is not a JSON answer the SPA reads, on purpose: file
 * downloads (the browser saves them through a plain link or a blob) and a
 * browser redirect. Everything else must say what it answers so that the
 * SPA's generated types (apps/web/src/api/schema.d.ts) are exact.
 */
const NO_JSON_SCHEMA = new Set<string>([
  'GET /api/v1/audit-events/export', // NDJSON or CSV file
  'GET /api/v1/applications/{id}/attachments/{aid}', // the attached file
  'GET /api/v1/applications/{id}/documents/{did}', // the 公文書 file
  'GET /api/v1/auth/saml/{tenant}/metadata', // SP metadata XML for the IdP
  'POST /api/v1/users/{id}/keyfiles', // the key file itself, saved once (Content-Disposition: attachment)
  'GET /api/v1/egov/link/callback', // e-Gov's top-level redirect back: answers 302 to the SPA
]);

const ROOT = path.resolve(__dirname, '../..');
const COMMITTED_DOCUMENT = path.join(ROOT, 'apps/web/src/api/openapi.json');
const COMMITTED_TYPES = path.join(ROOT, 'apps/web/src/api/schema.d.ts');
const REGENERATE = 'run `npm run api:types` and commit apps/web/src/api/openapi.json and schema.d.ts';

describe('OpenAPI document: completeness, and the SPA types generated from it', () => {
  let t: TestApp;
  let doc: { paths: Record<string, Record<string, Operation>> } & Json;

  beforeAll(async () => {
    t = await startTestApp();
    doc = (await request(t.http).get('/api/docs/openapi.json').expect(200)).body;
  });
  afterAll(async () => {
    await t.close();
  });

  const operations = () =>
    Object.entries(doc.paths).flatMap(([path, item]) =>
      METHODS.filter((m) => item[m]).map((m) => ({ key: `${m.toUpperCase()} ${path}`, path, op: item[m] })),
    );

  it('declares every path parameter of every operation', () => {
    const missing = operations().flatMap(({ key, path, op }) =>
      [...path.matchAll(/\{(\w+)\}/g)]
        .map((m) => m[1])
        .filter((name) => !(op.parameters ?? []).some((p) => p.in === 'path' && p.name === name && p.required))
        .map((name) => `${key}: {${name}}`),
    );
    expect(missing).toEqual([]);
  });

  it('gives every 2xx answer a response schema (204 and the listed downloads excepted)', () => {
    const missing = operations().flatMap(({ key, op }) => {
      const ok = Object.entries(op.responses ?? {}).filter(([code]) => /^2\d\d$/.test(code));
      // Browser-only steps (SAML login, ACS, finish) answer with redirects and declare them.
      if (ok.length === 0) return Object.keys(op.responses ?? {}).some((c) => /^3\d\d$/.test(c)) ? [] : [`${key}: no 2xx or 3xx response`];
      return ok
        .filter(([code, r]) => code !== '204' && !NO_JSON_SCHEMA.has(key) && !Object.values(r.content ?? {}).some((c) => c.schema))
        .map(([code]) => `${key}: ${code}`);
    });
    expect(missing).toEqual([]);
  });

  it('lists only exceptions that exist', () => {
    const keys = new Set(operations().map((o) => o.key));
    expect([...NO_JSON_SCHEMA].filter((k) => !keys.has(k))).toEqual([]);
  });

  it(`is the document committed for the SPA (else ${REGENERATE})`, () => {
    const committed: unknown = JSON.parse(fs.readFileSync(COMMITTED_DOCUMENT, 'utf8'));
    expect(committed).toEqual(doc);
    // Byte for byte too, as the script writes it (two-space JSON, final newline).
    expect(fs.readFileSync(COMMITTED_DOCUMENT, 'utf8')).toBe(`${JSON.stringify(doc, null, 2)}\n`);
  });

  it(`generates the committed SPA types from the server's document (else ${REGENERATE})`, () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'charlotte-openapi-'));
    try {
      const file = path.join(dir, 'openapi.json');
      fs.writeFileSync(file, JSON.stringify(doc));
      // The generator is the script's own code (openapi-typescript is ESM-only, which
      // jest's CommonJS runtime cannot import): the same function `npm run api:types` uses.
      const generated = execFileSync(process.execPath, [path.join(ROOT, 'scripts/api-types.mjs'), '--types', file], {
        cwd: ROOT,
        encoding: 'utf8',
        maxBuffer: 32 * 1024 * 1024,
      });
      expect(generated).toBe(fs.readFileSync(COMMITTED_TYPES, 'utf8'));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
