import { beforeEach, describe, expect, it, vi } from 'vitest';
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils';
import { createMemoryHistory } from 'vue-router';
import { createPinia, setActivePinia } from 'pinia';
import { generateKeyPairSync, verify } from 'node:crypto';
import LoginView from '@/views/LoginView.vue';
import { createAppRouter } from '@/router';
import { createAppI18n } from '@/i18n';
import { api } from '@/api/client';
import { useSessionStore } from '@/stores/session';
import { buildKeyFile, jwkThumbprint, parseKeyFile, privateKeyOf, type PrivateKeyJwk } from '@/crypto/keyfile';
import { TENANT, jsonResponse, makeUser, problem, stubApi, type Handler } from '@/testing/helpers';

const CHALLENGE = 'Y2hhbGxlbmdlLWZvci10ZXN0cy0wMTIzNDU2Nzg5YWI';

function nodeKey(): PrivateKeyJwk {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = privateKey.export({ format: 'jwk' });
  return { kty: 'EC', crv: 'P-256', x: jwk.x!, y: jwk.y!, d: jwk.d! };
}

function verifies(publicJwk: { x: string; y: string }, signature: string, challenge = CHALLENGE): boolean {
  return verify(
    'sha256',
    Buffer.from(`charlotte-login:v1:${challenge}`, 'utf8'),
    { key: { kty: 'EC', crv: 'P-256', x: publicJwk.x, y: publicJwk.y }, format: 'jwk', dsaEncoding: 'ieee-p1363' },
    Buffer.from(signature, 'base64url'),
  );
}

async function keyFileText(jwk: PrivateKeyJwk, overrides: { tenant?: string; email?: string; passphrase?: string } = {}) {
  const file = await buildKeyFile({
    tenant: overrides.tenant ?? 'acme',
    userId: makeUser().id,
    email: overrides.email ?? 'admin@example.com',
    keyId: await jwkThumbprint(jwk),
    privateKeyJwk: jwk,
    passphrase: overrides.passphrase,
  });
  return JSON.stringify(file);
}

async function mountLogin(handlers: Record<string, Handler>, path = '/login?redirect=/users') {
  const fetchMock = stubApi({
    'GET /auth/session': () => problem(401, 'unauthenticated'),
    'GET /users': () => jsonResponse(200, { items: [], nextCursor: null }),
    ...handlers,
  });
  const pinia = createPinia();
  setActivePinia(pinia);
  const router = createAppRouter(createMemoryHistory());
  await router.push(path);
  const wrapper = mount(LoginView, { global: { plugins: [pinia, router, createAppI18n('ja')] } });
  return { wrapper, router, fetchMock };
}

async function passwordStep(wrapper: VueWrapper) {
  await wrapper.get('[data-testid="login-tenant"]').setValue('acme');
  await wrapper.get('[data-testid="login-email"]').setValue('Admin@Example.com');
  await wrapper.get('[data-testid="login-password"]').setValue('correct horse battery staple');
  await wrapper.get('form').trigger('submit');
  await flushPromises();
}

async function chooseFile(wrapper: VueWrapper, text: string, name = 'acme-admin@example.com.charlotte-key.json') {
  const input = wrapper.get('[data-testid="keyfile-input"]');
  const file = new File([text], name, { type: 'application/json' });
  Object.defineProperty(input.element, 'files', { value: [file], configurable: true });
  await input.trigger('change');
}

function calls(fetchMock: ReturnType<typeof stubApi>, key: string): number {
  return fetchMock.mock.calls.filter(
    ([url, init]) => `${init?.method ?? 'GET'} ${new URL(String(url), 'http://x').pathname.replace(/^\/api\/v1/, '')}` === key,
  ).length;
}

const keyfileStep: Handler = () => jsonResponse(200, { step: 'keyfile', challenge: CHALLENGE, expiresAt: '2030-01-01T00:00:00Z' });
const done = () => jsonResponse(200, { step: 'done', user: makeUser(), tenant: TENANT, csrfToken: 'csrf-key' });

