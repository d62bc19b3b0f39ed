import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils';
import { createMemoryHistory } from 'vue-router';
import { createPinia, setActivePinia } from 'pinia';
import LoginView from '@/views/LoginView.vue';
import { createAppRouter } from '@/router';
import { createAppI18n } from '@/i18n';
import { api } from '@/api/client';
import { useSessionStore } from '@/stores/session';
import { navigateTo } from '@/utils/navigate';
import { TENANT, jsonResponse, makeUser, problem, stubApi, type Handler } from '@/testing/helpers';

// The test DOM cannot navigate: record where the page would send the browser.
vi.mock('@/utils/navigate', () => ({ navigateTo: vi.fn() }));

/** Attached to the document (focus is checked); unmounted after each test. */
const mounted: VueWrapper[] = [];
afterEach(() => {
  for (const wrapper of mounted.splice(0)) wrapper.unmount();
});

async function mountLogin(path: string, login: Handler, locale: 'ja' | 'en' = 'ja') {
  const fetchMock = stubApi({
    'GET /auth/session': () => problem(401, 'unauthenticated'),
    'POST /auth/login': login,
    'GET /users': () => jsonResponse(200, { items: [], nextCursor: null }),
  });
  const pinia = createPinia();
  setActivePinia(pinia);
  const router = createAppRouter(createMemoryHistory());
  await router.push(path);
  const wrapper = mount(LoginView, { global: { plugins: [pinia, router, createAppI18n(locale)] }, attachTo: document.body });
  mounted.push(wrapper);
  return { wrapper, router, fetchMock };
}

async function fillAndSubmit(wrapper: Awaited<ReturnType<typeof mountLogin>>['wrapper']) {
  await wrapper.get('[data-testid="login-tenant"]').setValue('acme');
  await wrapper.get('[data-testid="login-email"]').setValue('admin@example.com');
  await wrapper.get('[data-testid="login-password"]').setValue('wrong password');
  await wrapper.get('form').trigger('submit');
  await flushPromises();
}

describe('LoginView', () => {
  beforeEach(() => api.setCsrfToken(null));

  it('shows the Japanese invalid_credentials message on a 401', async () => {
    const { wrapper, router } = await mountLogin('/login', () => problem(401, 'invalid_credentials'));

    await fillAndSubmit(wrapper);

    const alert = wrapper.get('[role="alert"]');
    expect(alert.text()).toBe('契約コード、メールアドレスまたはパスワードが正しくありません。');
    expect(router.currentRoute.value.name).toBe('login');
    // The password is not kept after a failure.
    expect((wrapper.get('[data-testid="login-password"]').element as HTMLInputElement).value).toBe('');
  });

  it('shows the account_locked message in English when English is chosen', async () => {
    const { wrapper } = await mountLogin('/login', () => problem(423, 'account_locked'), 'en');

    await fillAndSubmit(wrapper);

    expect(wrapper.get('[role="alert"]').text()).toContain('Your account is locked');
  });

  it('says that the contract has ended on a 403 contract_cancelled', async () => {
    const { wrapper, router } = await mountLogin('/login', () => problem(403, 'contract_cancelled'));

    await fillAndSubmit(wrapper);

    const alert = wrapper.get('[data-testid="login-error"]');
    expect(alert.attributes('role')).toBe('alert');
    expect(alert.text()).toBe('契約が終了しています。ご契約の管理者、またはCharlotteの運用窓口へお問い合わせください。');
    expect(router.currentRoute.value.name).toBe('login');
  });

  it('says that the IP address restriction refuses this network on a 403 ip_not_allowed', async () => {
    const { wrapper, router } = await mountLogin('/login', () => problem(403, 'ip_not_allowed'));

    await fillAndSubmit(wrapper);

    expect(wrapper.get('[data-testid="login-error"]').text()).toBe(
      'ご契約のIPアドレス制限により、現在のネットワークからは利用できません。社内ネットワークなど許可された場所から接続するか、ご契約の管理者にお問い合わせください。',
    );
    expect(router.currentRoute.value.name).toBe('login');
  });

  it('says that the contract has ended in English too', async () => {
    const { wrapper } = await mountLogin('/login', () => problem(403, 'contract_cancelled'), 'en');

    await fillAndSubmit(wrapper);

    expect(wrapper.get('[data-testid="login-error"]').text()).toBe(
      'Your contract has ended. Please contact your administrator or the Charlotte operations desk.',
    );
  });

  it('says why the session ended when the contract was cancelled meanwhile', async () => {
    const { wrapper } = await mountLogin('/login?reason=contract_cancelled', () => problem(401, 'invalid_credentials'));

    expect(wrapper.get('[data-testid="login-notice"]').text()).toBe(
      '契約が終了しています。ご契約の管理者、またはCharlotteの運用窓口へお問い合わせください。',
    );
  });

  it('falls back to a generic message naming an unknown code', async () => {
    const { wrapper } = await mountLogin('/login', () => problem(400, 'something_new'));

    await fillAndSubmit(wrapper);

    expect(wrapper.get('[role="alert"]').text()).toContain('エラーコード: something_new');
  });

  it('logs in, keeps the CSRF token and goes to the requested page', async () => {
    const { wrapper, router, fetchMock } = await mountLogin('/login?redirect=/users', ({ body }) => {
      expect(body).toEqual({ tenant: 'acme', email: 'admin@example.com', password: 'wrong password' });
      return jsonResponse(200, { step: 'done', user: makeUser(), tenant: TENANT, csrfToken: 'csrf-login' });
    });

    await fillAndSubmit(wrapper);

    // The target view is loaded lazily: wait for the navigation to finish.
    await vi.waitFor(() => expect(router.currentRoute.value.fullPath).toBe('/users'), { timeout: 10_000 });
    expect(useSessionStore().user?.email).toBe('admin@example.com');
    expect(api.getCsrfToken()).toBe('csrf-login');
    expect(wrapper.find('[role="alert"]').exists()).toBe(false);
    expect(fetchMock.mock.calls.some(([url]) => String(url).includes('/auth/login'))).toBe(true);
  });

  it('pre-fills tenant and email from the query and labels every input', async () => {
    const { wrapper } = await mountLogin('/login?tenant=acme&email=new%40example.com', () => problem(401, 'invalid_credentials'));

    expect((wrapper.get('[data-testid="login-tenant"]').element as HTMLInputElement).value).toBe('acme');
    expect((wrapper.get('[data-testid="login-email"]').element as HTMLInputElement).value).toBe('new@example.com');
    for (const input of wrapper.findAll('input')) {
      const id = input.attributes('id');
      expect(wrapper.find(`label[for="${id}"]`).exists()).toBe(true);
    }
    expect(wrapper.get('label[for="login-tenant"]').text()).toBe('契約コード');
    expect(wrapper.get('[data-testid="login-submit"]').text()).toBe('ログイン');
  });
});

