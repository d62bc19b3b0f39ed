import { createHmac } from 'node:crypto';
import { startEgovSim, type EgovSim } from './server';
import { assertSpec } from './spec';
import { authorize, basicAuth, callApi, login, manualClock, pkcePair, TEST_REDIRECT_URI, tokenRequest, type TokenSet } from './testing';

const CLIENT_ID = 'sw-0001';
const CLIENT_SECRET = 'api-key-0001';
const BASIC = basicAuth(CLIENT_ID, CLIENT_SECRET);
const LIST = '/apply/lists?date_from=2026-01-01&date_to=2026-12-31';

function authorizeUrl(sim: EgovSim, params: Record<string, string>): string {
  const base = {
    response_type: 'code',
    client_id: CLIENT_ID,
    redirect_uri: TEST_REDIRECT_URI,
    scope: 'openid offline_access',
    state: 'st-1',
    code_challenge: pkcePair().challenge,
    code_challenge_method: 'S256',
  };
  const q = new URLSearchParams({ ...base, ...params });
  for (const [k, v] of Object.entries(params)) if (v === '') q.delete(k);
  return `${sim.authUrl}/auth?${q}`;
}

async function introspect(sim: EgovSim, token: string, auth = BASIC): Promise<Response> {
  return fetch(`${sim.authUrl}/token/introspect`, {
    method: 'POST',
    headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token }),
  });
}

function decodeJwtPart(part: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
}

