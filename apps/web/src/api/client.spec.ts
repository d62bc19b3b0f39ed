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

  it('signals a 403 contract_cancelled on an authenticated call, but not on the auth endpoints nor another 403', async () => {
    stubApi({
      'GET /users': () => problem(403, 'contract_cancelled'),
      'GET /audit-events': () => problem(403, 'forbidden'),
      'POST /auth/login': () => problem(403, 'contract_cancelled'),
    });
    const sut = new ApiClient();
    const onContractCancelled = vi.fn();
    sut.onContractCancelled = onContractCancelled;

    await expect(sut.login({ tenant: 'acme', email: 'a@example.com', password: 'x' })).rejects.toMatchObject({
      status: 403,
      code: 'contract_cancelled',
    });
    await expect(sut.listAuditEvents({})).rejects.toMatchObject({ status: 403, code: 'forbidden' });
    expect(onContractCancelled).not.toHaveBeenCalled();

    await expect(sut.listUsers()).rejects.toMatchObject({ status: 403, code: 'contract_cancelled' });
    expect(onContractCancelled).toHaveBeenCalledTimes(1);
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
  it('asks for the unmasked form only when told, and sends the version with a delete', async () => {
    const fetchMock = stubApi({
      'GET /applications/a1': () => jsonResponse(200, { id: 'a1' }),
      'DELETE /applications/a1': () => new Response(null, { status: 204 }),
      'POST /applications/a1/validate': () => jsonResponse(200, { valid: true, errors: [], status: 'ready', version: 2 }),
    });
    const sut = new ApiClient();
    sut.setCsrfToken('csrf-123');

    await sut.getApplication('a1');
    await sut.getApplication('a1', { unmask: true });
    await sut.deleteApplication('a1', 7);
    await sut.validateApplication('a1');

    const urls = fetchMock.mock.calls.map(([input]) => String(input));
    expect(urls).toEqual([
      '/api/v1/applications/a1',
      '/api/v1/applications/a1?unmask=sensitive',
      '/api/v1/applications/a1?version=7',
      '/api/v1/applications/a1/validate',
    ]);
    expect(headersOf(fetchMock, 2)['x-csrf-token']).toBe('csrf-123');
    expect(headersOf(fetchMock, 3)['x-csrf-token']).toBe('csrf-123');
  });

  it('uploads with XMLHttpRequest: CSRF header, progress, problem+json errors and 401', async () => {
    const sent: { headers: Record<string, string>; url: string }[] = [];
    let answer: { status: number; body: string; type: string } = { status: 201, body: '{"id":"f1"}', type: 'application/json' };
    class Xhr {
      status = 0;
      statusText = '';
      responseText = '';
      upload = {
        onprogress: null as ((e: unknown) => void) | null,
        addEventListener: (_: string, fn: (e: unknown) => void) => (this.upload.onprogress = fn),
      };
      private headers: Record<string, string> = {};
      private url = '';
      private handlers: Record<string, () => void> = {};
      open(_method: string, url: string) {
        this.url = url;
      }
      setRequestHeader(name: string, value: string) {
        this.headers[name] = value;
      }
      addEventListener(type: string, fn: () => void) {
        this.handlers[type] = fn;
      }
      getResponseHeader() {
        return answer.type;
      }
      send() {
        sent.push({ headers: this.headers, url: this.url });
        this.upload.onprogress?.({ lengthComputable: true, loaded: 5, total: 10 });
        this.status = answer.status;
        this.responseText = answer.body;
        this.handlers[answer.status === 0 ? 'error' : 'load']?.();
      }
      abort() {}
    }
    vi.stubGlobal('XMLHttpRequest', Xhr);
    const sut = new ApiClient();
    sut.setCsrfToken('csrf-123');
    const onUnauthenticated = vi.fn();
    sut.onUnauthenticated = onUnauthenticated;
    const onProgress = vi.fn();

    await expect(sut.uploadAttachment('a 1', new File(['x'], 'x.pdf'), { onProgress })).resolves.toEqual({ id: 'f1' });
    expect(sent[0]).toEqual({
      url: '/api/v1/applications/a%201/attachments',
      headers: { Accept: 'application/json', 'X-CSRF-Token': 'csrf-123' },
    });
    expect(onProgress).toHaveBeenCalledWith(5, 10);

    answer = { status: 413, body: JSON.stringify({ code: 'payload_too_large', detail: 'max 20 MB' }), type: 'application/problem+json' };
    await expect(sut.uploadAttachment('a1', new File(['x'], 'x.pdf'))).rejects.toMatchObject({ status: 413, code: 'payload_too_large' });

    answer = { status: 401, body: '', type: 'text/plain' };
    await expect(sut.uploadAttachment('a1', new File(['x'], 'x.pdf'))).rejects.toMatchObject({ status: 401, code: 'unauthenticated' });
    expect(onUnauthenticated).toHaveBeenCalledTimes(1);

    answer = { status: 0, body: '', type: '' };
    await expect(sut.uploadAttachment('a1', new File(['x'], 'x.pdf'))).rejects.toMatchObject({ status: 0, code: 'network_error' });
  });
});
