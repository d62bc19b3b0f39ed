import { afterEach, describe, expect, it } from 'vitest';
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import UserAssignmentsPanel from '@/components/UserAssignmentsPanel.vue';
import { createAppI18n } from '@/i18n';
import { api } from '@/api/client';
import { jsonResponse, makeUser, stubApi } from '@/testing/helpers';

const A = '50000000-0000-4000-8000-00000000000a';
const B = '50000000-0000-4000-8000-00000000000b';
const client = (id: string, name: string) => ({
  id,
  name,
  code: null,
  notes: null,
  portalEnabled: false,
  officeCount: 1,
  myRights: ['draft', 'submit', 'documents', 'offices'],
  version: 1,
  createdAt: '2026-04-01T00:00:00.000Z',
  updatedAt: '2026-04-01T00:00:00.000Z',
});

let wrapper: VueWrapper | null = null;

describe('UserAssignmentsPanel', () => {
  afterEach(() => {
    wrapper?.unmount();
    wrapper = null;
  });

  it('shows the stored assignments and saves clients with their rights as a whole', async () => {
    let sent: unknown = null;
    const staff = makeUser({ id: '00000000-0000-4000-8000-0000000000b1', role: 'member', displayName: '担当 花子' });
    stubApi({
      'GET /clients': () => jsonResponse(200, { items: [client(A, 'アルファ'), client(B, 'ベータ')] }),
      [`GET /users/${staff.id}/assignments`]: () => jsonResponse(200, { all: false, clients: [{ clientId: A, rights: ['draft'] }] }),
      [`PUT /users/${staff.id}/assignments`]: ({ body }) => {
        sent = body;
        return jsonResponse(200, body);
      },
    });
    setActivePinia(createPinia());
    api.setCsrfToken('csrf');
    wrapper = mount(UserAssignmentsPanel, { props: { user: staff }, global: { plugins: [createAppI18n('ja')] }, attachTo: document.body });
    await flushPromises();

    const rows = wrapper.findAll('[data-testid="user-assignment-row"]');
    expect(rows).toHaveLength(2);
    expect((rows[0]!.get('[data-testid="user-assignment-assigned"]').element as HTMLInputElement).checked).toBe(true);
    expect((rows[0]!.get('[data-testid="user-assignment-right-draft"]').element as HTMLInputElement).checked).toBe(true);
    // Rights of an unassigned client cannot be ticked until it is assigned.
    expect((rows[1]!.get('[data-testid="user-assignment-right-submit"]').element as HTMLInputElement).disabled).toBe(true);
    expect(rows[1]!.get('[data-testid="user-assignment-right-submit"]').attributes('aria-label')).toBe('ベータ: 提出・補正・取下げ');

    await rows[1]!.get('[data-testid="user-assignment-assigned"]').setValue(true);
    await rows[1]!.get('[data-testid="user-assignment-right-documents"]').setValue(true);
    await rows[0]!.get('[data-testid="user-assignment-right-submit"]').setValue(true);
    await wrapper.get('form').trigger('submit');
    await flushPromises();
    expect(sent).toEqual({
      all: false,
      clients: [
        { clientId: A, rights: ['draft', 'submit'] },
        { clientId: B, rights: ['documents'] },
      ],
    });
    expect(wrapper.get('[data-testid="user-assignments-saved"]').text()).toBe('担当 花子 さんの担当顧問先を保存しました。');
  });
});
