import * as fs from 'node:fs';
import * as path from 'node:path';
import { getMetadataStorage } from 'class-validator';
import { constraintNameOf, isKnownConstraint, VALIDATION_CODES, validationCodeOf } from '@charlotte/core';
import ja from '../../apps/web/src/i18n/ja';
import en from '../../apps/web/src/i18n/en';
import { login, LoggedIn, seedTenant, Seeded, startTestApp, TestApp } from '../support/app';
import { makeIdpCert, ssoSettings } from '../support/saml-idp';

/** What class-validator keeps of one rule (its storage type is not exported). */
interface Rule {
  target: { name: string } | string;
  propertyName: string;
  name?: string;
  type: string;
  constraints?: unknown[];
  context?: { code?: string };
}

const ROOT = path.resolve(__dirname, '../..');
const JA = ja.validation as Record<string, string>;
const EN = en.validation as Record<string, string>;

/** Every .ts source of the server (libs and the api app), without tests. */
function serverSources(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.endsWith('.ts') && !/\.(int-)?spec\.ts$/.test(p)) out.push(p);
    }
  };
  for (const lib of fs.readdirSync(path.join(ROOT, 'libs'))) walk(path.join(ROOT, 'libs', lib, 'src'));
  walk(path.join(ROOT, 'apps/api/src'));
  return out;
}

/**
 * Issue 18, bug 3: English class-validator messages reached Japanese users.
 * Field errors now carry a code (and params); the SPA translates the code.
 * These tests fail on a rule whose code has no Japanese or English text.
 */
