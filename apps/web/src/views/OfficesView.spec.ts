import { afterEach, describe, expect, it } from 'vitest';
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import OfficesView from '@/views/OfficesView.vue';
import { createAppI18n } from '@/i18n';
import { api, type Office } from '@/api/client';
import { useSessionStore } from '@/stores/session';
import { TENANT, headersOf, jsonResponse, makeUser, problem, stubApi, type Handler } from '@/testing/helpers';
import { OFFICE, OFFICE_2 } from '@/testing/applications';

let wrapper: VueWrapper | null = null;

async function mountWith(handlers: Record<string, Handler>) {
  const fetchMock = stubApi(handlers);
  const pinia = createPinia();
  setActivePinia(pinia);
  useSessionStore().user = makeUser({ role: 'member' });
  useSessionStore().tenant = TENANT;
  api.setCsrfToken('csrf-member');
  wrapper = mount(OfficesView, { global: { plugins: [pinia, createAppI18n('ja')] }, attachTo: document.body });
  await flushPromises();
  return { wrapper, fetchMock };
}

describe('OfficesView', () => {
  afterEach(() => {
    wrapper?.unmount();
    wrapper = null;
  });

  it('lists the offices with their identifiers', async () => {
    const { wrapper } = await mountWith({ 'GET /offices': () => jsonResponse(200, { items: [OFFICE, OFFICE_2] }) });

    const rows = wrapper.findAll('[data-testid="office-row"]');
    expect(rows).toHaveLength(2);
    expect(rows[0]!.text()).toContain('株式会社アクメ 本社');
    expect(rows[0]!.get('[data-testid="office-row-pensionOfficeCode"]').text()).toBe('01-イロハ');
    // Stored as digits, shown hyphenated as on paper (issue 18, bug 9).
    expect(rows[0]!.get('[data-testid="office-row-laborInsuranceNumber"]').text()).toBe('13-1-01-123456-000');
    expect(rows[0]!.get('[data-testid="office-row-employmentOfficeNumber"]').text()).toBe('1301-567890-1');
    expect(rows[1]!.get('[data-testid="office-row-pensionOfficeCode"]').text()).toBe('未設定');
  });

  it('shows the server’s message under the field it names and keeps the form open', async () => {
    let sent: unknown = null;
    const { wrapper, fetchMock } = await mountWith({
      'GET /offices': () => jsonResponse(200, { items: [] }),
      'POST /offices': ({ body }) => {
        sent = body;
        return problem(400, 'validation_failed', {
          errors: [
            {
              field: 'laborInsuranceNumber',
              code: 'labor_insurance_number_format',
              message: 'laborInsuranceNumber must be 14 digits (2-1-2-6-3)',
            },
          ],
        });
      },
    });
    expect(wrapper.get('[data-testid="offices-empty"]').text()).toBe('事業所はまだ登録されていません。');

    await wrapper.get('[data-testid="office-new"]').trigger('click');
    expect(document.activeElement).toBe(wrapper.get('[data-testid="office-name"]').element);
    // Every input has a label (its accessible name).
    for (const input of wrapper.findAll('[data-testid="office-form"] input')) {
      expect(wrapper.find(`label[for="${input.attributes('id')}"]`).exists()).toBe(true);
    }
    await wrapper.get('[data-testid="office-name"]').setValue('株式会社アクメ 本社');
    await wrapper.get('[data-testid="office-laborInsuranceNumber"]').setValue('13-1-01-12345');
    await wrapper.get('[data-testid="office-save"]').trigger('submit');
    await flushPromises();

    // Empty optional fields are not sent; the malformed number is (the server decides).
    expect(sent).toEqual({ name: '株式会社アクメ 本社', laborInsuranceNumber: '13-1-01-12345' });
    expect(headersOf(fetchMock, 1)['x-csrf-token']).toBe('csrf-member');
    const input = wrapper.get('[data-testid="office-laborInsuranceNumber"]');
    expect(input.attributes('aria-invalid')).toBe('true');
    expect(input.attributes('aria-describedby')).toContain('office-laborInsuranceNumber-error');
    expect(wrapper.get('[data-testid="office-error-laborInsuranceNumber"]').text()).toBe(
      '労働保険番号は14桁の数字（2-1-2-6-3）で入力してください（例: 13-1-01-123456-000）。',
    );
    expect(wrapper.get('[data-testid="office-error-name"]').text()).toBe('');
    expect(wrapper.get('[data-testid="office-name"]').attributes('aria-invalid')).toBeUndefined();
    expect(wrapper.get('[data-testid="office-form-error"]').attributes('role')).toBe('alert');
    expect(wrapper.get('[data-testid="office-form-error"]').text()).toContain('入力内容に誤りがあります');
  });

  it('creates an office and adds it to the list', async () => {
    const created: Office = { ...OFFICE_2, id: '30000000-0000-4000-8000-000000000009', name: '新宿営業所' };
    const { wrapper } = await mountWith({
      'GET /offices': () => jsonResponse(200, { items: [OFFICE] }),
      'POST /offices': () => jsonResponse(201, created),
    });

    await wrapper.get('[data-testid="office-new"]').trigger('click');
    await wrapper.get('[data-testid="office-name"]').setValue('新宿営業所');
    await wrapper.get('[data-testid="office-save"]').trigger('submit');
    await flushPromises();

    expect(wrapper.find('[data-testid="office-form"]').exists()).toBe(false);
    expect(wrapper.findAll('[data-testid="office-row"]')).toHaveLength(2);
    expect(wrapper.get('[data-testid="offices-notice"]').text()).toBe('事業所「新宿営業所」を登録しました。');
  });

  it('edits with the version read, and offers a reload after a version conflict', async () => {
    const bodies: unknown[] = [];
    let current: Office = OFFICE;
    const { wrapper } = await mountWith({
      'GET /offices': () => jsonResponse(200, { items: [OFFICE] }),
      [`GET /offices/${OFFICE.id}`]: () => jsonResponse(200, current),
      [`PATCH /offices/${OFFICE.id}`]: ({ body }) => {
        bodies.push(body);
        const b = body as { version: number };
        if (b.version !== current.version) return problem(409, 'version_conflict');
        current = { ...current, ...(body as object), version: current.version + 1 };
        return jsonResponse(200, current);
      },
    });
    // Someone else saves first.
    current = { ...OFFICE, address: '東京都港区', version: 2 };

    await wrapper.get('[data-testid="office-edit"]').trigger('click');
    expect((wrapper.get('[data-testid="office-pensionOfficeCode"]').element as HTMLInputElement).value).toBe('01-イロハ');
    expect((wrapper.get('[data-testid="office-laborInsuranceNumber"]').element as HTMLInputElement).value).toBe('13-1-01-123456-000');
    await wrapper.get('[data-testid="office-pensionOfficeNumber"]').setValue('');
    await wrapper.get('[data-testid="office-save"]').trigger('submit');
    await flushPromises();

    expect(bodies[0]).toMatchObject({ version: 1, pensionOfficeNumber: '', name: OFFICE.name });
    expect(wrapper.get('[data-testid="office-form-error"]').text()).toContain('他の人がこの内容を更新しました');

    await wrapper.get('[data-testid="office-reload"]').trigger('click');
    await flushPromises();
    expect((wrapper.get('[data-testid="office-address"]').element as HTMLInputElement).value).toBe('東京都港区');
    expect(wrapper.find('[data-testid="office-form-error"]').exists()).toBe(false);

    await wrapper.get('[data-testid="office-save"]').trigger('submit');
    await flushPromises();
    expect(bodies[1]).toMatchObject({ version: 2 });
    expect(wrapper.find('[data-testid="office-form"]').exists()).toBe(false);
    expect(wrapper.get('[data-testid="offices-notice"]').text()).toContain('更新しました');
  });
});

