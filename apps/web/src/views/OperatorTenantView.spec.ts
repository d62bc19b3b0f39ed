import { afterEach, describe, expect, it, vi } from 'vitest';
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils';
import { createMemoryHistory } from 'vue-router';
import { createPinia, setActivePinia } from 'pinia';
import OperatorTenantView from '@/views/OperatorTenantView.vue';
import { createAppRouter } from '@/router';
import { createAppI18n } from '@/i18n';
import { api, type User } from '@/api/client';
import type { BackupGeneration, OperatorTenant } from '@/api/backups';
import { useSessionStore } from '@/stores/session';
import {
  headersOf,
  jsonResponse,
  makeGeneration,
  makeOperator,
  makeOperatorTenant,
  makeUser,
  problem,
  stubApi,
  type Handler,
} from '@/testing/helpers';

const BASE = '/operator/tenants/acme';

let wrapper: VueWrapper | null = null;

async function mountAs(user: User, handlers: Record<string, Handler>, locale: 'ja' | 'en' = 'ja') {
  const fetchMock = stubApi(handlers);
  const pinia = createPinia();
  setActivePinia(pinia);
  const session = useSessionStore();
  session.user = user;
  session.tenant = null;
  // The router's first navigation must not ask for the session: it is set here.
  session.loaded = true;
  api.setCsrfToken('csrf-ops');
  const router = createAppRouter(createMemoryHistory());
  wrapper = mount(OperatorTenantView, {
    props: { code: 'acme' },
    global: { plugins: [pinia, router, createAppI18n(locale)] },
    attachTo: document.body,
  });
  await router.isReady().catch(() => undefined); // the lazy route components of the initial navigation
  await flushPromises();
  return { wrapper, fetchMock };
}

/** The calls of one "METHOD /path", with their index and parsed body. */
function calls(fetchMock: ReturnType<typeof stubApi>, method: string, path: string) {
  return fetchMock.mock.calls
    .map(([url, init], index) => ({ url: new URL(String(url), 'http://localhost'), init, index }))
    .filter(({ url, init }) => (init?.method ?? 'GET') === method && url.pathname === `/api/v1${path}`)
    .map(({ init, index }) => ({ index, body: typeof init?.body === 'string' ? (JSON.parse(init.body) as unknown) : undefined }));
}

function dialog(w: VueWrapper) {
  return w.get('[data-testid="confirm-dialog"]');
}

function dialogOpen(w: VueWrapper): boolean {
  return (dialog(w).element as HTMLDialogElement).open;
}

const daily = makeGeneration();
const weekly = makeGeneration({
  id: '30000000-0000-4000-8000-000000000002',
  kind: 'weekly',
  store: 'remote',
  createdAt: '2026-11-28T19:00:00.000Z',
  sha256: 'c0ffee00'.repeat(8),
  verifiedAt: '2026-11-29T19:30:00.000Z',
});

