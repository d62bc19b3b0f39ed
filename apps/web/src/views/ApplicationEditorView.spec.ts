import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils';
import { h } from 'vue';
import { RouterView, createMemoryHistory, createRouter, type Router } from 'vue-router';
import { createPinia, setActivePinia } from 'pinia';
import ApplicationEditorView from '@/views/ApplicationEditorView.vue';
import { createAppI18n } from '@/i18n';
import { api, type ApplicationDetail } from '@/api/client';
import { useSessionStore } from '@/stores/session';
import { TENANT, headersOf, jsonResponse, makeUser, problem, stubApi, type Handler } from '@/testing/helpers';
import { APP_ID, OFFICE, OFFICE_2, SHAHO_SHUTOKU, makeApplication } from '@/testing/applications';

const USER = makeUser({ role: 'member' });
const WAIT = { timeout: 10_000 };

let wrapper: VueWrapper | null = null;

interface Mounted {
  wrapper: VueWrapper;
  router: Router;
  fetchMock: ReturnType<typeof stubApi>;
}

async function mountEditor(
  handlers: Record<string, Handler> = {},
  detail: ApplicationDetail = makeApplication(),
  locale: 'ja' | 'en' = 'ja',
): Promise<Mounted> {
  const fetchMock = stubApi({
    'GET /procedures': () => jsonResponse(200, { items: [SHAHO_SHUTOKU] }),
    'GET /offices': () => jsonResponse(200, { items: [OFFICE, OFFICE_2] }),
    [`GET /applications/${APP_ID}`]: () => jsonResponse(200, detail),
    [`GET /applications/${APP_ID}/documents`]: () => jsonResponse(200, { items: [], nextCursor: null }),
    'GET /approvals': () => jsonResponse(200, { items: [] }),
    ...handlers,
  });
  const pinia = createPinia();
  setActivePinia(pinia);
  const session = useSessionStore();
  session.user = USER;
  session.tenant = TENANT;
  session.loaded = true;
  api.setCsrfToken('csrf-member');
  const router = createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: '/applications', name: 'applications', component: { render: () => h('p', { 'data-testid': 'list-page' }, 'list') } },
      { path: '/applications/:id', name: 'application', component: ApplicationEditorView, props: true },
    ],
  });
  await router.push(`/applications/${APP_ID}`);
  wrapper = mount(
    { render: () => h(RouterView) },
    { global: { plugins: [pinia, router, createAppI18n(locale)] }, attachTo: document.body },
  );
  // A draft shows the form; a filed application its read-only summary.
  await vi.waitFor(
    () => expect(wrapper!.find('[data-testid="procedure-form"], [data-testid="application-summary"]').exists()).toBe(true),
    WAIT,
  );
  return { wrapper, router, fetchMock };
}

function calls(fetchMock: ReturnType<typeof stubApi>, method: string, path: string) {
  return fetchMock.mock.calls
    .map(([input, init], index) => ({ url: new URL(String(input), 'http://localhost'), init: init ?? {}, index }))
    .filter(({ url, init }) => (init.method ?? 'GET') === method && url.pathname === `/api/v1${path}`)
    .map(({ url, init, index }) => ({
      url,
      index,
      body: typeof init.body === 'string' ? (JSON.parse(init.body) as Record<string, unknown>) : undefined,
    }));
}

/** The PATCH answer: the server's detail, with the form masked as it sends it. */
function patched(current: ApplicationDetail, body: Record<string, unknown>): ApplicationDetail {
  const form = { ...(body.form as Record<string, unknown>) };
  if (typeof form.myNumber === 'string') form.myNumber = `********${form.myNumber.slice(-4)}`;
  return {
    ...current,
    version: (body.version as number) + 1,
    status: current.status === 'ready' ? 'draft' : current.status,
    form: form as ApplicationDetail['form'],
    masked: true,
    timeline: [
      ...current.timeline,
      { at: '2026-04-01T02:00:00.000Z', kind: 'updated', fromStatus: null, toStatus: null, actor: `user:${USER.id}`, details: {} },
    ],
  };
}

function input(w: VueWrapper, name: string): HTMLInputElement {
  return w.get(`[data-testid="field-${name}"]`).element as HTMLInputElement;
}