describe('LoginView: key file step', () => {
  beforeEach(() => api.setCsrfToken(null));

  it('asks for the key file, signs the challenge in the browser and logs in', async () => {
    const jwk = nodeKey();
    const keyId = await jwkThumbprint(jwk);
    let sent: unknown = null;
    const { wrapper, router, fetchMock } = await mountLogin({
      'POST /auth/login': keyfileStep,
      'POST /auth/keyfile': ({ body, init }) => {
        sent = body;
        expect(new Headers(init.headers).has('X-CSRF-Token')).toBe(false);
        return done();
      },
    });

    await passwordStep(wrapper);

    expect(wrapper.find('[data-testid="login-password"]').exists()).toBe(false);
    expect(wrapper.get('[data-testid="keyfile-step"]').text()).toContain('キーファイルを選択してください');
    expect(wrapper.get('[data-testid="keyfile-input"]').attributes('accept')).toBe('.json,application/json');
    expect(wrapper.find('[data-testid="keyfile-drop"]').exists()).toBe(true);
    expect(wrapper.find('[data-testid="keyfile-submit"]').exists()).toBe(false);

    await chooseFile(wrapper, await keyFileText(jwk));
    await vi.waitFor(() => expect(router.currentRoute.value.fullPath).toBe('/users'), { timeout: 10_000 });

    expect(calls(fetchMock, 'POST /auth/keyfile')).toBe(1);
    const body = sent as { keyId: string; signature: string };
    expect(Object.keys(body).sort()).toEqual(['keyId', 'signature']);
    expect(body.keyId).toBe(keyId);
    expect(verifies(jwk, body.signature)).toBe(true);
    expect(api.getCsrfToken()).toBe('csrf-key');
    expect(useSessionStore().user?.email).toBe('admin@example.com');
  });

  it("refuses another user's key file without sending anything", async () => {
    const { wrapper, fetchMock } = await mountLogin({ 'POST /auth/login': keyfileStep });
    await passwordStep(wrapper);

    await chooseFile(wrapper, await keyFileText(nodeKey(), { email: 'member@example.com' }));
    await flushPromises();

    expect(wrapper.get('[data-testid="keyfile-error"]').attributes('role')).toBe('alert');
    expect(wrapper.get('[data-testid="keyfile-error"]').text()).toBe('このキーファイルは別のユーザーのものです。');
    expect(calls(fetchMock, 'POST /auth/keyfile')).toBe(0);

    await chooseFile(wrapper, await keyFileText(nodeKey(), { tenant: 'other' }));
    await flushPromises();
    expect(wrapper.get('[data-testid="keyfile-error"]').text()).toBe('このキーファイルは別のユーザーのものです。');
    expect(calls(fetchMock, 'POST /auth/keyfile')).toBe(0);
  });

  it('says when the file is not a key file', async () => {
    const { wrapper, fetchMock } = await mountLogin({ 'POST /auth/login': keyfileStep });
    await passwordStep(wrapper);

    await chooseFile(wrapper, '{"type":"charlotte-keyfile", broken', 'broken.json');
    await flushPromises();

    expect(wrapper.get('[data-testid="keyfile-error"]').text()).toBe('キーファイルの形式が正しくありません。');
    expect(calls(fetchMock, 'POST /auth/keyfile')).toBe(0);
  });

  it('asks for the passphrase of an encrypted file and reports a wrong one', async () => {
    const jwk = nodeKey();
    let sent: { keyId: string; signature: string } | null = null;
    const { wrapper, router, fetchMock } = await mountLogin({
      'POST /auth/login': keyfileStep,
      'POST /auth/keyfile': ({ body }) => {
        sent = body as typeof sent;
        return done();
      },
    });
    await passwordStep(wrapper);

    await chooseFile(wrapper, await keyFileText(jwk, { passphrase: 'my secret passphrase' }));
    await flushPromises();
    expect(calls(fetchMock, 'POST /auth/keyfile')).toBe(0);

    await wrapper.get('[data-testid="keyfile-passphrase"]').setValue('not the passphrase');
    await wrapper.get('[data-testid="keyfile-submit"]').trigger('submit');
    await vi.waitFor(() => expect(wrapper.find('[data-testid="keyfile-error"]').exists()).toBe(true), { timeout: 10_000 });
    expect(wrapper.get('[data-testid="keyfile-error"]').text()).toBe('パスフレーズが正しくありません。');
    expect(calls(fetchMock, 'POST /auth/keyfile')).toBe(0);

    await wrapper.get('[data-testid="keyfile-passphrase"]').setValue('my secret passphrase');
    await wrapper.get('[data-testid="keyfile-submit"]').trigger('submit');
    await vi.waitFor(() => expect(router.currentRoute.value.fullPath).toBe('/users'), { timeout: 10_000 });
    expect(verifies(jwk, sent!.signature)).toBe(true);
  });

  it('shows keyfile_invalid from the server and lets the user pick another file', async () => {
    const { wrapper } = await mountLogin({
      'POST /auth/login': keyfileStep,
      'POST /auth/keyfile': () => problem(401, 'keyfile_invalid'),
    });
    await passwordStep(wrapper);

    await chooseFile(wrapper, await keyFileText(nodeKey()));
    await vi.waitFor(() => expect(wrapper.find('[data-testid="keyfile-error"]').exists()).toBe(true), { timeout: 10_000 });

    expect(wrapper.get('[data-testid="keyfile-error"]').text()).toBe('キーファイルが無効です（失効済み、または別のユーザーのキーです）。');
    expect(wrapper.find('[data-testid="keyfile-input"]').exists()).toBe(true);
    expect(useSessionStore().isAuthenticated).toBe(false);
  });

  it('goes back to the password step when the challenge expired', async () => {
    const { wrapper } = await mountLogin({
      'POST /auth/login': keyfileStep,
      'POST /auth/keyfile': () => problem(401, 'challenge_expired'),
    });
    await passwordStep(wrapper);

    await chooseFile(wrapper, await keyFileText(nodeKey()));
    await vi.waitFor(() => expect(wrapper.find('[data-testid="login-password"]').exists()).toBe(true), { timeout: 10_000 });

    expect(wrapper.get('[data-testid="keyfile-error"]').text()).toBe('確認の有効期限が切れました。もう一度ログインしてください。');
    expect(wrapper.find('[data-testid="keyfile-step"]').exists()).toBe(false);
  });

  it('shows the keyfile_required message of the password step', async () => {
    const { wrapper } = await mountLogin({ 'POST /auth/login': () => problem(403, 'keyfile_required') });
    await passwordStep(wrapper);

    expect(wrapper.get('[data-testid="login-error"]').text()).toBe(
      'キーファイルが登録されていません。管理者にキーファイルの発行を依頼してください。',
    );
  });
});

