import { afterEach, describe, expect, it } from 'vitest';
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import ProxyCertificatePanel from '@/components/ProxyCertificatePanel.vue';
import { createAppI18n } from '@/i18n';
import { api } from '@/api/client';
import { headersOf, jsonResponse, problem, stubApi, type Handler } from '@/testing/helpers';

const OFFICE = '30000000-0000-4000-8000-000000000001';
const BASE = `/offices/${OFFICE}/proxy-certificate`;
const stored = {
  officeId: OFFICE,
  fileName: '提出代行証明書.pdf',
  contentType: 'application/pdf',
  size: 1234,
  sha256: 'ab'.repeat(32),
  uploadedAt: '2026-11-01T00:00:00.000Z',
};

let wrapper: VueWrapper | null = null;

async function mountPanel(handlers: Record<string, Handler>) {
  const fetchMock = stubApi(handlers);
  setActivePinia(createPinia());
  api.setCsrfToken('csrf-admin');
  wrapper = mount(ProxyCertificatePanel, {
    props: { officeId: OFFICE },
    global: { plugins: [createAppI18n('ja')] },
    attachTo: document.body,
  });
  await flushPromises();
  return { wrapper, fetchMock };
}

async function pick(w: VueWrapper, file: File): Promise<void> {
  const input = w.get('[data-testid="proxy-cert-file"]');
  Object.defineProperty(input.element, 'files', { value: [file], configurable: true });
  await input.trigger('change');
  await flushPromises();
}

describe('ProxyCertificatePanel', () => {
  afterEach(() => {
    wrapper?.unmount();
    wrapper = null;
  });

  it('uploads a file (PUT multipart, CSRF) and shows it', async () => {
    let sent: FormData | null = null;
    const { wrapper, fetchMock } = await mountPanel({
      [`GET ${BASE}`]: () => jsonResponse(200, { certificate: null }),
      [`PUT ${BASE}`]: ({ init }) => {
        sent = init.body as FormData;
        return jsonResponse(200, stored);
      },
    });
    expect(wrapper.get('h3').text()).toBe('提出代行証明書');
    expect(wrapper.get('[data-testid="proxy-cert-none"]').text()).toBe('登録されていません。');
    await pick(wrapper, new File(['%PDF-1.4'], '提出代行証明書.pdf', { type: 'application/pdf' }));
    const index = fetchMock.mock.calls.findIndex(([, init]) => init?.method === 'PUT');
    expect(headersOf(fetchMock, index)['x-csrf-token']).toBe('csrf-admin');
    expect((sent!.get('file') as File).name).toBe('提出代行証明書.pdf');
    expect(wrapper.get('[data-testid="proxy-cert-name"]').text()).toBe('提出代行証明書.pdf');
    expect(wrapper.get('[data-testid="proxy-cert-notice"]').text()).toBe('提出代行証明書を登録しました。');
  });

  it('refuses a file over 2 MB before sending, and shows the server’s refusal in Japanese', async () => {
    const { wrapper, fetchMock } = await mountPanel({
      [`GET ${BASE}`]: () => jsonResponse(200, { certificate: stored }),
      [`PUT ${BASE}`]: () => problem(422, 'malware_detected'),
    });
    await pick(wrapper, new File([new Uint8Array(2 * 1024 * 1024 + 1)], 'big.pdf'));
    expect(wrapper.get('[data-testid="proxy-cert-file-error"]').text()).toBe('2MBを超えるファイルは登録できません。');
    expect(fetchMock.mock.calls.some(([, init]) => init?.method === 'PUT')).toBe(false);
    await pick(wrapper, new File(['x'], 'v.pdf'));
    expect(wrapper.get('[data-testid="proxy-cert-error"]').text()).toBe('ファイルからマルウェアが検出されたため、受け付けませんでした。');
    expect(wrapper.get('[data-testid="proxy-cert-name"]').text()).toBe('提出代行証明書.pdf');
  });

  it('removes it after confirmation', async () => {
    const { wrapper } = await mountPanel({
      [`GET ${BASE}`]: () => jsonResponse(200, { certificate: stored }),
      [`DELETE ${BASE}`]: () => new Response(null, { status: 204 }),
    });
    await wrapper.get('[data-testid="proxy-cert-remove"]').trigger('click');
    await wrapper.get('[data-testid="proxy-cert-remove-dialog"] [data-testid="confirm-ok"]').trigger('click');
    await flushPromises();
    expect(wrapper.find('[data-testid="proxy-cert-name"]').exists()).toBe(false);
    expect(wrapper.get('[data-testid="proxy-cert-notice"]').text()).toBe('提出代行証明書を削除しました。');
  });
});