describe('LoginView: SSO', () => {
  beforeEach(() => {
    api.setCsrfToken(null);
    vi.mocked(navigateTo).mockClear();
  });

  const noPassword: Handler = () => {
    throw new Error('the password login must not be called');
  };

  it('asks for the contract code before starting SSO', async () => {
    const { wrapper, fetchMock } = await mountLogin('/login', noPassword);

    const button = wrapper.get('[data-testid="login-sso"]');
    expect(button.text()).toBe('SSOでログイン');
    expect(button.attributes('type')).toBe('button');
    await wrapper.get('[data-testid="login-tenant"]').setValue('   ');
    await button.trigger('click');
    await flushPromises();

    expect(navigateTo).not.toHaveBeenCalled();
    expect(wrapper.get('[data-testid="login-tenant-error"]').text()).toBe('SSOでログインするには、契約コードを入力してください。');
    const tenant = wrapper.get('[data-testid="login-tenant"]');
    expect(tenant.attributes('aria-invalid')).toBe('true');
    expect(tenant.attributes('aria-describedby')).toContain('login-tenant-error');
    expect(document.activeElement).toBe(tenant.element);
    expect(fetchMock.mock.calls.some(([url]) => String(url).includes('/auth/login'))).toBe(false);

    // Typing a code clears the error.
    await tenant.setValue('acme');
    expect(wrapper.get('[data-testid="login-tenant-error"]').text()).toBe('');
    expect(tenant.attributes('aria-invalid')).toBeUndefined();
  });

  it('sends the browser to the SAML login of the typed code, lower-cased', async () => {
    const { wrapper } = await mountLogin('/login', noPassword);

    await wrapper.get('[data-testid="login-tenant"]').setValue('  ACME ');
    await wrapper.get('[data-testid="login-sso"]').trigger('click');

    expect(navigateTo).toHaveBeenCalledTimes(1);
    expect(navigateTo).toHaveBeenCalledWith('/api/v1/auth/saml/acme/login');
  });

  it('passes the requested page on as returnTo, but only a path of this SPA', async () => {
    const first = await mountLogin('/login?redirect=%2Fusers%3Fq%3Dyamada', noPassword);
    await first.wrapper.get('[data-testid="login-tenant"]').setValue('acme');
    await first.wrapper.get('[data-testid="login-sso"]').trigger('click');
    expect(navigateTo).toHaveBeenLastCalledWith('/api/v1/auth/saml/acme/login?returnTo=%2Fusers%3Fq%3Dyamada');

    const evil = await mountLogin('/login?redirect=%2F%2Fevil.example%2Fx', noPassword);
    await evil.wrapper.get('[data-testid="login-tenant"]').setValue('a/b');
    await evil.wrapper.get('[data-testid="login-sso"]').trigger('click');
    expect(navigateTo).toHaveBeenLastCalledWith('/api/v1/auth/saml/a%2Fb/login');
  });

  it('says that SSO is required and offers the SSO button for the typed code', async () => {
    const { wrapper } = await mountLogin('/login', () => problem(403, 'sso_required'));

    await fillAndSubmit(wrapper);

    const alert = wrapper.get('[data-testid="login-error"]');
    expect(alert.attributes('role')).toBe('alert');
    expect(alert.text()).toBe('この契約ではSSOでのログインが必須です。「SSOでログイン」を使ってください。');
    const button = wrapper.get('[data-testid="login-sso"]');
    expect(button.classes()).toContain('button-primary');
    expect(document.activeElement).toBe(button.element);

    await button.trigger('click');
    expect(navigateTo).toHaveBeenCalledWith('/api/v1/auth/saml/acme/login');
  });

  it('says that SSO is required in English', async () => {
    const { wrapper } = await mountLogin('/login', () => problem(403, 'sso_required'), 'en');

    await fillAndSubmit(wrapper);

    expect(wrapper.get('[data-testid="login-error"]').text()).toBe(
      'Your contract requires logging in with SSO. Please use “Log in with SSO”.',
    );
    expect(wrapper.get('[data-testid="login-sso"]').text()).toBe('Log in with SSO');
  });
});
