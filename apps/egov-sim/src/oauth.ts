import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import type { SimContext } from './context';
import { escapeHtml, formBody, html, HttpError, json, mediaType, oauthError, redirect, type Reply, type SimRequest } from './http';
import { randomToken, type TokenRecord } from './state';

/**
 * The account server part: OAuth 2.0 authorization code grant with PKCE
 * (S256 only), HTTP Basic client authentication, rotating refresh tokens and
 * token introspection and logout, at the paths the e-Gov API v2 spec gives
 * (relative to /auth): GET /auth (authorize), POST /token,
 * POST /token/introspect, POST /logout.
 */

const ALLOWED_SCOPES = new Set(['openid', 'offline_access']);
const CODE_TTL_MS = 60_000;
const LOGIN_TTL_MS = 10 * 60_000;
/** RFC 7636 §4.2: BASE64URL(SHA256(verifier)) is always 43 characters. */
const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;
/** RFC 7636 §4.1: 43..128 unreserved characters. */
const CODE_VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;
const ACCOUNT_ID = /^[A-Za-z0-9._@+-]{1,64}$/;
const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' };

export async function handleAuth(ctx: SimContext, req: SimRequest, path: string): Promise<Reply> {
  if (path === '/auth' && req.method === 'GET') return authorizePage(ctx, req);
  if (path === '/auth' && req.method === 'POST') return authorizeSubmit(ctx, req);
  if (path === '/token' && req.method === 'POST') return token(ctx, req);
  if (path === '/token/introspect' && req.method === 'POST') return introspect(ctx, req);
  if (path === '/logout' && req.method === 'POST') return logout(ctx, req);
  if (['/auth', '/token', '/token/introspect', '/logout'].includes(path)) {
    throw new HttpError(json(405, { error: 'invalid_request', error_description: `method ${req.method} not allowed` }));
  }
  // NotFound_token: error_token body.
  throw new HttpError(json(404, { error: 'not_found', error_description: `no such endpoint: /auth${path}` }));
}

// --- authorization endpoint ---------------------------------------------------

function isRegisteredRedirect(ctx: SimContext, uri: string): boolean {
  if (ctx.redirectUris) return ctx.redirectUris.includes(uri);
  let u: URL;
  try {
    u = new URL(uri);
  } catch {
    return false;
  }
  // Development registration: loopback http only, any port, no fragment (RFC 6749 §3.1.2), no credentials.
  return u.protocol === 'http:' && (u.hostname === '127.0.0.1' || u.hostname === 'localhost') && !u.hash && !u.username && !u.password;
}

function errorPage(status: number, message: string): Reply {
  return html(
    status,
    `<!doctype html><html lang="ja"><head><meta charset="utf-8"><title>e-Gov シミュレーター エラー</title></head>` +
      `<body><h1>e-Gov シミュレーター</h1><p role="alert">${escapeHtml(message)}</p></body></html>`,
  );
}

function redirectWith(redirectUri: string, params: Record<string, string | undefined>): Reply {
  const u = new URL(redirectUri);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) u.searchParams.set(k, v);
  return redirect(u.toString());
}

function authorizePage(ctx: SimContext, req: SimRequest): Reply {
  const q = req.url.searchParams;
  const one = (name: string): string | undefined => q.get(name) ?? undefined;
  // client_id and redirect_uri are checked first, and errors about them are shown here,
  // never redirected: sending a user to an unverified URI would make this an open redirector.
  for (const name of ['client_id', 'redirect_uri']) {
    if (q.getAll(name).length > 1) return errorPage(400, `${name} が重複しています。`);
  }
  const clientId = one('client_id');
  if (!clientId || clientId !== ctx.clientId) return errorPage(400, '不明なクライアント（client_id）です。');
  const redirectUri = one('redirect_uri');
  if (!redirectUri || !isRegisteredRedirect(ctx, redirectUri))
    return errorPage(400, '登録されていないリダイレクト URI（redirect_uri）です。');
  const state = one('state');
  const fail = (error: string, description: string): Reply => redirectWith(redirectUri, { error, error_description: description, state });
  for (const name of ['response_type', 'scope', 'state', 'code_challenge', 'code_challenge_method', 'nonce']) {
    if (q.getAll(name).length > 1) return fail('invalid_request', `${name} is repeated`);
  }
  if (one('response_type') !== 'code') return fail('unsupported_response_type', 'response_type must be code');
  // PKCE is mandatory and only S256: 'plain' would let whoever intercepts the code redeem it.
  if (one('code_challenge_method') !== 'S256') return fail('invalid_request', 'PKCE with code_challenge_method=S256 is required');
  const codeChallenge = one('code_challenge');
  if (!codeChallenge || !S256_CHALLENGE.test(codeChallenge))
    return fail('invalid_request', 'code_challenge must be BASE64URL(SHA256(code_verifier))');
  const scopes = (one('scope') ?? '').split(' ').filter(Boolean);
  // The spec: scope「openid offline_access」を指定する (both).
  if (!scopes.includes('openid') || !scopes.includes('offline_access') || scopes.some((s) => !ALLOWED_SCOPES.has(s))) {
    return fail('invalid_scope', 'scope must be "openid offline_access"');
  }
  if (state !== undefined && state.length > 512) return fail('invalid_request', 'state is too long');
  const nonce = one('nonce');
  if (nonce !== undefined && nonce.length > 512) return fail('invalid_request', 'nonce is too long');

  const requestId = randomToken(24);
  ctx.state.pendingAuthorizations.set(requestId, {
    clientId,
    redirectUri,
    scope: [...new Set(scopes)].join(' '),
    state,
    codeChallenge,
    nonce,
    expiresAt: ctx.state.now() + LOGIN_TTL_MS,
  });
  return loginPage(requestId, 200);
}

