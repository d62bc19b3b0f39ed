import { afterEach, describe, expect, it } from 'vitest';
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { createMemoryHistory, createRouter } from 'vue-router';
import ClientsView from '@/views/ClientsView.vue';
import { createAppI18n } from '@/i18n';
import { api, type Client } from '@/api/client';
import { useSessionStore } from '@/stores/session';
import { TENANT, jsonResponse, makeUser, problem, stubApi, type Handler } from '@/testing/helpers';

const SHAROUSHI = { ...TENANT, kind: 'sharoushi' as const };

function makeClient(overrides: Partial<Client> = {}): Client {
  return {
    id: '50000000-0000-4000-8000-000000000001',
    name: '株式会社アルファ',
    code: 'A001',
    notes: null,
    portalEnabled: false,
    officeCount: 2,
    myRights: ['draft', 'submit', 'documents', 'offices'],
    version: 1,
    createdAt: '2026-04-01T00:00:00.000Z',
    updatedAt: '2026-04-01T00:00:00.000Z',
    ...overrides,
  };
}

let wrapper: VueWrapper | null = null;

async function mountWith(handlers: Record<string, Handler>, role: 'admin' | 'member' = 'admin') {
  const fetchMock = stubApi(handlers);
  const pinia = createPinia();
  setActivePinia(pinia);
  useSessionStore().user = makeUser({ role });
  useSessionStore().tenant = SHAROUSHI;
  api.setCsrfToken('csrf');
  const stub = { template: '<div />' };
  const router = createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: '/clients', name: 'clients', component: stub },
      { path: '/clients/:id', name: 'client', component: stub },
    ],
  });
  wrapper = mount(ClientsView, { global: { plugins: [pinia, router, createAppI18n('ja')] }, attachTo: document.body });
  await flushPromises();
  return { wrapper, fetchMock };
}