describe('ApplicationEditorView', () => {
  beforeEach(() => {
    document.body.innerHTML = '';
  });
  afterEach(() => {
    wrapper?.unmount();
    wrapper = null;
    vi.useRealTimers();
  });

  it('shows a masked 個人番号, edits and saves the rest, and asks for the number only on 表示 (issue 18 bug 8)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const clear = makeApplication();
    const masked = makeApplication({ form: { ...clear.form, myNumber: '********9018' }, masked: true });
    let current = masked;
    const { wrapper, fetchMock } = await mountEditor(
      {
        [`GET /applications/${APP_ID}`]: ({ url }) => jsonResponse(200, url.searchParams.get('unmask') === 'sensitive' ? clear : current),
        [`PATCH /applications/${APP_ID}`]: ({ body }) => {
          current = patched(current, body as Record<string, unknown>);
          return jsonResponse(200, current);
        },
      },
      masked,
    );
    const unmaskedGets = () => calls(fetchMock, 'GET', `/applications/${APP_ID}`).filter((c) => c.url.searchParams.get('unmask') !== null);

    expect(input(wrapper, 'myNumber').value).toBe('********9018');
    expect(wrapper.find('[data-testid="editor-masked"]').exists()).toBe(false);
    expect(input(wrapper, 'nameKana').disabled).toBe(false);

    // Another field saves with the mask as it is (the server keeps the stored number for it).
    await wrapper.get('[data-testid="field-gender"]').setValue('2');
    await vi.advanceTimersByTimeAsync(2500);
    await flushPromises();
    expect(calls(fetchMock, 'PATCH', `/applications/${APP_ID}`)[0]!.body).toMatchObject({
      form: { gender: '2', myNumber: '********9018' },
    });
    expect(unmaskedGets()).toHaveLength(0);

    await wrapper.get('[data-testid="field-toggle-myNumber"]').trigger('click');
    await flushPromises();
    expect(unmaskedGets()).toHaveLength(1);
    expect(unmaskedGets()[0]!.url.searchParams.get('unmask')).toBe('sensitive');
    expect(input(wrapper, 'myNumber').type).toBe('text');
    expect(input(wrapper, 'myNumber').value).toBe('123456789018');
  });

  it('lets a filed application show its 個人番号 on request, never by itself', async () => {
    const clear = makeApplication({ status: 'under_review', arriveId: '202604020000123456' });
    const masked = { ...clear, form: { ...clear.form, myNumber: '********9018' }, masked: true };
    const { wrapper, fetchMock } = await mountEditor(
      { [`GET /applications/${APP_ID}`]: ({ url }) => jsonResponse(200, url.searchParams.get('unmask') === 'sensitive' ? clear : masked) },
      masked,
    );
    const unmaskedGets = () => calls(fetchMock, 'GET', `/applications/${APP_ID}`).filter((c) => c.url.searchParams.get('unmask') !== null);
    // The read-only summary shows the mask, and 表示 beside it.
    expect(wrapper.find('[data-testid="field-myNumber"]').exists()).toBe(false);
    expect(wrapper.get('[data-testid="summary-value-myNumber"]').text()).toBe('********9018');
    expect(unmaskedGets()).toHaveLength(0);
    // Expanding to the whole form does not unmask either.
    await wrapper.get('[data-testid="summary-toggle"]').trigger('click');
    expect(input(wrapper, 'myNumber').disabled).toBe(true);
    expect(input(wrapper, 'myNumber').value).toBe('********9018');
    await wrapper.get('[data-testid="summary-toggle"]').trigger('click');
    expect(unmaskedGets()).toHaveLength(0);
    await wrapper.get('[data-testid="summary-reveal-myNumber"]').trigger('click');
    await flushPromises();
    expect(unmaskedGets()).toHaveLength(1);
    expect(wrapper.get('[data-testid="summary-value-myNumber"]').text()).toBe('123456789018');
    expect(wrapper.find('[data-testid="summary-reveal-myNumber"]').exists()).toBe(false);
  });

  it('renders the sections, labels, help texts and code lists of the schema', async () => {
    const { wrapper, fetchMock } = await mountEditor();

    // Opening is not seeing the 個人番号: it is asked for in clear only on 表示.
    expect(calls(fetchMock, 'GET', `/applications/${APP_ID}`)[0]!.url.searchParams.get('unmask')).toBeNull();

    const sections = wrapper.findAll('fieldset.form-section');
    expect(sections.map((s) => s.get('legend').text())).toEqual(['被保険者', '資格取得', '住所']);
    expect(sections[0]!.findAll('[data-field]').map((f) => f.attributes('data-field'))).toEqual([
      'nameKana',
      'nameKanji',
      'birthDate',
      'gender',
      'myNumber',
      'basicPensionNumber',
    ]);

    // Labels are the schema's titles, tied to their inputs; help texts describe them.
    expect(wrapper.get('label[for="field-nameKana"]').text()).toContain('氏名（カナ）');
    expect(input(wrapper, 'nameKana').value).toBe('ヤマダ　タロウ');
    const describedBy = input(wrapper, 'nameKana').getAttribute('aria-describedby')!.split(' ');
    expect(describedBy).toContain('field-nameKana-help');
    expect(describedBy).toContain('field-nameKana-error');
    expect(wrapper.get('#field-nameKana-help').text()).toBe('全角カタカナで入力し、姓と名の間に全角スペースを入れてください。');
    for (const control of wrapper.findAll('.procedure-form input, .procedure-form select')) {
      expect(wrapper.find(`label[for="${control.attributes('id')}"]`).exists()).toBe(true);
    }

    // Code list: a select with the labels of x-codes.
    const gender = wrapper.get('[data-testid="field-gender"]');
    expect(gender.element.tagName).toBe('SELECT');
    expect(gender.findAll('option').map((o) => o.text())).toEqual(['選択してください', '1 男', '2 女', '3 坑内員']);
    expect((gender.element as HTMLSelectElement).value).toBe('1');

    // Dates: typed as text in Japanese (not the browser-locale date input), with 和暦 and 西暦 next to x-era-date fields.
    expect(input(wrapper, 'birthDate').type).toBe('text');
    expect(input(wrapper, 'birthDate').placeholder).toBe('例: 2026-04-01');
    expect(wrapper.get('[data-testid="field-era-birthDate"]').text()).toContain('平成2年4月1日');
    expect(wrapper.get('[data-testid="field-era-birthDate"]').text()).toContain('1990年4月1日');
    expect(input(wrapper, 'over70').type).toBe('checkbox');
    expect(input(wrapper, 'monthlyPayCurrency').getAttribute('inputmode')).toBe('numeric');

    // 個人番号: hidden while typed, shown on request.
    expect(input(wrapper, 'myNumber').type).toBe('password');
    expect(input(wrapper, 'myNumber').value).toBe('123456789018');
    const toggle = wrapper.get('[data-testid="field-toggle-myNumber"]');
    expect(toggle.attributes('aria-label')).toBe('個人番号を表示');
    await toggle.trigger('click');
    expect(input(wrapper, 'myNumber').type).toBe('text');
    expect(toggle.attributes('aria-pressed')).toBe('true');

    // Required markers: `required`, and x-required-if evaluated on the current values.
    expect(wrapper.find('[data-testid="field-required-nameKana"]').exists()).toBe(true);
    expect(input(wrapper, 'nameKana').getAttribute('aria-required')).toBe('true');
    expect(wrapper.find('[data-testid="field-required-nameKanji"]').exists()).toBe(false);
    expect(wrapper.find('[data-testid="field-required-basicPensionNumber"]').exists()).toBe(false);
    expect(wrapper.find('[data-testid="field-required-address"]').exists()).toBe(false);
    await wrapper.get('[data-testid="field-myNumber"]').setValue('');
    expect(wrapper.find('[data-testid="field-required-basicPensionNumber"]').exists()).toBe(true);
    expect(wrapper.find('[data-testid="field-required-address"]').exists()).toBe(true);

    // Cross-field rules are shown, not checked.
    expect(wrapper.get('[data-testid="form-rules"]').text()).toContain('個人番号と基礎年金番号は、どちらか一方を記入してください。');
    // Basics, status and history.
    expect(wrapper.get('[data-testid="app-status"]').text()).toBe('下書き');
    expect(wrapper.get('[data-testid="app-due-rule"]').text()).toBe('事実発生から5日以内');
    expect(wrapper.get('[data-testid="app-procedure"]').text()).toContain('被保険者資格取得届');
    expect((wrapper.get('[data-testid="app-office"]').element as HTMLSelectElement).value).toBe(OFFICE.id);
    const entry = wrapper.get('[data-testid="timeline-entry"]');
    expect(entry.text()).toContain('2026/04/01 09:00 JST');
    expect(entry.text()).toContain('作成');
    expect(entry.text()).toContain('あなた');
  });

  it('shows the era of the date being typed', async () => {
    const { wrapper } = await mountEditor({
      [`PATCH /applications/${APP_ID}`]: ({ body }) => jsonResponse(200, patched(makeApplication(), body as Record<string, unknown>)),
    });

    await wrapper.get('[data-testid="field-acquisitionDate"]').setValue('2019-05-01');
    expect(wrapper.get('[data-testid="field-era-acquisitionDate"]').text()).toContain('令和元年5月1日');
    expect(wrapper.get('[data-testid="field-era-acquisitionDate"]').text()).toContain('2019年5月1日');
    await wrapper.get('[data-testid="field-acquisitionDate"]').setValue('2019-04-30');
    expect(wrapper.get('[data-testid="field-era-acquisitionDate"]').text()).toContain('平成31年4月30日');
    await wrapper.get('[data-testid="field-acquisitionDate"]').setValue('');
    expect(wrapper.get('[data-testid="field-era-acquisitionDate"]').text()).toBe('');
  });

  it('autosaves 2 s after the last change with the current version, and stops on a version conflict', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    let current = makeApplication();
    let conflict = false;
    const { wrapper, fetchMock } = await mountEditor({
      [`PATCH /applications/${APP_ID}`]: ({ body }) => {
        const b = body as Record<string, unknown>;
        if (conflict) return problem(409, 'version_conflict');
        current = patched(current, b);
        return jsonResponse(200, current);
      },
      [`GET /applications/${APP_ID}`]: () =>
        jsonResponse(200, { ...current, masked: false, form: { ...current.form, myNumber: '123456789018' } }),
    });
    const status = () => wrapper.get('[data-testid="autosave-status"]');
    expect(status().text()).toBe('保存済み');
    expect(status().attributes('aria-live')).toBe('polite');

    await wrapper.get('[data-testid="field-nameKanji"]').setValue('山田');
    await vi.advanceTimersByTimeAsync(1500);
    await wrapper.get('[data-testid="field-nameKanji"]').setValue('山田　太郎');
    expect(status().text()).toBe('未保存の変更があります');
    await vi.advanceTimersByTimeAsync(1999);
    expect(calls(fetchMock, 'PATCH', `/applications/${APP_ID}`)).toHaveLength(0);

    await vi.advanceTimersByTimeAsync(1);
    await flushPromises();
    const first = calls(fetchMock, 'PATCH', `/applications/${APP_ID}`);
    expect(first).toHaveLength(1);
    expect(first[0]!.body).toEqual({
      version: 3,
      title: '山田太郎 資格取得届',
      officeId: OFFICE.id,
      form: { nameKana: 'ヤマダ　タロウ', birthDate: '1990-04-01', gender: '1', myNumber: '123456789018', nameKanji: '山田　太郎' },
    });
    expect(headersOf(fetchMock, first[0]!.index)['x-csrf-token']).toBe('csrf-member');
    await vi.waitFor(() => expect(status().text()).toBe('保存済み'), WAIT);
    // The answer's masked 個人番号 does not replace what the editor shows.
    expect(input(wrapper, 'myNumber').value).toBe('123456789018');
    expect(wrapper.findAll('[data-testid="timeline-entry"]')).toHaveLength(2);

    // The next save carries the version of the last answer.
    await wrapper.get('[data-testid="field-gender"]').setValue('2');
    await vi.advanceTimersByTimeAsync(2000);
    await flushPromises();
    const second = calls(fetchMock, 'PATCH', `/applications/${APP_ID}`);
    expect(second).toHaveLength(2);
    expect(second[1]!.body).toMatchObject({ version: 4, form: { gender: '2', myNumber: '123456789018' } });

    // Someone else saves: 409 stops autosaving and offers a reload.
    conflict = true;
    current = { ...current, version: 9, form: { ...current.form, nameKanji: '山田　次郎' } };
    await wrapper.get('[data-testid="field-nameKana"]').setValue('ヤマダ　ジロウ');
    await vi.advanceTimersByTimeAsync(2000);
    await flushPromises();
    expect(calls(fetchMock, 'PATCH', `/applications/${APP_ID}`)).toHaveLength(3);
    const alert = wrapper.get('[data-testid="autosave-conflict"]');
    expect(alert.attributes('role')).toBe('alert');
    expect(alert.text()).toContain('他の人がこの申請を更新したため、自動保存を停止しました');
    expect(status().text()).toBe('自動保存を停止しました');
    expect(input(wrapper, 'nameKana').disabled).toBe(true);
    await vi.advanceTimersByTimeAsync(10_000);
    await flushPromises();
    expect(calls(fetchMock, 'PATCH', `/applications/${APP_ID}`)).toHaveLength(3);

    conflict = false;
    await wrapper.get('[data-testid="reload"]').trigger('click');
    await flushPromises();
    expect(wrapper.find('[data-testid="autosave-conflict"]').exists()).toBe(false);
    expect(input(wrapper, 'nameKanji').value).toBe('山田　次郎');
    expect(input(wrapper, 'nameKana').disabled).toBe(false);
    expect(status().text()).toBe('保存済み');
    await wrapper.get('[data-testid="field-nameKana"]').setValue('ヤマダ　タロウ');
    await vi.advanceTimersByTimeAsync(2000);
    await flushPromises();
    expect(calls(fetchMock, 'PATCH', `/applications/${APP_ID}`)[3]!.body).toMatchObject({ version: 9 });
  });

  it('shows a refused draft save at its field and keeps the change', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { wrapper } = await mountEditor({
      [`PATCH /applications/${APP_ID}`]: () =>
        problem(400, 'validation_failed', {
          errors: [
            { field: 'form.monthlyPayCurrency', message: '整数で入力してください', messageEn: 'Enter a whole number', code: 'type' },
          ],
        }),
    });

    await wrapper.get('[data-testid="field-monthlyPayCurrency"]').setValue('20万');
    await vi.advanceTimersByTimeAsync(2000);
    await flushPromises();

    expect(wrapper.get('[data-testid="autosave-status"]').text()).toBe('保存できませんでした');
    expect(wrapper.get('[data-testid="field-error-monthlyPayCurrency"]').text()).toBe('整数で入力してください');
    expect(input(wrapper, 'monthlyPayCurrency').getAttribute('aria-invalid')).toBe('true');
    expect(input(wrapper, 'monthlyPayCurrency').value).toBe('20万');
    expect(wrapper.find('[data-testid="save-now"]').exists()).toBe(true);
  });

  it('normalises 全角 numbers when the field is left, saves a draft whose field does not fit, and drops the stale summary', async () => {
    // Issue 18 bug 4: ２５０，０００ made the PATCH answer 400 (「保存できませんでした」) and the check's summary stayed.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { wrapper, fetchMock } = await mountEditor({
      [`PATCH /applications/${APP_ID}`]: ({ body }) => {
        const b = body as Record<string, unknown>;
        const typed = (b.form as Record<string, unknown>).monthlyPayCurrency;
        return jsonResponse(200, {
          ...patched(makeApplication(), b),
          fieldErrors:
            typeof typed === 'string'
              ? [
                  {
                    field: 'monthlyPayCurrency',
                    code: 'invalid_type',
                    message: '報酬月額（通貨）は整数で入力してください。',
                    messageEn: 'Monthly pay must be a whole number.',
                  },
                ]
              : [],
        });
      },
      [`POST /applications/${APP_ID}/validate`]: () =>
        jsonResponse(200, {
          valid: false,
          status: 'draft',
          version: 3,
          errors: [
            { field: 'monthlyPayCurrency', code: 'required', message: '報酬月額（通貨）を入力してください。', messageEn: 'Enter it' },
            { field: 'nameKana', code: 'not_katakana', message: '全角カタカナで入力してください', messageEn: 'Use katakana' },
          ],
        }),
    });
    await wrapper.get('[data-testid="validate"]').trigger('click');
    await flushPromises();
    expect(wrapper.findAll('[data-testid="validation-link"]')).toHaveLength(2);

    const pay = wrapper.get('[data-testid="field-monthlyPayCurrency"]');
    await pay.setValue('２５０，０００');
    await pay.trigger('change');
    expect(input(wrapper, 'monthlyPayCurrency').value).toBe('250000');
    await vi.advanceTimersByTimeAsync(2000);
    await flushPromises();
    const sent = calls(fetchMock, 'PATCH', `/applications/${APP_ID}`);
    expect((sent[sent.length - 1]!.body!.form as Record<string, unknown>).monthlyPayCurrency).toBe(250000);
    expect(wrapper.get('[data-testid="autosave-status"]').text()).toBe('保存済み');
    // The summary keeps only what the save did not touch.
    expect(wrapper.findAll('[data-testid="validation-link"]').map((l) => l.text())).toEqual([
      '氏名（カナ）: 全角カタカナで入力してください',
    ]);

    // Text that is no number is saved as typed; the field carries the server's error.
    await pay.setValue('25万');
    await vi.advanceTimersByTimeAsync(2000);
    await flushPromises();
    expect(wrapper.get('[data-testid="autosave-status"]').text()).toBe('保存済み');
    expect(wrapper.get('[data-testid="field-error-monthlyPayCurrency"]').text()).toBe('報酬月額（通貨）は整数で入力してください。');
    expect(input(wrapper, 'monthlyPayCurrency').value).toBe('25万');
  });

  it('checks the form and shows every error at its field, with a summary linking to each', async () => {
    let valid = false;
    const { wrapper, fetchMock } = await mountEditor({
      [`PATCH /applications/${APP_ID}`]: ({ body }) => jsonResponse(200, patched(makeApplication(), body as Record<string, unknown>)),
      [`POST /applications/${APP_ID}/validate`]: () =>
        jsonResponse(
          200,
          valid
            ? { valid: true, errors: [], status: 'ready', version: 5 }
            : {
                valid: false,
                status: 'draft',
                version: 4,
                errors: [
                  { field: 'acquisitionDate', code: 'required', message: '資格取得年月日を入力してください', messageEn: 'Enter the date' },
                  { field: 'nameKana', code: 'not_katakana', message: '全角カタカナで入力してください', messageEn: 'Use katakana' },
                  {
                    field: 'legacyField',
                    code: 'unknown_field',
                    message: '「legacyField」はこの様式にない項目です。',
                    messageEn: 'Unknown',
                  },
                  {
                    field: 'form.basicPensionNumber',
                    code: 'one_of',
                    message: '個人番号と基礎年金番号は、どちらか一方を記入してください。',
                    messageEn: 'Either one',
                  },
                ],
              },
        ),
    });

    // A change not saved yet is saved before the check.
    await wrapper.get('[data-testid="field-nameKana"]').setValue('Yamada');
    await wrapper.get('[data-testid="validate"]').trigger('click');
    await flushPromises();
    const patch = calls(fetchMock, 'PATCH', `/applications/${APP_ID}`);
    const check = calls(fetchMock, 'POST', `/applications/${APP_ID}/validate`);
    expect(patch).toHaveLength(1);
    expect(check).toHaveLength(1);
    expect(patch[0]!.index).toBeLessThan(check[0]!.index);

    expect(wrapper.get('[data-testid="field-error-acquisitionDate"]').text()).toBe('資格取得年月日を入力してください');
    expect(wrapper.get('[data-testid="field-error-nameKana"]').text()).toBe('全角カタカナで入力してください');
    expect(wrapper.get('[data-testid="field-error-basicPensionNumber"]').text()).toBe(
      '個人番号と基礎年金番号は、どちらか一方を記入してください。',
    );
    expect(input(wrapper, 'acquisitionDate').getAttribute('aria-invalid')).toBe('true');
    expect(input(wrapper, 'gender').getAttribute('aria-invalid')).toBeNull();

    const summary = wrapper.get('[data-testid="validation-summary"]');
    expect(summary.attributes('role')).toBe('alert');
    expect(document.activeElement).toBe(summary.element);
    expect(summary.text()).toContain('4 件の誤り');
    // An error without a field on this page is listed, without a link.
    expect(summary.get('[data-testid="validation-item"]').text()).toBe('legacyField: 「legacyField」はこの様式にない項目です。');
    const links = summary.findAll('[data-testid="validation-link"]');
    expect(links.map((l) => l.text())).toEqual([
      '資格取得年月日: 資格取得年月日を入力してください',
      '氏名（カナ）: 全角カタカナで入力してください',
      '基礎年金番号: 個人番号と基礎年金番号は、どちらか一方を記入してください。',
    ]);
    expect(links[0]!.attributes('href')).toBe('#field-acquisitionDate');
    await links[1]!.trigger('click');
    expect(document.activeElement).toBe(input(wrapper, 'nameKana'));
    await links[0]!.trigger('click');
    expect(document.activeElement).toBe(input(wrapper, 'acquisitionDate'));

    // Fixing a field clears its message.
    await wrapper.get('[data-testid="field-acquisitionDate"]').setValue('2026-04-01');
    expect(wrapper.get('[data-testid="field-error-acquisitionDate"]').text()).toBe('');

    valid = true;
    await wrapper.get('[data-testid="validate"]').trigger('click');
    await flushPromises();
    expect(wrapper.find('[data-testid="validation-summary"]').exists()).toBe(false);
    expect(wrapper.get('[data-testid="field-error-nameKana"]').text()).toBe('');
    expect(wrapper.get('[data-testid="app-status"]').text()).toBe('提出準備完了');
    expect(wrapper.get('[data-testid="validation-ok"]').text()).toContain('「提出準備完了」');
  });

  it('guards unsaved changes: saves them on leaving, asks when it cannot', async () => {
    let refuse = false;
    const { wrapper, router, fetchMock } = await mountEditor({
      [`PATCH /applications/${APP_ID}`]: ({ body }) =>
        refuse ? problem(409, 'version_conflict') : jsonResponse(200, patched(makeApplication(), body as Record<string, unknown>)),
    });
    const beforeUnload = () => {
      const event = new Event('beforeunload', { cancelable: true });
      window.dispatchEvent(event);
      return event.defaultPrevented;
    };
    expect(beforeUnload()).toBe(false);

    // A pending change is saved on the way out.
    await wrapper.get('[data-testid="field-nameKanji"]').setValue('山田　太郎');
    expect(beforeUnload()).toBe(true);
    await router.push('/applications');
    await flushPromises();
    expect(calls(fetchMock, 'PATCH', `/applications/${APP_ID}`)).toHaveLength(1);
    expect(router.currentRoute.value.name).toBe('applications');

    // Back in the editor; this time the save is refused.
    await router.push(`/applications/${APP_ID}`);
    await vi.waitFor(() => expect(wrapper.find('[data-testid="procedure-form"]').exists()).toBe(true), WAIT);
    refuse = true;
    await wrapper.get('[data-testid="field-nameKanji"]').setValue('山田　花子');
    const leaving = router.push('/applications');
    await vi.waitFor(() => expect((wrapper.get('[data-testid="leave-dialog"]').element as HTMLDialogElement).open).toBe(true), WAIT);
    expect(wrapper.get('[data-testid="leave-dialog"]').text()).toContain('保存されていない変更があります');
    await wrapper.get('[data-testid="leave-dialog"] [data-testid="confirm-cancel"]').trigger('click');
    await leaving;
    expect(router.currentRoute.value.name).toBe('application');
    expect(beforeUnload()).toBe(true);

    const again = router.push('/applications');
    await vi.waitFor(() => expect((wrapper.get('[data-testid="leave-dialog"]').element as HTMLDialogElement).open).toBe(true), WAIT);
    await wrapper.get('[data-testid="leave-dialog"] [data-testid="confirm-ok"]').trigger('click');
    await again;
    await flushPromises();
    expect(router.currentRoute.value.name).toBe('applications');
    expect(wrapper.find('[data-testid="list-page"]').exists()).toBe(true);
    expect(beforeUnload()).toBe(false);
  });

  it('uses the English labels of the schema when the page is in English', async () => {
    const { wrapper } = await mountEditor({}, makeApplication({ form: { birthDate: '2019-05-01', gender: '2' } }), 'en');

    expect(wrapper.findAll('fieldset.form-section legend').map((l) => l.text())).toEqual(['Insured person', 'Acquisition', 'Address']);
    expect(wrapper.get('label[for="field-nameKana"]').text()).toContain('Name (katakana)');
    expect(wrapper.get('#field-nameKana-help').text()).toContain('Full-width katakana');
    // No English label in the schema: the Japanese one stays.
    expect(wrapper.get('label[for="field-nameKanji"]').text()).toContain('氏名（漢字）');
    expect(
      wrapper
        .get('[data-testid="field-gender"]')
        .findAll('option')
        .map((o) => o.text()),
    ).toEqual(['Please choose', '1 Male', '2 Female', '3 Mine worker']);
    expect(wrapper.get('[data-testid="field-era-birthDate"]').text()).toContain('May 1, Reiwa 1');
    expect(wrapper.get('[data-testid="app-due-rule"]').text()).toBe('Within 5 days of the event');
    expect(wrapper.get('[data-testid="app-status"]').text()).toBe('Draft');
  });

  it('is read-only once submitted', async () => {
    const { wrapper } = await mountEditor({}, makeApplication({ status: 'under_review' }));
    expect(wrapper.get('[data-testid="app-status"]').text()).toBe('審査中');
    expect(wrapper.get('[data-testid="editor-read-only"]').text()).toContain('「審査中」');
    // The form is a read-only summary: label and value, no inputs, title and office as text.
    expect(wrapper.find('[data-testid="procedure-form"]').exists()).toBe(false);
    expect(wrapper.find('[data-testid="field-nameKana"]').exists()).toBe(false);
    expect(wrapper.get('[data-testid="summary-value-nameKana"]').text()).toBe('ヤマダ　タロウ');
    expect(wrapper.find('[data-testid="app-title"]').exists()).toBe(false);
    expect(wrapper.get('[data-testid="app-title-text"]').text()).toBe('山田太郎 資格取得届');
    expect(wrapper.get('[data-testid="app-office-text"]').text()).toBe(OFFICE.name);
    // Expanded: the whole form, every input disabled.
    const toggle = wrapper.get('[data-testid="summary-toggle"]');
    expect(toggle.attributes('aria-expanded')).toBe('false');
    await toggle.trigger('click');
    expect(toggle.attributes('aria-expanded')).toBe('true');
    expect(input(wrapper, 'nameKana').disabled).toBe(true);
    for (const control of wrapper.findAll('.procedure-form input, .procedure-form select')) {
      expect((control.element as HTMLInputElement).disabled).toBe(true);
    }
    // The progress: 審査中 is the current step.
    expect(wrapper.get('[aria-current="step"]').attributes('data-key')).toBe('under_review');
    expect(wrapper.find('[data-testid="validate"]').exists()).toBe(false);
    expect(wrapper.find('[data-testid="autosave-status"]').exists()).toBe(false);
    expect(wrapper.find('[data-testid="attachment-input"]').exists()).toBe(false);
    expect(wrapper.find('[data-testid="app-delete"]').exists()).toBe(false);
  });
});

