import request from 'supertest';
import { SessionsService, SsoSettingsService } from '@charlotte/auth';
import { login, seedTenant, Seeded, startTestApp, TestApp } from '../support/app';
import {
  AuthnRequestInfo,
  b64,
  buildResponse,
  idpMetadataXml,
  makeIdpCert,
  readAuthnRequest,
  ResponseOptions,
  signAssertion,
  ssoSettings,
} from '../support/saml-idp';

/**
 * Attacks on the SAML endpoints from the security review (issue 13): the
 * anonymous ACS request that killed the process (finding 1), the metadata
 * import that skipped the https check (8), a response pushed into a browser
 * that did not start the login (9), and the silent linking of existing
 * accounts, admins included (11).
 */
describe('SAML SSO attacks (issue 13)', () => {
  const PUBLIC = 'https://charlotte.example.jp';
  const IDP = 'https://idp.example.jp/atk';
  const idp = makeIdpCert('idp-atk');
  let t: TestApp;
  let a: Seeded;

  const sp = (code: string) => ({
    spEntityId: `${PUBLIC}/api/v1/auth/saml/${code}/metadata`,
    acsUrl: `${PUBLIC}/api/v1/auth/saml/${code}/acs`,
  });
  /** Without a role attribute: JIT users get `jitDefaultRole`. */
  const settings = (over: Record<string, unknown> = {}) =>
    ssoSettings(IDP, idp.certPem, { attributeMapping: { email: 'mail', displayName: 'displayName' }, ...over });
  const configure = (over: Record<string, unknown> = {}) => t.app.get(SsoSettingsService).put(a.tenantId, settings(over), a.adminId);

  beforeAll(async () => {
    t = await startTestApp({ PUBLIC_URL: PUBLIC, COOKIE_SECURE: 'false' });
    a = await seedTenant(t, 'atk-a');
    await configure();
  });
  afterAll(() => t.close());

  /** One browser: a cookie jar of its own (supertest's agent). */
  const browser = () => request.agent(t.http);

  async function start(agent: ReturnType<typeof browser>, code = 'atk-a'): Promise<AuthnRequestInfo> {
    const res = await agent.get(`/api/v1/auth/saml/${code}/login`).expect(302);
    return readAuthnRequest(res.headers.location);
  }

  const responseFor = (req: AuthnRequestInfo | null, over: Partial<ResponseOptions> = {}) =>
    buildResponse({
      idpEntityId: IDP,
      ...sp('atk-a'),
      nameId: 'someone@atk-a.example',
      inResponseTo: req?.id ?? null,
      attributes: { mail: 'someone@atk-a.example' },
      ...over,
    });

  /** Posts to the ACS (a short timeout: on the old code the answer never came). */
  const acs = (agent: request.Agent | ReturnType<typeof request>, xml: string, relayState?: string) =>
    (agent as request.Agent)
      .post('/api/v1/auth/saml/atk-a/acs')
      .timeout(8000)
      .type('form')
      .send({ SAMLResponse: b64(xml), ...(relayState !== undefined ? { RelayState: relayState } : {}) });

  /** The ACS hands over to the finishing endpoint in the same browser. */
  async function finish(agent: request.Agent, acsRes: request.Response): Promise<request.Response> {
    expect(acsRes.status).toBe(303);
    expect(acsRes.headers.location).toMatch(/^\/api\/v1\/auth\/saml\/atk-a\/finish\?code=[A-Za-z0-9_-]{43}$/);
    return agent.get(acsRes.headers.location).timeout(8000);
  }

  const sessionCookie = (res: request.Response) =>
    ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((c) => c.startsWith('charlotte_session='));

  async function refusalEvents(requestId: string): Promise<Array<{ category: string; details: Record<string, unknown> }>> {
    return t.ds.query(
      `SELECT category, details FROM audit_events WHERE action = 'auth.sso_login' AND outcome = 'failure' AND request_id = $1`,
      [requestId],
    );
  }

  async function expectRefused(res: request.Response, reason: string): Promise<void> {
    expect(res.status).toBe(401);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.text).toContain(`<code id="reason">${reason}</code>`);
    expect(sessionCookie(res)).toBeUndefined();
    const ev = await refusalEvents(res.headers['x-request-id']);
    expect(ev).toEqual([expect.objectContaining({ category: 'security', details: expect.objectContaining({ reason }) })]);
  }

  describe('finding 1: attacker strings in a refused response never reach the audit guard', () => {
    const statusOnly = (status: string) => responseFor(null, { status }).replace(/<saml:Assertion[\s\S]*<\/saml:Assertion>/, '');
    const payloads: Array<[string, string, string, Record<string, unknown>]> = [
      ['a StatusCode that looks like a 個人番号', statusOnly('urn:x:123412341234'), 'status_not_success', { status: 'other' }],
      ['a StatusCode that looks like an e-mail', statusOnly('x@y.zz'), 'status_not_success', { status: 'other' }],
      [
        'a SignatureMethod Algorithm ending in an e-mail',
        responseFor(null).replace(
          /(<saml:Issuer>[^<]*<\/saml:Issuer>)(?=<saml:Subject>)/,
          `$1<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo><ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#a@b.cd"/></ds:SignedInfo></ds:Signature>`,
        ),
        'weak_algorithm',
        { algorithm: 'other' },
      ],
    ];

    it.each(payloads)('answers %s with the refusal page, records it, and keeps serving', async (_label, xml, reason, details) => {
      const res = await acs(request(t.http) as unknown as request.Agent, xml);
      await expectRefused(res, reason);
      const [ev] = await refusalEvents(res.headers['x-request-id']);
      expect(ev.details).toEqual({ reason, ...details });
      expect(JSON.stringify(ev.details)).not.toMatch(/1234|@/);
      await request(t.http).get('/health/live').timeout(5000).expect(200);
    });

    it('maps a known SAML status to its code', async () => {
      const res = await acs(request(t.http) as unknown as request.Agent, statusOnly('urn:oasis:names:tc:SAML:2.0:status:Responder'));
      await expectRefused(res, 'status_not_success');
      expect((await refusalEvents(res.headers['x-request-id']))[0].details).toEqual({ reason: 'status_not_success', status: 'responder' });
    });

    it('answers a signed response without an e-mail when JIT needs one (its details once carried an "email" key)', async () => {
      const agent = browser();
      const req = await start(agent);
      const xml = signAssertion(
        responseFor(req, { nameId: 'opaque-123', nameIdFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent', attributes: {} }),
        idp,
      );
      const res = await finish(agent, await acs(agent, xml, req.relayState));
      await expectRefused(res, 'user_unknown');
      await request(t.http).get('/health/live').timeout(5000).expect(200);
    });
  });

  describe('finding 8: one validation for the SSO settings, however they arrive', () => {
    let admin: Awaited<ReturnType<typeof login>>;
    beforeAll(async () => {
      admin = await login(t, 'atk-a', a.adminEmail);
    });
    afterAll(() => configure());

    it('refuses metadata whose SingleSignOnService is plain http with the same 400 as PUT', async () => {
      const before = (await admin.agent.get('/api/v1/tenant/sso').expect(200)).body;
      const viaPut = await admin.agent
        .put('/api/v1/tenant/sso')
        .set('X-CSRF-Token', admin.csrf)
        .send({ ...settings(), ssoUrl: 'http://idp.example.jp/sso' })
        .expect(400);
      const viaImport = await admin.agent
        .put('/api/v1/tenant/sso/metadata')
        .set('X-CSRF-Token', admin.csrf)
        .set('Content-Type', 'application/samlmetadata+xml')
        .send(idpMetadataXml(IDP, 'http://idp.example.jp/sso', [idp.base64Der]));
      expect(viaImport.status).toBe(400);
      expect(viaImport.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(viaImport.body.code).toBe(viaPut.body.code);
      expect(viaImport.body.errors).toEqual([expect.objectContaining({ field: 'ssoUrl' })]);
      expect((await admin.agent.get('/api/v1/tenant/sso').expect(200)).body).toEqual(before);
    });

    it('never redirects a login to an http SSO URL stored before the check', async () => {
      await t.ds.query(`UPDATE tenant_sso_settings SET sso_url = 'http://idp.example.jp/sso' WHERE tenant_id = $1`, [a.tenantId]);
      try {
        const res = await request(t.http).get('/api/v1/auth/saml/atk-a/login');
        expect(res.status).not.toBe(302);
        expect(res.headers.location).toBeUndefined();
        expect(res.text).toContain('<code id="reason">sso_url_invalid</code>');
      } finally {
        await configure();
      }
    });
  });

  describe('finding 9: an SP-initiated response counts only in the browser that started the login', () => {
    it('sets an HttpOnly SameSite=Lax binding cookie when the login starts', async () => {
      const res = await request(t.http).get('/api/v1/auth/saml/atk-a/login').expect(302);
      const cookie = ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((c) => c.startsWith('charlotte_saml='));
      expect(cookie).toMatch(/HttpOnly/);
      expect(cookie).toMatch(/SameSite=Lax/);
    });

    it("refuses an assertion for browser A's request posted from browser B (no cookie, or B's own)", async () => {
      for (const victimStarted of [false, true]) {
        const attacker = browser();
        const req = await start(attacker);
        const xml = signAssertion(responseFor(req), idp);
        const victim = browser();
        if (victimStarted) await start(victim);
        const acsRes = await acs(victim, xml, req.relayState);
        const res = await finish(victim, acsRes);
        await expectRefused(res, 'browser_mismatch');
      }
    });

    it('refuses the finishing link of a login that the attacker completed in their own browser', async () => {
      const attacker = browser();
      const req = await start(attacker);
      const acsRes = await acs(attacker, signAssertion(responseFor(req), idp), req.relayState);
      const victim = browser();
      await start(victim);
      await expectRefused(await finish(victim, acsRes), 'browser_mismatch');
      // The code was single use: the attacker cannot use it afterwards either.
      await expectRefused(await attacker.get(acsRes.headers.location), 'login_code_invalid');
    });

    it('still signs in the browser that started the login', async () => {
      const agent = browser();
      const req = await start(agent);
      const res = await finish(agent, await acs(agent, signAssertion(responseFor(req), idp), req.relayState));
      expect(res.status).toBe(302);
      expect(res.headers.location).toBe('/');
      expect(sessionCookie(res)).toMatch(/SameSite=Strict/);
      await agent.get('/api/v1/auth/session').expect(200);
    });

    it('keeps IdP-initiated login an explicit tenant option (off by default)', async () => {
      const agent = browser();
      const refused = await acs(
        agent,
        signAssertion(responseFor(null, { nameId: 'idp.init@atk-a.example', attributes: { mail: 'idp.init@atk-a.example' } }), idp),
      );
      await expectRefused(refused, 'idp_initiated_disabled');
      await configure({ allowIdpInitiated: true });
      try {
        const ok = await finish(
          agent,
          await acs(
            agent,
            signAssertion(responseFor(null, { nameId: 'idp.init@atk-a.example', attributes: { mail: 'idp.init@atk-a.example' } }), idp),
          ),
        );
        expect(ok.status).toBe(302);
        expect(sessionCookie(ok)).toBeDefined();
      } finally {
        await configure();
      }
    });
  });

  describe('finding 11: existing accounts are linked only when the tenant allows it, admins only after confirming', () => {
    async function ssoAs(email: string): Promise<request.Response> {
      const agent = browser();
      const req = await start(agent);
      const acsRes = await acs(agent, signAssertion(responseFor(req, { nameId: email, attributes: { mail: email } }), idp), req.relayState);
      return acsRes.status === 303 ? finish(agent, acsRes) : acsRes;
    }
    const linkOf = async (userId: string) =>
      (await t.ds.query(`SELECT sso_name_id FROM users WHERE id = $1`, [userId]))[0].sso_name_id as string | null;
    const linkedEvents = async (userId: string) =>
      t.ds.query(`SELECT category, actor_type, details FROM audit_events WHERE action = 'auth.sso_linked' AND target_id = $1`, [userId]);

    it('exposes linkExistingAccounts in the settings API, off by default', async () => {
      const admin = await login(t, 'atk-a', a.adminEmail);
      const view = (await admin.agent.get('/api/v1/tenant/sso').expect(200)).body;
      expect(view.linkExistingAccounts).toBe(false);
      const on = await admin.agent
        .put('/api/v1/tenant/sso')
        .set('X-CSRF-Token', admin.csrf)
        .send({ ...settings(), linkExistingAccounts: true })
        .expect(200);
      expect(on.body.linkExistingAccounts).toBe(true);
      await configure();
    });

    it('refuses to link an existing member while the setting is off (audited), and links them once it is on', async () => {
      await expectRefused(await ssoAs(a.memberEmail), 'link_not_allowed');
      expect(await linkOf(a.memberId)).toBeNull();
      await configure({ linkExistingAccounts: true });
      try {
        const res = await ssoAs(a.memberEmail);
        expect(res.status).toBe(302);
        expect(await linkOf(a.memberId)).toBe(a.memberEmail);
        expect(await linkedEvents(a.memberId)).toEqual([{ category: 'security', actor_type: 'system', details: {} }]);
      } finally {
        await configure();
      }
    });

    it('never links an admin who has not confirmed through a password and key-file login, even with the setting on', async () => {
      await configure({ linkExistingAccounts: true });
      try {
        await expectRefused(await ssoAs(a.adminEmail), 'link_confirmation_required');
        expect(await linkOf(a.adminId)).toBeNull();

        // The admin confirms from a password + key-file session; then the next SSO login links.
        const admin = await login(t, 'atk-a', a.adminEmail);
        await admin.agent.post('/api/v1/tenant/sso/link-confirmation').expect(403); // CSRF still applies
        const confirmed = await admin.agent.post('/api/v1/tenant/sso/link-confirmation').set('X-CSRF-Token', admin.csrf).expect(200);
        expect(confirmed.body.confirmedUntil).toEqual(expect.any(String));
        const ev = await t.ds.query(`SELECT details FROM audit_events WHERE action = 'auth.sso_link_confirmed' AND target_id = $1`, [
          a.adminId,
        ]);
        expect(ev).toHaveLength(1);

        const res = await ssoAs(a.adminEmail);
        expect(res.status).toBe(302);
        expect(await linkOf(a.adminId)).toBe(a.adminEmail);
        expect(await linkedEvents(a.adminId)).toHaveLength(1);

        // Once linked, there is nothing left to confirm.
        const again = await admin.agent.post('/api/v1/tenant/sso/link-confirmation').set('X-CSRF-Token', admin.csrf).expect(409);
        expect(again.body.code).toBe('sso_already_linked');
      } finally {
        await configure();
      }
    });

    it('accepts the confirmation only from a password + key-file session of an unlinked account', async () => {
      const seeded = await seedTenant(t, 'atk-b');
      // An SSO session (no key file) of an admin of tenant B, linked by JIT.
      await t.app
        .get(SsoSettingsService)
        .put(seeded.tenantId, { ...settings(), idpEntityId: `${IDP}/b`, jitDefaultRole: 'admin' }, seeded.adminId);
      const agent = browser();
      const startRes = await agent.get('/api/v1/auth/saml/atk-b/login').expect(302);
      const req = readAuthnRequest(startRes.headers.location);
      const xml = signAssertion(
        buildResponse({
          idpEntityId: `${IDP}/b`,
          ...sp('atk-b'),
          nameId: 'new.admin@atk-b.example',
          inResponseTo: req.id,
          attributes: { mail: 'new.admin@atk-b.example' },
        }),
        idp,
      );
      const acsRes = await agent
        .post('/api/v1/auth/saml/atk-b/acs')
        .type('form')
        .send({ SAMLResponse: b64(xml), RelayState: req.relayState })
        .expect(303);
      await agent.get(acsRes.headers.location).expect(302);
      const me = await agent.get('/api/v1/auth/session').expect(200);
      const res = await agent.post('/api/v1/tenant/sso/link-confirmation').set('X-CSRF-Token', me.body.csrfToken).expect(409);
      expect(res.body.code).toBe('sso_already_linked');

      // A full session of an unlinked admin that never passed the key-file step is not enough.
      const s = await t.app.get(SessionsService).create({ id: seeded.adminId, tenantId: seeded.tenantId });
      const noKey = await request(t.http)
        .post('/api/v1/tenant/sso/link-confirmation')
        .set('Cookie', `charlotte_session=${s.token}`)
        .set('X-CSRF-Token', s.csrfToken)
        .expect(403);
      expect(noKey.body.code).toBe('keyfile_session_required');
      expect(
        (await t.ds.query(`SELECT sso_link_confirmed_until FROM users WHERE id = $1`, [seeded.adminId]))[0].sso_link_confirmed_until,
      ).toBeNull();
    });
  });
});