describe('OfficesView in a sharoushi tenant', () => {
  afterEach(() => {
    wrapper?.unmount();
    wrapper = null;
  });

  const ALPHA = '50000000-0000-4000-8000-00000000000a';
  const alpha = {
    id: ALPHA,
    name: '株式会社アルファ',
    code: 'A001',
    notes: null,
    portalEnabled: false,
    officeCount: 1,
    myRights: ['offices'],
    version: 1,
    createdAt: '2026-04-01T00:00:00.000Z',
    updatedAt: '2026-04-01T00:00:00.000Z',
  };

  it('shows each office’s client and puts a new office under the chosen client', async () => {
    let sent: unknown = null;
    stubApi({
      'GET /offices': () => jsonResponse(200, { items: [{ ...OFFICE, clientId: ALPHA }] }),
      'GET /clients': () => jsonResponse(200, { items: [alpha] }),
      'POST /offices': ({ body }) => {
        sent = body;
        return jsonResponse(201, { ...OFFICE_2, clientId: ALPHA, name: '大阪支店' });
      },
    });
    const pinia = createPinia();
    setActivePinia(pinia);
    useSessionStore().user = makeUser({ role: 'member' });
    useSessionStore().tenant = { ...TENANT, kind: 'sharoushi' };
    api.setCsrfToken('csrf-member');
    wrapper = mount(OfficesView, { global: { plugins: [pinia, createAppI18n('ja')] }, attachTo: document.body });
    await flushPromises();

    expect(wrapper.get('[data-testid="office-row-client"]').text()).toBe('株式会社アルファ');
    await wrapper.get('[data-testid="office-new"]').trigger('click');
    // The only client is chosen already; the field is labelled and required.
    const select = wrapper.get('[data-testid="office-clientId"]');
    expect((select.element as HTMLSelectElement).value).toBe(ALPHA);
    expect(wrapper.find('label[for="office-clientId"]').text()).toContain('顧問先');
    await wrapper.get('[data-testid="office-name"]').setValue('大阪支店');
    await wrapper.get('[data-testid="office-save"]').trigger('submit');
    await flushPromises();
    expect(sent).toEqual({ name: '大阪支店', clientId: ALPHA });
  });
});
