import { afterEach, describe, expect, it } from 'vitest';
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { createMemoryHistory, createRouter } from 'vue-router';
import SigningCertificateView from '@/views/SigningCertificateView.vue';
import HomeView from '@/views/HomeView.vue';
import { createAppI18n } from '@/i18n';
import { api, type SigningCertificate } from '@/api/client';
import { useSessionStore } from '@/stores/session';
import { TENANT, headersOf, jsonResponse, makeUser, problem, stubApi, type Handler } from '@/testing/helpers';
import { makeDashboard } from '@/testing/dashboard';

const DAY = 24 * 3600_000;

function cert(overrides: Partial<SigningCertificate> = {}): SigningCertificate {
  return {
    id: '20000000-0000-4000-8000-000000000001',
    status: 'active',
    subject: 'CN=山田 太郎, O=テスト社会保険労務士法人, C=JP',
    subjectCommonName: '山田 太郎',
    subjectOrganization: 'テスト社会保険労務士法人',
    issuer: 'CN=Test CA, O=認証局, C=JP',
    serialNumber: '0A1B2C3D',
    notBefore: '2026-01-01T00:00:00.000Z',
    notAfter: new Date(Date.now() + 200 * DAY).toISOString(),
    fingerprintSha256: 'AB:CD:EF:01',
    keyBits: 2048,
    expiresInDays: 200,
    expiringSoon: false,
    chainLength: 0,
    uploadedAt: '2026-11-01T00:00:00.000Z',
    revokedAt: null,
    ...overrides,
  };
}

let wrapper: VueWrapper | null = null;

async function mountView(
  component: typeof SigningCertificateView | typeof HomeView,
  role: 'admin' | 'member',
  handlers: Record<string, Handler>,
) {
  const fetchMock = stubApi(handlers);
  const pinia = createPinia();
  setActivePinia(pinia);
  useSessionStore().user = makeUser({ role });
  useSessionStore().tenant = TENANT;
  api.setCsrfToken('csrf-admin');
  const router = createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: '/', name: 'home', component: HomeView },
      { path: '/settings/signing', name: 'signing-certificate', component: SigningCertificateView },
      { path: '/users', name: 'users', component: HomeView },
      { path: '/operator', name: 'operator-tenants', component: HomeView },
      // the home page's dashboard links
      { path: '/offices', name: 'offices', component: HomeView },
      { path: '/settings/egov', name: 'egov-settings', component: HomeView },
      { path: '/applications', name: 'applications', component: HomeView },
      { path: '/applications/:id', name: 'application', component: HomeView },
    ],
  });
  await router.push(component === HomeView ? '/' : '/settings/signing');
  wrapper = mount(component, { global: { plugins: [pinia, router, createAppI18n('ja')] }, attachTo: document.body });
  await flushPromises();
  return { wrapper, fetchMock };
}

function pickFile(w: VueWrapper, file: File): Promise<void> {
  const input = w.get('[data-testid="signing-file"]').element as HTMLInputElement;
  Object.defineProperty(input, 'files', { value: [file], configurable: true });
  return w.get('[data-testid="signing-file"]').trigger('change');
}

