import { afterEach, describe, expect, it, vi } from 'vitest';
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import AttachmentsPanel from '@/components/AttachmentsPanel.vue';
import { createAppI18n } from '@/i18n';
import { api, type Attachment } from '@/api/client';
import { stubApi } from '@/testing/helpers';
import { APP_ID } from '@/testing/applications';

/** A stand-in for XMLHttpRequest that the test drives: progress, then an answer. */
class FakeXhr {
  static last: FakeXhr | null = null;
  method = '';
  url = '';
  headers: Record<string, string> = {};
  body: unknown = null;
  status = 0;
  statusText = '';
  responseText = '';
  private responseHeaders: Record<string, string> = {};
  private listeners: Record<string, ((e: unknown) => void)[]> = {};
  upload = {
    listeners: [] as ((e: ProgressEvent) => void)[],
    addEventListener(type: string, fn: (e: ProgressEvent) => void) {
      if (type === 'progress') this.listeners.push(fn);
    },
  };

  constructor() {
    FakeXhr.last = this;
  }
  open(method: string, url: string) {
    this.method = method;
    this.url = url;
  }
  setRequestHeader(name: string, value: string) {
    this.headers[name.toLowerCase()] = value;
  }
  addEventListener(type: string, fn: (e: unknown) => void) {
    (this.listeners[type] ??= []).push(fn);
  }
  getResponseHeader(name: string) {
    return this.responseHeaders[name.toLowerCase()] ?? null;
  }
  send(body: unknown) {
    this.body = body;
  }
  abort() {
    this.listeners.abort?.forEach((fn) => fn({}));
  }
  progress(loaded: number, total: number) {
    for (const fn of this.upload.listeners) fn({ lengthComputable: true, loaded, total } as ProgressEvent);
  }
  respond(status: number, body: unknown, contentType = 'application/json') {
    this.status = status;
    this.responseText = JSON.stringify(body);
    this.responseHeaders['content-type'] = contentType;
    this.listeners.load?.forEach((fn) => fn({}));
  }
}

const existing: Attachment = {
  id: '50000000-0000-4000-8000-000000000001',
  fileName: '雇用契約書.pdf',
  contentType: 'application/pdf',
  size: 2_621_440,
  sha256: 'ab'.repeat(32),
  scan: 'clean',
  createdAt: '2026-04-01T03:00:00.000Z',
};

let wrapper: VueWrapper | null = null;

function mountPanel(attachments: Attachment[] = [existing], editable = true) {
  vi.stubGlobal('XMLHttpRequest', FakeXhr);
  FakeXhr.last = null;
  const pinia = createPinia();
  setActivePinia(pinia);
  api.setCsrfToken('csrf-upload');
  wrapper = mount(AttachmentsPanel, {
    props: { applicationId: APP_ID, attachments, editable },
    global: { plugins: [pinia, createAppI18n('ja')] },
    attachTo: document.body,
  });
  return wrapper;
}

async function choose(w: VueWrapper, file: File): Promise<void> {
  const el = w.get('[data-testid="attachment-input"]');
  Object.defineProperty(el.element, 'files', { value: [file], configurable: true });
  await el.trigger('change');
}