describe('OperatorTenantView', () => {
  afterEach(() => {
    wrapper?.unmount();
    wrapper = null;
    vi.useRealTimers();
  });

  it('shows the contract and its generations, with restore per generation and the cancel button of an active contract', async () => {
    const { wrapper, fetchMock } = await mountAs(makeOperator(), {
      [`GET ${BASE}`]: () => jsonResponse(200, makeOperatorTenant()),
      [`GET ${BASE}/backups`]: () => jsonResponse(200, { items: [daily, weekly] }),
    });

    expect(fetchMock).toHaveBeenCalledTimes(2);
    expect(wrapper.get('[data-testid="tenant-title"]').text()).toContain('株式会社アクメ');
    expect(wrapper.get('[data-testid="tenant-title"]').text()).toContain('利用中');
    const summary = wrapper.get('[data-testid="tenant-summary"]').text();
    expect(summary).toContain('acme');
    expect(summary).toContain('2026/12/02 02:05 JST');
    expect(wrapper.find('[data-testid="tenant-deletion-due"]').exists()).toBe(false);

    const rows = wrapper.findAll('[data-testid="generation-row"]');
    expect(rows).toHaveLength(2);
    expect(rows[1]!.get('[data-testid="generation-kind"]').text()).toBe('週次');
    expect(rows[1]!.get('[data-testid="generation-verification"]').text()).toContain('2026/11/30 04:30 JST');
    expect(wrapper.findAll('[data-testid="generation-restore"]')).toHaveLength(2);
    expect(rows[0]!.get('[data-testid="generation-restore"]').attributes('aria-label')).toBe(
      '2026/12/02 02:00 JST の日次バックアップからリストア',
    );

    expect(wrapper.get('[data-testid="tenant-cancel"]').text()).toBe('解約');
    expect(wrapper.find('[data-testid="tenant-reinstate"]').exists()).toBe(false);
    expect(wrapper.find('[data-testid="tenant-delete-now"]').exists()).toBe(false);
    expect(wrapper.find('[data-testid="certificate-panel"]').exists()).toBe(false);
    expect(dialogOpen(wrapper)).toBe(false);
  });

  it('runs a backup now and polls the list until that generation is complete', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const fresh = makeGeneration({ id: '30000000-0000-4000-8000-0000000000ff', createdAt: '2026-12-03T01:00:00.000Z' });
    let items: BackupGeneration[] = [daily];
    let tenant: OperatorTenant = makeOperatorTenant();
    const { wrapper, fetchMock } = await mountAs(makeOperator(), {
      [`GET ${BASE}`]: () => jsonResponse(200, tenant),
      [`GET ${BASE}/backups`]: () => jsonResponse(200, { items }),
      [`POST ${BASE}/backups`]: () => {
        // The server lists the new generation as running first.
        items = [{ ...fresh, state: 'running', size: null, sha256: null, counts: null, keyVersion: null, progressBytes: 2048 }, daily];
        return jsonResponse(202, { id: fresh.id });
      },
    });

    await wrapper.get('[data-testid="backup-now"]').trigger('click');
    await flushPromises();
    const post = calls(fetchMock, 'POST', `${BASE}/backups`);
    expect(post).toHaveLength(1);
    expect(headersOf(fetchMock, post[0]!.index)['x-csrf-token']).toBe('csrf-ops');
    expect(wrapper.get('[data-testid="backup-progress"]').text()).toContain('バックアップを作成しています');
    expect(wrapper.get('[data-testid="backup-now"]').attributes('disabled')).toBeDefined();
    expect(wrapper.findAll('[data-testid="generation-row"]')[0]!.get('[data-testid="generation-state"]').text()).toBe('作成中');
    // Bytes written so far, while the archive's own size is not known yet.
    expect(wrapper.findAll('[data-testid="generation-row"]')[0]!.get('[data-testid="generation-size"]').text()).toBe('2.0 KB');
    expect(wrapper.findAll('[data-testid="generation-row"]')[0]!.get('[data-testid="generation-verification"]').text()).toBe('—');
    // A running generation cannot be restored.
    expect(wrapper.findAll('[data-testid="generation-row"]')[0]!.find('[data-testid="generation-restore"]').exists()).toBe(false);

    // Still running at the next round.
    await vi.advanceTimersByTimeAsync(2000);
    await flushPromises();
    expect(calls(fetchMock, 'GET', `${BASE}/backups`).length).toBe(3);
    expect(wrapper.find('[data-testid="backup-progress"]').exists()).toBe(true);

    items = [fresh, daily];
    tenant = { ...tenant, lastBackupAt: '2026-12-03T01:02:00.000Z' };
    await vi.advanceTimersByTimeAsync(2000);
    await flushPromises();

    expect(wrapper.find('[data-testid="backup-progress"]').exists()).toBe(false);
    expect(wrapper.get('[data-testid="tenant-notice"]').text()).toBe('バックアップが完了しました。');
    expect(wrapper.findAll('[data-testid="generation-row"]')[0]!.get('[data-testid="generation-state"]').text()).toBe('完了');
    expect(wrapper.get('[data-testid="tenant-summary"]').text()).toContain('2026/12/03 10:02 JST');

    // Nothing is running any more: no further requests.
    const before = fetchMock.mock.calls.length;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(fetchMock.mock.calls.length).toBe(before);
  });

  it('says why a backup now is refused (409 tenant_busy) and does not wait for it', async () => {
    const { wrapper, fetchMock } = await mountAs(makeOperator(), {
      [`GET ${BASE}`]: () => jsonResponse(200, makeOperatorTenant()),
      [`GET ${BASE}/backups`]: () => jsonResponse(200, { items: [daily] }),
      [`POST ${BASE}/backups`]: () => problem(409, 'tenant_busy'),
    });

    await wrapper.get('[data-testid="backup-now"]').trigger('click');
    await flushPromises();

    expect(wrapper.get('[data-testid="tenant-action-error"]').text()).toBe(
      'この契約ではリストアまたは消去を実行中です。終わってから、もう一度お試しください。',
    );
    expect(wrapper.find('[data-testid="backup-progress"]').exists()).toBe(false);
    expect(wrapper.get('[data-testid="backup-now"]').attributes('disabled')).toBeUndefined();
    expect(calls(fetchMock, 'GET', `${BASE}/backups`)).toHaveLength(1);
  });

  it('reports a failed backup', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const fresh = makeGeneration({ id: '30000000-0000-4000-8000-0000000000fe', state: 'running' });
    let items: BackupGeneration[] = [];
    const { wrapper } = await mountAs(makeOperator(), {
      [`GET ${BASE}`]: () => jsonResponse(200, makeOperatorTenant()),
      [`GET ${BASE}/backups`]: () => jsonResponse(200, { items }),
      [`POST ${BASE}/backups`]: () => jsonResponse(202, { id: fresh.id }),
    });
    expect(wrapper.get('[data-testid="generations-empty"]').text()).toBe('バックアップはまだありません。');

    await wrapper.get('[data-testid="backup-now"]').trigger('click');
    await flushPromises();
    // Not listed yet: the page keeps asking.
    expect(wrapper.find('[data-testid="backup-progress"]').exists()).toBe(true);
    items = [{ ...fresh, state: 'failed' }];
    await vi.advanceTimersByTimeAsync(2000);
    await flushPromises();

    expect(wrapper.find('[data-testid="backup-progress"]').exists()).toBe(false);
    expect(wrapper.get('[data-testid="tenant-notice"]').text()).toContain('バックアップに失敗しました');
    expect(wrapper.get('[data-testid="tenant-notice"]').classes()).toContain('alert-error');
  });

  it('restores only after a confirmation that names the generation, then shows the progress until complete', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    let job = { id: 'restore-1', generationId: weekly.id, state: 'running', step: 'verifying', error: null as string | null };
    const { wrapper, fetchMock } = await mountAs(makeOperator(), {
      [`GET ${BASE}`]: () => jsonResponse(200, makeOperatorTenant()),
      [`GET ${BASE}/backups`]: () => jsonResponse(200, { items: [daily, weekly] }),
      [`POST ${BASE}/restore`]: () => jsonResponse(202, { id: job.id, state: 'running' }),
      [`GET ${BASE}/restores/restore-1`]: () => jsonResponse(200, job),
    });

    await wrapper.findAll('[data-testid="generation-restore"]')[1]!.trigger('click');
    expect(dialogOpen(wrapper)).toBe(true);
    const text = dialog(wrapper).text();
    expect(text).toContain('リストアしますか');
    // The generation: when, which kind, the start of its sha256.
    expect(text).toContain('2026/11/29 04:00 JST に作成された週次バックアップ');
    expect(text).toContain('SHA-256: c0ffee00c0ff…');
    expect(text).toContain('「株式会社アクメ」の現在のデータ');
    expect(text).toContain('置き換えます');
    expect(wrapper.get('[data-testid="restore-warning"]').text()).toContain('先にバックアップが検証');

    // Cancel: nothing is sent.
    await wrapper.get('[data-testid="confirm-cancel"]').trigger('click');
    expect(dialogOpen(wrapper)).toBe(false);
    expect(calls(fetchMock, 'POST', `${BASE}/restore`)).toHaveLength(0);

    await wrapper.findAll('[data-testid="generation-restore"]')[1]!.trigger('click');
    await wrapper.get('[data-testid="confirm-ok"]').trigger('click');
    await flushPromises();

    const posts = calls(fetchMock, 'POST', `${BASE}/restore`);
    expect(posts).toHaveLength(1);
    expect(posts[0]!.body).toEqual({ backupId: weekly.id });
    expect(headersOf(fetchMock, posts[0]!.index)['x-csrf-token']).toBe('csrf-ops');
    expect(dialogOpen(wrapper)).toBe(false);
    expect(wrapper.get('[data-testid="restore-progress"]').text()).toContain('リストアしています');
    // Nothing else may start meanwhile.
    expect(wrapper.get('[data-testid="backup-now"]').attributes('disabled')).toBeDefined();
    expect(wrapper.get('[data-testid="tenant-cancel"]').attributes('disabled')).toBeDefined();

    await vi.advanceTimersByTimeAsync(2000);
    await flushPromises();
    expect(wrapper.get('[data-testid="restore-progress"]').text()).toContain('手順: 検証');

    job = { ...job, step: 'restoring' };
    await vi.advanceTimersByTimeAsync(2000);
    await flushPromises();
    expect(wrapper.get('[data-testid="restore-progress"]').text()).toContain('手順: データとファイルの置き換え');

    job = { ...job, state: 'complete', step: 'done' };
    await vi.advanceTimersByTimeAsync(2000);
    await flushPromises();
    expect(wrapper.find('[data-testid="restore-progress"]').exists()).toBe(false);
    expect(wrapper.get('[data-testid="tenant-notice"]').text()).toBe('リストアが完了しました。');
    expect(wrapper.get('[data-testid="backup-now"]').attributes('disabled')).toBeUndefined();
  });

  it('shows a failed restore with the reason of its error code', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { wrapper } = await mountAs(makeOperator(), {
      [`GET ${BASE}`]: () => jsonResponse(200, makeOperatorTenant()),
      [`GET ${BASE}/backups`]: () => jsonResponse(200, { items: [daily] }),
      [`POST ${BASE}/restore`]: () => jsonResponse(202, { id: 'restore-2', state: 'running' }),
      [`GET ${BASE}/restores/restore-2`]: () =>
        jsonResponse(200, { id: 'restore-2', state: 'failed', step: 'verifying', error: 'backup_invalid' }),
    });

    await wrapper.get('[data-testid="generation-restore"]').trigger('click');
    await wrapper.get('[data-testid="confirm-ok"]').trigger('click');
    await flushPromises();
    await vi.advanceTimersByTimeAsync(2000);
    await flushPromises();

    const notice = wrapper.get('[data-testid="tenant-notice"]');
    expect(notice.classes()).toContain('alert-error');
    expect(notice.text()).toContain('リストアに失敗しました');
    expect(notice.text()).toContain('バックアップの検証に失敗しました');
  });

  it.each([
    ['tenant_busy', 409, 'リストアまたは消去を実行中'],
    ['backup_schema_mismatch', 409, '古いバージョンのデータ形式'],
    ['backup_invalid', 422, 'バックアップの検証に失敗しました'],
  ])('keeps the restore dialog open with the message of %s', async (code, status, message) => {
    const { wrapper } = await mountAs(makeOperator(), {
      [`GET ${BASE}`]: () => jsonResponse(200, makeOperatorTenant()),
      [`GET ${BASE}/backups`]: () => jsonResponse(200, { items: [daily] }),
      [`POST ${BASE}/restore`]: () => problem(status, code),
    });

    await wrapper.get('[data-testid="generation-restore"]').trigger('click');
    await wrapper.get('[data-testid="confirm-ok"]').trigger('click');
    await flushPromises();

    expect(dialogOpen(wrapper)).toBe(true);
    expect(wrapper.get('[data-testid="dialog-error"]').text()).toContain(message);
    expect(wrapper.find('[data-testid="restore-progress"]').exists()).toBe(false);
  });

  it('cancels the contract with an effective time in JST and shows the resulting 消去予定日', async () => {
    let tenant: OperatorTenant = makeOperatorTenant();
    const { wrapper, fetchMock } = await mountAs(makeOperator(), {
      [`GET ${BASE}`]: () => jsonResponse(200, tenant),
      [`GET ${BASE}/backups`]: () => jsonResponse(200, { items: [daily] }),
      [`GET ${BASE}/deletion`]: () => problem(404, 'not_found'),
      [`POST ${BASE}/cancel`]: () => {
        tenant = {
          ...tenant,
          status: 'cancelled',
          cancelledAt: '2026-12-04T00:00:00.000Z',
          deletionDueAt: '2026-12-11T14:59:59.999Z',
        };
        return jsonResponse(200, { status: 'cancelled', deletionDueAt: tenant.deletionDueAt });
      },
    });

    await wrapper.get('[data-testid="tenant-cancel"]').trigger('click');
    expect(dialogOpen(wrapper)).toBe(true);
    expect(dialog(wrapper).text()).toContain('「株式会社アクメ」を解約しますか');
    expect(wrapper.get('label[for="tenant-effective-at"]').text()).toBe('解約日時（日本時間）');

    await wrapper.get('[data-testid="tenant-effective-at"]').setValue('2026-12-04T09:00');
    await wrapper.get('[data-testid="confirm-ok"]').trigger('click');
    await flushPromises();

    const posts = calls(fetchMock, 'POST', `${BASE}/cancel`);
    expect(posts).toHaveLength(1);
    // 09:00 in Tokyo is 00:00 UTC.
    expect(posts[0]!.body).toEqual({ effectiveAt: '2026-12-04T00:00:00.000Z' });
    expect(dialogOpen(wrapper)).toBe(false);
    expect(wrapper.get('[data-testid="tenant-notice"]').text()).toBe('解約しました。消去予定日は 2026/12/11 です。');
    expect(wrapper.get('[data-testid="tenant-deletion-due"]').text()).toBe('2026/12/11');
    expect(wrapper.get('[data-testid="tenant-cancelled-at"]').text()).toBe('2026/12/04 09:00 JST');
    expect(wrapper.get('[data-testid="tenant-title"]').text()).toContain('解約済み');
    expect(wrapper.find('[data-testid="tenant-cancel"]').exists()).toBe(false);
    expect(wrapper.get('[data-testid="tenant-reinstate"]').text()).toBe('解約取消');
    expect(wrapper.get('[data-testid="tenant-delete-now"]').text()).toBe('今すぐ消去');
  });

  it('cancels now when no time is given, and refuses a time that is not one', async () => {
    const { wrapper, fetchMock } = await mountAs(makeOperator(), {
      [`GET ${BASE}`]: () => jsonResponse(200, makeOperatorTenant()),
      [`GET ${BASE}/backups`]: () => jsonResponse(200, { items: [] }),
      [`POST ${BASE}/cancel`]: () => problem(409, 'tenant_not_active'),
    });

    await wrapper.get('[data-testid="tenant-cancel"]').trigger('click');
    const input = wrapper.get('[data-testid="tenant-effective-at"]');
    // What a browser without a date-time picker lets through.
    (input.element as HTMLInputElement).type = 'text';
    await input.setValue('next tuesday');
    await wrapper.get('[data-testid="confirm-ok"]').trigger('click');
    await flushPromises();
    expect(calls(fetchMock, 'POST', `${BASE}/cancel`)).toHaveLength(0);
    expect(wrapper.get('#tenant-effective-at-error').text()).toBe('日時を正しく入力してください。');
    expect(input.attributes('aria-invalid')).toBe('true');

    await input.setValue('');
    await wrapper.get('[data-testid="confirm-ok"]').trigger('click');
    await flushPromises();
    const posts = calls(fetchMock, 'POST', `${BASE}/cancel`);
    expect(posts).toHaveLength(1);
    expect(posts[0]!.body).toEqual({});
    // Refused: the dialog stays with the reason.
    expect(dialogOpen(wrapper)).toBe(true);
    expect(wrapper.get('[data-testid="dialog-error"]').text()).toBe('解約できるのは利用中の契約だけです。');
  });

  it('lifts a locked-out tenant’s IP restriction after confirmation and says what happened', async () => {
    let wasEnabled = true;
    const { wrapper, fetchMock } = await mountAs(makeOperator(), {
      [`GET ${BASE}`]: () => jsonResponse(200, makeOperatorTenant()),
      [`GET ${BASE}/backups`]: () => jsonResponse(200, { items: [] }),
      [`POST ${BASE}/ip-allowlist/disable`]: () => {
        const body = { code: 'acme', wasEnabled, entries: wasEnabled ? 2 : 0, adminsNotified: wasEnabled ? 3 : 0 };
        wasEnabled = false;
        return jsonResponse(200, body);
      },
    });
    expect(wrapper.get('[data-testid="ip-allowlist-panel"] h2').text()).toBe('IPアドレス制限');
    await wrapper.get('[data-testid="tenant-ip-allowlist-disable"]').trigger('click');
    expect(calls(fetchMock, 'POST', `${BASE}/ip-allowlist/disable`)).toHaveLength(0);
    expect(wrapper.get('[data-testid="confirm-dialog"]').text()).toContain('IPアドレス制限を解除しますか？');
    await wrapper.get('[data-testid="confirm-ok"]').trigger('click');
    await flushPromises();
    expect(calls(fetchMock, 'POST', `${BASE}/ip-allowlist/disable`)).toHaveLength(1);
    expect(wrapper.get('[data-testid="tenant-notice"]').text()).toBe(
      'IPアドレス制限を解除しました。登録済みのネットワーク（2件）は残し、管理者3名にお知らせしました。',
    );
    await wrapper.get('[data-testid="tenant-ip-allowlist-disable"]').trigger('click');
    await wrapper.get('[data-testid="confirm-ok"]').trigger('click');
    await flushPromises();
    expect(wrapper.get('[data-testid="tenant-notice"]').text()).toBe('この契約のIPアドレス制限はもともと無効でした。変更はありません。');
  });

  it('says why a reinstatement is refused once the deletion has started', async () => {
    const { wrapper } = await mountAs(makeOperator(), {
      [`GET ${BASE}`]: () => jsonResponse(200, makeOperatorTenant({ status: 'cancelled', deletionDueAt: '2026-12-10T14:59:59.999Z' })),
      [`GET ${BASE}/backups`]: () => jsonResponse(200, { items: [] }),
      [`GET ${BASE}/deletion`]: () => problem(404, 'not_found'),
      [`POST ${BASE}/reinstate`]: () => problem(409, 'deletion_started'),
    });

    await wrapper.get('[data-testid="tenant-reinstate"]').trigger('click');
    await wrapper.get('[data-testid="confirm-ok"]').trigger('click');
    await flushPromises();

    expect(dialogOpen(wrapper)).toBe(true);
    expect(wrapper.get('[data-testid="dialog-error"]').text()).toBe('この契約の消去はすでに始まっているため、解約を取り消せません。');
  });

  it('reinstates a cancelled contract after confirmation', async () => {
    let tenant: OperatorTenant = makeOperatorTenant({
      status: 'cancelled',
      cancelledAt: '2026-12-03T01:00:00.000Z',
      deletionDueAt: '2026-12-10T14:59:59.999Z',
    });
    const { wrapper, fetchMock } = await mountAs(makeOperator(), {
      [`GET ${BASE}`]: () => jsonResponse(200, tenant),
      [`GET ${BASE}/backups`]: () => jsonResponse(200, { items: [daily] }),
      [`GET ${BASE}/deletion`]: () => problem(404, 'not_found'),
      [`POST ${BASE}/reinstate`]: () => {
        tenant = makeOperatorTenant();
        return jsonResponse(200, { status: 'active' });
      },
    });
    expect(wrapper.get('[data-testid="tenant-deletion-due"]').text()).toBe('2026/12/10');
    expect(wrapper.find('[data-testid="deletion-progress"]').exists()).toBe(false);

    await wrapper.get('[data-testid="tenant-reinstate"]').trigger('click');
    expect(dialog(wrapper).text()).toContain('解約を取り消しますか');
    await wrapper.get('[data-testid="confirm-ok"]').trigger('click');
    await flushPromises();

    expect(calls(fetchMock, 'POST', `${BASE}/reinstate`)).toHaveLength(1);
    expect(wrapper.get('[data-testid="tenant-notice"]').text()).toBe('解約を取り消しました。');
    expect(wrapper.get('[data-testid="tenant-title"]').text()).toContain('利用中');
    expect(wrapper.find('[data-testid="tenant-delete-now"]').exists()).toBe(false);
  });

  it('deletes now only once the 契約コード is typed, follows the job, and downloads the certificate as PDF and JSON', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    let tenant: OperatorTenant = makeOperatorTenant({
      status: 'cancelled',
      cancelledAt: '2026-12-03T01:00:00.000Z',
      deletionDueAt: '2026-12-10T14:59:59.999Z',
    });
    let deletion: { jobId: string; state: string; step: number; steps: number; certificateId: string | null } | null = null;
    const blobs: Blob[] = [];
    const names: string[] = [];
    vi.spyOn(URL, 'createObjectURL').mockImplementation((blob) => {
      blobs.push(blob as Blob);
      return `blob:cert-${blobs.length}`;
    });
    vi.spyOn(URL, 'revokeObjectURL').mockImplementation(() => undefined);
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      names.push(this.download);
    });
    const { wrapper, fetchMock } = await mountAs(makeOperator(), {
      [`GET ${BASE}`]: () => jsonResponse(200, tenant),
      [`GET ${BASE}/backups`]: () => jsonResponse(200, { items: tenant.status === 'deleted' ? [] : [daily] }),
      [`GET ${BASE}/deletion`]: () => (deletion ? jsonResponse(200, deletion) : problem(404, 'not_found')),
      [`POST ${BASE}/delete-now`]: () => {
        deletion = { jobId: 'job-1', state: 'running', step: 1, steps: 8, certificateId: null };
        return jsonResponse(202, { jobId: 'job-1' });
      },
      'GET /operator/deletion-certificates/cert-1': ({ init }) => {
        const accept = (init.headers as Record<string, string>).Accept;
        if (accept === 'application/pdf') {
          return new Response(new TextEncoder().encode('%PDF-1.7\n…'), { status: 200, headers: { 'Content-Type': 'application/pdf' } });
        }
        return jsonResponse(200, { type: 'charlotte-deletion-certificate', version: 1, id: 'cert-1' });
      },
    });

    await wrapper.get('[data-testid="tenant-delete-now"]').trigger('click');
    expect(dialogOpen(wrapper)).toBe(true);
    expect(dialog(wrapper).text()).toContain('元に戻すことはできません');
    expect(wrapper.get('label[for="tenant-delete-code"]').text()).toBe('確認のため、契約コード「acme」を入力してください');
    const ok = () => wrapper.get('[data-testid="confirm-ok"]');
    expect(ok().attributes('disabled')).toBeDefined();

    await wrapper.get('[data-testid="tenant-delete-code"]').setValue('acm');
    expect(ok().attributes('disabled')).toBeDefined();
    await ok().trigger('click');
    await flushPromises();
    expect(calls(fetchMock, 'POST', `${BASE}/delete-now`)).toHaveLength(0);

    await wrapper.get('[data-testid="tenant-delete-code"]').setValue('acme');
    expect(ok().attributes('disabled')).toBeUndefined();
    await ok().trigger('click');
    await flushPromises();

    const posts = calls(fetchMock, 'POST', `${BASE}/delete-now`);
    expect(posts).toHaveLength(1);
    expect(headersOf(fetchMock, posts[0]!.index)['x-csrf-token']).toBe('csrf-ops');
    expect(dialogOpen(wrapper)).toBe(false);
    expect(wrapper.get('[data-testid="deletion-progress"]').text()).toContain('消去しています');
    expect(wrapper.get('[data-testid="deletion-progress"]').text()).toContain('手順: バックアップの消去');
    expect(wrapper.get('[data-testid="tenant-reinstate"]').attributes('disabled')).toBeDefined();
    expect(wrapper.get('[data-testid="tenant-delete-now"]').attributes('disabled')).toBeDefined();

    const bar = () => wrapper.get('[data-testid="deletion-progress"] progress').element as HTMLProgressElement;
    expect([bar().value, bar().max]).toEqual([1, 8]);

    deletion = { ...deletion!, step: 4 };
    await vi.advanceTimersByTimeAsync(2000);
    await flushPromises();
    expect(wrapper.get('[data-testid="deletion-progress"]').text()).toContain('手順: 暗号鍵の破棄');
    expect([bar().value, bar().max]).toEqual([4, 8]);

    deletion = { ...deletion!, state: 'done', step: 8, certificateId: 'cert-1' };
    tenant = { ...tenant, status: 'deleted', deletedAt: '2026-12-03T02:00:00.000Z', certificateId: 'cert-1' };
    await vi.advanceTimersByTimeAsync(2000);
    await flushPromises();

    expect(wrapper.find('[data-testid="deletion-progress"]').exists()).toBe(false);
    expect(wrapper.get('[data-testid="tenant-notice"]').text()).toBe('消去が完了し、消去証明書を発行しました。');
    expect(wrapper.get('[data-testid="tenant-title"]').text()).toContain('消去済み');
    expect(wrapper.get('[data-testid="tenant-deleted-at"]').text()).toBe('2026/12/03 11:00 JST');
    // Nothing left to do with a deleted contract but the certificate.
    expect(wrapper.find('[data-testid="backup-now"]').exists()).toBe(false);
    expect(wrapper.find('[data-testid="tenant-reinstate"]').exists()).toBe(false);
    expect(wrapper.find('[data-testid="generation-restore"]').exists()).toBe(false);
    expect(wrapper.find('[data-testid="generations-table"]').exists()).toBe(false);

    await wrapper.get('[data-testid="certificate-pdf"]').trigger('click');
    await flushPromises();
    await wrapper.get('[data-testid="certificate-json"]').trigger('click');
    await flushPromises();

    const certCalls = fetchMock.mock.calls.filter(([url]) => String(url).endsWith('/operator/deletion-certificates/cert-1'));
    expect(certCalls.map(([, init]) => (init?.headers as Record<string, string>).Accept)).toEqual(['application/pdf', 'application/json']);
    expect(names).toEqual(['deletion-certificate-acme.pdf', 'deletion-certificate-acme.json']);
    expect(new TextDecoder().decode(new Uint8Array(await blobs[0]!.arrayBuffer())).startsWith('%PDF')).toBe(true);
    expect(blobs[0]!.type).toBe('application/pdf');
    expect(JSON.parse(await blobs[1]!.text())).toMatchObject({ type: 'charlotte-deletion-certificate', id: 'cert-1' });
  });

  it('shows a deletion the daily sweep is running when the page opens', async () => {
    const { wrapper } = await mountAs(makeOperator(), {
      [`GET ${BASE}`]: () =>
        jsonResponse(
          200,
          makeOperatorTenant({ status: 'cancelled', cancelledAt: '2026-11-25T01:00:00.000Z', deletionDueAt: '2026-12-02T14:59:59.999Z' }),
        ),
      [`GET ${BASE}/backups`]: () => jsonResponse(200, { items: [] }),
      [`GET ${BASE}/deletion`]: () => jsonResponse(200, { state: 'running', step: 'rows', certificateId: null }),
    });

    expect(wrapper.get('[data-testid="deletion-progress"]').text()).toContain('消去しています');
    // A server that names its steps.
    expect(wrapper.get('[data-testid="deletion-progress"]').text()).toContain('手順: データの消去');
    expect(wrapper.get('[data-testid="tenant-delete-now"]').attributes('disabled')).toBeDefined();
  });

  it('keeps the delete dialog open with the message of tenant_not_cancelled and tenant_busy', async () => {
    let code = 'tenant_not_cancelled';
    const { wrapper } = await mountAs(makeOperator(), {
      [`GET ${BASE}`]: () => jsonResponse(200, makeOperatorTenant({ status: 'cancelled', deletionDueAt: '2026-12-10T14:59:59.999Z' })),
      [`GET ${BASE}/backups`]: () => jsonResponse(200, { items: [] }),
      [`GET ${BASE}/deletion`]: () => problem(404, 'not_found'),
      [`POST ${BASE}/delete-now`]: () => problem(409, code),
    });

    await wrapper.get('[data-testid="tenant-delete-now"]').trigger('click');
    await wrapper.get('[data-testid="tenant-delete-code"]').setValue('acme');
    await wrapper.get('[data-testid="confirm-ok"]').trigger('click');
    await flushPromises();
    expect(dialogOpen(wrapper)).toBe(true);
    expect(wrapper.get('[data-testid="dialog-error"]').text()).toBe('この操作は解約済みの契約にだけ行えます。');

    code = 'tenant_busy';
    await wrapper.get('[data-testid="confirm-ok"]').trigger('click');
    await flushPromises();
    expect(wrapper.get('[data-testid="dialog-error"]').text()).toContain('リストアまたは消去を実行中');
    expect(wrapper.find('[data-testid="deletion-progress"]').exists()).toBe(false);
  });

  it('offers the certificate of a deleted contract and reports a failed download', async () => {
    let pdfAnswer: 'missing' | 'no_font' = 'missing';
    const { wrapper } = await mountAs(
      makeOperator(),
      {
        [`GET ${BASE}`]: () =>
          jsonResponse(200, makeOperatorTenant({ status: 'deleted', deletedAt: '2026-12-03T02:00:00.000Z', certificateId: 'cert-9' })),
        [`GET ${BASE}/backups`]: () => jsonResponse(200, { items: [] }),
        'GET /operator/deletion-certificates/cert-9': () =>
          pdfAnswer === 'missing' ? problem(404, 'not_found') : problem(503, 'certificate_font_missing'),
      },
      'en',
    );

    expect(wrapper.get('[data-testid="certificate-pdf"]').text()).toBe('Deletion certificate (PDF)');
    expect(wrapper.get('[data-testid="certificate-json"]').text()).toBe('Deletion certificate (JSON)');
    expect(wrapper.get('[data-testid="tenant-title"]').text()).toContain('Deleted');
    await wrapper.get('[data-testid="certificate-pdf"]').trigger('click');
    await flushPromises();
    expect(wrapper.get('[data-testid="tenant-action-error"]').text()).toBe('Not found. It may already have been deleted.');

    pdfAnswer = 'no_font';
    await wrapper.get('[data-testid="certificate-pdf"]').trigger('click');
    await flushPromises();
    expect(wrapper.get('[data-testid="tenant-action-error"]').text()).toContain('The JSON certificate can be downloaded');
  });

  it('refuses tenant admins without asking the server', async () => {
    const { wrapper, fetchMock } = await mountAs(makeUser({ role: 'admin' }), {});

    expect(fetchMock).not.toHaveBeenCalled();
    expect(wrapper.get('[data-testid="operator-forbidden"]').text()).toContain('権限がありません');
    expect(wrapper.find('[data-testid="backup-now"]').exists()).toBe(false);
  });
});