describe('ClientsView', () => {
  afterEach(() => {
    wrapper?.unmount();
    wrapper = null;
  });

  it('lists the clients with code, name and number of offices; admins get 登録 and CSV取込', async () => {
    const { wrapper } = await mountWith({
      'GET /clients': () =>
        jsonResponse(200, {
          items: [makeClient(), makeClient({ id: '50000000-0000-4000-8000-000000000002', code: null, name: 'ベータ' })],
        }),
    });
    const rows = wrapper.findAll('[data-testid="client-row"]');
    expect(rows).toHaveLength(2);
    expect(rows[0]!.text()).toContain('A001');
    expect(rows[0]!.text()).toContain('株式会社アルファ');
    expect(rows[1]!.text()).toContain('未設定');
    expect(wrapper.find('[data-testid="client-new"]').exists()).toBe(true);
    expect(wrapper.find('[data-testid="client-import-open"]').exists()).toBe(true);
  });

  it('shows staff their assigned clients and their rights, without management buttons', async () => {
    const { wrapper } = await mountWith(
      { 'GET /clients': () => jsonResponse(200, { items: [makeClient({ myRights: ['draft', 'documents'] })] }) },
      'member',
    );
    expect(wrapper.get('[data-testid="client-rights"]').text()).toBe('申請の作成・編集、公文書の閲覧');
    expect(wrapper.find('[data-testid="client-new"]').exists()).toBe(false);
    expect(wrapper.find('[data-testid="client-import-open"]').exists()).toBe(false);
  });

  it('tells staff without any assignment whom to ask', async () => {
    const { wrapper } = await mountWith({ 'GET /clients': () => jsonResponse(200, { items: [] }) }, 'member');
    expect(wrapper.get('[data-testid="clients-empty"]').text()).toContain('管理者に担当顧問先の割り当てを依頼してください');
  });

  it('creates a client and shows the server’s field errors', async () => {
    let sent: unknown = null;
    let calls = 0;
    const { wrapper } = await mountWith({
      'GET /clients': () => jsonResponse(200, { items: [] }),
      'POST /clients': ({ body }) => {
        sent = body;
        calls++;
        return calls === 1 ? problem(409, 'client_code_taken') : jsonResponse(201, makeClient({ name: '株式会社ガンマ', code: 'G001' }));
      },
    });
    await wrapper.get('[data-testid="client-new"]').trigger('click');
    await wrapper.get('[data-testid="client-name"]').setValue('株式会社ガンマ');
    await wrapper.get('[data-testid="client-code"]').setValue('G001');
    await wrapper.get('[data-testid="client-form"] form').trigger('submit');
    await flushPromises();
    expect(sent).toEqual({ name: '株式会社ガンマ', code: 'G001' });
    expect(wrapper.get('[data-testid="client-form-error"]').text()).toBe(
      'この顧問先コードはすでに使われています。別のコードを入力してください。',
    );
    await wrapper.get('[data-testid="client-form"] form').trigger('submit');
    await flushPromises();
    expect(wrapper.find('[data-testid="client-form"]').exists()).toBe(false);
    expect(wrapper.get('[data-testid="clients-notice"]').text()).toBe('顧問先「株式会社ガンマ」を登録しました。');
    expect(wrapper.findAll('[data-testid="client-row"]')).toHaveLength(1);
  });

  it('imports a CSV and lists every refused row in Japanese when the server refuses the file', async () => {
    let uploaded: FormData | null = null;
    const { wrapper } = await mountWith({
      'GET /clients': () => jsonResponse(200, { items: [] }),
      'POST /clients/import': ({ init }) => {
        uploaded = init.body as FormData;
        return problem(422, 'import_invalid', {
          errors: [
            {
              row: 2,
              field: 'employment_office_number',
              code: 'employment_office_number_format',
              message: 'employmentOfficeNumber must be 4-6-1 digits',
            },
            { row: 3, field: 'code', code: 'required', message: 'code is required' },
            { row: 0, field: 'file', code: 'some_future_code', message: 'something else' },
          ],
        });
      },
    });
    await wrapper.get('[data-testid="client-import-open"]').trigger('click');
    expect(wrapper.get('[data-testid="client-import-header"]').text()).toContain('code,name,office_name');
    await wrapper.get('[data-testid="client-import-submit"]').trigger('click');
    await wrapper.get('[data-testid="client-import"] form').trigger('submit');
    expect(wrapper.text()).toContain('CSVファイルを選んでください。');

    const input = wrapper.get('[data-testid="client-import-file"]');
    const file = new File(['code,name\n'], '顧問先.csv', { type: 'text/csv' });
    Object.defineProperty(input.element, 'files', { value: [file] });
    await input.trigger('change');
    await wrapper.get('[data-testid="client-import"] form').trigger('submit');
    await flushPromises();
    expect((uploaded as FormData | null)?.get('file')).toBeInstanceOf(File);
    expect(wrapper.get('[data-testid="client-import-error"]').text()).toContain('何も登録していません');
    const problems = wrapper.findAll('[data-testid="client-import-problem"]');
    expect(problems.map((p) => p.text())).toEqual([
      expect.stringMatching(/^2行目employment_office_number雇用保険事業所番号は11桁の数字/),
      '3行目code入力してください。',
      'ファイル全体filesomething else',
    ]);
  });

  it('reports the counts after an import and reloads the list', async () => {
    let lists = 0;
    const { wrapper } = await mountWith({
      'GET /clients': () => jsonResponse(200, { items: lists++ === 0 ? [] : [makeClient()] }),
      'POST /clients/import': () => jsonResponse(200, { created: { clients: 3, offices: 5 } }),
    });
    await wrapper.get('[data-testid="client-import-open"]').trigger('click');
    const input = wrapper.get('[data-testid="client-import-file"]');
    Object.defineProperty(input.element, 'files', { value: [new File(['x'], 'a.csv', { type: 'text/csv' })] });
    await input.trigger('change');
    await wrapper.get('[data-testid="client-import"] form').trigger('submit');
    await flushPromises();
    expect(wrapper.get('[data-testid="clients-notice"]').text()).toBe('3件の顧問先と5件の事業所を登録しました。');
    expect(wrapper.findAll('[data-testid="client-row"]')).toHaveLength(1);
  });
});
