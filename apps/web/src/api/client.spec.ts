import { describe, expect, it, vi } from 'vitest';
import { ApiClient, ApiError } from '@/api/client';
import { headersOf, jsonResponse, problem, stubApi } from '@/testing/helpers';

describe(ApiClient.name, () => {
  it('sends X-CSRF-Token on unsafe methods', async () => {
    const fetchMock = stubApi({
      'POST /users': () => jsonResponse(201, { id: 'u1' }),
      'PATCH /users/u1': () => jsonResponse(200, { id: 'u1' }),
      'PUT /things/1': () => jsonResponse(200, {}),
      'DELETE /things/1': () => new Response(null, { status: 204 }),
    });
    const sut = new ApiClient();
    sut.setCsrfToken('csrf-123');

    await sut.createUser({ email: 'a@example.com', displayName: 'A', role: 'member' });
    await sut.updateUser('u1', { role: 'admin' });
    await sut.request('PUT', '/things/1', { body: {} });
    await sut.request('DELETE', '/things/1');

    expect(fetchMock).toHaveBeenCalledTimes(4);
    for (let i = 0; i < 4; i++) {
      expect(headersOf(fetchMock, i)['x-csrf-token']).toBe('csrf-123');
      expect(fetchMock.mock.calls[i]?.[1]?.credentials).toBe('same-origin');
    }
  });

  it('does not send X-CSRF-Token on GET', async () => {
    const fetchMock = stubApi({ 'GET /users': () => jsonResponse(200, { items: [], nextCursor: null }) });
    const sut = new ApiClient();
    sut.setCsrfToken('csrf-123');

    await sut.listUsers({ q: 'yamada', cursor: 'c2' });

    expect(headersOf(fetchMock)['x-csrf-token']).toBeUndefined();
    expect(fetchMock.mock.calls[0]?.[1]?.credentials).toBe('same-origin');
    const url = new URL(String(fetchMock.mock.calls[0]?.[0]), 'http://localhost');
    expect(url.searchParams.get('limit')).toBe('50');
    expect(url.searchParams.get('q')).toBe('yamada');
    expect(url.searchParams.get('cursor')).toBe('c2');
  });

  it('sends no CSRF header before a token is known (login)', async () => {
    const fetchMock = stubApi({ 'POST /auth/login': () => problem(401, 'invalid_credentials') });
    const sut = new ApiClient();

    await expect(sut.login({ tenant: 'acme', email: 'a@example.com', password: 'x' })).rejects.toBeInstanceOf(ApiError);
    expect(headersOf(fetchMock)['x-csrf-token']).toBeUndefined();
    expect(fetchMock.mock.calls[0]?.[1]?.body).toBe(JSON.stringify({ tenant: 'acme', email: 'a@example.com', password: 'x' }));
  });

  it('turns a problem+json answer into an ApiError with code, status and errors', async () => {
    stubApi({
      'POST /users': () =>
        problem(400, 'validation_failed', {
          errors: [
            { field: 'email', message: 'email must be an email' },
            { field: 'password', message: 'password is too short' },
          ],
        }),
    });
    const sut = new ApiClient();
    sut.setCsrfToken('t');

    const error = await sut.createUser({ email: 'bad', displayName: 'B', role: 'member', password: 'short' }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ApiError);
    const apiError = error as ApiError;
    expect(apiError.status).toBe(400);
    expect(apiError.code).toBe('validation_failed');
    expect(apiError.detail).toBe('detail of validation_failed');
    expect(apiError.errors).toEqual([
      { field: 'email', message: 'email must be an email' },
      { field: 'password', message: 'password is too short' },
    ]);
  });

  it('gives a non-JSON error page a status-derived code', async () => {
    stubApi({
      'GET /users': () => new Response('<h1>Bad gateway</h1>', { status: 502, headers: { 'Content-Type': 'text/html' } }),
      'GET /auth/session': () => new Response('', { status: 429 }),
    });
    const sut = new ApiClient();

    await expect(sut.listUsers()).rejects.toMatchObject({ status: 502, code: 'unexpected_response', errors: [] });
    await expect(sut.getSession()).rejects.toMatchObject({ status: 429, code: 'rate_limited' });
  });

  it('reports a network failure as status 0, network_error', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(() => Promise.reject(new TypeError('Failed to fetch'))),
    );
    await expect(new ApiClient().getSession()).rejects.toMatchObject({ status: 0, code: 'network_error' });
  });

  it('answers undefined for 204', async () => {
    stubApi({ 'POST /auth/logout': () => new Response(null, { status: 204 }) });
    await expect(new ApiClient().logout()).resolves.toBeUndefined();
  });

  it('signals a 401 on an authenticated call, but not on the auth endpoints', async () => {
    stubApi({
      'GET /users': () => problem(401, 'unauthenticated'),
      'GET /auth/session': () => problem(401, 'unauthenticated'),
    });
    const sut = new ApiClient();
    const onUnauthenticated = vi.fn();
    sut.onUnauthenticated = onUnauthenticated;

    await expect(sut.getSession()).rejects.toMatchObject({ status: 401 });
    expect(onUnauthenticated).not.toHaveBeenCalled();

    await expect(sut.listUsers()).rejects.toMatchObject({ status: 401, code: 'unauthenticated' });
    expect(onUnauthenticated).toHaveBeenCalledTimes(1);
  });

  it('builds the SAML login URL from a normalised contract code and an encoded returnTo', () => {
    const sut = new ApiClient();
    expect(sut.samlLoginUrl(' ACME ')).toBe('/api/v1/auth/saml/acme/login');
    expect(sut.samlLoginUrl('acme', '/settings/sso?tested=1')).toBe('/api/v1/auth/saml/acme/login?returnTo=%2Fsettings%2Fsso%3Ftested%3D1');
    expect(sut.samlLoginUrl('a/b?c')).toBe('/api/v1/auth/saml/a%2Fb%3Fc/login');
  });

  it('asks for the pending SSO login without signalling the 401 of "nothing pending"', async () => {
    const fetchMock = stubApi({ 'GET /auth/login/pending': () => problem(401, 'no_pending_login') });
    const sut = new ApiClient();
    sut.setCsrfToken('csrf-123');
    const onUnauthenticated = vi.fn();
    sut.onUnauthenticated = onUnauthenticated;

    await expect(sut.getPendingLogin()).rejects.toMatchObject({ status: 401, code: 'no_pending_login' });
    expect(onUnauthenticated).not.toHaveBeenCalled();
    expect(headersOf(fetchMock)['x-csrf-token']).toBeUndefined();
  });
});
