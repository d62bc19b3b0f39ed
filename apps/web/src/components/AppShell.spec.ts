import { describe, expect, it, vi } from 'vitest';
import { flushPromises, mount } from '@vue/test-utils';
import { createMemoryHistory } from 'vue-router';
import { createPinia, setActivePinia } from 'pinia';
import App from '@/App.vue';
import { createAppRouter } from '@/router';
import { createAppI18n } from '@/i18n';
import { api } from '@/api/client';
import { TENANT, headersOf, jsonResponse, makeOperator, makeUser, stubApi } from '@/testing/helpers';

/** `attach`: mounted in the document (focus and visibility work only there); unmount it at the end. */
async function mountAppAs(role: 'admin' | 'member' | 'operator', path: string, attach = false) {
  const fetchMock = stubApi({
    'GET /auth/session': () =>
      role === 'operator'
        ? jsonResponse(200, { user: makeOperator(), tenant: null, csrfToken: 'csrf-s' })
        : jsonResponse(200, { user: makeUser({ role }), tenant: TENANT, csrfToken: 'csrf-s' }),
    'GET /backups': () => jsonResponse(200, { items: [] }),
    'GET /operator/tenants': () => jsonResponse(200, { items: [] }),
    'GET /users': () => jsonResponse(200, { items: [], nextCursor: null }),
    'GET /audit-events': () => jsonResponse(200, { items: [], nextCursor: null }),
    'POST /auth/logout': () => new Response(null, { status: 204 }),
    'GET /notices': () => jsonResponse(200, { items: [], nextCursor: null, unread: 0 }),
  });
  const pinia = createPinia();
  setActivePinia(pinia);
  api.setCsrfToken(null);
  const router = createAppRouter(createMemoryHistory());
  await router.push(path);
  const wrapper = mount(App, {
    global: { plugins: [pinia, router, createAppI18n('ja')] },
    ...(attach ? { attachTo: document.body } : {}),
  });
  await vi.waitFor(() => expect(wrapper.find('[data-testid="logout"]').exists()).toBe(true), { timeout: 10_000 });
  return { wrapper, router, fetchMock };
}

