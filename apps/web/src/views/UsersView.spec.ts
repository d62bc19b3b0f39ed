import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import UsersView from '@/views/UsersView.vue';
import { createAppI18n } from '@/i18n';
import { api, type KeyfileInfo, type User } from '@/api/client';
import { useSessionStore } from '@/stores/session';
import { TENANT, headersOf, jsonResponse, makeUser, problem, stubApi, type Handler } from '@/testing/helpers';

const admin = makeUser();
const member = makeUser({
  id: '00000000-0000-4000-8000-000000000002',
  email: 'member@example.com',
  displayName: '一般 花子',
  role: 'member',
  lastLoginAt: null,
});
const locked = makeUser({
  id: '00000000-0000-4000-8000-000000000003',
  email: 'locked@example.com',
  displayName: 'ロック 次郎',
  role: 'member',
  lockedUntil: new Date(Date.now() + 10 * 60_000).toISOString(),
});
const invited = makeUser({
  id: '00000000-0000-4000-8000-000000000004',
  email: 'invited@example.com',
  displayName: '招待 三郎',
  role: 'member',
  status: 'invited',
  lastLoginAt: null,
});

let wrapper: VueWrapper | null = null;

function mountAs(current: User, handlers: Record<string, Handler>) {
  const fetchMock = stubApi(handlers);
  const pinia = createPinia();
  setActivePinia(pinia);
  const session = useSessionStore();
  session.user = current;
  session.tenant = TENANT;
  api.setCsrfToken('csrf-admin');
  wrapper = mount(UsersView, {
    global: { plugins: [pinia, createAppI18n('ja')] },
    attachTo: document.body,
  });
  return { wrapper, fetchMock };
}

function rows(w: VueWrapper) {
  return w.findAll('[data-testid="user-row"]');
}

