import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import request from 'supertest';
import { startTestApp, TestApp } from '../support/app';

type Json = Record<string, unknown>;
interface Schema {
  $ref?: string;
  type?: string;
  format?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  nullable?: boolean;
  allOf?: Schema[];
}
interface Operation {
  summary?: string;
  description?: string;
  security?: Record<string, string[]>[];
  parameters?: { name: string; in: string; required?: boolean; schema?: Schema }[];
  responses?: Record<string, { description?: string; content?: Record<string, { schema?: Schema }> }>;
}

const METHODS = ['get', 'put', 'post', 'patch', 'delete'] as const;

/**
 * Operations whose 2xx is a file, not a JSON answer the SPA reads: they must
 * say so with their media type and a string schema (format binary for bytes),
 * so that a generated client saves the bytes instead of parsing them.
 * Everything else answers JSON with a schema, so that the SPA's generated types
 * (apps/web/src/api/schema.d.ts) and integrators' clients are exact.
 */
const FILE_DOWNLOADS = new Set<string>([
  'GET /api/v1/audit-events/export', // NDJSON or CSV file
  'GET /api/v1/applications/{id}/attachments/{aid}', // the attached file
  'GET /api/v1/applications/{id}/documents/{did}', // the 公文書 file
  'GET /api/v1/auth/saml/{tenant}/metadata', // SP metadata XML for the IdP
  'GET /api/v1/operator/deletion-certificates/{id}', // JSON, or the PDF with Accept: application/pdf
]);

/**
 * Lists answered whole, on purpose, without `nextCursor`: each is bounded by
 * what it lists (not by the tenant's activity), so that a page would never end.
 * Every other list (an answer with `items`) pages with `limit` and `cursor`.
 */
const BOUNDED_LISTS = new Map<string, string>([
  ['GET /api/v1/me/keyfiles', "the user's own key files (a few)"],
  ['GET /api/v1/users/{id}/keyfiles', "one user's key files (a few)"],
  ['GET /api/v1/api-tokens', "the tenant's API tokens (a few, created by hand)"],
  ['GET /api/v1/procedures', 'the supported procedures (a fixed catalogue)'],
  ['GET /api/v1/offices', "the tenant's 事業所 (tens at most)"],
  ['GET /api/v1/incidents', 'incidents affecting the tenant: open first, the latest 100'],
  ['GET /api/v1/operator/incidents', 'incidents: open first, the latest 200'],
  ['GET /api/v1/operator/alerts', 'operator alerts: open first, the latest 200'],
  ['GET /api/v1/backups', 'backup generations kept by the retention policy'],
  ['GET /api/v1/operator/tenants/{code}/backups', 'backup generations kept by the retention policy'],
  ['GET /api/v1/operator/tenants', 'the platform tenants (contracts, tens to hundreds)'],
  ['GET /api/v1/clients', "a 社労士 office's 顧問先 (tens to hundreds; the SPA's client selectors need them all)"],
  ['GET /api/v1/clients/{id}/users', "a 顧問先's portal users (a few per client; at most 500)"],
]);

/** Path parameters that are ids: UUIDs, declared as such so that clients validate them. */
const UUID_PARAMS = new Set(['id', 'aid', 'did']);

const JAPANESE = /[\u3040-\u30ff\u3400-\u9fff]/u;
const HIRAGANA_OR_KATAKANA = /[\u3040-\u30ff]/gu;
const JAPANESE_ALL = /[\u3040-\u30ff\u3400-\u9fff]/gu;
const LATIN_WORD = /[A-Za-z]{3,}/;
const LATIN_ALL = /[A-Za-z]/g;

/** English prose: Latin words, with at most a few Japanese terms (公文書, お知らせ) quoted in it. */
function isEnglish(text: string): boolean {
  const latin = (text.match(LATIN_ALL) ?? []).length;
  const japanese = (text.match(JAPANESE_ALL) ?? []).length;
  return LATIN_WORD.test(text) && latin >= 4 * japanese;
}
/** Japanese prose: kana, not only kanji terms inside English. */
function isJapanese(text: string): boolean {
  return (text.match(HIRAGANA_OR_KATAKANA) ?? []).length >= 2 && JAPANESE.test(text);
}

const ROOT = path.resolve(__dirname, '../..');
const COMMITTED_DOCUMENT = path.join(ROOT, 'apps/web/src/api/openapi.json');
const COMMITTED_TYPES = path.join(ROOT, 'apps/web/src/api/schema.d.ts');
const REGENERATE = 'run `npm run api:types` and commit apps/web/src/api/openapi.json and schema.d.ts';