describe('LoginView: key file enrolment', () => {
  beforeEach(() => api.setCsrfToken(null));

  it('creates a key pair, posts the public key with a signature, then offers the file and continues', async () => {
    let sent: { publicKeyJwk: Record<string, string>; label: string; signature: string } | null = null;
    const blobs: Blob[] = [];
    const createObjectURL = vi.spyOn(URL, 'createObjectURL').mockImplementation((blob) => {
      blobs.push(blob as Blob);
      return 'blob:http://localhost/key-file';
    });
    vi.spyOn(URL, 'revokeObjectURL').mockImplementation(() => undefined);
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => undefined);
    const { wrapper, router } = await mountLogin({
      'POST /auth/login': () => jsonResponse(200, { step: 'enroll_keyfile', challenge: CHALLENGE, expiresAt: '2030-01-01T00:00:00Z' }),
      'POST /auth/keyfile/enroll': async ({ body }) => {
        sent = body as typeof sent;
        return jsonResponse(200, {
          step: 'done',
          user: makeUser(),
          tenant: TENANT,
          csrfToken: 'csrf-enrolled',
          keyId: await jwkThumbprint(sent!.publicKeyJwk as never),
        });
      },
    });
    await passwordStep(wrapper);

    expect(wrapper.get('[data-testid="enroll-intro"]').text()).toBe(
      '初回ログインです。この端末でキーファイルを作成します。作成したファイルは安全な場所に保管してください。',
    );
    const label = wrapper.get('[data-testid="enroll-label"]').element as HTMLInputElement;
    expect(label.value).toMatch(/^ブラウザ \(\d{4}-\d{2}-\d{2}\)$/);
    await wrapper.get('[data-testid="enroll-label"]').setValue('事務所のPC');

    await wrapper.get('[data-testid="enroll-submit"]').trigger('submit');
    await vi.waitFor(() => expect(wrapper.find('[data-testid="enroll-continue"]').exists()).toBe(true), { timeout: 10_000 });

    // The public key only, with a signature by the new key.
    expect(sent!.label).toBe('事務所のPC');
    expect(Object.keys(sent!.publicKeyJwk).sort()).toEqual(['crv', 'kty', 'x', 'y']);
    expect(verifies(sent!.publicKeyJwk as { x: string; y: string }, sent!.signature)).toBe(true);

    // The file was offered for download, with the user id from the answer.
    expect(createObjectURL).toHaveBeenCalledTimes(1);
    const file = parseKeyFile(await blobs[0]!.text());
    expect(file).toMatchObject({ tenant: 'acme', email: 'admin@example.com', userId: makeUser().id });
    const privateJwk = await privateKeyOf(file);
    expect(privateJwk.x).toBe(sent!.publicKeyJwk.x);
    expect(file.keyId).toBe(await jwkThumbprint(privateJwk));
    const link = wrapper.get('[data-testid="enroll-download"]');
    expect(link.attributes('download')).toBe('acme-admin@example.com.charlotte-key.json');
    expect(link.attributes('href')).toBe('blob:http://localhost/key-file');

    // Not in the app until the user says the file is saved.
    expect(router.currentRoute.value.name).toBe('login');
    await wrapper.get('[data-testid="enroll-continue"]').trigger('click');
    await vi.waitFor(() => expect(router.currentRoute.value.fullPath).toBe('/users'), { timeout: 10_000 });
    expect(api.getCsrfToken()).toBe('csrf-enrolled');
  });

  it('encrypts the file when a passphrase is given, and checks the confirmation first', async () => {
    const blobs: Blob[] = [];
    vi.spyOn(URL, 'createObjectURL').mockImplementation((blob) => {
      blobs.push(blob as Blob);
      return 'blob:x';
    });
    vi.spyOn(URL, 'revokeObjectURL').mockImplementation(() => undefined);
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => undefined);
    const { wrapper, fetchMock } = await mountLogin({
      'POST /auth/login': () => jsonResponse(200, { step: 'enroll_keyfile', challenge: CHALLENGE, expiresAt: '2030-01-01T00:00:00Z' }),
      'POST /auth/keyfile/enroll': () =>
        jsonResponse(200, { step: 'done', user: makeUser(), tenant: TENANT, csrfToken: 'c', keyId: 'server-key-id' }),
    });
    await passwordStep(wrapper);

    await wrapper.get('[data-testid="enroll-passphrase"]').setValue('long enough passphrase');
    await wrapper.get('[data-testid="enroll-passphrase-confirm"]').setValue('different');
    await wrapper.get('[data-testid="enroll-submit"]').trigger('submit');
    await flushPromises();
    expect(wrapper.get('[data-testid="enroll-error"]').text()).toBe('確認用のパスフレーズが一致しません。');
    expect(calls(fetchMock, 'POST /auth/keyfile/enroll')).toBe(0);

    await wrapper.get('[data-testid="enroll-passphrase-confirm"]').setValue('long enough passphrase');
    await wrapper.get('[data-testid="enroll-submit"]').trigger('submit');
    await vi.waitFor(() => expect(wrapper.find('[data-testid="enroll-continue"]').exists()).toBe(true), { timeout: 5000 });

    const text = await blobs[0]!.text();
    const file = parseKeyFile(text);
    expect('encryptedPrivateKey' in file).toBe(true);
    expect(text).not.toContain('"d"');
    expect(file.keyId).toBe('server-key-id');
    expect((await privateKeyOf(file, 'long enough passphrase')).kty).toBe('EC');
  });
});

