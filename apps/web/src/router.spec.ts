import { beforeEach, describe, expect, it } from 'vitest';
import { createMemoryHistory } from 'vue-router';
import { createPinia, setActivePinia } from 'pinia';
import { createAppRouter, safeRedirect } from '@/router';
import { useFlashStore } from '@/stores/flash';
import { useSessionStore } from '@/stores/session';
import { api } from '@/api/client';
import { TENANT, jsonResponse, makeUser, problem, stubApi } from '@/testing/helpers';

function sessionAnswer(role: 'admin' | 'member') {
  return () => jsonResponse(200, { user: makeUser({ role }), tenant: TENANT, csrfToken: 'csrf-session' });
}

describe('router guard', () => {
  beforeEach(() => {
    setActivePinia(createPinia());
    api.setCsrfToken(null);
  });

  it('redirects to /login with the requested path when /auth/session answers 401', async () => {
    const fetchMock = stubApi({ 'GET /auth/session': () => problem(401, 'unauthenticated') });
    const sut = createAppRouter(createMemoryHistory());

    await sut.push('/users?q=yamada');

    expect(sut.currentRoute.value.name).toBe('login');
    expect(sut.currentRoute.value.query.redirect).toBe('/users?q=yamada');
    expect(fetchMock).toHaveBeenCalledTimes(1);
  });

  it('asks for the session once, then lets an admin into /users', async () => {
    const fetchMock = stubApi({ 'GET /auth/session': sessionAnswer('admin') });
    const sut = createAppRouter(createMemoryHistory());

    await sut.push('/');
    await sut.push('/users');

    expect(sut.currentRoute.value.name).toBe('users');
    expect(fetchMock).toHaveBeenCalledTimes(1);
    expect(useSessionStore().tenant?.name).toBe(TENANT.name);
    expect(api.getCsrfToken()).toBe('csrf-session');
  });

  it('sends a member who asks for /users home with a "no permission" message', async () => {
    stubApi({ 'GET /auth/session': sessionAnswer('member') });
    const sut = createAppRouter(createMemoryHistory());

    await sut.push('/users');

    expect(sut.currentRoute.value.name).toBe('home');
    expect(useFlashStore().message).toMatchObject({ key: 'home.forbidden', path: '/' });
  });

  it('sends a member who asks for /audit home with the same message, and lets an admin in', async () => {
    stubApi({ 'GET /auth/session': sessionAnswer('member') });
    const sut = createAppRouter(createMemoryHistory());

    await sut.push('/audit?category=security');

    expect(sut.currentRoute.value.name).toBe('home');
    expect(useFlashStore().message).toMatchObject({ key: 'home.forbidden', path: '/' });

    setActivePinia(createPinia());
    stubApi({ 'GET /auth/session': sessionAnswer('admin') });
    const forAdmin = createAppRouter(createMemoryHistory());
    await forAdmin.push('/audit?category=security');
    expect(forAdmin.currentRoute.value.name).toBe('audit');
    expect(forAdmin.currentRoute.value.query.category).toBe('security');
  });

  it('lets a member into applications, the editor of one and offices', async () => {
    stubApi({ 'GET /auth/session': sessionAnswer('member') });
    const sut = createAppRouter(createMemoryHistory());

    await sut.push('/applications?status=draft');
    expect(sut.currentRoute.value.name).toBe('applications');
    await sut.push('/applications/40000000-0000-4000-8000-000000000001');
    expect(sut.currentRoute.value.name).toBe('application');
    expect(sut.currentRoute.value.params.id).toBe('40000000-0000-4000-8000-000000000001');
    await sut.push('/offices');
    expect(sut.currentRoute.value.name).toBe('offices');
  });

  it('sends a logged-in user away from /login to the redirect target', async () => {
    stubApi({ 'GET /auth/session': sessionAnswer('admin') });
    const sut = createAppRouter(createMemoryHistory());

    await sut.push('/login?redirect=/users');

    expect(sut.currentRoute.value.fullPath).toBe('/users');
  });

  it('leaves public pages open without a session', async () => {
    stubApi({ 'GET /auth/session': () => problem(401, 'unauthenticated') });
    const sut = createAppRouter(createMemoryHistory());

    await sut.push('/invite/abc');
    expect(sut.currentRoute.value.name).toBe('invite');
    await sut.push('/no/such/page');
    expect(sut.currentRoute.value.name).toBe('not-found');
  });
});

