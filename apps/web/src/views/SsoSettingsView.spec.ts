import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils';
import { createMemoryHistory, createRouter } from 'vue-router';
import { createPinia, setActivePinia } from 'pinia';
import SsoSettingsView from '@/views/SsoSettingsView.vue';
import { createAppI18n } from '@/i18n';
import { api, type SsoSettingsView as SsoSettings, type User } from '@/api/client';
import { useSessionStore } from '@/stores/session';
import { navigateTo } from '@/utils/navigate';
import { TENANT, headersOf, jsonResponse, makeUser, problem, stubApi, type Handler } from '@/testing/helpers';

// The test DOM cannot navigate: record where the page would send the browser.
vi.mock('@/utils/navigate', () => ({ navigateTo: vi.fn() }));

const CERT = '-----BEGIN CERTIFICATE-----\nMIIC…old\n-----END CERTIFICATE-----';

const saved: SsoSettings = {
  configured: true,
  idpEntityId: 'https://sts.windows.net/abc/',
  ssoUrl: 'https://login.microsoftonline.com/abc/saml2',
  certificates: [CERT],
  certificateInfo: [
    {
      subject: 'CN=Microsoft Azure Federated SSO Certificate',
      issuer: 'CN=Microsoft Azure Federated SSO Certificate',
      validFrom: '2025-01-01T00:00:00.000Z',
      validTo: '2028-01-01T00:00:00.000Z',
      fingerprint256: 'AB:CD:EF',
    },
  ],
  nameIdFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
  attributeMapping: { email: 'mail', displayName: 'name', role: 'groups', adminValues: ['charlotte-admins'] },
  jitEnabled: true,
  jitDefaultRole: 'member',
  allowIdpInitiated: false,
  linkExistingAccounts: false,
  ssoRequired: false,
  requireKeyfile: false,
  breakGlassAdminIds: [],
  testedAt: null,
  spEntityId: 'https://charlotte.example.jp/saml/acme',
  acsUrl: 'https://charlotte.example.jp/api/v1/auth/sso/acme/acs',
  spMetadataUrl: 'https://charlotte.example.jp/api/v1/auth/sso/acme/metadata',
};

const admin = makeUser();
const otherAdmin = makeUser({ id: '00000000-0000-4000-8000-000000000002', displayName: '管理 花子', email: 'hanako@example.com' });
const disabledAdmin = makeUser({ id: '00000000-0000-4000-8000-000000000003', status: 'disabled', displayName: '退職 次郎' });
const member = makeUser({ id: '00000000-0000-4000-8000-000000000004', role: 'member', displayName: '一般 三郎' });
const users: User[] = [admin, otherAdmin, disabledAdmin, member];

let wrapper: VueWrapper | null = null;

async function mountAs(role: 'admin' | 'member', handlers: Record<string, Handler>, path = '/settings/sso') {
  const fetchMock = stubApi({
    'GET /tenant/sso': () => jsonResponse(200, saved),
    'GET /users': () => jsonResponse(200, { items: users, nextCursor: null }),
    ...handlers,
  });
  const pinia = createPinia();
  setActivePinia(pinia);
  useSessionStore().user = makeUser({ role });
  useSessionStore().tenant = TENANT;
  api.setCsrfToken('csrf-admin');
  const router = createRouter({
    history: createMemoryHistory(),
    routes: [{ path: '/settings/sso', name: 'sso-settings', component: SsoSettingsView }],
  });
  await router.push(path);
  wrapper = mount(SsoSettingsView, { global: { plugins: [pinia, router, createAppI18n('ja')] }, attachTo: document.body });
  return { wrapper, fetchMock };
}

function callIndex(fetchMock: ReturnType<typeof stubApi>, method: string, path: string): number {
  return fetchMock.mock.calls.findIndex(([input, init]) => init?.method === method && String(input).endsWith(path));
}