function loginPage(requestId: string, status: number, error?: string, accountId = ''): Reply {
  return html(
    status,
    `<!doctype html>
<html lang="ja">
<head><meta charset="utf-8"><title>e-Gov シミュレーター ログイン</title>
<style>body{font-family:sans-serif;max-width:28rem;margin:3rem auto}label,input,button{display:block;margin:.5rem 0}</style></head>
<body>
<h1>e-Gov シミュレーター ログイン</h1>
<p>開発・テスト用のシミュレーターです。任意の e-Gov アカウント ID でログインできます（パスワード不要）。</p>
${error ? `<p role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="/auth/auth">
<input type="hidden" name="request_id" value="${escapeHtml(requestId)}">
<label for="account_id">e-Gov アカウント ID</label>
<input id="account_id" name="account_id" autocomplete="username" required value="${escapeHtml(accountId)}">
<button type="submit" name="action" value="login">ログイン</button>
<button type="submit" name="action" value="cancel" formnovalidate>キャンセル</button>
</form>
</body>
</html>
`,
  );
}

function authorizeSubmit(ctx: SimContext, req: SimRequest): Reply {
  if (mediaType(req) !== 'application/x-www-form-urlencoded') return errorPage(400, 'フォームの形式が正しくありません。');
  const form = formBody(req);
  if (!(form instanceof Map)) return errorPage(400, `${form.duplicate} が重複しています。`);
  const requestId = form.get('request_id') ?? '';
  const pending = ctx.state.pendingAuthorizations.get(requestId);
  if (!pending || pending.expiresAt <= ctx.state.now()) {
    ctx.state.pendingAuthorizations.delete(requestId);
    return errorPage(400, 'ログイン要求が見つからないか期限切れです。最初からやり直してください。');
  }
  if (form.get('action') === 'cancel') {
    ctx.state.pendingAuthorizations.delete(requestId);
    return redirectWith(pending.redirectUri, {
      error: 'access_denied',
      error_description: 'the user cancelled the login',
      state: pending.state,
    });
  }
  const accountId = (form.get('account_id') ?? '').trim();
  if (!ACCOUNT_ID.test(accountId)) {
    return loginPage(requestId, 400, 'アカウント ID は 1〜64 文字の英数字と . _ @ + - で入力してください。', accountId);
  }
  // The login request is single use: a replayed form post gets no second code.
  ctx.state.pendingAuthorizations.delete(requestId);
  const code = randomToken(32);
  const now = ctx.state.now();
  ctx.state.codes.set(code, {
    clientId: pending.clientId,
    redirectUri: pending.redirectUri,
    scope: pending.scope,
    codeChallenge: pending.codeChallenge,
    sub: accountId,
    nonce: pending.nonce,
    authTime: now,
    sessionState: randomUuid(),
    expiresAt: now + CODE_TTL_MS,
  });
  return redirectWith(pending.redirectUri, { code, state: pending.state });
}

// --- client authentication ------------------------------------------------------

function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** Constant-time comparison (hashing first makes the lengths equal), so response time leaks nothing about the secret. */
function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(sha256(a), sha256(b));
}

function formDecode(value: string): string | undefined {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

/**
 * HTTP Basic with the software id and API key (RFC 6749 §2.3.1: both
 * form-urlencoded before base64). Failures are 401 invalid_client with a
 * WWW-Authenticate challenge, as §5.2 requires.
 */
function authenticateClient(ctx: SimContext, req: SimRequest): void {
  const challenge = { 'www-authenticate': 'Basic realm="egov-sim", charset="UTF-8"' };
  const m = /^Basic +([A-Za-z0-9+/]+=*) *$/i.exec(req.headers.authorization ?? '');
  if (!m) throw oauthError(401, 'invalid_client', 'HTTP Basic client authentication is required', challenge);
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const id = colon < 0 ? undefined : formDecode(decoded.slice(0, colon));
  const secret = colon < 0 ? undefined : formDecode(decoded.slice(colon + 1));
  const idOk = id !== undefined && safeEqual(id, ctx.clientId);
  const secretOk = secret !== undefined && safeEqual(secret, ctx.clientSecret);
  if (!idOk || !secretOk) throw oauthError(401, 'invalid_client', 'client authentication failed', challenge);
}

function readTokenForm(req: SimRequest): Map<string, string> {
  if (mediaType(req) !== 'application/x-www-form-urlencoded') {
    throw oauthError(400, 'invalid_request', 'Content-Type must be application/x-www-form-urlencoded');
  }
  const form = formBody(req);
  if (!(form instanceof Map)) throw oauthError(400, 'invalid_request', `${form.duplicate} is repeated`);
  return form;
}

// --- token endpoint -------------------------------------------------------------

function token(ctx: SimContext, req: SimRequest): Reply {
  authenticateClient(ctx, req);
  const form = readTokenForm(req);
  // One authentication method per request (RFC 6749 §2.3): the secret never travels in the body.
  if (form.has('client_secret')) throw oauthError(400, 'invalid_request', 'send the client secret with HTTP Basic only');
  if (form.has('client_id') && form.get('client_id') !== ctx.clientId) throw oauthError(401, 'invalid_client', 'client_id does not match');
  ctx.state.sweep();
  const grantType = form.get('grant_type');
  if (grantType === 'authorization_code') return authorizationCodeGrant(ctx, form);
  if (grantType === 'refresh_token') return refreshTokenGrant(ctx, form);
  throw oauthError(400, grantType ? 'unsupported_grant_type' : 'invalid_request', 'grant_type must be authorization_code or refresh_token');
}

function authorizationCodeGrant(ctx: SimContext, form: Map<string, string>): Reply {
  const code = form.get('code');
  const redirectUri = form.get('redirect_uri');
  const verifier = form.get('code_verifier');
  if (!code || !redirectUri) throw oauthError(400, 'invalid_request', 'code and redirect_uri are required');
  if (!verifier) throw oauthError(400, 'invalid_request', 'code_verifier is required (PKCE)');
  if (!CODE_VERIFIER.test(verifier)) throw oauthError(400, 'invalid_request', 'code_verifier must be 43-128 unreserved characters');
  const record = ctx.state.codes.get(code);
  if (!record || record.expiresAt <= ctx.state.now()) throw oauthError(400, 'invalid_grant', 'unknown or expired authorization code');
  if (record.used) {
    // A code presented twice means it leaked: revoke what the first use obtained (RFC 6749 §4.1.2).
    if (record.used.accessToken) ctx.state.tokens.delete(record.used.accessToken);
    if (record.used.refreshToken) ctx.state.tokens.delete(record.used.refreshToken);
    ctx.state.codes.delete(code);
    throw oauthError(400, 'invalid_grant', 'authorization code already used');
  }
  // Any presentation, good or bad, burns the code: a wrong verifier cannot be retried.
  record.used = {};
  if (record.clientId !== ctx.clientId) throw oauthError(400, 'invalid_grant', 'code was issued to another client');
  if (record.redirectUri !== redirectUri) throw oauthError(400, 'invalid_grant', 'redirect_uri does not match the authorization request');
  const computed = createHash('sha256').update(verifier, 'ascii').digest('base64url');
  if (!safeEqual(computed, record.codeChallenge)) throw oauthError(400, 'invalid_grant', 'code_verifier does not match code_challenge');
  const issued = issueTokens(ctx, record.sub, record.scope, record.authTime, record.sessionState, record.nonce);
  record.used = { accessToken: issued.accessToken, refreshToken: issued.refreshToken };
  return issued.reply;
}

function refreshTokenGrant(ctx: SimContext, form: Map<string, string>): Reply {
  const presented = form.get('refresh_token');
  if (!presented) throw oauthError(400, 'invalid_request', 'refresh_token is required');
  const record = ctx.state.tokens.get(presented);
  if (!record || record.kind !== 'refresh' || record.expiresAt <= ctx.state.now() || record.clientId !== ctx.clientId) {
    throw oauthError(400, 'invalid_grant', 'unknown, expired or already used refresh token');
  }
  let scope = record.scope;
  const asked = form.get('scope');
  if (asked !== undefined) {
    const scopes = asked.split(' ').filter(Boolean);
    const granted = new Set(record.scope.split(' '));
    if (scopes.length === 0 || scopes.some((s) => !granted.has(s)))
      throw oauthError(400, 'invalid_scope', 'scope exceeds the original grant');
    scope = [...new Set(scopes)].join(' ');
  }
  // Rotation: the presented refresh token stops working now; a stolen copy is useless after the next refresh.
  ctx.state.tokens.delete(presented);
  return issueTokens(ctx, record.sub, scope, record.authTime, record.sessionState).reply;
}

function issueTokens(
  ctx: SimContext,
  sub: string,
  scope: string,
  authTime: number,
  sessionState: string,
  nonce?: string,
): { reply: Reply; accessToken: string; refreshToken: string } {
  const now = ctx.state.now();
  const base: Omit<TokenRecord, 'kind' | 'expiresAt'> = { sub, clientId: ctx.clientId, scope, issuedAt: now, authTime, sessionState };
  const accessToken = randomToken();
  ctx.state.tokens.set(accessToken, { ...base, kind: 'access', expiresAt: now + ctx.accessTokenTtlSec * 1000 });
  // Refresh tokens rotate; their lifetime slides from each rotation.
  const refreshToken = randomToken();
  ctx.state.tokens.set(refreshToken, { ...base, kind: 'refresh', expiresAt: now + ctx.refreshTokenTtlSec * 1000 });
  // results_token: every member is required by the spec.
  const body = {
    access_token: accessToken,
    expires_in: ctx.accessTokenTtlSec,
    refresh_expires_in: ctx.refreshTokenTtlSec,
    refresh_token: refreshToken,
    token_type: 'Bearer',
    id_token: idToken(ctx, sub, now, authTime, sessionState, nonce),
    'not-before-policy': 0,
    session_state: sessionState,
    scope,
  };
  return { reply: json(200, body, NO_STORE), accessToken, refreshToken };
}

function randomUuid(): string {
  return randomUUID();
}

/** An OpenID Connect id token signed HS256 with the client secret (OIDC Core §10.1). */
function idToken(ctx: SimContext, sub: string, nowMs: number, authTimeMs: number, sessionState: string, nonce?: string): string {
  const iat = Math.floor(nowMs / 1000);
  const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v), 'utf8').toString('base64url');
  const payload: Record<string, unknown> = {
    iss: ctx.issuer,
    sub,
    aud: ctx.clientId,
    iat,
    exp: iat + ctx.accessTokenTtlSec,
    auth_time: Math.floor(authTimeMs / 1000),
    sid: sessionState,
  };
  if (nonce !== undefined) payload.nonce = nonce;
  const signingInput = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(payload)}`;
  return `${signingInput}.${createHmac('sha256', ctx.clientSecret).update(signingInput).digest('base64url')}`;
}

// --- introspection --------------------------------------------------------------

function introspect(ctx: SimContext, req: SimRequest): Reply {
  authenticateClient(ctx, req);
  const form = readTokenForm(req);
  const value = form.get('token');
  if (!value) throw oauthError(400, 'invalid_request', 'token is required');
  const record = ctx.state.tokens.get(value);
  if (!record || record.expiresAt <= ctx.state.now() || record.clientId !== ctx.clientId) return json(200, { active: false }, NO_STORE);
  // results_introspect members (RFC 7662); auth_time only for access tokens, as the spec says.
  return json(
    200,
    {
      active: true,
      sub: record.sub,
      username: record.sub,
      exp: Math.floor(record.expiresAt / 1000),
      iat: Math.floor(record.issuedAt / 1000),
      ...(record.kind === 'access' ? { auth_time: Math.floor(record.authTime / 1000) } : {}),
      iss: ctx.issuer,
      azp: record.clientId,
      client_id: record.clientId,
      typ: record.kind === 'access' ? 'Bearer' : 'Refresh',
      session_state: record.sessionState,
      sid: record.sessionState,
      scope: record.scope,
    },
    NO_STORE,
  );
}

// --- logout ---------------------------------------------------------------------

/** POST /logout (form refresh_token, HTTP Basic): ends the session; every token of it stops working. 204. */
function logout(ctx: SimContext, req: SimRequest): Reply {
  authenticateClient(ctx, req);
  const form = readTokenForm(req);
  const presented = form.get('refresh_token');
  if (!presented) throw oauthError(400, 'invalid_request', 'refresh_token is required');
  const record = ctx.state.tokens.get(presented);
  if (!record || record.kind !== 'refresh' || record.expiresAt <= ctx.state.now() || record.clientId !== ctx.clientId) {
    throw oauthError(400, 'invalid_grant', 'unknown or expired refresh token');
  }
  for (const [value, t] of ctx.state.tokens) if (t.sessionState === record.sessionState) ctx.state.tokens.delete(value);
  return { status: 204, headers: { ...NO_STORE }, body: '' };
}

/** The account (subject) of a valid access token, or undefined. */
export function accessTokenSubject(ctx: SimContext, token: string): string | undefined {
  const record = ctx.state.tokens.get(token);
  if (!record || record.kind !== 'access' || record.expiresAt <= ctx.state.now()) return undefined;
  return record.sub;
}