describe('AppShell', () => {
  // The first test pays for loading every view (slow on a busy machine).
  it('shows tenant, user and role, and the users link to admins', { timeout: 20_000 }, async () => {
    const { wrapper } = await mountAppAs('admin', '/');

    expect(wrapper.get('[data-testid="shell-tenant"]').text()).toContain('株式会社アクメ');
    expect(wrapper.get('[data-testid="shell-user"]').text()).toBe('管理 太郎');
    expect(wrapper.get('[data-testid="shell-role"]').text()).toBe('管理者');
    expect(wrapper.get('[data-testid="nav-users"]').text()).toBe('ユーザー管理');
    expect(wrapper.get('[data-testid="nav-audit"]').text()).toBe('監査ログ');
    // The audit link comes right after the users link.
    const links = wrapper.findAll('.shell-nav a').map((a) => a.attributes('data-testid'));
    expect(links.indexOf('nav-audit')).toBe(links.indexOf('nav-users') + 1);
    expect(wrapper.get('[data-testid="nav-api-tokens"]').text()).toBe('APIトークン');
    expect(wrapper.get('[data-testid="nav-sso"]').text()).toBe('SSO設定');
    expect(wrapper.get('[data-testid="nav-sso"]').attributes('href')).toBe('/settings/sso');
    // e-Gov link settings come right after the SSO settings.
    expect(wrapper.get('[data-testid="nav-egov"]').text()).toBe('e-Gov連携');
    expect(wrapper.get('[data-testid="nav-egov"]').attributes('href')).toBe('/settings/egov');
    expect(links.indexOf('nav-egov')).toBe(links.indexOf('nav-sso') + 1);
    // IPアドレス制限 sits with the other security settings, right before SSO.
    expect(wrapper.get('[data-testid="nav-ip-allowlist"]').text()).toBe('IPアドレス制限');
    expect(wrapper.get('[data-testid="nav-ip-allowlist"]').attributes('href')).toBe('/settings/ip-allowlist');
    expect(links.indexOf('nav-ip-allowlist')).toBe(links.indexOf('nav-sso') - 1);
    expect(wrapper.get('[data-testid="notices-bell"]').text()).toBe('お知らせ');
    expect(wrapper.get('[data-testid="nav-keys"]').text()).toBe('キーファイル');
    expect(wrapper.get('[data-testid="nav-applications"]').text()).toBe('申請');
    expect(wrapper.get('[data-testid="nav-applications"]').attributes('href')).toBe('/applications');
    expect(wrapper.get('[data-testid="nav-offices"]').text()).toBe('事業所');
    expect(wrapper.get('[data-testid="nav-offices"]').attributes('href')).toBe('/offices');
    expect(wrapper.get('[data-testid="nav-notification-settings"]').text()).toBe('通知設定');
  });

  it('keeps daily work on the top bar and folds the tenant settings into the 「設定」 disclosure', async () => {
    const { wrapper } = await mountAppAs('admin', '/', true);
    const top = wrapper.findAll('#shell-nav-list > li > a').map((a) => a.attributes('data-testid'));
    expect(top).toEqual(['nav-home', 'nav-applications', 'nav-approvals', 'nav-offices', 'nav-status']);
    const inMenu = wrapper.findAll('#shell-settings-list a').map((a) => a.attributes('data-testid'));
    expect(inMenu).toEqual([
      'nav-users',
      'nav-audit',
      'nav-backups',
      'nav-api-tokens',
      'nav-webhooks',
      'nav-approval-routes',
      'nav-ip-allowlist',
      'nav-sso',
      'nav-egov',
      'nav-signing',
      'nav-keys',
      'nav-notification-settings',
    ]);
    // The user's own settings start a section of their own.
    expect(wrapper.get('[data-testid="nav-keys"]').element.parentElement!.classList).toContain('nav-section-start');

    const button = wrapper.get('[data-testid="nav-settings"]');
    expect(button.element.tagName).toBe('BUTTON');
    expect(button.text()).toBe('設定');
    expect(button.attributes('aria-controls')).toBe('shell-settings-list');
    expect(button.attributes('aria-expanded')).toBe('false');
    expect(wrapper.get('#shell-settings-list').isVisible()).toBe(false);

    await button.trigger('click');
    expect(button.attributes('aria-expanded')).toBe('true');
    expect(wrapper.get('#shell-settings-list').isVisible()).toBe(true);
    await button.trigger('click');
    expect(button.attributes('aria-expanded')).toBe('false');
    wrapper.unmount();
  });

  it('closes the 「設定」 menu on Esc (focus back on its button), on a click outside and on navigation; arrows move between its links', async () => {
    const { wrapper, router } = await mountAppAs('admin', '/', true);
    const button = wrapper.get('[data-testid="nav-settings"]');
    const expanded = () => wrapper.get('[data-testid="nav-settings"]').attributes('aria-expanded');

    // ArrowDown on the button opens the menu on its first link; the arrows go round.
    (button.element as HTMLElement).focus();
    await button.trigger('keydown', { key: 'ArrowDown' });
    await flushPromises();
    expect(expanded()).toBe('true');
    expect(document.activeElement).toBe(wrapper.get('[data-testid="nav-users"]').element);
    await wrapper.get('[data-testid="nav-users"]').trigger('keydown', { key: 'ArrowUp' });
    expect(document.activeElement).toBe(wrapper.get('[data-testid="nav-notification-settings"]').element);
    await wrapper.get('[data-testid="nav-notification-settings"]').trigger('keydown', { key: 'ArrowDown' });
    expect(document.activeElement).toBe(wrapper.get('[data-testid="nav-users"]').element);

    // Esc closes it and returns the focus to the button.
    await wrapper.get('[data-testid="nav-users"]').trigger('keydown', { key: 'Escape' });
    expect(expanded()).toBe('false');
    expect(document.activeElement).toBe(button.element);

    // A click outside closes it; a click inside does not.
    await button.trigger('click');
    wrapper.get('[data-testid="nav-settings-list"]').element.dispatchEvent(new Event('pointerdown', { bubbles: true }));
    await flushPromises();
    expect(expanded()).toBe('true');
    wrapper.get('[data-testid="shell-user"]').element.dispatchEvent(new Event('pointerdown', { bubbles: true }));
    await flushPromises();
    expect(expanded()).toBe('false');

    // Following a link closes it, and the button shows that the page is one of its own.
    await button.trigger('click');
    await router.push('/backups');
    await flushPromises();
    expect(expanded()).toBe('false');
    expect(wrapper.get('[data-testid="nav-settings"]').classes()).toContain('active');
    wrapper.unmount();
  });

  it('gives members only their own settings in the 「設定」 menu', async () => {
    const { wrapper } = await mountAppAs('member', '/');
    expect(wrapper.findAll('#shell-settings-list a').map((a) => a.attributes('data-testid'))).toEqual([
      'nav-keys',
      'nav-notification-settings',
    ]);
    // The first entry of the menu draws no separator above it.
    expect(wrapper.get('[data-testid="nav-keys"]').element.parentElement!.classList).not.toContain('nav-section-start');
    expect(wrapper.get('[data-testid="nav-settings"]').classes()).not.toContain('active');
  });

  it('folds the menu behind 「メニュー」 (shown on a phone), opens it, and closes it on navigation', async () => {
    const { wrapper, router } = await mountAppAs('member', '/');
    const toggle = wrapper.get('[data-testid="nav-toggle"]');
    expect(toggle.text()).toBe('メニュー');
    expect(toggle.attributes('aria-controls')).toBe('shell-nav-list');
    expect(wrapper.find('#shell-nav-list').exists()).toBe(true);
    expect(toggle.attributes('aria-expanded')).toBe('false');
    expect(wrapper.get('.shell-nav').classes()).not.toContain('nav-open');

    await toggle.trigger('click');
    expect(toggle.attributes('aria-expanded')).toBe('true');
    expect(wrapper.get('.shell-nav').classes()).toContain('nav-open');

    await router.push('/keys');
    await flushPromises();
    expect(wrapper.get('[data-testid="nav-toggle"]').attributes('aria-expanded')).toBe('false');
  });

  it('hides the users link from members and tells them when they were turned away', async () => {
    const { wrapper, router } = await mountAppAs('member', '/users');

    expect(router.currentRoute.value.name).toBe('home');
    expect(wrapper.find('[data-testid="nav-users"]').exists()).toBe(false);
    expect(wrapper.find('[data-testid="nav-api-tokens"]').exists()).toBe(false);
    // Every user manages their own key files, and files applications.
    expect(wrapper.get('[data-testid="nav-keys"]').text()).toBe('キーファイル');
    expect(wrapper.get('[data-testid="nav-applications"]').text()).toBe('申請');
    expect(wrapper.get('[data-testid="nav-offices"]').text()).toBe('事業所');
    // Every user chooses their own mails.
    expect(wrapper.get('[data-testid="nav-notification-settings"]').text()).toBe('通知設定');
    expect(wrapper.get('[data-testid="nav-notification-settings"]').attributes('href')).toBe('/settings/notifications');
    expect(wrapper.get('[data-testid="flash"]').text()).toContain('権限がありません');
  });

  it('hides the SSO settings link from members and turns them away from /settings/sso', async () => {
    const { wrapper, router } = await mountAppAs('member', '/settings/sso');

    expect(router.currentRoute.value.name).toBe('home');
    expect(wrapper.find('[data-testid="nav-sso"]').exists()).toBe(false);
    expect(wrapper.get('[data-testid="flash"]').text()).toContain('権限がありません');
  });

  it('hides the IP restriction link from members and turns them away from /settings/ip-allowlist', async () => {
    const { wrapper, router } = await mountAppAs('member', '/settings/ip-allowlist');

    expect(router.currentRoute.value.name).toBe('home');
    expect(wrapper.find('[data-testid="nav-ip-allowlist"]').exists()).toBe(false);
    expect(wrapper.get('[data-testid="flash"]').text()).toContain('権限がありません');
  });

  it('hides the e-Gov settings link from members and turns them away from /settings/egov', async () => {
    const { wrapper, router } = await mountAppAs('member', '/settings/egov');

    expect(router.currentRoute.value.name).toBe('home');
    expect(wrapper.find('[data-testid="nav-egov"]').exists()).toBe(false);
    // Members get the notices too.
    expect(wrapper.find('[data-testid="notices-bell"]').exists()).toBe(true);
    expect(wrapper.get('[data-testid="flash"]').text()).toContain('権限がありません');
  });

  it('hides the audit link from members and turns them away from /audit', async () => {
    const { wrapper, router } = await mountAppAs('member', '/audit');

    expect(router.currentRoute.value.name).toBe('home');
    expect(wrapper.find('[data-testid="nav-audit"]').exists()).toBe(false);
    expect(wrapper.get('[data-testid="flash"]').text()).toContain('権限がありません');
  });

  it('shows the backups link to admins after the audit link, and keeps members away from /backups', async () => {
    const admin = await mountAppAs('admin', '/backups');
    expect(admin.router.currentRoute.value.name).toBe('backups');
    expect(admin.wrapper.get('[data-testid="nav-backups"]').text()).toBe('バックアップ');
    expect(admin.wrapper.get('[data-testid="nav-backups"]').attributes('href')).toBe('/backups');
    const links = admin.wrapper.findAll('.shell-nav a').map((a) => a.attributes('data-testid'));
    expect(links.indexOf('nav-backups')).toBe(links.indexOf('nav-audit') + 1);
    expect(admin.wrapper.find('[data-testid="nav-operator-tenants"]').exists()).toBe(false);
    admin.wrapper.unmount();

    const member = await mountAppAs('member', '/backups');
    expect(member.router.currentRoute.value.name).toBe('home');
    expect(member.wrapper.find('[data-testid="nav-backups"]').exists()).toBe(false);
    expect(member.wrapper.get('[data-testid="flash"]').text()).toContain('権限がありません');
  });

  it('shows platform operators the operator console and none of the tenant pages', async () => {
    const { wrapper, router } = await mountAppAs('operator', '/');

    expect(wrapper.get('[data-testid="shell-tenant"]').text()).toContain('プラットフォーム運用');
    expect(wrapper.get('[data-testid="shell-role"]').text()).toBe('運用担当者');
    expect(wrapper.get('[data-testid="nav-operator-tenants"]').text()).toBe('契約一覧');
    expect(wrapper.get('[data-testid="nav-operator-tenants"]').attributes('href')).toBe('/operator/tenants');
    expect(wrapper.get('[data-testid="home-operator"]').text()).toContain('契約一覧');
    for (const id of [
      'nav-applications',
      'nav-offices',
      'nav-users',
      'nav-audit',
      'nav-backups',
      'nav-api-tokens',
      'nav-sso',
      'nav-egov',
    ]) {
      expect(wrapper.find(`[data-testid="${id}"]`).exists()).toBe(false);
    }

    await wrapper.get('[data-testid="nav-operator-tenants"]').trigger('click');
    await vi.waitFor(() => expect(router.currentRoute.value.name).toBe('operator-tenants'), { timeout: 10_000 });
    await vi.waitFor(() => expect(wrapper.find('[data-testid="tenants-empty"]').exists()).toBe(true), { timeout: 10_000 });
  });

  it('turns tenant admins away from the operator console', async () => {
    const { wrapper, router } = await mountAppAs('admin', '/operator/tenants/acme');

    expect(router.currentRoute.value.name).toBe('home');
    expect(wrapper.get('[data-testid="flash"]').text()).toContain('プラットフォーム運用担当者');
  });

  it('logs out with the CSRF token and returns to the login page', async () => {
    const { wrapper, router, fetchMock } = await mountAppAs('admin', '/');

    await wrapper.get('[data-testid="logout"]').trigger('click');
    await flushPromises();
    await vi.waitFor(() => expect(router.currentRoute.value.name).toBe('login'), { timeout: 10_000 });

    const call = fetchMock.mock.calls.findIndex(([, init]) => init?.method === 'POST');
    expect(String(fetchMock.mock.calls[call]?.[0])).toBe('/api/v1/auth/logout');
    expect(headersOf(fetchMock, call)['x-csrf-token']).toBe('csrf-s');
    expect(api.getCsrfToken()).toBeNull();
  });
});
