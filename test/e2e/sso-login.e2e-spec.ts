import request from 'supertest';
import { SsoSettingsService } from '@charlotte/auth';
import { login, PASSWORD, seedTenant, Seeded, startTestApp, TestApp, testKeys } from '../support/app';
import { signChallenge } from '../support/keys';
import {
  AuthnRequestInfo,
  b64,
  buildResponse,
  makeIdpCert,
  newId,
  readAuthnRequest,
  ResponseOptions,
  RSA_SHA1,
  SHA1,
  signAssertion,
  signResponse,
} from '../support/saml-idp';

/**
 * SAML Web SSO end to end: SP-initiated login against a test IdP that signs
 * real responses with xml-crypto, the ACS with every refusal the issue names,
 * sessions from SSO (existing, linked, JIT, disabled, SSO plus key file),
 * enforcement, and certificate rollover.
 */
describe('SAML SSO login (/api/v1/auth/saml/:tenant/login and /acs)', () => {
  const PUBLIC = 'https://charlotte.example.jp';
  const IDP_A = 'https://idp.example.jp/a';
  const IDP_B = 'https://idp.example.jp/b';
  const idpA = makeIdpCert('idp-a');
  const idpANext = makeIdpCert('idp-a-next');
  const idpB = makeIdpCert('idp-b');
  const attacker = makeIdpCert('attacker');
  let t: TestApp;
  let a: Seeded;
  let b: Seeded;

  const sp = (code: string) => ({
    spEntityId: `${PUBLIC}/api/v1/auth/saml/${code}/metadata`,
    acsUrl: `${PUBLIC}/api/v1/auth/saml/${code}/acs`,
  });

  const baseSettings = {
    ssoUrl: 'https://idp.example.jp/sso',
    nameIdFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
    attributeMapping: { email: 'mail', displayName: 'displayName', role: 'groups', adminValues: ['charlotte-admins'] },
    jitEnabled: true,
    jitDefaultRole: 'member' as const,
    allowIdpInitiated: false,
    ssoRequired: false,
    requireKeyfile: false,
    breakGlassAdminIds: [] as string[],
  };
  const configure = (s: Seeded, over: Record<string, unknown>) =>
    t.app.get(SsoSettingsService).put(
      s.tenantId,
      {
        ...baseSettings,
        idpEntityId: s === a ? IDP_A : IDP_B,
        certificates: [s === a ? idpA.certPem : idpB.certPem],
        ...over,
      },
      s.adminId,
    );

  beforeAll(async () => {
    t = await startTestApp({ PUBLIC_URL: PUBLIC, COOKIE_SECURE: 'false' });
    a = await seedTenant(t, 'sso-a');
    b = await seedTenant(t, 'sso-b');
    await configure(a, {});
    await configure(b, { allowIdpInitiated: true });
  });
  afterAll(() => t.close());

  /**
   * The test's browser: it starts the SP-initiated logins (and so holds the
   * binding cookie) and follows the ACS's 303 to /finish, where the session
   * is opened (issue 13, finding 9).
   */
  let browser: ReturnType<typeof request.agent>;
  beforeEach(() => {
    browser = request.agent(t.http);
  });

  /** The SP-initiated start: our 302 to the IdP, read as the IdP reads it. */
  async function start(code = 'sso-a', returnTo?: string): Promise<AuthnRequestInfo> {
    const res = await browser
      .get(`/api/v1/auth/saml/${code}/login`)
      .query(returnTo ? { returnTo } : {})
      .expect(302);
    expect(res.headers.location).toMatch(/^https:\/\/idp\.example\.jp\/sso\?SAMLRequest=/);
    return readAuthnRequest(res.headers.location);
  }

  const responseFor = (code: string, req: AuthnRequestInfo | null, over: Partial<ResponseOptions> = {}) =>
    buildResponse({
      idpEntityId: code === 'sso-a' ? IDP_A : IDP_B,
      ...sp(code),
      nameId: `admin@${code}.example`,
      inResponseTo: req?.id ?? null,
      attributes: { mail: `admin@${code}.example`, displayName: 'SSO 管理者' },
      ...over,
    });
  const signA = (xml: string) => signAssertion(xml, idpA);

  /**
   * The IdP's form post to the ACS, then (when the ACS accepts) the browser's
   * GET of /finish: the answer is the last response of the two.
   */
  const post = (code: string, xml: string, relayState?: string) => {
    const done = (async () => {
      const acs = await browser
        .post(`/api/v1/auth/saml/${code}/acs`)
        .type('form')
        .send({ SAMLResponse: b64(xml), ...(relayState !== undefined ? { RelayState: relayState } : {}) });
      if (acs.status !== 303) return acs;
      expect(acs.headers.location).toMatch(new RegExp(`^/api/v1/auth/saml/${code}/finish\\?code=[A-Za-z0-9_-]{43}$`));
      return browser.get(acs.headers.location);
    })();
    return Object.assign(done, {
      expect: async (status: number) => {
        const res = await done;
        expect(res.status).toBe(status);
        return res;
      },
    });
  };

  const sessionCookie = (res: request.Response) =>
    ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((c) => c.startsWith('charlotte_session='));

  async function expectRefused(res: request.Response, reason: string, tenantId: string | null = a.tenantId): Promise<void> {
    expect(res.status).toBe(401);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.text).toContain(`<code id="reason">${reason}</code>`);
    expect(res.text).toContain('SSOでログインできませんでした');
    expect(sessionCookie(res)).toBeUndefined();
    const rid = res.headers['x-request-id'];
    const ev: Array<{ category: string; outcome: string; details: { reason: string } }> = await t.ds.query(
      `SELECT category, outcome, details FROM audit_events WHERE action = 'auth.sso_login' AND request_id = $1 AND chain_key = $2`,
      [rid, tenantId ?? 'platform'],
    );
    expect(ev).toEqual([
      expect.objectContaining({ category: 'security', outcome: 'failure', details: expect.objectContaining({ reason }) }),
    ]);
  }

  const sessionsOf = async (userId: string): Promise<number> =>
    Number((await t.ds.query(`SELECT count(*)::int AS n FROM sessions WHERE user_id = $1 AND stage = 'full'`, [userId]))[0].n);

  describe('successful SP-initiated login', () => {
    it('links the existing admin by e-mail on the first login after their confirmation, opens a full session and records the tested login', async () => {
      // Admins are linked only after confirming from a password + key-file session (issue 13, finding 11).
      const admin = await login(t, 'sso-a', a.adminEmail);
      await admin.agent.post('/api/v1/tenant/sso/link-confirmation').set('X-CSRF-Token', admin.csrf).expect(200);
      const req = await start('sso-a', '/settings/sso?tested=1');
      expect(req.acsUrl).toBe(sp('sso-a').acsUrl);
      expect(req.issuer).toBe(sp('sso-a').spEntityId);
      // RelayState: opaque (random id + MAC), nothing readable, under the 80 bytes SAML allows.
      expect(req.relayState).toMatch(/^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{22}$/);

      const res = await post('sso-a', signA(responseFor('sso-a', req)), req.relayState).expect(302);
      expect(res.headers.location).toBe('/settings/sso?tested=1');
      const cookie = sessionCookie(res)!;
      expect(cookie).toMatch(/HttpOnly/);
      expect(cookie).toMatch(/SameSite=Strict/);
      const me = await request(t.http).get('/api/v1/auth/session').set('Cookie', cookie.split(';')[0]).expect(200);
      expect(me.body.user).toMatchObject({ id: a.adminId, role: 'admin' });
      expect(me.body.tenant.code).toBe('sso-a');

      const u = await t.ds.query(`SELECT sso_idp_entity_id, sso_name_id FROM users WHERE id = $1`, [a.adminId]);
      expect(u[0]).toEqual({ sso_idp_entity_id: IDP_A, sso_name_id: a.adminEmail });
      const s = await t.ds.query(`SELECT tested_at, tested_by FROM tenant_sso_settings WHERE tenant_id = $1`, [a.tenantId]);
      expect(s[0].tested_at).not.toBeNull();
      expect(s[0].tested_by).toBe(a.adminId);
      const ev = await t.ds.query(
        `SELECT action, details FROM audit_events WHERE chain_key = $1 AND action IN ('auth.sso_linked', 'auth.login') AND (actor_id = $2 OR target_id = $2::text) ORDER BY seq DESC LIMIT 2`,
        [a.tenantId, a.adminId],
      );
      expect(ev.map((e: { action: string }) => e.action).sort()).toEqual(['auth.login', 'auth.sso_linked']);
      expect(ev.find((e: { action: string }) => e.action === 'auth.login').details).toMatchObject({ step: 'saml', adminTest: true });
    });

    it('accepts a response signed on both the Response and the Assertion', async () => {
      const req = await start();
      await post('sso-a', signResponse(signA(responseFor('sso-a', req)), idpA), req.relayState).expect(302);
    });

    it('never sends the browser off-site: a returnTo that is not a local path falls back to /', async () => {
      for (const bad of ['https://evil.example/', '//evil.example/x', '/\\evil.example']) {
        const req = await start('sso-a', bad);
        const res = await post('sso-a', signA(responseFor('sso-a', req)), req.relayState).expect(302);
        expect(res.headers.location).toBe('/');
      }
    });

    it('creates a user just in time when JIT is on (role from the group attribute), keyed by tenant, IdP and NameID', async () => {
      const req = await start();
      const nameId = 'new.person@sso-a.example';
      const res = await post(
        'sso-a',
        signA(
          responseFor('sso-a', req, {
            nameId,
            attributes: { mail: nameId, displayName: '新入 太郎', groups: ['staff', 'charlotte-admins'] },
          }),
        ),
        req.relayState,
      ).expect(302);
      const me = await request(t.http).get('/api/v1/auth/session').set('Cookie', sessionCookie(res)!.split(';')[0]).expect(200);
      expect(me.body.user).toMatchObject({ email: nameId, displayName: '新入 太郎', role: 'admin', status: 'active' });
      const ev = await t.ds.query(`SELECT details FROM audit_events WHERE chain_key = $1 AND action = 'user.created' AND target_id = $2`, [
        a.tenantId,
        me.body.user.id,
      ]);
      expect(ev[0].details).toEqual({ role: 'admin', status: 'active', source: 'sso_jit' });
      // The same person logs in again: the same user, not a second one.
      const again = await start();
      const res2 = await post(
        'sso-a',
        signA(responseFor('sso-a', again, { nameId, attributes: { mail: nameId } })),
        again.relayState,
      ).expect(302);
      const me2 = await request(t.http).get('/api/v1/auth/session').set('Cookie', sessionCookie(res2)!.split(';')[0]).expect(200);
      expect(me2.body.user.id).toBe(me.body.user.id);
    });

    it('refuses an unknown user when JIT is off', async () => {
      await configure(a, { jitEnabled: false });
      try {
        const req = await start();
        const res = await post(
          'sso-a',
          signA(responseFor('sso-a', req, { nameId: 'stranger@sso-a.example', attributes: { mail: 'stranger@sso-a.example' } })),
          req.relayState,
        );
        await expectRefused(res, 'user_unknown');
        expect(await t.ds.query(`SELECT id FROM users WHERE email = 'stranger@sso-a.example'`)).toEqual([]);
      } finally {
        await configure(a, {});
      }
    });

    it('refuses a disabled user and leaves no session', async () => {
      await t.ds.query(`UPDATE users SET status = 'disabled' WHERE id = $1`, [a.memberId]);
      try {
        const before = await sessionsOf(a.memberId);
        const req = await start();
        const res = await post(
          'sso-a',
          signA(responseFor('sso-a', req, { nameId: a.memberEmail, attributes: { mail: a.memberEmail } })),
          req.relayState,
        );
        await expectRefused(res, 'user_disabled');
        expect(await sessionsOf(a.memberId)).toBe(before);
      } finally {
        await t.ds.query(`UPDATE users SET status = 'active' WHERE id = $1`, [a.memberId]);
      }
    });

    it("refuses the SSO login from outside the tenant's IP allow-list, before any user is created or any session issued", async () => {
      // The test client connects from loopback (no TRUST_PROXY): a list without it shuts this browser out.
      await t.ds.query(
        `INSERT INTO tenant_ip_allowlists (tenant_id, enabled, cidrs, applies_to) VALUES ($1, true, '{203.0.113.0/24}', 'all')`,
        [a.tenantId],
      );
      try {
        const refusedAs = async (res: request.Response) => {
          expect(res.status).toBe(403);
          expect(res.text).toContain('<code id="reason">ip_not_allowed</code>');
          expect(sessionCookie(res)).toBeUndefined();
          const ev: Array<{ category: string; details: { reason: string } }> = await t.ds.query(
            `SELECT category, details FROM audit_events WHERE action = 'auth.sso_login' AND request_id = $1 AND chain_key = $2`,
            [res.headers['x-request-id'], a.tenantId],
          );
          expect(ev).toEqual([
            expect.objectContaining({ category: 'security', details: expect.objectContaining({ reason: 'ip_not_allowed' }) }),
          ]);
        };
        // Everybody: refused at the ACS, a JIT user is not even created.
        const req = await start();
        const mail = 'outside@sso-a.example';
        await refusedAs(
          await post(
            'sso-a',
            signA(responseFor('sso-a', req, { nameId: mail, attributes: { mail, displayName: '外部' } })),
            req.relayState,
          ),
        );
        expect(await t.ds.query(`SELECT id FROM users WHERE email = $1`, [mail])).toEqual([]);

        // Administrators only: the (linked) admin is refused once known, before a session.
        await t.ds.query(`UPDATE tenant_ip_allowlists SET applies_to = 'admins' WHERE tenant_id = $1`, [a.tenantId]);
        const before = await sessionsOf(a.adminId);
        const again = await start();
        await refusedAs(await post('sso-a', signA(responseFor('sso-a', again)), again.relayState));
        expect(await sessionsOf(a.adminId)).toBe(before);
      } finally {
        await t.ds.query(`DELETE FROM tenant_ip_allowlists WHERE tenant_id = $1`, [a.tenantId]);
      }
    });

    it("never links the same e-mail across tenants: tenant B's IdP gets its own user", async () => {
      const req = await start('sso-b');
      const res = await post(
        'sso-b',
        signAssertion(responseFor('sso-b', req, { nameId: a.adminEmail, attributes: { mail: a.adminEmail } }), idpB),
        req.relayState,
      ).expect(302);
      const me = await request(t.http).get('/api/v1/auth/session').set('Cookie', sessionCookie(res)!.split(';')[0]).expect(200);
      expect(me.body.tenant.code).toBe('sso-b');
      expect(me.body.user.id).not.toBe(a.adminId);
    });

    it('with "SSO plus key file", the IdP stands in for the password only: the key-file step follows', async () => {
      await configure(a, { requireKeyfile: true });
      try {
        const req = await start();
        const res = await post('sso-a', signA(responseFor('sso-a', req)), req.relayState).expect(302);
        expect(res.headers.location).toBe('/login?sso=keyfile');
        const agent = request.agent(t.http);
        const pendingCookie = sessionCookie(res)!.split(';')[0];
        // A pending session grants nothing.
        await agent.get('/api/v1/auth/session').set('Cookie', pendingCookie).expect(401);
        const step = await agent.get('/api/v1/auth/login/pending').set('Cookie', pendingCookie).expect(200);
        expect(step.body).toMatchObject({ step: 'keyfile', tenant: 'sso-a', email: a.adminEmail });
        const key = testKeys.get(`sso-a/${a.adminEmail}`)!;
        const done = await agent
          .post('/api/v1/auth/keyfile')
          .set('Cookie', pendingCookie)
          .send({ keyId: key.keyId, signature: signChallenge(key.privateKey, step.body.challenge) })
          .expect(200);
        expect(done.body).toMatchObject({ step: 'done', user: { id: a.adminId } });
        await request(t.http).get('/api/v1/auth/login/pending').set('Cookie', pendingCookie).expect(401);
      } finally {
        await configure(a, {});
      }
    });
  });

  describe('refusals: each answers the generic page with its reason, records a security event and opens no session', () => {
    const cases: Array<[string, string, (req: AuthnRequestInfo) => string, string?]> = [
      ['an unsigned assertion', 'assertion_not_signed', (req) => responseFor('sso-a', req)],
      ['a signature by another key', 'invalid_signature', (req) => signAssertion(responseFor('sso-a', req), attacker)],
      [
        'a NameID changed after signing',
        'invalid_signature',
        (req) =>
          signA(responseFor('sso-a', req, { nameId: 'member@sso-a.example' })).replace('>member@sso-a.example<', '>admin@sso-a.example<'),
      ],
      [
        'a second, unsigned assertion before the signed one (XSW)',
        'multiple_assertions',
        (req) => {
          const signed = signA(responseFor('sso-a', req, { nameId: 'member@sso-a.example' }));
          const evil = /<saml:Assertion[\s\S]*<\/saml:Assertion>/
            .exec(responseFor('sso-a', req, { assertionId: newId() }))![0]
            .replace(/<ds:Signature[\s\S]*<\/ds:Signature>/, '');
          return signed.replace('<saml:Assertion', `${evil}<saml:Assertion`);
        },
      ],
      [
        'a second, unsigned assertion after the signed one (XSW)',
        'multiple_assertions',
        (req) => {
          const signed = signA(responseFor('sso-a', req, { nameId: 'member@sso-a.example' }));
          const evil = /<saml:Assertion[\s\S]*<\/saml:Assertion>/.exec(responseFor('sso-a', req))![0];
          return signed.replace('</samlp:Response>', `${evil}</samlp:Response>`);
        },
      ],
      [
        'an unsigned assertion inside the signed one (XSW)',
        'multiple_assertions',
        (req) => {
          const signed = signA(responseFor('sso-a', req, { nameId: 'member@sso-a.example' }));
          const evil = /<saml:Assertion[\s\S]*<\/saml:Assertion>/.exec(responseFor('sso-a', req))![0];
          return signed.replace('<saml:Subject>', `<saml:Advice>${evil}</saml:Advice><saml:Subject>`);
        },
      ],
      [
        'the signed assertion moved inside an unsigned one with the same ID (XSW)',
        'multiple_assertions',
        (req) => {
          const signedDoc = signA(responseFor('sso-a', req, { nameId: 'member@sso-a.example' }));
          const signed = /<saml:Assertion[\s\S]*<\/saml:Assertion>/.exec(signedDoc)![0];
          const id = /ID="([^"]+)"/.exec(signed)![1];
          const evil = /<saml:Assertion[\s\S]*<\/saml:Assertion>/
            .exec(responseFor('sso-a', req, { assertionId: id }))![0]
            .replace('<saml:Subject>', `<saml:Advice>${signed}</saml:Advice><saml:Subject>`);
          return signedDoc.replace(signed, evil);
        },
      ],
      [
        'the only signed assertion hidden in an extension element',
        'signature_wrapping',
        (req) => {
          const signedDoc = signA(responseFor('sso-a', req));
          const signed = /<saml:Assertion[\s\S]*<\/saml:Assertion>/.exec(signedDoc)![0];
          return signedDoc.replace(signed, `<samlp:Extensions>${signed}</samlp:Extensions>`);
        },
      ],
      [
        'a comment inside the NameID (signature stays valid under exclusive c14n)',
        'xml_comment',
        (req) =>
          signA(responseFor('sso-a', req, { nameId: 'admin@sso-a.example.evil.test' })).replace(
            '>admin@sso-a.example.evil.test<',
            '>admin@sso-a.example<!---->.evil.test<',
          ),
      ],
      ['a wrong audience', 'wrong_audience', (req) => signA(responseFor('sso-a', req, { audience: sp('sso-b').spEntityId }))],
      ['a wrong recipient', 'wrong_recipient', (req) => signA(responseFor('sso-a', req, { recipient: sp('sso-b').acsUrl }))],
      ['a wrong destination', 'wrong_destination', (req) => signA(responseFor('sso-a', req, { destination: sp('sso-b').acsUrl }))],
      ['no destination', 'wrong_destination', (req) => signA(responseFor('sso-a', req, { destination: null }))],
      ['a wrong assertion issuer', 'wrong_issuer', (req) => signA(responseFor('sso-a', req, { issuer: IDP_B }))],
      ['a wrong response issuer', 'wrong_issuer', (req) => signA(responseFor('sso-a', req, { responseIssuer: IDP_B }))],
      [
        'an expired assertion',
        'expired',
        (req) =>
          signA(
            responseFor('sso-a', req, {
              now: new Date(Date.now() - 20 * 60_000),
              notOnOrAfter: new Date(Date.now() - 2 * 60_000),
            }),
          ),
      ],
      [
        'an assertion not yet valid (beyond the 60 s skew)',
        'not_yet_valid',
        (req) => signA(responseFor('sso-a', req, { notBefore: new Date(Date.now() + 3 * 60_000) })),
      ],
      ['an unknown InResponseTo', 'unknown_in_response_to', (req) => signA(responseFor('sso-a', { ...req, id: newId() }))],
      ['an IdP-initiated response while that is off', 'idp_initiated_disabled', () => signA(responseFor('sso-a', null))],
      [
        'a DOCTYPE with an entity',
        'doctype_forbidden',
        (req) => `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x "admin@sso-a.example">]>${signA(responseFor('sso-a', req))}`,
      ],
      [
        'a SHA-1 signature',
        'weak_algorithm',
        (req) => signAssertion(responseFor('sso-a', req), { ...idpA, signatureAlgorithm: RSA_SHA1, digestAlgorithm: SHA1 }),
      ],
      [
        'a non-success status',
        'status_not_success',
        (req) => signA(responseFor('sso-a', req, { status: 'urn:oasis:names:tc:SAML:2.0:status:Responder' })),
      ],
      ['a tampered RelayState', 'relay_state_invalid', (req) => signA(responseFor('sso-a', req)), 'x'],
      ['not XML at all', 'malformed', () => '<samlp:Response'],
    ];

    // Every row gets four values: a test function with more parameters than the row would get jest's `done` callback.
    it.each(cases.map(([l, r, m, relay]) => [l, r, m, relay ?? null] as const))(
      'refuses %s (%s)',
      async (_label, reason, make, tamperRelay) => {
        const before = await sessionsOf(a.adminId);
        const req = await start();
        const relay = tamperRelay === null ? req.relayState : `${req.relayState.slice(0, -1)}${req.relayState.endsWith('A') ? 'B' : 'A'}`;
        const res = await post('sso-a', make(req), relay);
        await expectRefused(res, reason);
        expect(await sessionsOf(a.adminId)).toBe(before);
      },
    );

    it('refuses a second response to the same request (reused InResponseTo), and the same response posted twice', async () => {
      const req = await start();
      const first = signA(responseFor('sso-a', req));
      await post('sso-a', first, req.relayState).expect(302);
      await expectRefused(await post('sso-a', first, req.relayState), 'unknown_in_response_to');
      await expectRefused(await post('sso-a', signA(responseFor('sso-a', req)), req.relayState), 'unknown_in_response_to');
    });

    it('refuses a replayed assertion even where IdP-initiated login is allowed', async () => {
      // A JIT user: B's existing accounts are not linked without the tenant setting (finding 11).
      const nameId = 'idp.initiated@sso-b.example';
      const xml = signAssertion(responseFor('sso-b', null, { nameId, attributes: { mail: nameId } }), idpB);
      await post('sso-b', xml).expect(302);
      await expectRefused(await post('sso-b', xml), 'replayed_assertion', b.tenantId);
    });

    it("refuses tenant A's response at tenant B's ACS, as it is and with its Destination rewritten", async () => {
      const req = await start('sso-a');
      const xml = signA(responseFor('sso-a', req));
      await expectRefused(await post('sso-b', xml, req.relayState), 'wrong_destination', b.tenantId);
      const moved = xml
        .replace(`Destination="${sp('sso-a').acsUrl}"`, `Destination="${sp('sso-b').acsUrl}"`)
        .replace(`>${IDP_A}<`, `>${IDP_B}<`);
      const res = await post('sso-b', moved, req.relayState);
      expect(res.status).toBe(401);
      expect(sessionCookie(res)).toBeUndefined();
    });

    it('answers a tenant without SSO (or unknown) with the generic page and 404', async () => {
      const res = await request(t.http).get('/api/v1/auth/saml/no-such-tenant/login').expect(404);
      expect(res.text).toContain('<code id="reason">sso_not_configured</code>');
    });
  });

  describe('certificate rollover', () => {
    it('accepts either certificate while both are configured, and refuses the old one once it is removed', async () => {
      await configure(a, { certificates: [idpA.certPem, idpANext.certPem] });
      for (const key of [idpA, idpANext]) {
        const req = await start();
        await post('sso-a', signAssertion(responseFor('sso-a', req), key), req.relayState).expect(302);
      }
      await configure(a, { certificates: [idpANext.certPem] });
      const req = await start();
      await expectRefused(await post('sso-a', signA(responseFor('sso-a', req)), req.relayState), 'invalid_signature');
      const req2 = await start();
      await post('sso-a', signAssertion(responseFor('sso-a', req2), idpANext), req2.relayState).expect(302);
      await configure(a, {});
    });
  });

  describe('enforcement (ssoRequired)', () => {
    let tokenSecret: string;

    beforeAll(async () => {
      const admin = await login(t, 'sso-a', a.adminEmail);
      const tok = await admin.agent
        .post('/api/v1/api-tokens')
        .set('X-CSRF-Token', admin.csrf)
        .send({ name: 'integration', scopes: ['audit:read'] })
        .expect(201);
      tokenSecret = tok.body.token;
      // The admin's SSO login above set tested_at, so enforcement may now be switched on.
      // linkExistingAccounts: the member below signs in through SSO for the first time.
      await configure(a, { ssoRequired: true, breakGlassAdminIds: [a.adminId], linkExistingAccounts: true });
    });
    afterAll(() => configure(a, {}));

    it('answers 403 sso_required to password logins of other users, known or not, right password or not', async () => {
      for (const [email, password] of [
        [a.memberEmail, PASSWORD],
        [a.memberEmail, 'wrong password'],
        ['nobody@sso-a.example', PASSWORD],
      ]) {
        const res = await request(t.http).post('/api/v1/auth/login').send({ tenant: 'sso-a', email, password }).expect(403);
        expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
        expect(res.body.code).toBe('sso_required');
      }
      const ev = await t.ds.query(
        `SELECT count(*)::int AS n FROM audit_events WHERE chain_key = $1 AND action = 'auth.login' AND details->>'reason' = 'sso_required'`,
        [a.tenantId],
      );
      expect(ev[0].n).toBeGreaterThanOrEqual(3);
    });

    it('lets the break-glass admin in with password and key file', async () => {
      const admin = await login(t, 'sso-a', a.adminEmail);
      await admin.agent.get('/api/v1/auth/session').expect(200);
    });

    it('keeps API tokens working', async () => {
      await request(t.http).get('/api/v1/audit-events').set('Authorization', `Bearer ${tokenSecret}`).expect(200);
    });

    it('still lets everyone in through SSO', async () => {
      const req = await start();
      await post(
        'sso-a',
        signA(responseFor('sso-a', req, { nameId: a.memberEmail, attributes: { mail: a.memberEmail } })),
        req.relayState,
      ).expect(302);
    });

    it('leaves other tenants alone', async () => {
      await login(t, 'sso-b', b.memberEmail);
    });
  });
});