describe('OpenAPI document: completeness, and the SPA types generated from it', () => {
  let t: TestApp;
  let doc: { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, Schema> } } & Json;

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

  const resolve = (schema: Schema | undefined): Schema | undefined => {
    if (!schema?.$ref) return schema;
    return doc.components.schemas[schema.$ref.replace('#/components/schemas/', '')];
  };
  const okJson = (op: Operation) =>
    Object.entries(op.responses ?? {})
      .filter(([code]) => /^2\d\d$/.test(code))
      .map(([, r]) => resolve(r.content?.['application/json']?.schema))
      .filter((x): x is Schema => x !== undefined);

  it('gives every operation a summary "日本語 / English" and a description in Japanese, then English', () => {
    const bad = operations().flatMap(({ key, op }) => {
      const out: string[] = [];
      const [ja, en, ...rest] = (op.summary ?? '').split(' / ');
      if (!op.summary) out.push(`${key}: no summary`);
      else if (rest.length || !ja || !en || !JAPANESE.test(ja) || !isEnglish(en))
        out.push(`${key}: summary is not "日本語 / English": ${op.summary}`);
      const paragraphs = (op.description ?? '').split(/\n\s*\n/).map((p) => p.trim());
      if (!op.description) out.push(`${key}: no description`);
      else if (!isJapanese(paragraphs[0]) || !paragraphs.slice(1).some(isEnglish))
        out.push(`${key}: description is not a Japanese paragraph followed by an English one`);
      return out;
    });
    expect(bad).toEqual([]);
  });

  it('declares id path parameters as UUIDs', () => {
    const bad = operations().flatMap(({ key, op }) =>
      (op.parameters ?? [])
        .filter((p) => p.in === 'path' && UUID_PARAMS.has(p.name) && p.schema?.format !== 'uuid')
        .map((p) => `${key}: {${p.name}}`),
    );
    expect(bad).toEqual([]);
  });

  it('answers errors as problem+json with the ProblemView schema, and declares 401/403 wherever a login or token is needed', () => {
    const bad = operations().flatMap(({ key, path, op }) => {
      const out: string[] = [];
      for (const [code, r] of Object.entries(op.responses ?? {})) {
        if (!/^[45]\d\d$/.test(code)) continue;
        // Browser pages (the SSO refusal page) and the readiness report are not problems.
        if (r.content?.['text/html'] || (path === '/health/ready' && code === '503')) continue;
        if (r.content?.['application/problem+json']?.schema?.$ref !== '#/components/schemas/ProblemView') out.push(`${key}: ${code}`);
      }
      if (op.security?.length) for (const code of ['401', '403']) if (!op.responses?.[code]) out.push(`${key}: no ${code}`);
      return out;
    });
    expect(bad).toEqual([]);
  });

  it('answers every list as {items, nextCursor} (never a bare array), with limit and cursor, except the bounded lists', () => {
    const bad = operations().flatMap(({ key, op }) => {
      const out: string[] = [];
      for (const schema of okJson(op)) {
        if (schema.type === 'array') out.push(`${key}: a bare array`);
        const items = schema.properties?.items;
        if (!items || items.type !== 'array') continue;
        const paged = schema.properties?.nextCursor !== undefined;
        if (BOUNDED_LISTS.has(key)) {
          if (paged) out.push(`${key}: pages, so it is not a bounded list`);
          continue;
        }
        if (!paged) out.push(`${key}: a list without nextCursor`);
        else {
          if (!schema.required?.includes('items') || !schema.required.includes('nextCursor'))
            out.push(`${key}: items/nextCursor not required`);
          if (!schema.properties?.nextCursor?.nullable) out.push(`${key}: nextCursor not nullable`);
        }
        const query = new Set((op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name));
        // A list whose one page is the whole list (documents of one application) needs no parameters.
        const description = schema.properties?.nextCursor as { description?: string } | undefined;
        const alwaysNull = /always null/.test(description?.description ?? '');
        if (paged && !alwaysNull && !(query.has('limit') && query.has('cursor'))) out.push(`${key}: no limit/cursor parameters`);
      }
      return out;
    });
    expect(bad).toEqual([]);
  });

  it('declares every path parameter of every operation', () => {
    const missing = operations().flatMap(({ key, path, op }) =>
      [...path.matchAll(/\{(\w+)\}/g)]
        .map((m) => m[1])
        .filter((name) => !(op.parameters ?? []).some((p) => p.in === 'path' && p.name === name && p.required))
        .map((name) => `${key}: {${name}}`),
    );
    expect(missing).toEqual([]);
  });

  it('gives every 2xx answer a response schema (204 excepted; file downloads as their media type)', () => {
    const missing = operations().flatMap(({ key, op }) => {
      const ok = Object.entries(op.responses ?? {}).filter(([code]) => /^2\d\d$/.test(code));
      // Browser-only steps (SAML login, ACS, finish, the e-Gov link callback) answer with redirects and declare them.
      if (ok.length === 0) return Object.keys(op.responses ?? {}).some((c) => /^3\d\d$/.test(c)) ? [] : [`${key}: no 2xx or 3xx response`];
      return ok.flatMap(([code, r]) => {
        if (code === '204') return r.content ? [`${key}: 204 with a body`] : [];
        const content = Object.entries(r.content ?? {});
        if (!content.length || !content.every(([, c]) => c.schema)) return [`${key}: ${code} without a schema`];
        const files = content.filter(([type]) => type !== 'application/json');
        if (FILE_DOWNLOADS.has(key)) {
          return files.length && files.every(([, c]) => c.schema?.type === 'string')
            ? []
            : [`${key}: ${code} is a file without its media type`];
        }
        return files.length ? [`${key}: ${code} answers ${files.map(([t]) => t).join(', ')} but is not a listed download`] : [];
      });
    });
    expect(missing).toEqual([]);
  });

  it('lists only exceptions that exist', () => {
    const keys = new Set(operations().map((o) => o.key));
    expect([...FILE_DOWNLOADS, ...BOUNDED_LISTS.keys()].filter((k) => !keys.has(k))).toEqual([]);
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
