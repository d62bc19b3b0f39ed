import { afterEach, describe, expect, it } from 'vitest';
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import KeysView from '@/views/KeysView.vue';
import { createAppI18n } from '@/i18n';
import { api, type KeyfileInfo } from '@/api/client';
import { useSessionStore } from '@/stores/session';
import { TENANT, headersOf, jsonResponse, makeUser, stubApi, type Handler } from '@/testing/helpers';

function makeKey(overrides: Partial<KeyfileInfo> = {}): KeyfileInfo {
  return {
    keyId: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
    label: 'ブラウザ (2026-01-05)',
    createdAt: '2026-01-05T00:00:00.000Z',
    lastUsedAt: '2026-01-06T00:30:00.000Z',
    revokedAt: null,
    issuedBy: 'self',
    ...overrides,
  };
}

let wrapper: VueWrapper | null = null;

function mountKeys(handlers: Record<string, Handler>) {
  const fetchMock = stubApi(handlers);
  const pinia = createPinia();
  setActivePinia(pinia);
  useSessionStore().user = makeUser({ role: 'member' });
  useSessionStore().tenant = TENANT;
  api.setCsrfToken('csrf-me');
  wrapper = mount(KeysView, { global: { plugins: [pinia, createAppI18n('ja')] }, attachTo: document.body });
  return { wrapper, fetchMock };
}

describe('KeysView', () => {
  afterEach(() => {
    wrapper?.unmount();
    wrapper = null;
  });

  it('lists my key files and revokes one after confirmation', async () => {
    const laptop = makeKey();
    const usb = makeKey({ keyId: 'BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB', label: 'USBメモリ', issuedBy: 'admin', lastUsedAt: null });
    const old = makeKey({ keyId: 'CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC', label: '旧PC', revokedAt: '2026-01-07T00:00:00.000Z' });
    let revoked = false;
    const { wrapper, fetchMock } = mountKeys({
      'GET /me/keyfiles': () =>
        jsonResponse(200, { items: revoked ? [laptop, { ...usb, revokedAt: '2026-01-08T00:00:00.000Z' }, old] : [laptop, usb, old] }),
      [`DELETE /me/keyfiles/${usb.keyId}`]: () => {
        revoked = true;
        return new Response(null, { status: 204 });
      },
    });
    await flushPromises();

    const rows = () => wrapper.findAll('[data-testid="key-row"]');
    expect(wrapper.find('[data-testid="keys-table"]').exists()).toBe(true);
    expect(rows()).toHaveLength(3);
    expect(rows()[0]!.text()).toContain('2026/01/06 09:30 JST');
    expect(rows()[1]!.text()).toContain('管理者が発行');
    expect(rows()[1]!.text()).toContain('未使用');
    expect(rows()[2]!.get('[data-testid="key-status"]').text()).toBe('失効');
    expect(rows()[2]!.find('[data-testid="key-revoke"]').exists()).toBe(false);

    await rows()[1]!.get('[data-testid="key-revoke"]').trigger('click');
    expect((wrapper.get('[data-testid="confirm-dialog"]').element as HTMLDialogElement).open).toBe(true);
    expect(wrapper.get('[data-testid="confirm-dialog"]').text()).toContain('「USBメモリ」を失効させます');
    expect(fetchMock).toHaveBeenCalledTimes(1);

    await wrapper.get('[data-testid="confirm-ok"]').trigger('click');
    await flushPromises();

    expect(fetchMock.mock.calls[1]?.[1]?.method).toBe('DELETE');
    expect(headersOf(fetchMock, 1)['x-csrf-token']).toBe('csrf-me');
    expect(rows()[1]!.get('[data-testid="key-status"]').text()).toBe('失効');
    expect(wrapper.get('[data-testid="keys-notice"]').text()).toContain('「USBメモリ」を失効させました');
  });
});
