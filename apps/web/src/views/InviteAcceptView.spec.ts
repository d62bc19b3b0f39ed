import { describe, expect, it } from 'vitest';
import { flushPromises, mount } from '@vue/test-utils';
import { createMemoryHistory } from 'vue-router';
import { createPinia, setActivePinia } from 'pinia';
import InviteAcceptView from '@/views/InviteAcceptView.vue';
import { createAppRouter } from '@/router';
import { createAppI18n } from '@/i18n';
import { jsonResponse, problem, stubApi, type Handler } from '@/testing/helpers';

async function mountInvite(accept: Handler) {
  const fetchMock = stubApi({
    'GET /auth/session': () => problem(401, 'unauthenticated'),
    'POST /auth/invitations/accept': accept,
  });
  const pinia = createPinia();
  setActivePinia(pinia);
  const router = createAppRouter(createMemoryHistory());
  await router.push('/invite/tok-123');
  const wrapper = mount(InviteAcceptView, {
    props: { token: 'tok-123' },
    global: { plugins: [pinia, router, createAppI18n('ja')] },
  });
  return { wrapper, fetchMock };
}

const GOOD = 'correct horse battery';

describe('InviteAcceptView', () => {
  it('refuses a short or mismatched password without calling the API', async () => {
    const { wrapper, fetchMock } = await mountInvite(() => jsonResponse(200, {}));
    const calls = fetchMock.mock.calls.length;

    await wrapper.get('[data-testid="invite-password"]').setValue('short');
    await wrapper.get('[data-testid="invite-confirm"]').setValue('short');
    await wrapper.get('form').trigger('submit');
    expect(wrapper.get('#invite-password-error').text()).toBe('パスワードは12文字以上で入力してください。');

    await wrapper.get('[data-testid="invite-password"]').setValue(GOOD);
    await wrapper.get('[data-testid="invite-confirm"]').setValue(`${GOOD}!`);
    await wrapper.get('form').trigger('submit');
    expect(wrapper.get('#invite-password-error').text()).toBe('');
    expect(wrapper.get('#invite-confirm-error').text()).toBe('確認用のパスワードが一致しません。');

    expect(fetchMock.mock.calls.length).toBe(calls);
  });

  it('sets the password and links to the login page with tenant and email', async () => {
    const { wrapper } = await mountInvite(({ body }) => {
      expect(body).toEqual({ token: 'tok-123', password: GOOD });
      return jsonResponse(200, { ok: true, tenant: { code: 'acme', name: '株式会社アクメ' }, email: 'new@example.com', loginCode: 'acme' });
    });

    await wrapper.get('[data-testid="invite-password"]').setValue(GOOD);
    await wrapper.get('[data-testid="invite-confirm"]').setValue(GOOD);
    await wrapper.get('form').trigger('submit');
    await flushPromises();

    expect(wrapper.get('[data-testid="invite-success"]').text()).toContain('パスワードを設定しました。');
    const href = wrapper.get('[data-testid="invite-login-link"]').attributes('href');
    const url = new URL(href ?? '', 'http://localhost');
    expect(url.pathname).toBe('/login');
    expect(url.searchParams.get('tenant')).toBe('acme');
    expect(url.searchParams.get('email')).toBe('new@example.com');
  });

  it('answers a platform operator (no tenant) with the next steps and the login link for 契約コード platform', async () => {
    const { wrapper } = await mountInvite(() =>
      jsonResponse(200, { ok: true, tenant: null, email: 'op@example.com', loginCode: 'platform' }),
    );

    await wrapper.get('[data-testid="invite-password"]').setValue(GOOD);
    await wrapper.get('[data-testid="invite-confirm"]').setValue(GOOD);
    await wrapper.get('form').trigger('submit');
    await flushPromises();

    const success = wrapper.get('[data-testid="invite-success"]').text();
    expect(success).toContain('運用担当者のアカウント（op@example.com）でログインできます。');
    expect(wrapper.get('[data-testid="invite-next-steps"]').text()).toContain('契約コード「platform」');
    expect(wrapper.get('[data-testid="invite-next-steps"]').text()).toContain('キーファイル');
    const url = new URL(wrapper.get('[data-testid="invite-login-link"]').attributes('href') ?? '', 'http://localhost');
    expect(url.pathname).toBe('/login');
    expect(url.searchParams.get('tenant')).toBe('platform');
    expect(url.searchParams.get('email')).toBe('op@example.com');
  });

  it('explains an invalid or expired link', async () => {
    const { wrapper } = await mountInvite(() => problem(404, 'invitation_invalid'));

    await wrapper.get('[data-testid="invite-password"]').setValue(GOOD);
    await wrapper.get('[data-testid="invite-confirm"]').setValue(GOOD);
    await wrapper.get('form').trigger('submit');
    await flushPromises();

    expect(wrapper.get('[role="alert"]').text()).toContain('この招待リンクは無効か、有効期限が切れています。');
    expect(wrapper.find('form').exists()).toBe(false);
  });
});