describe('router guard: operator console', () => {
  beforeEach(() => {
    setActivePinia(createPinia());
    api.setCsrfToken(null);
  });

  it('takes a 403 contract_cancelled of the session as "logged out" and sends to the login page once', async () => {
    const fetchMock = stubApi({ 'GET /auth/session': () => problem(403, 'contract_cancelled') });
    const sut = createAppRouter(createMemoryHistory());

    await sut.push('/applications');
    expect(sut.currentRoute.value.name).toBe('login');
    await sut.push('/offices');
    expect(sut.currentRoute.value.name).toBe('login');
    // A definite answer: not asked again at every navigation.
    expect(fetchMock).toHaveBeenCalledTimes(1);
    expect(useSessionStore().isAuthenticated).toBe(false);
  });

  it('takes a 403 ip_not_allowed of the session as "logged out" (the login page says why)', async () => {
    const fetchMock = stubApi({ 'GET /auth/session': () => problem(403, 'ip_not_allowed') });
    const sut = createAppRouter(createMemoryHistory());

    await sut.push('/applications');
    expect(sut.currentRoute.value.name).toBe('login');
    await sut.push('/offices');
    expect(fetchMock).toHaveBeenCalledTimes(1);
    expect(useSessionStore().isAuthenticated).toBe(false);
  });

  it('lets a platform operator into the contracts and one contract', async () => {
    stubApi({
      'GET /auth/session': () => jsonResponse(200, { user: makeUser({ role: 'operator' }), tenant: null, csrfToken: 'csrf-op' }),
    });
    const sut = createAppRouter(createMemoryHistory());

    await sut.push('/operator/tenants');
    expect(sut.currentRoute.value.name).toBe('operator-tenants');
    await sut.push('/operator/tenants/acme');
    expect(sut.currentRoute.value.name).toBe('operator-tenant');
    expect(sut.currentRoute.value.params.code).toBe('acme');
  });

  it("sends a platform operator who asks for a tenant's pages home with a message (no page of 403s)", async () => {
    for (const path of ['/applications', '/applications/40000000-0000-4000-8000-000000000001', '/offices', '/settings/notifications']) {
      setActivePinia(createPinia());
      stubApi({
        'GET /auth/session': () => jsonResponse(200, { user: makeUser({ role: 'operator' }), tenant: null, csrfToken: 'csrf-op' }),
      });
      const sut = createAppRouter(createMemoryHistory());

      await sut.push(path);

      expect(sut.currentRoute.value.name).toBe('home');
      expect(useFlashStore().message).toMatchObject({ key: 'operator.tenantOnly', path: '/' });
    }
  });

  it('sends tenant admins and members home with a message naming the operators', async () => {
    for (const role of ['admin', 'member'] as const) {
      setActivePinia(createPinia());
      stubApi({ 'GET /auth/session': sessionAnswer(role) });
      const sut = createAppRouter(createMemoryHistory());

      await sut.push('/operator/tenants/acme');

      expect(sut.currentRoute.value.name).toBe('home');
      expect(useFlashStore().message).toMatchObject({ key: 'operator.forbidden', path: '/' });
    }
  });

  it("keeps operators and members out of the tenant admin's backups page", async () => {
    stubApi({ 'GET /auth/session': sessionAnswer('member') });
    const sut = createAppRouter(createMemoryHistory());
    await sut.push('/backups');
    expect(sut.currentRoute.value.name).toBe('home');

    setActivePinia(createPinia());
    stubApi({
      'GET /auth/session': () => jsonResponse(200, { user: makeUser({ role: 'operator' }), tenant: null, csrfToken: 'csrf-op' }),
    });
    const forOperator = createAppRouter(createMemoryHistory());
    await forOperator.push('/backups');
    expect(forOperator.currentRoute.value.name).toBe('home');

    setActivePinia(createPinia());
    stubApi({ 'GET /auth/session': sessionAnswer('admin') });
    const forAdmin = createAppRouter(createMemoryHistory());
    await forAdmin.push('/backups');
    expect(forAdmin.currentRoute.value.name).toBe('backups');
  });
});

describe(safeRedirect.name, () => {
  it('keeps in-app paths and refuses anything that leaves the app', () => {
    expect(safeRedirect('/users?q=a')).toBe('/users?q=a');
    expect(safeRedirect('https://evil.example/')).toBe('/');
    expect(safeRedirect('//evil.example/')).toBe('/');
    expect(safeRedirect('/\\evil.example')).toBe('/');
    expect(safeRedirect('/login?redirect=/x')).toBe('/');
    expect(safeRedirect(['/users'])).toBe('/');
    expect(safeRedirect(undefined)).toBe('/');
  });
});