describe('egov-sim OAuth (authorization code + PKCE)', () => {
  let sut: EgovSim;

  beforeAll(async () => {
    sut = await startEgovSim({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUris: [TEST_REDIRECT_URI] });
  });
  afterAll(() => sut.close());

  it('serves a Japanese login page with an account field and a ログイン button posting back', async () => {
    const res = await fetch(authorizeUrl(sut, {}));
    const html = await res.text();
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(html).toContain('<title>e-Gov シミュレーター ログイン</title>');
    expect(html).toMatch(/<form method="post" action="\/auth\/auth">/);
    expect(html).toMatch(/<input id="account_id" name="account_id"/);
    expect(html).toMatch(/<button type="submit" name="action" value="login">ログイン<\/button>/);
  });

  it('runs the whole flow: code → tokens → refresh rotates → old refresh refused → introspect', async () => {
    const before = Date.now();
    const a = await authorize(sut, { clientId: CLIENT_ID, accountId: 'taro@example.jp' });
    const first = await tokenRequest(sut, BASIC, {
      grant_type: 'authorization_code',
      code: a.code,
      redirect_uri: a.redirectUri,
      code_verifier: a.verifier,
    });
    expect(first.status).toBe(200);
    expect(first.headers.get('cache-control')).toBe('no-store');
    const tokens = (await first.json()) as TokenSet;
    assertSpec('token_response', tokens);
    expect(tokens).toMatchObject({
      token_type: 'Bearer',
      expires_in: 3600,
      refresh_expires_in: 180 * 86400,
      scope: 'openid offline_access',
      'not-before-policy': 0,
    });

    // id token: HS256 with the client secret, for this account and this client.
    const [header, payload, signature] = tokens.id_token.split('.');
    expect(decodeJwtPart(header)).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(decodeJwtPart(payload)).toMatchObject({ iss: sut.authUrl, sub: 'taro@example.jp', aud: CLIENT_ID });
    expect(signature).toBe(createHmac('sha256', CLIENT_SECRET).update(`${header}.${payload}`).digest('base64url'));

    // The access token opens the API.
    const list = await callApi(sut, tokens.access_token, 'GET', LIST);
    expect(list.status).toBe(200);
    assertSpec('apply_lists_response', list.body);
    expect(list.body).toMatchObject({ resultset: { all_count: 0 }, results: { apply_list: [] } });

    // Refresh: new pair, the old refresh token stops working.
    const refreshed = await tokenRequest(sut, BASIC, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token });
    expect(refreshed.status).toBe(200);
    const second = (await refreshed.json()) as TokenSet;
    expect(second.access_token).not.toBe(tokens.access_token);
    expect(second.refresh_token).toEqual(expect.any(String));
    expect(second.refresh_token).not.toBe(tokens.refresh_token);

    const replay = await tokenRequest(sut, BASIC, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token });
    expect(replay.status).toBe(400);
    expect(await replay.json()).toMatchObject({ error: 'invalid_grant' });

    const third = await tokenRequest(sut, BASIC, { grant_type: 'refresh_token', refresh_token: second.refresh_token });
    expect(third.status).toBe(200);

    // Introspection.
    const active = await introspect(sut, second.access_token);
    expect(active.status).toBe(200);
    const info = (await active.json()) as Record<string, unknown>;
    assertSpec('introspect_response', info);
    expect(info).toMatchObject({
      active: true,
      sub: 'taro@example.jp',
      scope: 'openid offline_access',
      client_id: CLIENT_ID,
      typ: 'Bearer',
      session_state: second.session_state,
    });
    expect(info.exp).toBeGreaterThanOrEqual(Math.floor(before / 1000) + 3600);
    expect(info.exp).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 3600);
    expect(await (await introspect(sut, tokens.refresh_token)).json()).toEqual({ active: false });
    expect(await (await introspect(sut, 'no-such-token')).json()).toEqual({ active: false });
  });

  it('refuses a code_verifier that does not match the challenge, and burns the code', async () => {
    const a = await authorize(sut, { clientId: CLIENT_ID, accountId: 'hanako' });
    const wrong = await tokenRequest(sut, BASIC, {
      grant_type: 'authorization_code',
      code: a.code,
      redirect_uri: a.redirectUri,
      code_verifier: pkcePair().verifier,
    });
    expect(wrong.status).toBe(400);
    expect(await wrong.json()).toEqual({ error: 'invalid_grant', error_description: expect.stringMatching(/code_verifier/) });

    const right = await tokenRequest(sut, BASIC, {
      grant_type: 'authorization_code',
      code: a.code,
      redirect_uri: a.redirectUri,
      code_verifier: a.verifier,
    });
    expect(right.status).toBe(400);
  });

  it('refuses a token request without code_verifier', async () => {
    const a = await authorize(sut, { clientId: CLIENT_ID, accountId: 'hanako' });
    const res = await tokenRequest(sut, BASIC, { grant_type: 'authorization_code', code: a.code, redirect_uri: a.redirectUri });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'invalid_request' });
  });

  it('refuses a code used twice and revokes the tokens the first use gave', async () => {
    const a = await authorize(sut, { clientId: CLIENT_ID, accountId: 'jiro' });
    const form = { grant_type: 'authorization_code', code: a.code, redirect_uri: a.redirectUri, code_verifier: a.verifier };
    const first = await tokenRequest(sut, BASIC, form);
    expect(first.status).toBe(200);
    const tokens = (await first.json()) as TokenSet;
    const second = await tokenRequest(sut, BASIC, form);
    expect(second.status).toBe(400);
    expect(await second.json()).toMatchObject({ error: 'invalid_grant' });
    expect((await callApi(sut, tokens.access_token, 'GET', LIST)).status).toBe(401);
  });

  it('refuses a redirect_uri at the token endpoint that differs from the authorization request', async () => {
    const a = await authorize(sut, { clientId: CLIENT_ID, accountId: 'jiro' });
    const res = await tokenRequest(sut, BASIC, {
      grant_type: 'authorization_code',
      code: a.code,
      redirect_uri: 'http://127.0.0.1:5999/other',
      code_verifier: a.verifier,
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'invalid_grant' });
  });

  it.each([
    ['a wrong API key', basicAuth(CLIENT_ID, 'wrong')],
    ['a wrong software id', basicAuth('sw-9999', CLIENT_SECRET)],
    ['no Authorization header', ''],
    ['a Bearer header instead of Basic', 'Bearer abc'],
  ])('answers 401 invalid_client to the token endpoint for %s', async (_label, auth) => {
    const a = await authorize(sut, { clientId: CLIENT_ID, accountId: 'saburo' });
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
    if (auth) headers.authorization = auth;
    const res = await fetch(`${sut.authUrl}/token`, {
      method: 'POST',
      headers,
      body: new URLSearchParams({ grant_type: 'authorization_code', code: a.code, redirect_uri: a.redirectUri, code_verifier: a.verifier }),
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Basic /);
    expect(await res.json()).toMatchObject({ error: 'invalid_client' });
  });

  it('answers 401 invalid_client to introspection with a wrong API key', async () => {
    const res = await introspect(sut, 'x', basicAuth(CLIENT_ID, 'nope'));
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: 'invalid_client' });
  });

  it('refuses a client secret sent in the body', async () => {
    const res = await tokenRequest(sut, BASIC, { grant_type: 'refresh_token', refresh_token: 'x', client_secret: CLIENT_SECRET });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'invalid_request' });
  });

  it('refuses an unknown grant type', async () => {
    const res = await tokenRequest(sut, BASIC, { grant_type: 'password', username: 'a', password: 'b' });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'unsupported_grant_type' });
  });

  it.each([
    ['an unknown client_id', { client_id: 'sw-unknown' }],
    ['a missing client_id', { client_id: '' }],
    ['an unregistered redirect_uri', { redirect_uri: 'http://127.0.0.1:5999/egov/callback/extra' }],
    ['a redirect_uri on another host', { redirect_uri: 'https://evil.example/cb' }],
  ])('shows an error page (no redirect) for %s', async (_label, params) => {
    const res = await fetch(authorizeUrl(sut, params), { redirect: 'manual' });
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
    expect(await res.text()).toContain('role="alert"');
  });

  it.each([
    ['no PKCE at all', { code_challenge: '', code_challenge_method: '' }, 'invalid_request'],
    ['PKCE plain', { code_challenge_method: 'plain' }, 'invalid_request'],
    ['S256 without a challenge', { code_challenge: '' }, 'invalid_request'],
    ['a challenge that is not a SHA-256', { code_challenge: 'short' }, 'invalid_request'],
    ['response_type=token', { response_type: 'token' }, 'unsupported_response_type'],
    ['a scope without openid', { scope: 'offline_access' }, 'invalid_scope'],
    ['an unknown scope', { scope: 'openid offline_access admin' }, 'invalid_scope'],
    ['a scope without offline_access (the spec asks for "openid offline_access")', { scope: 'openid' }, 'invalid_scope'],
  ])('redirects back with an error for %s', async (_label, params, error) => {
    const res = await fetch(authorizeUrl(sut, params), { redirect: 'manual' });
    expect(res.status).toBe(302);
    const back = new URL(res.headers.get('location')!);
    expect(`${back.origin}${back.pathname}`).toBe(TEST_REDIRECT_URI);
    expect(back.searchParams.get('error')).toBe(error);
    expect(back.searchParams.get('state')).toBe('st-1');
    expect(back.searchParams.get('code')).toBeNull();
  });

  it('redirects with access_denied when the user cancels', async () => {
    const page = await (await fetch(authorizeUrl(sut, {}))).text();
    const requestId = /name="request_id" value="([^"]+)"/.exec(page)![1];
    const res = await fetch(`${sut.authUrl}/auth`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ request_id: requestId, action: 'cancel' }),
      redirect: 'manual',
    });
    expect(res.status).toBe(302);
    const back = new URL(res.headers.get('location')!);
    expect(back.searchParams.get('error')).toBe('access_denied');
    expect(back.searchParams.get('code')).toBeNull();
  });

  it('refuses a replayed login form (the login request is single use)', async () => {
    const page = await (await fetch(authorizeUrl(sut, {}))).text();
    const requestId = /name="request_id" value="([^"]+)"/.exec(page)![1];
    const post = () =>
      fetch(`${sut.authUrl}/auth`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ request_id: requestId, account_id: 'taro', action: 'login' }),
        redirect: 'manual',
      });
    expect((await post()).status).toBe(302);
    const again = await post();
    expect(again.status).toBe(400);
    expect(again.headers.get('location')).toBeNull();
  });

  it('logs out (POST /logout, refresh_token, Basic): 204 and every token of the session stops working', async () => {
    const other = await login(sut, { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, accountId: 'goro' });
    const tokens = await login(sut, { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, accountId: 'goro' });
    const wrongKey = await tokenRequest(sut, basicAuth(CLIENT_ID, 'nope'), { refresh_token: tokens.refresh_token }, '/logout');
    expect(wrongKey.status).toBe(401);
    const missing = await tokenRequest(sut, BASIC, {}, '/logout');
    expect(missing.status).toBe(400);
    assertSpec('token_error', await missing.json());
    const res = await tokenRequest(sut, BASIC, { refresh_token: tokens.refresh_token }, '/logout');
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
    expect((await callApi(sut, tokens.access_token, 'GET', LIST)).status).toBe(401);
    expect((await tokenRequest(sut, BASIC, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token })).status).toBe(400);
    // another login session of the same account is untouched
    expect((await callApi(sut, other.access_token, 'GET', LIST)).status).toBe(200);
  });

  it('answers 401 to the API with only WWW-Authenticate, without a token or with an unknown one', async () => {
    const none = await callApi(sut, undefined, 'GET', LIST);
    expect(none.status).toBe(401);
    expect(none.text).toBe('');
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer realm="egov-sim"/);
    const bogus = await callApi(sut, 'not-a-token', 'GET', LIST);
    expect(bogus.status).toBe(401);
    expect(bogus.headers.get('www-authenticate')).toContain('invalid_token');
  });
});