describe('AttachmentsPanel', () => {
  afterEach(() => {
    wrapper?.unmount();
    wrapper = null;
  });

  it('lists attachments with a download link', () => {
    const w = mountPanel();
    const row = w.get('[data-testid="attachment-row"]');
    const link = row.get('[data-testid="attachment-download"]');
    expect(link.attributes('href')).toBe(`/api/v1/applications/${APP_ID}/attachments/${existing.id}`);
    expect(link.attributes('download')).toBe('雇用契約書.pdf');
    expect(row.text()).toContain('2.5 MB');
    expect(row.text()).toContain('2026/04/01 12:00 JST');
    expect(row.text()).toContain('問題なし');
    expect(w.get('label[for="attachment-input"]').text()).toBe('添付するファイル');
  });

  it('shows the upload progress, then the refusal of a file with malware and its name', async () => {
    const w = mountPanel();
    await choose(w, new File(['X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR'], 'eicar.pdf', { type: 'application/pdf' }));

    const xhr = FakeXhr.last!;
    expect(xhr.method).toBe('POST');
    expect(xhr.url).toBe(`/api/v1/applications/${APP_ID}/attachments`);
    expect(xhr.headers['x-csrf-token']).toBe('csrf-upload');
    expect(xhr.body).toBeInstanceOf(FormData);
    expect(((xhr.body as FormData).get('file') as File).name).toBe('eicar.pdf');

    xhr.progress(250, 1000);
    await flushPromises();
    const progress = w.get('[data-testid="attachment-progress"]');
    expect(progress.element.tagName).toBe('PROGRESS');
    expect(progress.attributes('value')).toBe('25');
    expect(progress.attributes('aria-label')).toBe('eicar.pdf のアップロードの進み具合');
    expect(w.get('[data-testid="attachment-status"]').text()).toContain('eicar.pdf をアップロードしています…');
    xhr.progress(1000, 1000);
    await flushPromises();
    expect(w.get('[data-testid="attachment-percent"]').text()).toBe('100%');

    xhr.respond(
      422,
      { type: 'about:blank', title: 'Unprocessable', status: 422, code: 'malware_detected', detail: 'Eicar-Test-Signature' },
      'application/problem+json',
    );
    await flushPromises();

    expect(w.find('[data-testid="attachment-progress"]').exists()).toBe(false);
    const error = w.get('[data-testid="attachment-error"]');
    expect(error.attributes('role')).toBe('alert');
    expect(error.classes()).toContain('alert-error');
    expect(error.text()).toContain('ファイルからマルウェアが検出されたため、受け付けませんでした。');
    expect(error.text()).toContain('eicar.pdf');
    expect(error.text()).toContain('このファイルは保存されていません。');
    expect(w.emitted('added')).toBeUndefined();
    expect(w.findAll('[data-testid="attachment-row"]')).toHaveLength(1);
  });

  it.each([
    [413, 'payload_too_large', '20MB以下のファイル'],
    [415, 'unsupported_file_type', 'PDF、JPEG、PNG、XML、CSV'],
    [503, 'scanner_unavailable', 'ウイルス検査を実行できないため、現在アップロードできません。'],
  ])('explains a %i %s refusal', async (status, code, text) => {
    const w = mountPanel([]);
    await choose(w, new File(['x'], 'big.zip'));
    FakeXhr.last!.respond(status, { code, status }, 'application/problem+json');
    await flushPromises();
    expect(w.get('[data-testid="attachment-error"]').text()).toContain(text);
    expect(w.get('[data-testid="attachment-error"]').text()).toContain('big.zip');
  });

  it('adds an uploaded file (also dropped) and deletes one after confirmation', async () => {
    const w = mountPanel();
    const uploaded: Attachment = { ...existing, id: '50000000-0000-4000-8000-000000000002', fileName: '住民票.png', size: 900 };
    const drop = w.get('[data-testid="attachment-drop"]');
    const file = new File(['png'], '住民票.png', { type: 'image/png' });
    const event = new Event('drop', { bubbles: true, cancelable: true });
    Object.defineProperty(event, 'dataTransfer', { value: { files: [file] } });
    drop.element.dispatchEvent(event);
    await flushPromises();
    FakeXhr.last!.respond(201, uploaded);
    await flushPromises();
    expect(w.emitted('added')?.[0]).toEqual([uploaded]);
    expect(w.get('[data-testid="attachment-status"]').text()).toContain('住民票.png を添付しました。');

    const fetchMock = stubApi({
      [`DELETE /applications/${APP_ID}/attachments/${existing.id}`]: () => new Response(null, { status: 204 }),
    });
    await w.get('[data-testid="attachment-delete"]').trigger('click');
    expect((w.get('[data-testid="attachment-delete-dialog"]').element as HTMLDialogElement).open).toBe(true);
    await w.get('[data-testid="attachment-delete-dialog"] [data-testid="confirm-ok"]').trigger('click');
    await flushPromises();
    expect(fetchMock).toHaveBeenCalledTimes(1);
    expect(w.emitted('removed')?.[0]).toEqual([existing.id]);
  });

  it('offers no upload or delete when the application is not editable', () => {
    const w = mountPanel([existing], false);
    expect(w.find('[data-testid="attachment-input"]').exists()).toBe(false);
    expect(w.find('[data-testid="attachment-delete"]').exists()).toBe(false);
    expect(w.find('[data-testid="attachment-download"]').exists()).toBe(true);
  });
});