describe('UsersView', () => {
  beforeEach(() => {
    document.body.innerHTML = '';
  });
  afterEach(() => {
    wrapper?.unmount();
    wrapper = null;
  });

  it('renders one row per user with role, status and last login in JST', async () => {
    const { wrapper, fetchMock } = mountAs(admin, {
      'GET /users': () => jsonResponse(200, { items: [admin, member, locked, invited], nextCursor: null }),
    });
    await flushPromises();

    expect(fetchMock).toHaveBeenCalledTimes(1);
    const all = rows(wrapper);
    expect(all).toHaveLength(4);
    expect(all[1]?.text()).toContain('一般 花子');
    expect(all[1]?.text()).toContain('member@example.com');
    expect(all[1]?.get('[data-testid="user-status"]').text()).toBe('有効');
    expect(all[1]?.text()).toContain('未ログイン');
    expect(all[2]?.get('[data-testid="user-status"]').text()).toBe('ロック中');
    expect(all[3]?.get('[data-testid="user-status"]').text()).toBe('招待中');
    // 2025-01-06T00:30Z is 09:30 in Tokyo.
    expect(all[0]?.text()).toContain('2025/01/06 09:30 JST');
    // The admin's own row cannot be demoted or disabled from here.
    expect(all[0]?.find('[data-testid="user-toggle-status"]').exists()).toBe(false);
    expect((all[1]?.get('[data-testid="user-role"]').element as HTMLSelectElement).value).toBe('member');
    expect(wrapper.find('[data-testid="users-more"]').exists()).toBe(false);
  });

  it('hides itself from members and does not ask for the list', async () => {
    const { wrapper, fetchMock } = mountAs(member, {});
    await flushPromises();

    expect(fetchMock).not.toHaveBeenCalled();
    expect(wrapper.find('[data-testid="users-table"]').exists()).toBe(false);
    expect(wrapper.find('[data-testid="create-user-open"]').exists()).toBe(false);
    expect(wrapper.get('[role="alert"]').text()).toContain('権限がありません');
  });

  it('loads the next page with the cursor when "more" is pressed', async () => {
    const { wrapper, fetchMock } = mountAs(admin, {
      'GET /users': ({ url }) =>
        url.searchParams.get('cursor') === 'page-2'
          ? jsonResponse(200, { items: [invited], nextCursor: null })
          : jsonResponse(200, { items: [admin, member], nextCursor: 'page-2' }),
    });
    await flushPromises();
    expect(rows(wrapper)).toHaveLength(2);

    await wrapper.get('[data-testid="users-more"]').trigger('click');
    await flushPromises();

    expect(fetchMock).toHaveBeenCalledTimes(2);
    expect(rows(wrapper)).toHaveLength(3);
    expect(wrapper.find('[data-testid="users-more"]').exists()).toBe(false);
  });

  it('invites a user without a password and shows the one-time link', async () => {
    const created = makeUser({
      id: '00000000-0000-4000-8000-000000000009',
      email: 'new@example.com',
      displayName: '新規 四郎',
      role: 'member',
      status: 'invited',
      lastLoginAt: null,
    });
    const { wrapper, fetchMock } = mountAs(admin, {
      'GET /users': () => jsonResponse(200, { items: [admin], nextCursor: null }),
      'POST /users': ({ body }) => {
        expect(body).toEqual({ email: 'new@example.com', displayName: '新規 四郎', role: 'member' });
        return jsonResponse(201, {
          ...created,
          invitation: { url: '/invite/tok-123', expiresAt: '2025-01-08T15:00:00.000Z' },
        });
      },
    });
    await flushPromises();

    await wrapper.get('[data-testid="create-user-open"]').trigger('click');
    await wrapper.get('[data-testid="create-user-email"]').setValue('new@example.com');
    await wrapper.get('[data-testid="create-user-display-name"]').setValue('新規 四郎');
    await wrapper.get('[data-testid="create-user-role"]').setValue('member');
    await wrapper.get('[data-testid="create-user-submit"]').trigger('submit');
    await flushPromises();

    expect(headersOf(fetchMock, 1)['x-csrf-token']).toBe('csrf-admin');
    const link = wrapper.get('[data-testid="invitation-url"]').element as HTMLInputElement;
    expect(link.value).toMatch(/^https?:\/\/[^/]+\/invite\/tok-123$/);
    expect(wrapper.get('[data-testid="invitation-panel"]').text()).toContain('一度だけ表示');
    expect(wrapper.get('[data-testid="invitation-panel"]').text()).toContain('2025/01/09 00:00 JST');
    expect(rows(wrapper)).toHaveLength(2);
    expect(rows(wrapper)[0]?.text()).toContain('新規 四郎');
    expect(wrapper.find('[data-testid="create-user-panel"]').exists()).toBe(false);
  });

  it('shows validation errors next to their fields', async () => {
    const { wrapper } = mountAs(admin, {
      'GET /users': () => jsonResponse(200, { items: [admin], nextCursor: null }),
      'POST /users': () =>
        problem(400, 'validation_failed', {
          errors: [
            {
              field: 'password',
              code: 'too_short',
              params: { min: 12 },
              message: 'password must be longer than or equal to 12 characters',
            },
          ],
        }),
    });
    await flushPromises();

    await wrapper.get('[data-testid="create-user-open"]').trigger('click');
    await wrapper.get('[data-testid="create-user-email"]').setValue('x@example.com');
    await wrapper.get('[data-testid="create-user-display-name"]').setValue('X');
    await wrapper.get('[data-testid="create-user-password"]').setValue('short');
    await wrapper.get('[data-testid="create-user-submit"]').trigger('submit');
    await flushPromises();

    expect(wrapper.get('[data-testid="create-user-error"]').text()).toBe('入力内容に誤りがあります。各項目をご確認ください。');
    const password = wrapper.get('[data-testid="create-user-password"]');
    expect(password.attributes('aria-invalid')).toBe('true');
    expect(wrapper.get('#create-user-password-error').text()).toBe('12文字以上で入力してください。');
    expect(wrapper.get('#create-user-email-error').text()).toBe('');
  });

  it('disables a user only after confirmation', async () => {
    const { wrapper, fetchMock } = mountAs(admin, {
      'GET /users': () => jsonResponse(200, { items: [admin, member], nextCursor: null }),
      [`PATCH /users/${member.id}`]: ({ body }) => jsonResponse(200, { ...member, ...(body as object) }),
    });
    await flushPromises();

    await rows(wrapper)[1]!.get('[data-testid="user-toggle-status"]').trigger('click');
    const dialog = wrapper.get('[data-testid="confirm-dialog"]').element as HTMLDialogElement;
    expect(dialog.open).toBe(true);
    expect(fetchMock).toHaveBeenCalledTimes(1);

    await wrapper.get('[data-testid="confirm-cancel"]').trigger('click');
    expect(dialog.open).toBe(false);
    expect(fetchMock).toHaveBeenCalledTimes(1);

    await rows(wrapper)[1]!.get('[data-testid="user-toggle-status"]').trigger('click');
    await wrapper.get('[data-testid="confirm-ok"]').trigger('click');
    await flushPromises();

    expect(fetchMock).toHaveBeenCalledTimes(2);
    expect(fetchMock.mock.calls[1]?.[1]?.method).toBe('PATCH');
    expect(fetchMock.mock.calls[1]?.[1]?.body).toBe(JSON.stringify({ status: 'disabled' }));
    expect(rows(wrapper)[1]!.get('[data-testid="user-status"]').text()).toBe('無効');
    expect(rows(wrapper)[1]!.get('[data-testid="user-toggle-status"]').text()).toBe('有効にする');
  });

  it('changes a role and puts the select back when the server refuses', async () => {
    let answer: 'ok' | 'refuse' = 'refuse';
    const { wrapper } = mountAs(admin, {
      'GET /users': () => jsonResponse(200, { items: [admin, member], nextCursor: null }),
      [`PATCH /users/${member.id}`]: () => (answer === 'ok' ? jsonResponse(200, { ...member, role: 'admin' }) : problem(403, 'forbidden')),
    });
    await flushPromises();
    const select = () => rows(wrapper)[1]!.get('[data-testid="user-role"]');

    await select().setValue('admin');
    await flushPromises();
    expect((select().element as HTMLSelectElement).value).toBe('member');
    expect(wrapper.get('[data-testid="users-action-error"]').text()).toBe('この操作を行う権限がありません。');

    answer = 'ok';
    await select().setValue('admin');
    await flushPromises();
    expect((select().element as HTMLSelectElement).value).toBe('admin');
    expect(wrapper.get('[data-testid="users-notice"]').text()).toContain('「管理者」に変更しました');
  });

  it('opens the key files of a user, issues one for download, and allows a new registration after confirmation', async () => {
    const key: KeyfileInfo = {
      keyId: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      label: 'ブラウザ (2026-01-05)',
      createdAt: '2026-01-05T00:00:00.000Z',
      lastUsedAt: null,
      revokedAt: null,
      issuedBy: 'self',
    };
    let keys: KeyfileInfo[] = [key];
    const blobs: Blob[] = [];
    vi.spyOn(URL, 'createObjectURL').mockImplementation((blob) => {
      blobs.push(blob as Blob);
      return 'blob:issued';
    });
    vi.spyOn(URL, 'revokeObjectURL').mockImplementation(() => undefined);
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => undefined);
    const { wrapper, fetchMock } = mountAs(admin, {
      'GET /users': () => jsonResponse(200, { items: [admin, member], nextCursor: null }),
      [`GET /users/${member.id}/keyfiles`]: () => jsonResponse(200, { items: keys }),
      [`POST /users/${member.id}/keyfiles`]: ({ body }) => {
        expect(body).toEqual({ label: 'USBメモリ', passphrase: 'a long passphrase' });
        keys = [...keys, { ...key, keyId: 'B'.repeat(43), label: 'USBメモリ', issuedBy: 'admin' }];
        return jsonResponse(201, { type: 'charlotte-keyfile', version: 1, tenant: 'acme', email: member.email, keyId: 'B'.repeat(43) });
      },
      [`POST /users/${member.id}/keyfile-reset`]: () => {
        keys = keys.map((k) => ({ ...k, revokedAt: '2026-01-07T00:00:00.000Z' }));
        return jsonResponse(200, { ok: true });
      },
    });
    await flushPromises();

    await rows(wrapper)[1]!.get('[data-testid="user-keys"]').trigger('click');
    await flushPromises();
    const panel = () => wrapper.get('[data-testid="user-keys-panel"]');
    expect(panel().text()).toContain('一般 花子 さんのキーファイル');
    expect(panel().findAll('[data-testid="user-key-row"]')).toHaveLength(1);

    await panel().get('[data-testid="user-key-label"]').setValue('USBメモリ');
    await panel().get('[data-testid="user-key-passphrase"]').setValue('a long passphrase');
    await panel().get('[data-testid="user-key-issue"]').trigger('submit');
    await flushPromises();

    expect(JSON.parse(await blobs[0]!.text())).toMatchObject({ type: 'charlotte-keyfile', keyId: 'B'.repeat(43) });
    expect(panel().get('[data-testid="user-key-download"]').attributes('download')).toBe('acme-member@example.com.charlotte-key.json');
    expect(panel().findAll('[data-testid="user-key-row"]')).toHaveLength(2);

    const before = fetchMock.mock.calls.length;
    await panel().get('[data-testid="user-key-reset"]').trigger('click');
    expect(fetchMock.mock.calls.length).toBe(before);
    const dialogs = wrapper.findAll('[data-testid="confirm-dialog"]').filter((d) => (d.element as HTMLDialogElement).open);
    expect(dialogs).toHaveLength(1);
    expect(dialogs[0]!.text()).toContain('次回ログイン時に新しいキーファイルを作成できる');
    await dialogs[0]!.get('[data-testid="confirm-ok"]').trigger('click');
    await flushPromises();

    expect(headersOf(fetchMock, before)['x-csrf-token']).toBe('csrf-admin');
    expect(
      panel()
        .findAll('[data-testid="user-key-status"]')
        .map((s) => s.text()),
    ).toEqual(['失効', '失効']);
    expect(panel().find('[data-testid="user-key-revoke"]').exists()).toBe(false);
  });
});
