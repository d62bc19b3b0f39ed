import * as fs from 'node:fs';
import * as path from 'node:path';
import request from 'supertest';
import { login, LoggedIn, seedTenant, Seeded, startTestApp, TestApp } from '../support/app';
import { idpMetadataXml, makeIdpCert, ssoSettings } from '../support/saml-idp';

/** Per-tenant SAML settings (GET|PUT /tenant/sso, metadata import) and the SP metadata. */
describe('SSO settings (/api/v1/tenant/sso)', () => {
  let t: TestApp;
  let a: Seeded;
  let b: Seeded;
  let adminA: LoggedIn;
  const idp = makeIdpCert('idp-a');
  const next = makeIdpCert('idp-a-next');
  const expired = fs.readFileSync(path.resolve(__dirname, '../fixtures/saml/expired-idp-cert.pem'), 'utf8');

  const settings = (over: Record<string, unknown> = {}) => ssoSettings('https://idp.example.jp/a', idp.certPem, over);

  beforeAll(async () => {
    // https PUBLIC_URL (as in production); the tests speak plain HTTP, so no Secure flag on the cookie
    t = await startTestApp({ PUBLIC_URL: 'https://charlotte.example.jp', COOKIE_SECURE: 'false' });
    a = await seedTenant(t, 'sso-a');
    b = await seedTenant(t, 'sso-b');
    adminA = await login(t, 'sso-a', a.adminEmail);
  });
  afterAll(() => t.close());

  const put = (body: object) => adminA.agent.put('/api/v1/tenant/sso').set('X-CSRF-Token', adminA.csrf).send(body);

  it('answers an unconfigured tenant with defaults and its SP URLs', async () => {
    const res = await adminA.agent.get('/api/v1/tenant/sso').expect(200);
    expect(res.body).toMatchObject({
      configured: false,
      allowIdpInitiated: false,
      ssoRequired: false,
      acsUrl: 'https://charlotte.example.jp/api/v1/auth/saml/sso-a/acs',
      spEntityId: 'https://charlotte.example.jp/api/v1/auth/saml/sso-a/metadata',
    });
    await request(t.http).get('/api/v1/auth/saml/sso-a/metadata').expect(404);
  });

  it('saves valid settings (two certificates during a rollover), audited, and publishes SP metadata', async () => {
    const res = await put(settings({ certificates: [idp.certPem, next.certPem] })).expect(200);
    expect(res.body).toMatchObject({
      configured: true,
      idpEntityId: 'https://idp.example.jp/a',
      certificates: [idp.certPem, next.certPem],
    });
    expect(res.body.certificateInfo.map((c: { subject: string }) => c.subject)).toEqual(['CN=idp-a', 'CN=idp-a-next']);
    const md = await request(t.http).get('/api/v1/auth/saml/sso-a/metadata').expect(200);
    expect(md.headers['content-type']).toMatch(/application\/samlmetadata\+xml/);
    expect(md.text).toContain('entityID="https://charlotte.example.jp/api/v1/auth/saml/sso-a/metadata"');
    expect(md.text).toContain('Location="https://charlotte.example.jp/api/v1/auth/saml/sso-a/acs"');
    expect(md.text).toContain('WantAssertionsSigned="true"');
    const ev = await t.ds.query(`SELECT details FROM audit_events WHERE chain_key = $1 AND action = 'sso.settings_changed'`, [a.tenantId]);
    expect(ev[0].details).toMatchObject({ created: true, certificates: 2, jitEnabled: true });
  });

  it.each([
    ['an expired certificate', { certificates: [expired] }, 'certificates[0]', /expired/],
    [
      'a certificate that is not X.509',
      { certificates: ['-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----'] },
      'certificates[0]',
      /X\.509/,
    ],
    ['three certificates', { certificates: [idp.certPem, next.certPem, idp.certPem] }, 'certificates', /.+/],
    ['an http SSO URL', { ssoUrl: 'http://idp.example.jp/sso' }, 'ssoUrl', /https/],
    ['an unknown NameID format', { nameIdFormat: 'urn:x' }, 'nameIdFormat', /.+/],
    ['a member as break-glass admin', {}, 'breakGlassAdminIds[0]', /administrator/],
    ['an unknown field', { idpSecret: 'x' }, 'idpSecret', /.+/],
  ])('refuses %s with a reason and changes nothing', async (_what, over, field, message) => {
    const before = await adminA.agent.get('/api/v1/tenant/sso').expect(200);
    const body = _what === 'a member as break-glass admin' ? settings({ breakGlassAdminIds: [a.memberId] }) : settings(over);
    const res = await put(body).expect(400);
    expect(res.body.code).toBe('validation_failed');
    expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field, message: expect.stringMatching(message) })]));
    expect((await adminA.agent.get('/api/v1/tenant/sso').expect(200)).body).toEqual(before.body);
  });

  it('refuses to enforce SSO without a break-glass admin, and before a tested SSO login', async () => {
    const noAdmin = await put(settings({ ssoRequired: true })).expect(409);
    expect(noAdmin.body.code).toBe('break_glass_required');
    const untested = await put(settings({ ssoRequired: true, breakGlassAdminIds: [a.adminId] })).expect(409);
    expect(untested.body.code).toBe('sso_not_tested');
    expect((await adminA.agent.get('/api/v1/tenant/sso').expect(200)).body.ssoRequired).toBe(false);
  });

  it('imports IdP metadata (raw XML or JSON), keeping the other settings', async () => {
    const xml = idpMetadataXml('https://sts.example.jp/tenant-a', 'https://sts.example.jp/saml2', [next.base64Der]);
    const raw = await adminA.agent
      .put('/api/v1/tenant/sso/metadata')
      .set('X-CSRF-Token', adminA.csrf)
      .set('Content-Type', 'application/samlmetadata+xml')
      .send(xml)
      .expect(200);
    expect(raw.body).toMatchObject({
      idpEntityId: 'https://sts.example.jp/tenant-a',
      ssoUrl: 'https://sts.example.jp/saml2',
      jitEnabled: true,
    });
    expect(raw.body.certificateInfo[0].subject).toBe('CN=idp-a-next');
    const viaJson = await adminA.agent
      .put('/api/v1/tenant/sso/metadata')
      .set('X-CSRF-Token', adminA.csrf)
      .send({ xml: idpMetadataXml('https://sts.example.jp/other', 'https://sts.example.jp/saml2', [idp.base64Der]) })
      .expect(200);
    expect(viaJson.body.idpEntityId).toBe('https://sts.example.jp/other');
  });

  it.each([
    [
      'a DOCTYPE with an entity',
      `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="&e;"/>`,
    ],
    ['broken XML', '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x"><md:IDPSSODescriptor>'],
    ['metadata without a certificate', idpMetadataXml('https://x.example', 'https://x.example/sso', [])],
    [
      'metadata with an expired certificate',
      idpMetadataXml('https://x.example', 'https://x.example/sso', [expired.replace(/-----[^-]+-----|\s/g, '')]),
    ],
  ])('refuses %s', async (_what, xml) => {
    const before = (await adminA.agent.get('/api/v1/tenant/sso').expect(200)).body;
    const res = await adminA.agent
      .put('/api/v1/tenant/sso/metadata')
      .set('X-CSRF-Token', adminA.csrf)
      .set('Content-Type', 'application/xml')
      .send(xml);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('validation_failed');
    expect((await adminA.agent.get('/api/v1/tenant/sso').expect(200)).body).toEqual(before);
  });

  it('keeps the settings to the tenant’s administrators', async () => {
    const member = await login(t, 'sso-a', a.memberEmail);
    await member.agent.get('/api/v1/tenant/sso').expect(403);
    await member.agent.put('/api/v1/tenant/sso').set('X-CSRF-Token', member.csrf).send(settings()).expect(403);
    const adminB = await login(t, 'sso-b', b.adminEmail);
    expect((await adminB.agent.get('/api/v1/tenant/sso').expect(200)).body.configured).toBe(false);
    await request(t.http).get('/api/v1/auth/saml/sso-b/metadata').expect(404);
    await request(t.http).get('/api/v1/auth/saml/no-such-tenant/metadata').expect(404);
  });
});