describe('ApplicationEditorView: e-Gov submission and 公文書', () => {
  const KEY_PATTERN = /^[A-Za-z0-9_.:-]{8,100}$/;
  const ATTACHMENT = {
    id: '50000000-0000-4000-8000-000000000001',
    fileName: '雇用契約書.pdf',
    contentType: 'application/pdf',
    size: 2048,
    sha256: 'ab'.repeat(32),
    scan: 'clean' as const,
    createdAt: '2026-04-01T00:30:00.000Z',
  };

  beforeEach(() => {
    document.body.innerHTML = '';
  });
  afterEach(() => {
    wrapper?.unmount();
    wrapper = null;
  });

  function submitCalls(fetchMock: ReturnType<typeof stubApi>) {
    return fetchMock.mock.calls
      .map((call, index) => ({ url: String(call[0]), index }))
      .filter(({ url, index }) => url === `/api/v1/applications/${APP_ID}/submit` && fetchMock.mock.calls[index]?.[1]?.method === 'POST')
      .map(({ index }) => headersOf(fetchMock, index));
  }

  async function confirmSubmit(w: VueWrapper): Promise<void> {
    await w.get('[data-testid="submit-egov"]').trigger('click');
    await vi.waitFor(() => expect((w.get('[data-testid="submit-dialog"]').element as HTMLDialogElement).open).toBe(true), WAIT);
    await w.get('[data-testid="submit-dialog"] [data-testid="confirm-ok"]').trigger('click');
  }

  it('asks first, then submits with an Idempotency-Key that a retry after a network error reuses', async () => {
    let current = makeApplication({ status: 'ready', attachments: [ATTACHMENT] });
    let attempts = 0;
    const { wrapper, fetchMock } = await mountEditor(
      {
        [`GET /applications/${APP_ID}`]: () => jsonResponse(200, current),
        [`POST /applications/${APP_ID}/submit`]: () => {
          attempts += 1;
          if (attempts === 1) throw new TypeError('Failed to fetch');
          current = { ...current, status: 'submitting', version: current.version + 1 };
          return jsonResponse(202, { status: 'submitting', submissionId: 'sub-1' });
        },
      },
      current,
    );

    // The dialog says what is sent.
    await wrapper.get('[data-testid="submit-egov"]').trigger('click');
    const dialog = wrapper.get('[data-testid="submit-dialog"]');
    await vi.waitFor(() => expect((dialog.element as HTMLDialogElement).open).toBe(true), WAIT);
    expect(dialog.get('[data-testid="submit-procedure"]').text()).toBe(SHAHO_SHUTOKU.name);
    expect(dialog.get('[data-testid="submit-title"]').text()).toBe('山田太郎 資格取得届');
    expect(dialog.get('[data-testid="submit-office"]').text()).toBe(OFFICE.name);
    expect(dialog.get('[data-testid="submit-attachments"]').text()).toBe('1 件');
    expect(dialog.get('[data-testid="confirm-ok"]').text()).toBe('提出する');
    // Cancel sends nothing.
    await dialog.get('[data-testid="confirm-cancel"]').trigger('click');
    expect(submitCalls(fetchMock)).toHaveLength(0);

    await confirmSubmit(wrapper);
    await vi.waitFor(() => expect(wrapper.find('[data-testid="submit-error"]').exists()).toBe(true), WAIT);
    expect(wrapper.find('[data-testid="submit-retry-hint"]').exists()).toBe(true);
    expect(wrapper.get('[data-testid="app-status"]').text()).toBe('提出準備完了');

    await confirmSubmit(wrapper);
    await vi.waitFor(() => expect(wrapper.get('[data-testid="app-status"]').text()).toBe('送信中'), WAIT);
    expect(wrapper.find('[data-testid="submit-error"]').exists()).toBe(false);
    expect(wrapper.get('[data-testid="submit-accepted"]').text()).toBe(
      'e-Govへの送信を受け付けました。到達と審査の状況は、e-Govから届きしだいこのページに表示します。',
    );
    expect(wrapper.find('[data-testid="submit-egov"]').exists()).toBe(false);
    expect(wrapper.get('[data-testid="editor-read-only"]').text()).toContain('「送信中」');
    expect(wrapper.find('[data-testid="field-nameKana"]').exists()).toBe(false);
    expect(wrapper.get('[data-testid="summary-value-nameKana"]').text()).toBe('ヤマダ　タロウ');
    expect(wrapper.get('[aria-current="step"]').attributes('data-key')).toBe('submitting');

    const sent = submitCalls(fetchMock);
    expect(sent).toHaveLength(2);
    expect(sent[0]!['idempotency-key']).toMatch(KEY_PATTERN);
    expect(sent[1]!['idempotency-key']).toBe(sent[0]!['idempotency-key']);
    expect(sent[1]!['x-csrf-token']).toBe('csrf-member');
  });

  it('says the e-Gov account is not linked, and uses a new key after such a definite answer', async () => {
    const { wrapper, fetchMock } = await mountEditor(
      { [`POST /applications/${APP_ID}/submit`]: () => problem(409, 'egov_not_linked') },
      makeApplication({ status: 'ready' }),
    );

    await confirmSubmit(wrapper);
    await vi.waitFor(() => expect(wrapper.find('[data-testid="submit-error"]').exists()).toBe(true), WAIT);
    const error = wrapper.get('[data-testid="submit-error"]');
    expect(error.attributes('role')).toBe('alert');
    expect(error.text()).toContain('e-Govアカウントが連携されていません。管理者に設定を依頼してください。');
    expect(wrapper.find('[data-testid="submit-retry-hint"]').exists()).toBe(false);

    await confirmSubmit(wrapper);
    await vi.waitFor(() => expect(submitCalls(fetchMock)).toHaveLength(2), WAIT);
    const [first, second] = submitCalls(fetchMock);
    expect(second!['idempotency-key']).not.toBe(first!['idempotency-key']);
  });

  it('shows what a refused package lacks', async () => {
    const { wrapper } = await mountEditor(
      {
        [`POST /applications/${APP_ID}/submit`]: () =>
          problem(422, 'package_invalid', {
            detail: 'office.pensionOfficeCode is missing, and the form needs it',
            errors: [
              {
                field: 'office.pensionOfficeCode',
                code: 'package_office_incomplete',
                message: 'office.pensionOfficeCode is missing, and the form needs it',
              },
            ],
          }),
      },
      makeApplication({ status: 'ready' }),
    );

    await confirmSubmit(wrapper);
    await vi.waitFor(() => expect(wrapper.find('[data-testid="submit-error"]').exists()).toBe(true), WAIT);
    // The server's English detail and message are not shown in Japanese: the code is, in words, with the place.
    expect(wrapper.find('[data-testid="submit-error-detail"]').exists()).toBe(false);
    const item = wrapper.get('[data-testid="submit-error-item"]');
    expect(item.attributes('data-field')).toBe('office.pensionOfficeCode');
    expect(item.text()).toBe('事業所整理記号: 事業所の登録内容が不足しています。事業所の画面で登録してください。');
    expect(wrapper.get('[data-testid="submit-error"]').text()).not.toMatch(/office\.|missing/);
  });

  it('hides the submit button unless the application is ready, and shows why it failed', async () => {
    const { wrapper } = await mountEditor(
      {},
      makeApplication({
        status: 'failed',
        timeline: [
          ...makeApplication().timeline,
          {
            at: '2026-04-02T00:00:00.000Z',
            kind: 'status',
            fromStatus: 'submitting',
            toStatus: 'failed',
            actor: null,
            details: { reason: '電子署名の検証に失敗しました。' },
          },
        ],
      }),
    );
    expect(wrapper.find('[data-testid="submit-egov"]').exists()).toBe(false);
    expect(wrapper.get('[data-testid="app-status"]').text()).toBe('失敗');
    expect(wrapper.get('[data-testid="failed-reason"]').text()).toContain('電子署名の検証に失敗しました。');
  });

  it('lists the 公文書 with downloads, a preview for PDFs only, and the e-Gov status in the history', async () => {
    const docs = [
      {
        id: 'd1',
        title: '資格取得確認通知書',
        fileName: 'kakunin.pdf',
        contentType: 'application/pdf',
        size: 153_600,
        sha256: 'cd'.repeat(32),
        fetchedAt: '2026-04-02T01:00:00.000Z',
        acknowledgedAt: null,
      },
      {
        id: 'd2',
        title: '通知書（XML）',
        fileName: 'tsuchi.xml',
        contentType: 'application/xml',
        size: 900,
        sha256: 'ef'.repeat(32),
        fetchedAt: '2026-04-02T01:00:00.000Z',
        acknowledgedAt: null,
      },
    ];
    const { wrapper } = await mountEditor(
      { [`GET /applications/${APP_ID}/documents`]: () => jsonResponse(200, { items: docs, nextCursor: null }) },
      makeApplication({
        status: 'completed',
        timeline: [
          ...makeApplication().timeline,
          {
            at: '2026-04-02T00:00:00.000Z',
            kind: 'status',
            fromStatus: 'arrived',
            toStatus: 'under_review',
            actor: 'system',
            details: { egovStatus: '審査中' },
          },
        ],
      }),
    );

    await vi.waitFor(() => expect(wrapper.findAll('[data-testid="document-row"]')).toHaveLength(2), WAIT);
    // The same 公文書 as buttons beside the progress at the top, which stands at 手続終了.
    const progress = wrapper.get('[data-testid="application-progress"]');
    expect(progress.get('[aria-current="step"]').attributes('data-key')).toBe('completed');
    expect(progress.findAll('[data-testid="progress-document"]').map((a) => a.attributes('href'))).toEqual([
      `/api/v1/applications/${APP_ID}/documents/d1`,
      `/api/v1/applications/${APP_ID}/documents/d2`,
    ]);
    const [pdf, xml] = wrapper.findAll('[data-testid="document-row"]');
    expect(pdf!.text()).toContain('資格取得確認通知書');
    expect(pdf!.text()).toContain('kakunin.pdf');
    expect(pdf!.text()).toContain('150 KB');
    expect(pdf!.text()).toContain('2026/04/02 10:00 JST');
    const download = pdf!.get('[data-testid="document-download"]');
    expect(download.attributes('href')).toBe(`/api/v1/applications/${APP_ID}/documents/d1`);
    expect(download.attributes('aria-label')).toBe('資格取得確認通知書 をダウンロード');
    const preview = pdf!.get('[data-testid="document-preview"]');
    expect(preview.attributes('href')).toBe(`/api/v1/applications/${APP_ID}/documents/d1?inline=1`);
    expect(preview.attributes('target')).toBe('_blank');
    expect(preview.attributes('rel')).toContain('noopener');
    expect(xml!.find('[data-testid="document-download"]').exists()).toBe(true);
    expect(xml!.find('[data-testid="document-preview"]').exists()).toBe(false);

    expect(wrapper.get('[data-testid="timeline-egov-status"]').text()).toBe('e-Gov: 審査中');
    // The server's own jobs are "system" in the history, worded for people.
    expect(wrapper.findAll('[data-testid="timeline-actor"]').at(-1)!.text()).toBe('システム');
  });

  it('has no 公文書 panel while the application is still a draft', async () => {
    const { wrapper } = await mountEditor();
    expect(wrapper.find('[data-testid="documents-panel"]').exists()).toBe(false);
  });
});

