import { afterEach, describe, expect, it } from 'vitest';
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import ApiTokensView from '@/views/ApiTokensView.vue';
import { createAppI18n } from '@/i18n';
import { api, type ApiToken } from '@/api/client';
import { useSessionStore } from '@/stores/session';
import { TENANT, jsonResponse, makeUser, problem, stubApi, type Handler } from '@/testing/helpers';

const existing: ApiToken = {
  id: '20000000-0000-4000-8000-000000000001',
  name: '給与システム連携',
  scopes: ['applications:read', 'documents:read'],
  createdAt: '2026-01-05T00:00:00.000Z',
  expiresAt: '2099-04-05T15:00:00.000Z',
  lastUsedAt: null,
  revokedAt: null,
};

let wrapper: VueWrapper | null = null;

function mountAs(role: 'admin' | 'member', handlers: Record<string, Handler>) {
  const fetchMock = stubApi(handlers);
  const pinia = createPinia();
  setActivePinia(pinia);
  useSessionStore().user = makeUser({ role });
  useSessionStore().tenant = TENANT;
  api.setCsrfToken('csrf-admin');
  wrapper = mount(ApiTokensView, { global: { plugins: [pinia, createAppI18n('ja')] }, attachTo: document.body });
  return { wrapper, fetchMock };
}

describe('ApiTokensView', () => {
  afterEach(() => {
    wrapper?.unmount();
    wrapper = null;
  });

  it('creates a token with scopes and expiry, shows it once, and lists it without the secret', async () => {
    let sent: { name: string; scopes: string[]; expiresAt: string } | null = null;
    let items: ApiToken[] = [existing];
    const { wrapper } = mountAs('admin', {
      'GET /api-tokens': () => jsonResponse(200, { items }),
      'POST /api-tokens': ({ body }) => {
        sent = body as typeof sent;
        const created = {
          id: '20000000-0000-4000-8000-000000000002',
          name: sent!.name,
          scopes: sent!.scopes,
          expiresAt: `${sent!.expiresAt}T14:59:59.999Z`,
        };
        items = [{ ...created, createdAt: new Date().toISOString(), lastUsedAt: null, revokedAt: null }, ...items];
        return jsonResponse(201, { ...created, token: 'chr_secret_token_value_123' });
      },
    });
    await flushPromises();

    expect(wrapper.findAll('[data-testid="token-row"]')).toHaveLength(1);
    expect(wrapper.get('[data-testid="token-row"]').text()).toContain('申請の参照');
    expect(wrapper.get('[data-testid="token-scope-applications:write"]').element.parentElement?.textContent).toContain('申請の作成・更新');
    expect(wrapper.get('[data-testid="token-scope-audit:read"]').element.parentElement?.textContent).toContain('監査ログの参照');
    const expires = wrapper.get('[data-testid="token-create-expires"]').element as HTMLInputElement;
    const in90 = new Date(Date.now() + 9 * 3600_000 + 90 * 86400_000).toISOString().slice(0, 10);
    expect(expires.value).toBe(in90);

    // Nothing checked: refused before asking the server.
    await wrapper.get('[data-testid="token-create-name"]').setValue('監査ツール');
    await wrapper.get('[data-testid="token-create-submit"]').trigger('submit');
    await flushPromises();
    expect(sent).toBeNull();
    expect(wrapper.text()).toContain('スコープを1つ以上選択してください。');

    await wrapper.get('[data-testid="token-scope-audit:read"]').setValue(true);
    await wrapper.get('[data-testid="token-scope-applications:read"]').setValue(true);
    const in30 = new Date(Date.now() + 9 * 3600_000 + 30 * 86400_000).toISOString().slice(0, 10);
    await wrapper.get('[data-testid="token-create-expires"]').setValue(in30);
    await wrapper.get('[data-testid="token-create-submit"]').trigger('submit');
    await flushPromises();
    expect(sent!.name).toBe('監査ツール');
    expect(sent!.scopes).toEqual(['applications:read', 'audit:read']);
    // The chosen day itself: the API reads it as the end of that day in Japan (issue 18, bug 9).
    expect(sent!.expiresAt).toBe(in30);

    expect(wrapper.get('[data-testid="token-created-value"]').text()).toBe('chr_secret_token_value_123');
    expect(wrapper.get('[data-testid="token-created"]').text()).toContain('一度だけ表示');
    expect(wrapper.findAll('[data-testid="token-row"]')).toHaveLength(2);
    // Listed with the day that was picked, not 00:00 of the next day.
    const [y, m, d] = in30.split('-');
    expect(wrapper.findAll('[data-testid="token-row"]')[0]!.text()).toContain(`${y}/${m}/${d} 23:59 JST`);
    expect(wrapper.get('[data-testid="tokens-table"]').text()).not.toContain('chr_secret_token_value_123');

    await wrapper.get('[data-testid="token-created-close"]').trigger('click');
    expect(wrapper.find('[data-testid="token-created-value"]').exists()).toBe(false);
    expect(wrapper.text()).not.toContain('chr_secret_token_value_123');
  });

  it('revokes a token after confirmation and shows a refused expiry from the server', async () => {
    let revoked = false;
    const { wrapper, fetchMock } = mountAs('admin', {
      'GET /api-tokens': () => jsonResponse(200, { items: [{ ...existing, revokedAt: revoked ? '2026-01-06T00:00:00.000Z' : null }] }),
      [`DELETE /api-tokens/${existing.id}`]: () => {
        revoked = true;
        return new Response(null, { status: 204 });
      },
      'POST /api-tokens': () =>
        problem(400, 'validation_failed', {
          errors: [
            { field: 'expiresAt', code: 'expiry_out_of_range', message: 'expiresAt must be in the future and at most one year away' },
          ],
        }),
    });
    await flushPromises();

    await wrapper.get('[data-testid="token-revoke"]').trigger('click');
    await wrapper.get('[data-testid="confirm-ok"]').trigger('click');
    await flushPromises();
    expect(fetchMock.mock.calls.some(([, init]) => init?.method === 'DELETE')).toBe(true);
    expect(wrapper.get('[data-testid="token-status"]').text()).toBe('失効');
    expect(wrapper.find('[data-testid="token-revoke"]').exists()).toBe(false);

    await wrapper.get('[data-testid="token-create-name"]').setValue('x');
    await wrapper.get('[data-testid="token-scope-documents:read"]').setValue(true);
    await wrapper.get('[data-testid="token-create-submit"]').trigger('submit');
    await flushPromises();
    expect(wrapper.get('[data-testid="tokens-action-error"]').text()).toBe('入力内容に誤りがあります。各項目をご確認ください。');
    expect(wrapper.get('#token-create-expires-error').text()).toBe('有効期限は明日以降、1年以内の日付を指定してください。');
  });

  it('names the backups:read scope of a token made through the API, and shows a scope it does not know as it is', async () => {
    const { wrapper } = mountAs('admin', {
      'GET /api-tokens': () => jsonResponse(200, { items: [{ ...existing, scopes: ['backups:read', 'future:thing'] }] }),
    });
    await flushPromises();

    const row = wrapper.get('[data-testid="token-row"]').text();
    expect(row).toContain('バックアップの参照');
    expect(row).toContain('future:thing');
  });

  it('refuses members without asking the server', async () => {
    const { wrapper, fetchMock } = mountAs('member', {});
    await flushPromises();
    expect(fetchMock).not.toHaveBeenCalled();
    expect(wrapper.find('[data-testid="tokens-table"]').exists()).toBe(false);
  });
});