describe('SigningCertificateView', () => {
  afterEach(() => {
    wrapper?.unmount();
    wrapper = null;
  });

  it('shows the current certificate: 発行者, 名義, 有効期間, 指紋, 残り日数, and no warning far from expiry', async () => {
    const { wrapper } = await mountView(SigningCertificateView, 'admin', {
      'GET /signing-certificates': () => jsonResponse(200, { current: cert(), history: [] }),
    });
    expect(wrapper.get('h1').text()).toBe('電子署名用証明書');
    expect(wrapper.get('[data-testid="signing-subject"]').text()).toBe('CN=山田 太郎, O=テスト社会保険労務士法人, C=JP');
    expect(wrapper.get('[data-testid="signing-issuer"]').text()).toBe('CN=Test CA, O=認証局, C=JP');
    expect(wrapper.get('[data-testid="signing-fingerprint"]').text()).toBe('AB:CD:EF:01');
    expect(wrapper.get('[data-testid="signing-days-left"]').text()).toBe('200日');
    expect(wrapper.get('[data-testid="signing-validity"]').text()).toContain('2026');
    expect(wrapper.find('[data-testid="signing-expiry-banner"]').exists()).toBe(false);
    expect(wrapper.text()).not.toMatch(/PRIVATE KEY/);
  });

  it('warns 30 days ahead, and says when it has expired', async () => {
    const { wrapper } = await mountView(SigningCertificateView, 'admin', {
      'GET /signing-certificates': () =>
        jsonResponse(200, {
          current: cert({ expiresInDays: 12, expiringSoon: true, notAfter: new Date(Date.now() + 12.5 * DAY).toISOString() }),
          history: [],
        }),
    });
    const banner = wrapper.get('[data-testid="signing-expiry-banner"]');
    expect(banner.attributes('data-expiry')).toBe('soon');
    expect(banner.attributes('role')).toBe('alert');
    expect(banner.text()).toContain('残り12日');
    wrapper.unmount();

    const expired = await mountView(SigningCertificateView, 'admin', {
      'GET /signing-certificates': () =>
        jsonResponse(200, {
          current: cert({ expiresInDays: -3, expiringSoon: true, notAfter: new Date(Date.now() - 3 * DAY).toISOString() }),
          history: [],
        }),
    });
    expect(expired.wrapper.get('[data-testid="signing-expiry-banner"]').attributes('data-expiry')).toBe('expired');
    expect(expired.wrapper.get('[data-testid="signing-days-left"]').text()).toBe('有効期限切れ');
  });

  it('uploads the file and PIN as multipart with the CSRF header, then forgets the PIN', async () => {
    let sent: FormData | null = null;
    const { wrapper, fetchMock } = await mountView(SigningCertificateView, 'admin', {
      'GET /signing-certificates': () => jsonResponse(200, { current: null, history: [] }),
      'POST /signing-certificates': ({ init }) => {
        sent = init.body as FormData;
        return jsonResponse(201, cert());
      },
    });
    expect(wrapper.get('[data-testid="signing-none"]').text()).toBe('電子署名用証明書は登録されていません。');
    const pin = wrapper.get('[data-testid="signing-pin"]');
    expect(pin.attributes('type')).toBe('password');
    expect(pin.attributes('autocomplete')).toBe('off');
    expect(wrapper.get('label[for="signing-pin"]').text()).toBe('PIN（パスワード）');

    await pickFile(wrapper, new File([new Uint8Array([0x30, 0x82])], 'company.p12', { type: 'application/x-pkcs12' }));
    await pin.setValue('秘密のPIN');
    await wrapper.get('[data-testid="signing-upload-form"]').trigger('submit');
    await flushPromises();

    const index = fetchMock.mock.calls.findIndex(([, init]) => init?.method === 'POST');
    expect(headersOf(fetchMock, index)['x-csrf-token']).toBe('csrf-admin');
    expect(headersOf(fetchMock, index)['content-type']).toBeUndefined();
    expect(sent).toBeInstanceOf(FormData);
    expect(sent!.get('pin')).toBe('秘密のPIN');
    expect((sent!.get('file') as File).name).toBe('company.p12');
    expect((pin.element as HTMLInputElement).value).toBe('');
    expect(wrapper.get('[data-testid="signing-notice"]').text()).toBe('電子署名用証明書を登録しました。');
    expect(wrapper.get('[data-testid="signing-subject"]').text()).toContain('山田 太郎');
  });

  it('checks file and PIN before sending, and shows the server’s reason in Japanese', async () => {
    const { wrapper, fetchMock } = await mountView(SigningCertificateView, 'admin', {
      'GET /signing-certificates': () => jsonResponse(200, { current: null, history: [] }),
      'POST /signing-certificates': () => problem(422, 'signing_certificate_bad_pin'),
    });
    await wrapper.get('[data-testid="signing-upload-form"]').trigger('submit');
    expect(wrapper.get('[data-testid="signing-file-error"]').text()).toBe('ファイルを選んでください。');
    expect(wrapper.get('[data-testid="signing-pin-error"]').text()).toBe('PINを入力してください。');
    await pickFile(wrapper, new File([new Uint8Array(65 * 1024)], 'big.p12'));
    await wrapper.get('[data-testid="signing-pin"]').setValue('x');
    await wrapper.get('[data-testid="signing-upload-form"]').trigger('submit');
    expect(wrapper.get('[data-testid="signing-file-error"]').text()).toBe('64KBを超えるファイルは登録できません。');
    expect(fetchMock.mock.calls.some(([, init]) => init?.method === 'POST')).toBe(false);

    await pickFile(wrapper, new File([new Uint8Array(10)], 'ok.p12'));
    await wrapper.get('[data-testid="signing-pin"]').setValue('wrong');
    await wrapper.get('[data-testid="signing-upload-form"]').trigger('submit');
    await flushPromises();
    expect(wrapper.get('[data-testid="signing-error"]').text()).toBe('PINが正しくありません。確認して、もう一度入力してください。');
    expect((wrapper.get('[data-testid="signing-pin"]').element as HTMLInputElement).value).toBe('');
  });

  it('removes the certificate after confirmation', async () => {
    const { wrapper, fetchMock } = await mountView(SigningCertificateView, 'admin', {
      'GET /signing-certificates': () => jsonResponse(200, { current: cert(), history: [] }),
      'DELETE /signing-certificates/current': () => new Response(null, { status: 204 }),
    });
    await wrapper.get('[data-testid="signing-remove"]').trigger('click');
    expect(fetchMock.mock.calls.some(([, init]) => init?.method === 'DELETE')).toBe(false);
    await wrapper.get('[data-testid="signing-remove-dialog"] [data-testid="confirm-ok"]').trigger('click');
    await flushPromises();
    expect(fetchMock.mock.calls.some(([, init]) => init?.method === 'DELETE')).toBe(true);
    expect(wrapper.get('[data-testid="signing-notice"]').text()).toBe('電子署名用証明書を削除しました。');
    expect(wrapper.find('[data-testid="signing-subject"]').exists()).toBe(false);
  });

  it('shows the expiry warning on the home page to admins only', async () => {
    const soon = {
      current: cert({ expiresInDays: 5, expiringSoon: true, notAfter: new Date(Date.now() + 5.5 * DAY).toISOString() }),
      history: [],
    };
    const dashboard = () => jsonResponse(200, makeDashboard());
    const admin = await mountView(HomeView, 'admin', {
      'GET /signing-certificates': () => jsonResponse(200, soon),
      'GET /dashboard': dashboard,
    });
    expect(admin.wrapper.get('[data-testid="signing-expiry-banner"]').text()).toContain('残り5日');
    expect(admin.wrapper.get('[data-testid="home-signing-link"]').attributes('href')).toBe('/settings/signing');
    admin.wrapper.unmount();
    const member = await mountView(HomeView, 'member', { 'GET /dashboard': dashboard });
    expect(member.fetchMock.mock.calls.map(([url]) => String(url))).toEqual(['/api/v1/dashboard']);
    expect(member.wrapper.find('[data-testid="signing-expiry-banner"]').exists()).toBe(false);
  });
});