describe('ApplicationEditorView: e-Gov state, 補正 and 取下げ', () => {
  const KEY_PATTERN = /^[A-Za-z0-9_.:-]{8,100}$/;
  const INFO_NOTICE = {
    noticeSubId: 'ns-1',
    type: 'お知らせ',
    title: '到達のお知らせ',
    body: '申請が到達しました。',
    date: '2026-04-02T00:00:00.000Z',
  };
  const CORRECTION_NOTICE = {
    noticeSubId: 'ns-2',
    type: '補正',
    title: '補正のお願い',
    body: '資格取得年月日が雇用契約書と一致しません。\n正しい日付に修正してください。',
    date: '2026-04-03',
  };

  function correctionApp(overrides: Partial<ApplicationDetail> = {}): ApplicationDetail {
    return makeApplication({
      status: 'correction_requested',
      version: 7,
      arriveId: '202604020000123456',
      egovStatus: '審査中（補正待ち）',
      egovNotices: [INFO_NOTICE, CORRECTION_NOTICE],
      ...overrides,
    });
  }

  function dialogOpen(w: VueWrapper, testid: string): boolean {
    return (w.get(`[data-testid="${testid}"]`).element as HTMLDialogElement).open;
  }

  async function confirmAmend(w: VueWrapper): Promise<void> {
    await w.get('[data-testid="amend-open"]').trigger('click');
    await vi.waitFor(() => expect(dialogOpen(w, 'amend-dialog')).toBe(true), WAIT);
    await w.get('[data-testid="amend-dialog"] [data-testid="confirm-ok"]').trigger('click');
  }

  beforeEach(() => {
    document.body.innerHTML = '';
  });
  afterEach(() => {
    wrapper?.unmount();
    wrapper = null;
    vi.useRealTimers();
  });

  it('shows the requested correction at the top, the e-Gov state and notices, and opens the form again', async () => {
    const { wrapper } = await mountEditor({}, correctionApp());

    const banner = wrapper.get('[data-testid="correction-banner"]');
    expect(banner.get('h2').text()).toBe('補正が求められています');
    expect(banner.get('[data-testid="correction-title"]').text()).toContain('補正のお願い');
    expect(banner.get('[data-testid="correction-title"]').text()).toContain('2026/04/03');
    // The government's text as it is, line breaks included.
    expect(banner.get('[data-testid="correction-body"]').element.textContent?.trim()).toBe(CORRECTION_NOTICE.body);

    const panel = wrapper.get('[data-testid="egov-panel"]');
    expect(panel.get('h2').text()).toBe('e-Gov');
    expect(panel.get('[data-testid="egov-arrive-id"]').text()).toBe('202604020000123456');
    expect(panel.text()).toContain('到達番号');
    expect(panel.get('[data-testid="egov-status"]').text()).toBe('審査中（補正待ち）');
    const notices = panel.findAll('[data-testid="egov-notice"]');
    expect(notices.map((n) => n.get('[data-testid="egov-notice-type"]').text())).toEqual(['お知らせ', '補正']);
    expect(notices[0]!.get('[data-testid="egov-notice-title"]').text()).toBe('到達のお知らせ');
    expect(notices[0]!.get('[data-testid="egov-notice-date"]').text()).toBe('2026/04/02 09:00 JST');
    expect(notices[0]!.get('[data-testid="egov-notice-body"]').text()).toBe('申請が到達しました。');
    expect(notices[1]!.classes()).toContain('egov-notice-correction');
    expect(notices[0]!.classes()).not.toContain('egov-notice-correction');

    // Form, title and attachments may change, and the check runs; the office and delete stay as they were.
    expect(input(wrapper, 'nameKana').disabled).toBe(false);
    expect((wrapper.get('[data-testid="app-title"]').element as HTMLInputElement).disabled).toBe(false);
    expect((wrapper.get('[data-testid="app-office"]').element as HTMLSelectElement).disabled).toBe(true);
    expect(wrapper.find('[data-testid="editor-read-only"]').exists()).toBe(false);
    expect(wrapper.find('[data-testid="validate"]').exists()).toBe(true);
    expect(wrapper.find('[data-testid="attachment-input"]').exists()).toBe(true);
    expect(wrapper.find('[data-testid="app-delete"]').exists()).toBe(false);
    expect(wrapper.get('[data-testid="autosave-status"]').text()).toBe('保存済み');
    expect(wrapper.get('[data-testid="amend-open"]').text()).toBe('補正を送信');
    expect(wrapper.get('[data-testid="withdraw-open"]').text()).toBe('申請を取り下げる');
  });

  it('says when the 補正 notice has not arrived, and shows the failure reason of a failed submission', async () => {
    const first = await mountEditor({}, correctionApp({ egovNotices: [INFO_NOTICE] }));
    expect(first.wrapper.get('[data-testid="correction-body"]').text()).toBe('補正の内容は、e-Govからのお知らせが届きしだい表示します。');
    first.wrapper.unmount();

    const { wrapper } = await mountEditor({}, makeApplication({ status: 'failed', failureReason: '電子署名の検証に失敗しました。' }));
    expect(wrapper.find('[data-testid="correction-banner"]').exists()).toBe(false);
    expect(wrapper.get('[data-testid="failed-reason"]').text()).toContain('電子署名の検証に失敗しました。');
    expect(wrapper.get('[data-testid="egov-failure-reason"]').text()).toBe('電子署名の検証に失敗しました。');
    expect(wrapper.get('[data-testid="egov-arrive-id"]').text()).toBe('まだありません');
    expect(wrapper.get('[data-testid="egov-notices-empty"]').text()).toBe('e-Govからのお知らせはありません。');
  });

  it('autosaves a correction without the office, which is fixed once submitted', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    let current = correctionApp();
    const { wrapper, fetchMock } = await mountEditor(
      {
        [`PATCH /applications/${APP_ID}`]: ({ body }) => {
          current = patched(current, body as Record<string, unknown>);
          return jsonResponse(200, current);
        },
      },
      current,
    );

    await wrapper.get('[data-testid="field-acquisitionDate"]').setValue('2026-04-01');
    await wrapper.get('[data-testid="app-title"]').setValue('山田太郎 資格取得届（補正）');
    await vi.advanceTimersByTimeAsync(2000);
    await flushPromises();

    const saves = calls(fetchMock, 'PATCH', `/applications/${APP_ID}`);
    expect(saves).toHaveLength(1);
    expect(saves[0]!.body).toMatchObject({ version: 7, title: '山田太郎 資格取得届（補正）', form: { acquisitionDate: '2026-04-01' } });
    expect(saves[0]!.body).not.toHaveProperty('officeId');
    expect(wrapper.get('[data-testid="autosave-status"]').text()).toBe('保存済み');
    expect(wrapper.get('[data-testid="app-status"]').text()).toBe('補正待ち');
  });

  it('saves first, then sends the 補正 with the version and an Idempotency-Key a retry reuses, and reloads', async () => {
    let current = correctionApp();
    let attempts = 0;
    const { wrapper, fetchMock } = await mountEditor(
      {
        [`GET /applications/${APP_ID}`]: () => jsonResponse(200, current),
        [`PATCH /applications/${APP_ID}`]: ({ body }) => {
          current = patched(current, body as Record<string, unknown>);
          return jsonResponse(200, current);
        },
        [`POST /applications/${APP_ID}/amend`]: () => {
          attempts += 1;
          if (attempts === 1) throw new TypeError('Failed to fetch');
          current = {
            ...current,
            masked: true,
            egovStatus: '補正受付中',
            lastAction: {
              id: 'act-1',
              kind: 'amend',
              state: 'sending',
              lastError: null,
              createdAt: '2026-04-04T00:00:00.000Z',
              updatedAt: '2026-04-04T00:00:01.000Z',
            },
          };
          return jsonResponse(202, { actionId: 'act-1', kind: 'amend', state: 'pending', status: 'correction_requested' });
        },
      },
      current,
    );
    await wrapper.get('[data-testid="field-acquisitionDate"]').setValue('2026-04-01');

    // The dialog asks first; cancel sends nothing.
    await wrapper.get('[data-testid="amend-open"]').trigger('click');
    await vi.waitFor(() => expect(dialogOpen(wrapper, 'amend-dialog')).toBe(true), WAIT);
    expect(wrapper.get('[data-testid="amend-dialog"]').text()).toContain('補正を送信しますか？');
    await wrapper.get('[data-testid="amend-dialog"] [data-testid="confirm-cancel"]').trigger('click');
    expect(dialogOpen(wrapper, 'amend-dialog')).toBe(false);
    expect(calls(fetchMock, 'POST', `/applications/${APP_ID}/amend`)).toHaveLength(0);

    // The network fails: the page says so and keeps the key for the retry.
    await confirmAmend(wrapper);
    await vi.waitFor(() => expect(wrapper.find('[data-testid="amend-error"]').exists()).toBe(true), WAIT);
    expect(wrapper.find('[data-testid="amend-retry-hint"]').exists()).toBe(true);
    expect(wrapper.find('[data-testid="action-sending"]').exists()).toBe(false);

    const getsBefore = calls(fetchMock, 'GET', `/applications/${APP_ID}`).length;
    await confirmAmend(wrapper);
    await vi.waitFor(() => expect(wrapper.find('[data-testid="action-sending"]').exists()).toBe(true), WAIT);

    // The unsaved change went first, and the 補正 carried the version of that save.
    const saves = calls(fetchMock, 'PATCH', `/applications/${APP_ID}`);
    const amends = calls(fetchMock, 'POST', `/applications/${APP_ID}/amend`);
    expect(saves).toHaveLength(1);
    expect(amends).toHaveLength(2);
    expect(saves[0]!.index).toBeLessThan(amends[0]!.index);
    expect(amends[0]!.body).toEqual({ version: 8 });
    expect(amends[1]!.body).toEqual({ version: 8 });
    const [firstHeaders, secondHeaders] = amends.map((a) => headersOf(fetchMock, a.index));
    expect(firstHeaders!['idempotency-key']).toMatch(KEY_PATTERN);
    expect(secondHeaders!['idempotency-key']).toBe(firstHeaders!['idempotency-key']);
    expect(secondHeaders!['x-csrf-token']).toBe('csrf-member');

    // The detail was loaded again: the server's state is shown, the form is closed meanwhile.
    expect(calls(fetchMock, 'GET', `/applications/${APP_ID}`).length).toBeGreaterThan(getsBefore);
    await vi.waitFor(() => expect(wrapper.get('[data-testid="egov-status"]').text()).toBe('補正受付中'), WAIT);
    expect(wrapper.get('[data-testid="action-sending"]').text()).toContain('補正をe-Govへ送信中…');
    expect(wrapper.get('[data-testid="action-sending"]').attributes('data-kind')).toBe('amend');
    expect(wrapper.find('[data-testid="amend-error"]').exists()).toBe(false);
    expect(wrapper.find('[data-testid="amend-open"]').exists()).toBe(false);
    expect(wrapper.find('[data-testid="withdraw-open"]').exists()).toBe(false);
    expect(wrapper.get('[data-testid="editor-read-only"]').text()).toBe('e-Govへの送信が終わるまで、内容を変更できません。');
    expect(wrapper.find('[data-testid="field-acquisitionDate"]').exists()).toBe(false);
    expect(wrapper.get('[data-testid="summary-value-acquisitionDate"]').text()).toBe('令和8年4月1日（2026年4月1日）');
    // The form shown is still the one typed, not the masked answer.
    expect(wrapper.get('[data-testid="summary-value-myNumber"]').text()).toBe('123456789018');
  });

  it('shows a refused 補正 at its fields, with the summary', async () => {
    const { wrapper, fetchMock } = await mountEditor(
      {
        [`POST /applications/${APP_ID}/amend`]: () =>
          problem(422, 'validation_failed', {
            errors: [
              { field: 'form.acquisitionDate', message: '資格取得年月日を入力してください', messageEn: 'Enter the date', code: 'required' },
              { field: 'form.nameKana', message: '全角カタカナで入力してください', messageEn: 'Enter katakana', code: 'not_katakana' },
            ],
          }),
      },
      correctionApp(),
    );
    const getsBefore = calls(fetchMock, 'GET', `/applications/${APP_ID}`).length;

    await confirmAmend(wrapper);
    await vi.waitFor(() => expect(wrapper.find('[data-testid="amend-error"]').exists()).toBe(true), WAIT);

    expect(calls(fetchMock, 'POST', `/applications/${APP_ID}/amend`)[0]!.body).toEqual({ version: 7 });
    expect(wrapper.get('[data-testid="amend-error"]').attributes('data-code')).toBe('validation_failed');
    expect(wrapper.get('[data-testid="amend-error"]').text()).toContain('入力内容に誤りがあるため、補正を送信できませんでした。');
    expect(wrapper.get('[data-testid="field-error-acquisitionDate"]').text()).toBe('資格取得年月日を入力してください');
    expect(wrapper.get('[data-testid="field-error-nameKana"]').text()).toBe('全角カタカナで入力してください');
    expect(input(wrapper, 'nameKana').getAttribute('aria-invalid')).toBe('true');
    const summary = wrapper.get('[data-testid="validation-summary"]');
    expect(document.activeElement).toBe(summary.element);
    expect(summary.findAll('[data-testid="validation-link"]').map((l) => l.text())).toEqual([
      '資格取得年月日: 資格取得年月日を入力してください',
      '氏名（カナ）: 全角カタカナで入力してください',
    ]);
    // Still correctable: nothing reloaded, the form stays open.
    expect(calls(fetchMock, 'GET', `/applications/${APP_ID}`)).toHaveLength(getsBefore);
    expect(input(wrapper, 'nameKana').disabled).toBe(false);
    expect(wrapper.find('[data-testid="amend-open"]').exists()).toBe(true);
  });

  it('shows other refusals of the 補正 in words, and a fresh key after a definite answer', async () => {
    const { wrapper, fetchMock } = await mountEditor(
      { [`POST /applications/${APP_ID}/amend`]: () => problem(409, 'egov_not_linked') },
      correctionApp(),
    );

    await confirmAmend(wrapper);
    await vi.waitFor(() => expect(wrapper.find('[data-testid="amend-error"]').exists()).toBe(true), WAIT);
    const error = wrapper.get('[data-testid="amend-error"]');
    expect(error.attributes('role')).toBe('alert');
    expect(error.text()).toContain('e-Govアカウントが連携されていません。管理者に設定を依頼してください。');
    expect(wrapper.find('[data-testid="amend-retry-hint"]').exists()).toBe(false);

    await confirmAmend(wrapper);
    await vi.waitFor(() => expect(calls(fetchMock, 'POST', `/applications/${APP_ID}/amend`)).toHaveLength(2), WAIT);
    const [first, second] = calls(fetchMock, 'POST', `/applications/${APP_ID}/amend`).map((c) => headersOf(fetchMock, c.index));
    expect(second!['idempotency-key']).toMatch(KEY_PATTERN);
    expect(second!['idempotency-key']).not.toBe(first!['idempotency-key']);
  });

  it('withdraws only with a reason, which it sends with an Idempotency-Key, then reloads', async () => {
    let current = makeApplication({ status: 'under_review', arriveId: '202604020000123456' });
    const { wrapper, fetchMock } = await mountEditor(
      {
        [`GET /applications/${APP_ID}`]: () => jsonResponse(200, current),
        [`POST /applications/${APP_ID}/withdraw`]: () => {
          current = {
            ...current,
            lastAction: {
              id: 'act-2',
              kind: 'withdraw',
              state: 'pending',
              lastError: null,
              createdAt: '2026-04-04T00:00:00.000Z',
              updatedAt: '2026-04-04T00:00:00.000Z',
            },
          };
          return jsonResponse(202, { actionId: 'act-2', kind: 'withdraw', state: 'pending', status: 'under_review' });
        },
      },
      current,
    );
    const withdraws = () => calls(fetchMock, 'POST', `/applications/${APP_ID}/withdraw`);
    const dialog = () => wrapper.get('[data-testid="withdraw-dialog"]');
    const reason = () => wrapper.get('[data-testid="withdraw-reason"]');

    expect(wrapper.find('[data-testid="amend-open"]').exists()).toBe(false);
    await wrapper.get('[data-testid="withdraw-open"]').trigger('click');
    await vi.waitFor(() => expect(dialogOpen(wrapper, 'withdraw-dialog')).toBe(true), WAIT);
    expect(dialog().text()).toContain('申請を取り下げますか？');
    expect(wrapper.get('label[for="withdraw-reason"]').text()).toContain('取下げの理由');
    expect(reason().attributes('aria-required')).toBe('true');
    expect(wrapper.get('[data-testid="withdraw-reason-count"]').text()).toBe('0 / 1000 文字');

    // No reason (blanks only): refused here, nothing sent.
    await reason().setValue('   ');
    await dialog().get('[data-testid="confirm-ok"]').trigger('click');
    await flushPromises();
    expect(wrapper.get('[data-testid="withdraw-reason-error"]').text()).toBe('取下げの理由を入力してください。');
    expect(reason().attributes('aria-invalid')).toBe('true');
    expect(dialogOpen(wrapper, 'withdraw-dialog')).toBe(true);
    expect(withdraws()).toHaveLength(0);

    // Too long: the counter tells, and it is refused as well.
    await reason().setValue('あ'.repeat(1001));
    expect(wrapper.get('[data-testid="withdraw-reason-error"]').text()).toBe('');
    expect(wrapper.get('[data-testid="withdraw-reason-count"]').text()).toBe('1001 / 1000 文字');
    await dialog().get('[data-testid="confirm-ok"]').trigger('click');
    await flushPromises();
    expect(wrapper.get('[data-testid="withdraw-reason-error"]').text()).toBe('取下げの理由は1000文字以内で入力してください。');
    expect(withdraws()).toHaveLength(0);

    await reason().setValue('  従業員の入社が取り消されたため  ');
    await dialog().get('[data-testid="confirm-ok"]').trigger('click');
    await vi.waitFor(() => expect(dialogOpen(wrapper, 'withdraw-dialog')).toBe(false), WAIT);

    expect(withdraws()).toHaveLength(1);
    expect(withdraws()[0]!.body).toEqual({ reason: '従業員の入社が取り消されたため' });
    const headers = headersOf(fetchMock, withdraws()[0]!.index);
    expect(headers['idempotency-key']).toMatch(KEY_PATTERN);
    expect(headers['x-csrf-token']).toBe('csrf-member');
    const gets = calls(fetchMock, 'GET', `/applications/${APP_ID}`);
    expect(gets[gets.length - 1]!.index).toBeGreaterThan(withdraws()[0]!.index);
    await vi.waitFor(() => expect(wrapper.get('[data-testid="action-sending"]').text()).toContain('取下げをe-Govへ送信中…'), WAIT);
    expect(wrapper.find('[data-testid="withdraw-open"]').exists()).toBe(false);
  });

  it('shows a refused withdrawal in the dialog: at the reason, or in words', async () => {
    let answer: Response = problem(400, 'validation_failed', {
      errors: [
        { field: 'reason', code: 'too_long', params: { max: 1000 }, message: 'reason must be shorter than or equal to 1000 characters' },
      ],
    });
    const { wrapper, fetchMock } = await mountEditor(
      { [`POST /applications/${APP_ID}/withdraw`]: () => answer },
      makeApplication({ status: 'arrived' }),
    );

    await wrapper.get('[data-testid="withdraw-open"]').trigger('click');
    await vi.waitFor(() => expect(dialogOpen(wrapper, 'withdraw-dialog')).toBe(true), WAIT);
    await wrapper.get('[data-testid="withdraw-reason"]').setValue('重複して提出したため');
    await wrapper.get('[data-testid="withdraw-dialog"] [data-testid="confirm-ok"]').trigger('click');
    await vi.waitFor(
      () => expect(wrapper.get('[data-testid="withdraw-reason-error"]').text()).toBe('1000文字以内で入力してください。'),
      WAIT,
    );
    expect(dialogOpen(wrapper, 'withdraw-dialog')).toBe(true);

    answer = problem(409, 'not_withdrawable');
    await wrapper.get('[data-testid="withdraw-dialog"] [data-testid="confirm-ok"]').trigger('click');
    await vi.waitFor(() => expect(wrapper.find('[data-testid="withdraw-error"]').exists()).toBe(true), WAIT);
    expect(wrapper.get('[data-testid="withdraw-error"]').text()).toContain('この申請は取り下げられる状態ではありません。');
    expect(calls(fetchMock, 'POST', `/applications/${APP_ID}/withdraw`)).toHaveLength(2);
  });

  it('reopens a failed filing to draft, asking the user to check e-Gov first when it may have arrived', async () => {
    let current = makeApplication({ status: 'failed', failureReason: 'e-Gov answered 400' });
    let answer: () => Response = () => problem(409, 'outcome_unknown');
    const { wrapper, fetchMock } = await mountEditor(
      {
        [`GET /applications/${APP_ID}`]: () => jsonResponse(200, current),
        [`POST /applications/${APP_ID}/reopen`]: () => answer(),
      },
      current,
    );
    const reopens = () => calls(fetchMock, 'POST', `/applications/${APP_ID}/reopen`);
    expect(wrapper.find('[data-testid="field-nameKana"]').exists()).toBe(false);
    expect(wrapper.get('[aria-current="step"]').attributes('data-key')).toBe('failed');
    await wrapper.get('[data-testid="reopen"]').trigger('click');
    // e-Gov may have it: the dialog explains, nothing changed yet.
    await vi.waitFor(() => expect(dialogOpen(wrapper, 'reopen-dialog')).toBe(true), WAIT);
    expect(wrapper.get('[data-testid="reopen-dialog"]').text()).toContain('二重の申請');
    expect(reopens().map((c) => c.body)).toEqual([{}]);

    answer = () => {
      current = { ...current, status: 'draft', failureReason: null, version: current.version + 1 };
      return jsonResponse(200, { status: 'draft', version: current.version });
    };
    await wrapper.get('[data-testid="reopen-dialog"] [data-testid="confirm-ok"]').trigger('click');
    await vi.waitFor(() => expect(wrapper.get('[data-testid="app-status"]').attributes('data-status')).toBe('draft'), WAIT);
    expect(reopens().map((c) => c.body)).toEqual([{}, { confirmNotReceived: true }]);
    expect(dialogOpen(wrapper, 'reopen-dialog')).toBe(false);
    expect(wrapper.find('[data-testid="reopen"]').exists()).toBe(false);
    expect(input(wrapper, 'nameKana').disabled).toBe(false);
  });

  it('shows why a reopen was refused', async () => {
    const { wrapper } = await mountEditor(
      { [`POST /applications/${APP_ID}/reopen`]: () => problem(409, 'not_failed') },
      makeApplication({ status: 'failed' }),
    );
    await wrapper.get('[data-testid="reopen"]').trigger('click');
    await vi.waitFor(() => expect(wrapper.find('[data-testid="reopen-error"]').exists()).toBe(true), WAIT);
    expect(wrapper.get('[data-testid="reopen-error"]').text()).toBe('この申請は送信に失敗した状態ではありません。');
    expect(dialogOpen(wrapper, 'reopen-dialog')).toBe(false);
  });

  it('offers 補正 and 取下げ only in the statuses that allow them, and not while one is on its way', async () => {
    const expected: Record<ApplicationDetail['status'], { amend: boolean; withdraw: boolean }> = {
      draft: { amend: false, withdraw: false },
      ready: { amend: false, withdraw: false },
      awaiting_approval: { amend: false, withdraw: false },
      submitting: { amend: false, withdraw: false },
      arrived: { amend: false, withdraw: true },
      under_review: { amend: false, withdraw: true },
      correction_requested: { amend: true, withdraw: true },
      review_finished: { amend: false, withdraw: false },
      completed: { amend: false, withdraw: false },
      withdrawn: { amend: false, withdraw: false },
      failed: { amend: false, withdraw: false },
    };
    for (const [status, want] of Object.entries(expected)) {
      const { wrapper } = await mountEditor({}, makeApplication({ status: status as ApplicationDetail['status'] }));
      expect({
        status,
        amend: wrapper.find('[data-testid="amend-open"]').exists(),
        withdraw: wrapper.find('[data-testid="withdraw-open"]').exists(),
      }).toEqual({ status, ...want });
      wrapper.unmount();
    }

    const { wrapper } = await mountEditor(
      {},
      correctionApp({
        lastAction: {
          id: 'act-3',
          kind: 'withdraw',
          state: 'sending',
          lastError: null,
          createdAt: '2026-04-04T00:00:00.000Z',
          updatedAt: '2026-04-04T00:00:00.000Z',
        },
      }),
    );
    expect(wrapper.find('[data-testid="amend-open"]').exists()).toBe(false);
    expect(wrapper.find('[data-testid="withdraw-open"]').exists()).toBe(false);
    expect(wrapper.get('[data-testid="action-sending"]').text()).toContain('取下げをe-Govへ送信中…');
    expect(wrapper.find('[data-testid="field-nameKana"]').exists()).toBe(false);
    expect(wrapper.get('[data-testid="summary-value-nameKana"]').text()).toBe('ヤマダ　タロウ');
    expect(wrapper.find('[data-testid="autosave-status"]').exists()).toBe(false);
  });

  it('shows why the last 補正 failed and lets the user try again; a stale failure is not shown', async () => {
    const failedAmend = {
      id: 'act-4',
      kind: 'amend' as const,
      state: 'failed' as const,
      lastError: 'e-Govが補正を受け付けませんでした（E4001: 添付書類の形式）',
      createdAt: '2026-04-04T00:00:00.000Z',
      updatedAt: '2026-04-04T00:05:00.000Z',
    };
    const first = await mountEditor({}, correctionApp({ lastAction: failedAmend }));
    const failed = first.wrapper.get('[data-testid="action-failed"]');
    expect(failed.attributes('role')).toBe('alert');
    expect(failed.text()).toContain('補正を送信できませんでした。');
    expect(first.wrapper.get('[data-testid="action-failed-error"]').text()).toBe(`理由: ${failedAmend.lastError}`);
    expect(failed.text()).toContain('もう一度「補正を送信」を押してください');
    expect(first.wrapper.find('[data-testid="action-sending"]').exists()).toBe(false);
    expect(first.wrapper.find('[data-testid="amend-open"]').exists()).toBe(true);
    expect(input(first.wrapper, 'nameKana').disabled).toBe(false);
    first.wrapper.unmount();

    // The application moved on since: the old failure does not matter any more.
    const { wrapper } = await mountEditor({}, makeApplication({ status: 'completed', lastAction: failedAmend }));
    expect(wrapper.find('[data-testid="action-failed"]').exists()).toBe(false);
  });

  it('asks for the status every 5 s while e-Gov works on it, and stops once a 補正 is requested', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    let current = makeApplication({ status: 'under_review', arriveId: '202604020000123456', egovStatus: '審査中' });
    const { wrapper, fetchMock } = await mountEditor({ [`GET /applications/${APP_ID}`]: () => jsonResponse(200, current) }, current);
    const gets = () => calls(fetchMock, 'GET', `/applications/${APP_ID}`);
    await flushPromises();
    expect(gets()).toHaveLength(1);
    expect(wrapper.find('[data-testid="correction-banner"]').exists()).toBe(false);

    await vi.advanceTimersByTimeAsync(4000);
    expect(gets()).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1000);
    await flushPromises();
    expect(gets()).toHaveLength(2);
    // The poll does not ask for the 個人番号 in clear.
    expect(gets()[1]!.url.searchParams.get('unmask')).toBeNull();

    current = {
      ...current,
      status: 'correction_requested',
      version: 5,
      egovStatus: '審査中（補正待ち）',
      egovNotices: [CORRECTION_NOTICE],
    };
    await vi.advanceTimersByTimeAsync(5000);
    await flushPromises();
    expect(gets()).toHaveLength(3);
    expect(wrapper.get('[data-testid="app-status"]').text()).toBe('補正待ち');
    expect(wrapper.get('[data-testid="correction-body"]').element.textContent?.trim()).toBe(CORRECTION_NOTICE.body);
    expect(wrapper.get('[data-testid="egov-status"]').text()).toBe('審査中（補正待ち）');
    expect(input(wrapper, 'nameKana').disabled).toBe(false);
    // The form shown stays the one loaded in clear.
    expect(input(wrapper, 'myNumber').value).toBe('123456789018');

    // Waiting for the user now: no more asking.
    await vi.advanceTimersByTimeAsync(30_000);
    await flushPromises();
    expect(gets()).toHaveLength(3);
  });

  it('stops asking for the status when the page goes away', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { wrapper, fetchMock } = await mountEditor({}, makeApplication({ status: 'submitting' }));
    const gets = () => calls(fetchMock, 'GET', `/applications/${APP_ID}`).length;
    await flushPromises();
    await vi.advanceTimersByTimeAsync(5000);
    await flushPromises();
    expect(gets()).toBe(2);

    wrapper.unmount();
    await vi.advanceTimersByTimeAsync(60_000);
    await flushPromises();
    expect(gets()).toBe(2);
  });
});