describe('egov-sim OAuth lifetimes (manual clock)', () => {
  const clock = manualClock();
  let sut: EgovSim;

  beforeAll(async () => {
    sut = await startEgovSim({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, now: clock.now });
  });
  afterAll(() => sut.close());

  it('accepts any loopback redirect_uri when none is registered, and nothing else', async () => {
    const a = await authorize(sut, { clientId: CLIENT_ID, accountId: 'taro', redirectUri: 'http://localhost:43210/cb' });
    expect(a.code).toEqual(expect.any(String));
    const res = await fetch(authorizeUrl(sut, { redirect_uri: 'http://192.168.1.10:8080/cb' }), { redirect: 'manual' });
    expect(res.status).toBe(400);
  });

  it('expires codes after 60 s', async () => {
    const a = await authorize(sut, { clientId: CLIENT_ID, accountId: 'taro' });
    clock.advance(60_001);
    const res = await tokenRequest(sut, BASIC, {
      grant_type: 'authorization_code',
      code: a.code,
      redirect_uri: a.redirectUri,
      code_verifier: a.verifier,
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'invalid_grant' });
  });

  it('expires access tokens after an hour while the refresh token still works, and refresh tokens after 180 days', async () => {
    const tokens = await login(sut, { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, accountId: 'taro' });
    clock.advance(3599_000);
    expect((await callApi(sut, tokens.access_token, 'GET', LIST)).status).toBe(200);
    clock.advance(1_000);
    expect((await callApi(sut, tokens.access_token, 'GET', LIST)).status).toBe(401);
    const refreshed = await tokenRequest(sut, BASIC, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token });
    expect(refreshed.status).toBe(200);
    const next = (await refreshed.json()) as TokenSet;
    clock.advance(180 * 86400_000);
    const late = await tokenRequest(sut, BASIC, { grant_type: 'refresh_token', refresh_token: next.refresh_token });
    expect(late.status).toBe(400);
    expect(await late.json()).toMatchObject({ error: 'invalid_grant' });
  });
});