describe('SsoSettingsView', () => {
  beforeEach(() => vi.mocked(navigateTo).mockClear());
  afterEach(() => {
    wrapper?.unmount();
    wrapper = null;
  });

  it('loads the settings and shows what the IdP administrator needs', async () => {
    const { wrapper, fetchMock } = await mountAs('admin', {});
    await flushPromises();

    expect(wrapper.get('[data-testid="sso-sp-entity-id"]').text()).toBe(saved.spEntityId);
    expect(wrapper.get('[data-testid="sso-acs-url"]').text()).toBe(saved.acsUrl);
    const link = wrapper.get('[data-testid="sso-sp-metadata"]');
    expect(link.attributes('href')).toBe(saved.spMetadataUrl);
    expect(link.text()).toBe('SPメタデータをダウンロード');
    expect(wrapper.get('[data-testid="sso-sp"] h2').text()).toBe('このサービス（SP）の情報');

    expect((wrapper.get('[data-testid="sso-idp-entity-id"]').element as HTMLInputElement).value).toBe(saved.idpEntityId);
    expect((wrapper.get('[data-testid="sso-cert-0"]').element as HTMLTextAreaElement).value).toBe(CERT);
    expect(wrapper.get('[data-testid="sso-cert-info-0"]').text()).toContain('AB:CD:EF');
    expect(wrapper.find('[data-testid="sso-cert-info-1"]').exists()).toBe(false);
    expect(wrapper.get('[data-testid="sso-tested-at"]').text()).toBe('未テスト');
    // Only active admins can be chosen for break glass.
    expect(wrapper.find(`[data-testid="sso-break-glass-${otherAdmin.id}"]`).exists()).toBe(true);
    expect(wrapper.find(`[data-testid="sso-break-glass-${disabledAdmin.id}"]`).exists()).toBe(false);
    expect(wrapper.find(`[data-testid="sso-break-glass-${member.id}"]`).exists()).toBe(false);
    const usersCall = fetchMock.mock.calls.find(([input]) => String(input).includes('/users'));
    expect(String(usersCall?.[0])).toContain('limit=100');
  });

  it('saves with the CSRF header and the edited settings', async () => {
    let sent: Record<string, unknown> | null = null;
    const { wrapper, fetchMock } = await mountAs('admin', {
      'PUT /tenant/sso': ({ body }) => {
        sent = body as Record<string, unknown>;
        return jsonResponse(200, { ...saved, ...sent, testedAt: '2026-11-20T01:00:00.000Z' });
      },
    });
    await flushPromises();

    await wrapper.get('[data-testid="sso-url"]').setValue(' https://idp.example.jp/sso ');
    await wrapper.get('[data-testid="sso-cert-1"]').setValue('-----BEGIN CERTIFICATE-----\nMIIC…new\n-----END CERTIFICATE-----\n');
    await wrapper.get('[data-testid="sso-attr-admin-values"]').setValue('charlotte-admins,  人事部 , ,owners');
    await wrapper.get('[data-testid="sso-name-id-format"]').setValue('urn:oasis:names:tc:SAML:2.0:nameid-format:persistent');
    await wrapper.get('[data-testid="sso-allow-idp-initiated"]').setValue(true);
    await wrapper.get('[data-testid="sso-link-existing"]').setValue(true);
    await wrapper.get('[data-testid="sso-require-keyfile"]').setValue(true);
    await wrapper.get(`[data-testid="sso-break-glass-${otherAdmin.id}"]`).setValue(true);
    await wrapper.get('[data-testid="sso-required"]').setValue(true);
    await wrapper.get('[data-testid="sso-save"]').trigger('submit');
    await flushPromises();

    const index = callIndex(fetchMock, 'PUT', '/tenant/sso');
    expect(index).toBeGreaterThanOrEqual(0);
    expect(headersOf(fetchMock, index)['x-csrf-token']).toBe('csrf-admin');
    expect(sent).toEqual({
      idpEntityId: saved.idpEntityId,
      ssoUrl: 'https://idp.example.jp/sso',
      certificates: [CERT, '-----BEGIN CERTIFICATE-----\nMIIC…new\n-----END CERTIFICATE-----'],
      nameIdFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
      attributeMapping: { email: 'mail', displayName: 'name', role: 'groups', adminValues: ['charlotte-admins', '人事部', 'owners'] },
      jitEnabled: true,
      jitDefaultRole: 'member',
      allowIdpInitiated: true,
      linkExistingAccounts: true,
      ssoRequired: true,
      requireKeyfile: true,
      breakGlassAdminIds: [otherAdmin.id],
    });
    expect(wrapper.get('[data-testid="sso-notice"]').text()).toBe('SSO設定を保存しました。');
    expect(wrapper.get('[data-testid="sso-tested-at"]').text()).not.toBe('未テスト');
  });

  it('shows a certificate error under that certificate', async () => {
    const { wrapper } = await mountAs('admin', {
      'PUT /tenant/sso': () =>
        problem(400, 'validation_failed', {
          errors: [
            {
              field: 'certificates[0]',
              code: 'certificate_expired',
              params: { date: '2024-01-01T00:00:00.000Z' },
              message: 'expired on 2024-01-01T00:00:00.000Z',
            },
            { field: 'breakGlassAdminIds[0]', code: 'not_active_admin', message: 'not an active administrator of this tenant' },
          ],
        }),
    });
    await flushPromises();

    await wrapper.get('[data-testid="sso-save"]').trigger('submit');
    await flushPromises();

    expect(wrapper.get('[data-testid="sso-save-error"]').text()).toBe('入力内容に誤りがあります。各項目をご確認ください。');
    expect(wrapper.get('[data-testid="sso-cert-0-error"]').text()).toBe('この証明書は有効期限が切れています（有効期限: 2024/01/01）。');
    expect(wrapper.get('[data-testid="sso-cert-1-error"]').text()).toBe('');
    expect(wrapper.get('[data-testid="sso-cert-0"]').attributes('aria-invalid')).toBe('true');
    expect(wrapper.get('[data-testid="sso-cert-1"]').attributes('aria-invalid')).toBeUndefined();
    expect(wrapper.get('#sso-break-glass-error').text()).toBe('有効な管理者ではありません。管理者を選び直してください。');
  });

  it('explains in Japanese why SSO cannot be required yet', async () => {
    const { wrapper } = await mountAs('admin', {
      'PUT /tenant/sso': () => problem(409, 'sso_not_tested'),
    });
    await flushPromises();

    await wrapper.get('[data-testid="sso-required"]').setValue(true);
    await wrapper.get('[data-testid="sso-save"]').trigger('submit');
    await flushPromises();

    const alert = wrapper.get('[data-testid="sso-save-error"]');
    expect(alert.attributes('role')).toBe('alert');
    expect(alert.text()).toBe('SSOを必須にする前に、この設定で管理者が一度SSOログインを完了してください。');
  });

  it('imports IdP metadata and fills the form from the answer', async () => {
    let sent: unknown = null;
    const xml = '<EntityDescriptor entityID="https://idp.example.jp/"></EntityDescriptor>';
    const { wrapper, fetchMock } = await mountAs('admin', {
      'PUT /tenant/sso/metadata': ({ body }) => {
        sent = body;
        return jsonResponse(200, { ...saved, idpEntityId: 'https://idp.example.jp/', ssoUrl: 'https://idp.example.jp/sso' });
      },
    });
    await flushPromises();

    await wrapper.get('[data-testid="sso-metadata-xml"]').setValue(xml);
    await wrapper.get('[data-testid="sso-metadata-import"]').trigger('submit');
    await flushPromises();

    expect(sent).toEqual({ xml });
    expect(headersOf(fetchMock, callIndex(fetchMock, 'PUT', '/tenant/sso/metadata'))['x-csrf-token']).toBe('csrf-admin');
    expect((wrapper.get('[data-testid="sso-idp-entity-id"]').element as HTMLInputElement).value).toBe('https://idp.example.jp/');
    expect((wrapper.get('[data-testid="sso-url"]').element as HTMLInputElement).value).toBe('https://idp.example.jp/sso');
  });

  it('starts a test login for the tenant of the session with the saved settings, after confirming the link of this admin', async () => {
    const { wrapper, fetchMock } = await mountAs('admin', {
      'POST /tenant/sso/link-confirmation': () => jsonResponse(200, { confirmedUntil: '2026-01-01T01:00:00.000Z' }),
    });
    await flushPromises();

    const button = wrapper.get('[data-testid="sso-test"]');
    expect(button.text()).toBe('SSOをテスト');
    expect(button.attributes('disabled')).toBeUndefined();
    expect(wrapper.get('[data-testid="sso-test-hint"]').text()).toContain('SSOを必須にするには、テストログインの成功が必要です。');

    await button.trigger('click');
    await flushPromises();

    const confirm = callIndex(fetchMock, 'POST', '/tenant/sso/link-confirmation');
    expect(confirm).toBeGreaterThanOrEqual(0);
    expect(headersOf(fetchMock, confirm)['x-csrf-token']).toBe('csrf-admin');
    expect(navigateTo).toHaveBeenCalledTimes(1);
    expect(navigateTo).toHaveBeenCalledWith('/api/v1/auth/saml/acme/login?returnTo=%2Fsettings%2Fsso%3Ftested%3D1');
    const target = new URL(vi.mocked(navigateTo).mock.calls[0]![0], 'http://localhost');
    expect(target.pathname).toBe(`/api/v1/auth/saml/${TENANT.code}/login`);
    expect(target.searchParams.get('returnTo')).toBe('/settings/sso?tested=1');
    expect(wrapper.find('[data-testid="sso-test-succeeded"]').exists()).toBe(false);
  });

  it('tests an account that SSO already links without confirming again', async () => {
    const { wrapper } = await mountAs('admin', {
      'POST /tenant/sso/link-confirmation': () => problem(409, 'sso_already_linked'),
    });
    await flushPromises();
    await wrapper.get('[data-testid="sso-test"]').trigger('click');
    await flushPromises();
    expect(navigateTo).toHaveBeenCalledTimes(1);
    expect(wrapper.find('[data-testid="sso-test-error"]').exists()).toBe(false);
  });

  it('stays on the page with the reason when the link cannot be confirmed', async () => {
    const { wrapper } = await mountAs('admin', {
      'POST /tenant/sso/link-confirmation': () => problem(403, 'keyfile_session_required'),
    });
    await flushPromises();
    await wrapper.get('[data-testid="sso-test"]').trigger('click');
    await flushPromises();
    expect(navigateTo).not.toHaveBeenCalled();
    expect(wrapper.get('[data-testid="sso-test-error"]').text()).toBe(
      'この操作には、パスワードとキーファイルでのログインが必要です。一度ログアウトし、パスワードとキーファイルでログインしてからお試しください。',
    );
  });

  it('cannot test settings that were never saved', async () => {
    const { wrapper } = await mountAs('admin', {
      'GET /tenant/sso': () => jsonResponse(200, { ...saved, configured: false, idpEntityId: '', ssoUrl: '', certificates: [] }),
    });
    await flushPromises();

    const button = wrapper.get('[data-testid="sso-test"]');
    expect(button.attributes('disabled')).toBeDefined();
    expect(wrapper.get('[data-testid="sso-test-hint"]').text()).toBe('SSO設定を保存すると、テストできるようになります。');
    await button.trigger('click');
    expect(navigateTo).not.toHaveBeenCalled();
  });

  it('reports a successful test login when it comes back with ?tested=1', async () => {
    const { wrapper } = await mountAs(
      'admin',
      { 'GET /tenant/sso': () => jsonResponse(200, { ...saved, testedAt: '2026-11-20T01:00:00.000Z' }) },
      '/settings/sso?tested=1',
    );
    await flushPromises();

    expect(wrapper.get('[data-testid="sso-test-succeeded"]').text()).toBe('SSOのテストログインに成功しました。');
    expect(wrapper.get('[data-testid="sso-notice"]').attributes('role')).toBe('status');
    expect(wrapper.get('[data-testid="sso-tested-at"]').text()).not.toBe('未テスト');
  });

  it('does not claim success on ?tested=1 when the server recorded no test login', async () => {
    const { wrapper } = await mountAs('admin', {}, '/settings/sso?tested=1');
    await flushPromises();

    expect(wrapper.find('[data-testid="sso-test-succeeded"]').exists()).toBe(false);
    expect(wrapper.get('[data-testid="sso-tested-at"]').text()).toBe('未テスト');
  });

  it('refuses members without asking the server', async () => {
    const { wrapper, fetchMock } = await mountAs('member', {});
    await flushPromises();
    expect(fetchMock).not.toHaveBeenCalled();
    expect(wrapper.get('[data-testid="sso-forbidden"]').text()).toBe('権限がありません。SSO設定は管理者のみご利用いただけます。');
    expect(wrapper.find('[data-testid="sso-form"]').exists()).toBe(false);
  });
});