describe('LoginView: key file step after SSO (?sso=keyfile)', () => {
  beforeEach(() => api.setCsrfToken(null));

  it('fetches the pending step and goes straight to the key file, then logs in', async () => {
    const jwk = nodeKey();
    let sent: { keyId: string; signature: string } | null = null;
    const { wrapper, router, fetchMock } = await mountLogin(
      {
        'GET /auth/login/pending': keyfileStep,
        'POST /auth/keyfile': ({ body }) => {
          sent = body as typeof sent;
          return done();
        },
      },
      '/login?sso=keyfile',
    );

    await vi.waitFor(() => expect(wrapper.find('[data-testid="keyfile-step"]').exists()).toBe(true), { timeout: 10_000 });
    expect(calls(fetchMock, 'GET /auth/login/pending')).toBe(1);
    expect(calls(fetchMock, 'POST /auth/login')).toBe(0);
    expect(wrapper.find('[data-testid="login-password"]').exists()).toBe(false);
    expect(wrapper.find('[data-testid="login-sso-resuming"]').exists()).toBe(false);

    // The SPA does not know who logged in at the IdP: the server checks the key.
    await chooseFile(wrapper, await keyFileText(jwk, { email: 'sso-user@example.com' }));
    await vi.waitFor(() => expect(router.currentRoute.value.fullPath).toBe('/'), { timeout: 10_000 });

    expect(calls(fetchMock, 'POST /auth/keyfile')).toBe(1);
    expect(sent!.keyId).toBe(await jwkThumbprint(jwk));
    expect(verifies(jwk, sent!.signature)).toBe(true);
    expect(api.getCsrfToken()).toBe('csrf-key');
    expect(useSessionStore().isAuthenticated).toBe(true);
  });

  it('goes to the enrolment step when the pending login has no key yet', async () => {
    const { wrapper } = await mountLogin(
      {
        'GET /auth/login/pending': () =>
          jsonResponse(200, { step: 'enroll_keyfile', challenge: CHALLENGE, expiresAt: '2030-01-01T00:00:00Z' }),
      },
      '/login?sso=keyfile',
    );

    await vi.waitFor(() => expect(wrapper.find('[data-testid="enroll-step"]').exists()).toBe(true), { timeout: 10_000 });
    expect(wrapper.find('[data-testid="login-password"]').exists()).toBe(false);
  });

  it('says the SSO login expired and shows the login form when nothing is pending', async () => {
    const { wrapper, fetchMock } = await mountLogin(
      { 'GET /auth/login/pending': () => problem(401, 'no_pending_login') },
      '/login?sso=keyfile',
    );

    await vi.waitFor(() => expect(wrapper.find('[data-testid="login-password"]').exists()).toBe(true), { timeout: 10_000 });
    const notice = wrapper.get('[data-testid="login-notice"]');
    expect(notice.text()).toBe('SSOのログインが期限切れです。もう一度ログインしてください。');
    expect(notice.attributes('role')).toBe('status');
    expect(wrapper.find('[data-testid="keyfile-step"]').exists()).toBe(false);
    expect(wrapper.find('[data-testid="login-sso"]').exists()).toBe(true);
    expect(calls(fetchMock, 'GET /auth/login/pending')).toBe(1);
  });

  it('reports another failure of the pending request as an error', async () => {
    const { wrapper } = await mountLogin({ 'GET /auth/login/pending': () => problem(429, 'rate_limited') }, '/login?sso=keyfile');

    await vi.waitFor(() => expect(wrapper.find('[data-testid="login-error"]').exists()).toBe(true), { timeout: 10_000 });
    expect(wrapper.get('[data-testid="login-error"]').text()).toBe('リクエストが多すぎます。しばらくしてからお試しください。');
    expect(wrapper.find('[data-testid="login-password"]').exists()).toBe(true);
  });

  it('does not ask for a pending login on a plain /login', async () => {
    const { wrapper, fetchMock } = await mountLogin({});
    await flushPromises();

    expect(calls(fetchMock, 'GET /auth/login/pending')).toBe(0);
    expect(wrapper.find('[data-testid="login-password"]').exists()).toBe(true);
  });
});