describe('Validation messages (problem+json errors[] codes, translated in the SPA)', () => {
  let t: TestApp;
  let a: Seeded;
  let admin: LoggedIn;
  const idp = makeIdpCert('idp-msg');

  beforeAll(async () => {
    t = await startTestApp({ PUBLIC_URL: 'https://charlotte.example.jp', COOKIE_SECURE: 'false' });
    a = await seedTenant(t, 'msg-a');
    admin = await login(t, 'msg-a', a.adminEmail);
  });
  afterAll(() => t?.close());

  it('has a Japanese and an English text for every rule of every DTO of the app', () => {
    // The app is running: every module, and so every DTO class, is loaded.
    const storage = getMetadataStorage() as unknown as { validationMetadatas: Map<object, Rule[]> };
    const rules = [...storage.validationMetadatas.values()].flat();
    const classes = new Set(rules.map((r) => (typeof r.target === 'string' ? r.target : r.target.name)));
    expect(classes.size).toBeGreaterThan(40);
    for (const known of [
      'CreateApplicationDto',
      'SsoSettingsDto',
      'AttributeMappingDto',
      'SsoMetadataDto',
      'CreateIncidentDto',
      'CreateUserDto',
    ]) {
      expect(classes.has(known)).toBe(true);
    }

    const missing: string[] = [];
    for (const rule of rules) {
      const where = `${typeof rule.target === 'string' ? rule.target : rule.target.name}.${rule.propertyName} @${constraintNameOf(rule as never)}`;
      const name = constraintNameOf(rule as never);
      if (!isKnownConstraint(name) && !rule.context?.code)
        missing.push(`${where}: no code for this constraint (validation.ts BY_CONSTRAINT)`);
      // A bare pattern says nothing a user can act on: each @Matches names its meaning.
      if (name === 'matches' && !rule.context?.code) missing.push(`${where}: @Matches without context.code`);
      const code = validationCodeOf(rule as never);
      if (code === undefined) continue;
      if (!(VALIDATION_CODES as readonly string[]).includes(code)) missing.push(`${where}: ${code} is not in VALIDATION_CODES`);
      if (!JA[code]) missing.push(`${where}: no Japanese text validation.${code}`);
      if (!EN[code]) missing.push(`${where}: no English text validation.${code}`);
    }
    expect(missing).toEqual([]);
    // Every code the pipe can produce (required, unknown_field, too_short/too_long of Length…) is translated too.
    expect(VALIDATION_CODES.filter((c) => !JA[c] || !EN[c])).toEqual([]);
  });

  it('has a Japanese and an English text for every field error code the services raise', () => {
    const codes = new Map<string, string>();
    for (const file of serverSources()) {
      if (file.includes(`${path.sep}libs${path.sep}procedures${path.sep}`)) continue; // form errors carry both texts
      const src = fs.readFileSync(file, 'utf8');
      const rel = path.relative(ROOT, file);
      // A field error literal: `{ field…, code: 'x', … }` (either order), a metadata failure `bad('…', 'x')`.
      for (const m of src.matchAll(/\bfield\b[^;]{0,200}?\bcode: '([a-z_]+)'/gs)) codes.set(m[1], rel);
      for (const m of src.matchAll(/\bcode: '([a-z_]+)',\s*message\b/g)) codes.set(m[1], rel);
      for (const m of src.matchAll(/\bcode: '([a-z_]+)',\s*params\b/g)) codes.set(m[1], rel);
      for (const m of src.matchAll(/\bthrow bad\([^;]*?, '([a-z_]+)'\)/g)) codes.set(m[1], rel);
      // The package builder's codes become `package_<reason>` (FilingErrors.packageInvalid).
      if (rel.endsWith(path.join('filing', 'src', 'package', 'errors.ts')))
        for (const m of src.matchAll(/\| '(egov_package_[a-z_]+)'/g)) codes.set(m[1].replace(/^egov_/, ''), rel);
    }
    // The scan must see the codes of this change (else it reads nothing and passes).
    for (const c of [
      'certificate_expired',
      'not_certificate',
      'metadata_no_idp',
      'package_office_incomplete',
      'labor_insurance_number_format',
      'wrong_pin',
    ]) {
      expect([...codes.keys()]).toContain(c);
    }
    const missing = [...codes].filter(([c]) => !JA[c] || !EN[c]).map(([c, file]) => `${c} (${file})`);
    expect(missing).toEqual([]);
  });

  it('answers a refused application with field, code and params beside the English message', async () => {
    const res = await admin.agent
      .post('/api/v1/applications')
      .set('X-CSRF-Token', admin.csrf)
      .send({ procedureCode: 'Bad Code', officeId: 'nope', title: '', extra: 1 })
      .expect(400);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body.code).toBe('validation_failed');
    expect(res.body.errors).toEqual(
      expect.arrayContaining([
        { field: 'procedureCode', code: 'procedure_code', message: 'procedureCode must be a procedure code' },
        { field: 'officeId', code: 'uuid', message: 'officeId must be a UUID' },
        { field: 'title', code: 'too_short', params: { min: 1 }, message: 'title must be longer than or equal to 1 characters' },
        { field: 'extra', code: 'unknown_field', message: 'property extra should not exist' },
      ]),
    );
    // Neither the value sent nor the DTO instance leaves the server.
    expect(JSON.stringify(res.body)).not.toContain('Bad Code');
    expect(res.body.errors.every((e: object) => Object.keys(e).every((k) => ['field', 'code', 'params', 'message'].includes(k)))).toBe(
      true,
    );
    for (const e of res.body.errors) expect(JA[e.code]).toBeTruthy();
  });

  it('tells a missing field (required) from a too long one (too_long with max)', async () => {
    const res = await admin.agent
      .post('/api/v1/applications')
      .set('X-CSRF-Token', admin.csrf)
      .send({ procedureCode: 'shaho-shutoku', title: 'x'.repeat(201) })
      .expect(400);
    expect(res.body.errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ field: 'officeId', code: 'required' }),
        expect.objectContaining({ field: 'title', code: 'too_long', params: { max: 200 } }),
      ]),
    );
  });

  it('codes the SSO settings errors: https URL, no certificate, nested fields, a metadata that is not IdP metadata', async () => {
    const put = (body: object) => admin.agent.put('/api/v1/tenant/sso').set('X-CSRF-Token', admin.csrf).send(body);
    const res = await put(
      ssoSettings('https://idp.example.jp/msg', idp.certPem, {
        ssoUrl: 'http://idp.example.jp/sso',
        certificates: [],
        attributeMapping: { email: '' },
      }),
    ).expect(400);
    expect(res.body.errors).toEqual(
      expect.arrayContaining([
        { field: 'ssoUrl', code: 'https_url', message: 'ssoUrl must be an https URL' },
        { field: 'certificates', code: 'too_few_items', params: { min: 1 }, message: 'certificates must contain at least 1 elements' },
        expect.objectContaining({ field: 'attributeMapping.email', code: 'too_short', params: { min: 1 } }),
      ]),
    );

    const bad = await admin.agent
      .put('/api/v1/tenant/sso/metadata')
      .set('X-CSRF-Token', admin.csrf)
      .send({ xml: `<?xml version="1.0"?><root xmlns="urn:x">${'x'.repeat(60)}</root>` })
      .expect(400);
    expect(bad.body.errors).toEqual([
      { field: 'xml', code: 'metadata_no_idp', message: 'metadata has no EntityDescriptor with an IDPSSODescriptor' },
    ]);
    const short = await admin.agent.put('/api/v1/tenant/sso/metadata').set('X-CSRF-Token', admin.csrf).send({ xml: '<x/>' }).expect(400);
    expect(short.body.errors).toEqual([expect.objectContaining({ field: 'xml', code: 'too_short', params: { min: 50 } })]);
  });

  it('declares the field error members in the OpenAPI problem schema', async () => {
    const doc = (await admin.agent.get('/api/docs/openapi.json').expect(200)).body as {
      components: { schemas: Record<string, { properties: Record<string, unknown>; required?: string[] }> };
    };
    const item = doc.components.schemas.ProblemFieldErrorView;
    // `row`: the data row of a bulk import's problem (POST /clients/import, issue 19).
    expect(Object.keys(item.properties).sort()).toEqual(['code', 'field', 'message', 'messageEn', 'params', 'row']);
    expect(item.required?.sort()).toEqual(['code', 'field', 'message']);
    expect(doc.components.schemas.ProblemView.properties.errors).toEqual({
      type: 'array',
      items: { $ref: '#/components/schemas/ProblemFieldErrorView' },
    });
  });
});
