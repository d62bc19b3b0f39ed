import { afterEach, describe, expect, it, vi } from 'vitest';
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils';
import { defineComponent, h } from 'vue';
import { RouterView, createMemoryHistory, createRouter } from 'vue-router';
import { api } from '@/api/client';
import { useApplicationEditor, type ApplicationEditor } from '@/composables/useApplicationEditor';
import { jsonResponse, problem, stubApi, type Handler } from '@/testing/helpers';
import { APP_ID, OFFICE, SHAHO_SHUTOKU, makeApplication } from '@/testing/applications';

let wrapper: VueWrapper | null = null;

async function setup(handlers: Record<string, Handler>, hooks: { onFill?: () => void; onStatusChange?: () => void } = {}) {
  const fetchMock = stubApi({
    'GET /procedures': () => jsonResponse(200, { items: [SHAHO_SHUTOKU] }),
    'GET /offices': () => jsonResponse(200, { items: [OFFICE] }),
    ...handlers,
  });
  api.setCsrfToken('csrf');
  let sut: ApplicationEditor | null = null;
  const Editor = defineComponent({
    setup() {
      sut = useApplicationEditor({ id: () => APP_ID, ...hooks });
      return () => h('span');
    },
  });
  const router = createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: '/a', component: Editor },
      { path: '/elsewhere', component: { render: () => h('p') } },
    ],
  });
  await router.push('/a');
  wrapper = mount({ render: () => h(RouterView) }, { global: { plugins: [router] } });
  await flushPromises();
  return { sut: sut! as ApplicationEditor, router, fetchMock };
}

describe(useApplicationEditor.name, () => {
  afterEach(() => {
    wrapper?.unmount();
    wrapper = null;
    vi.useRealTimers();
  });

  it('loads the application without asking for the 個人番号 in clear, with its procedure and offices', async () => {
    const onFill = vi.fn();
    const { sut, fetchMock } = await setup({ [`GET /applications/${APP_ID}`]: () => jsonResponse(200, makeApplication()) }, { onFill });
    const get = fetchMock.mock.calls.map(([u]) => new URL(String(u), 'http://x')).find((u) => u.pathname.endsWith(APP_ID))!;
    expect(get.searchParams.get('unmask')).toBeNull();
    expect(sut.app.value?.id).toBe(APP_ID);
    expect(sut.form.myNumber).toBe('123456789018');
    expect(sut.title.value).toBe(makeApplication().title);
    expect(sut.procedure.value?.code).toBe('shaho-shutoku');
    expect(sut.offices.value).toHaveLength(1);
    expect(onFill).toHaveBeenCalledTimes(1);
  });

  it('fetches a masked 個人番号 in clear only on reveal, once per request, and never over what the user typed', async () => {
    const masked = makeApplication({ form: { ...makeApplication().form, myNumber: '********9018' }, masked: true });
    const { sut, fetchMock } = await setup({
      [`GET /applications/${APP_ID}`]: ({ url }) =>
        jsonResponse(200, url.searchParams.get('unmask') === 'sensitive' ? makeApplication() : masked),
    });
    const unmasked = () =>
      fetchMock.mock.calls.map(([u]) => new URL(String(u), 'http://x')).filter((u) => u.searchParams.get('unmask') === 'sensitive');
    expect(sut.form.myNumber).toBe('********9018');
    expect(sut.maskedFields.value).toEqual(['myNumber']);
    expect(unmasked()).toHaveLength(0);

    // Two clicks before the answer: one request (one audited view).
    await Promise.all([sut.reveal('myNumber'), sut.reveal('myNumber')]);
    expect(unmasked()).toHaveLength(1);
    expect(sut.form.myNumber).toBe('123456789018');
    expect(sut.maskedFields.value).toEqual([]);
    // Already shown: no second request.
    await sut.reveal('myNumber');
    expect(unmasked()).toHaveLength(1);

    await sut.load();
    sut.form.myNumber = '987654321098';
    await sut.reveal('myNumber');
    expect(unmasked()).toHaveLength(1);
    expect(sut.form.myNumber).toBe('987654321098');
  });

  it('takes news from a refresh but never its masked form, and says when the status changed', async () => {
    let answer = makeApplication();
    const onStatusChange = vi.fn();
    const { sut } = await setup({ [`GET /applications/${APP_ID}`]: () => jsonResponse(200, answer) }, { onStatusChange });
    answer = makeApplication({ status: 'submitting', version: 4, form: { myNumber: '********9018' }, masked: true, arriveId: 'A1' });
    await sut.refreshDetail();
    expect(sut.app.value?.status).toBe('submitting');
    expect(sut.app.value?.arriveId).toBe('A1');
    expect(sut.app.value?.masked).toBe(false);
    expect(sut.form.myNumber).toBe('123456789018');
    expect(onStatusChange).toHaveBeenCalledTimes(1);
  });

  it('drops a refresh that answers after the page learned something newer', async () => {
    let release!: (r: Response) => void;
    let calls = 0;
    const { sut } = await setup({
      [`GET /applications/${APP_ID}`]: () => {
        calls++;
        if (calls === 1) return jsonResponse(200, makeApplication());
        return new Promise<Response>((resolve) => (release = resolve));
      },
    });
    const refresh = sut.refreshDetail();
    await flushPromises();
    sut.invalidateRefreshes();
    release(jsonResponse(200, makeApplication({ status: 'failed' })));
    await refresh;
    expect(sut.app.value?.status).toBe('draft');
  });

  it('saves the whole form with the version it has, and shows a refused save by field', async () => {
    let sent: Record<string, unknown> | undefined;
    const { sut } = await setup({
      [`GET /applications/${APP_ID}`]: () => jsonResponse(200, makeApplication()),
      [`PATCH /applications/${APP_ID}`]: ({ body }) => {
        sent = body as Record<string, unknown>;
        return problem(400, 'validation_failed', { errors: [{ field: 'form.birthDate', message: '日付が正しくありません' }] });
      },
    });
    sut.form.birthDate = '1990-13-01';
    sut.autosave.changed();
    expect(await sut.autosave.flush()).toBe(false);
    expect(sent).toMatchObject({ version: 3, officeId: OFFICE.id, form: { birthDate: '1990-13-01', myNumber: '123456789018' } });
    expect(sut.saveErrors.value).toEqual({ birthDate: '日付が正しくありません' });
  });

  it('asks before leaving with changes it cannot save, and stays when told to', async () => {
    const { sut, router } = await setup({
      [`GET /applications/${APP_ID}`]: () => jsonResponse(200, makeApplication()),
      [`PATCH /applications/${APP_ID}`]: () => problem(409, 'version_conflict'),
    });
    sut.form.gender = '2';
    sut.autosave.changed();
    const leaving = router.push('/elsewhere');
    await vi.waitFor(() => expect(sut.leaveOpen.value).toBe(true));
    sut.answerLeave(false);
    await leaving;
    expect(router.currentRoute.value.path).toBe('/a');
  });
});
