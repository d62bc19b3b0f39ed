import { afterEach, describe, expect, it, vi } from 'vitest';
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import ApprovalPanel from '@/components/application/ApprovalPanel.vue';
import { createAppI18n } from '@/i18n';
import { api, type Approval } from '@/api/client';
import { useSessionStore } from '@/stores/session';
import { TENANT, jsonResponse, makeUser, problem, stubApi, type Handler } from '@/testing/helpers';

const APP_ID = '00000000-0000-4000-8000-000000000001';
const ME = '00000000-0000-4000-8000-0000000000b1';
const REQUESTER = '00000000-0000-4000-8000-0000000000b2';

function approval(overrides: Partial<Approval> = {}): Approval {
  return {
    id: '00000000-0000-4000-8000-0000000000c1',
    applicationId: APP_ID,
    procedureCode: 'shaho-shutoku',
    action: 'submit',
    status: 'pending',
    currentStep: 0,
    steps: [{ approvers: [ME], mode: 'any', decisions: [] }],
    allowSelfApproval: false,
    applicationVersion: 3,
    requestedBy: REQUESTER,
    requestedAt: '2026-04-01T00:30:00.000Z',
    decidedAt: null,
    canDecide: true,
    people: [
      { id: ME, name: '承認 花子' },
      { id: REQUESTER, name: '依頼 太郎' },
    ],
    ...overrides,
  };
}

let wrapper: VueWrapper | null = null;
async function mountPanel(handlers: Record<string, Handler>, status: 'awaiting_approval' | 'draft' = 'awaiting_approval') {
  const fetchMock = stubApi(handlers);
  const pinia = createPinia();
  setActivePinia(pinia);
  useSessionStore().user = makeUser({ id: ME, role: 'member' });
  useSessionStore().tenant = TENANT;
  api.setCsrfToken('csrf');
  wrapper = mount(ApprovalPanel, {
    props: { applicationId: APP_ID, status, version: 3 },
    global: { plugins: [pinia, createAppI18n('ja')] },
    attachTo: document.body,
  });
  await flushPromises();
  return { wrapper, fetchMock };
}

describe('ApprovalPanel', () => {
  afterEach(() => {
    wrapper?.unmount();
    wrapper = null;
    vi.unstubAllGlobals();
  });

  it('shows the pending approval with its approvers, and approves with the comment', async () => {
    const { wrapper: w, fetchMock } = await mountPanel({
      'GET /approvals': () => jsonResponse(200, { items: [approval()] }),
      [`POST /approvals/${approval().id}/approve`]: () => jsonResponse(200, approval({ status: 'approved', canDecide: false })),
    });
    expect(w.get('[data-testid="approval-status"]').text()).toBe('承認待ち');
    expect(w.get('[data-testid="approval-approver"]').text()).toContain('承認 花子（あなた）');
    await w.get('[data-testid="approval-comment-input"]').setValue('確認しました');
    await w.get('[data-testid="approval-approve"]').trigger('click');
    await flushPromises();
    const post = fetchMock.mock.calls.find(([, init]) => init?.method === 'POST');
    expect(JSON.parse(String(post?.[1]?.body))).toEqual({ comment: '確認しました' });
    expect(w.emitted('changed')).toHaveLength(1);
    expect(w.get('[data-testid="approval-notice"]').text()).toBe('承認しました。');
  });

  it('asks for a comment before sending back, and shows a refusal in words', async () => {
    const { wrapper: w, fetchMock } = await mountPanel({
      'GET /approvals': () => jsonResponse(200, { items: [approval()] }),
      [`POST /approvals/${approval().id}/send-back`]: () => problem(403, 'self_approval_not_allowed'),
    });
    await w.get('[data-testid="approval-send-back"]').trigger('click');
    await flushPromises();
    expect(fetchMock.mock.calls.some(([, init]) => init?.method === 'POST')).toBe(false);
    expect(w.get('[data-testid="approval-comment-input"]').attributes('aria-invalid')).toBe('true');
    await w.get('[data-testid="approval-comment-input"]').setValue('住所を確認してください');
    await w.get('[data-testid="approval-send-back"]').trigger('click');
    await flushPromises();
    expect(w.get('[data-testid="approval-error"]').text()).toBe(
      'ご自身が依頼した申請は承認できません。他の承認者に承認を依頼してください。',
    );
  });

  it('shows the requester why it was sent back, and nothing once the approval is over', async () => {
    const sentBack = approval({
      status: 'sent_back',
      canDecide: false,
      steps: [
        {
          approvers: [ME],
          mode: 'any',
          decisions: [{ userId: ME, decision: 'sent_back', comment: '住所を確認してください', at: '2026-04-01T01:00:00.000Z' }],
        },
      ],
    });
    const { wrapper: w } = await mountPanel({ 'GET /approvals': () => jsonResponse(200, { items: [sentBack] }) }, 'draft');
    expect(w.find('[data-testid="approval-sent-back"]').exists()).toBe(true);
    expect(w.get('[data-testid="approval-comment"]').text()).toBe('住所を確認してください');
    expect(w.find('[data-testid="approval-approve"]').exists()).toBe(false);
    wrapper?.unmount();
    const { wrapper: w2 } = await mountPanel({
      'GET /approvals': () => jsonResponse(200, { items: [approval({ status: 'approved', canDecide: false })] }),
    });
    expect(w2.find('[data-testid="approval-panel"]').exists()).toBe(false);
  });

  it('offers 取り下げ to the requester only, and withdraws the request', async () => {
    const mine = approval({ requestedBy: ME, canDecide: false, steps: [{ approvers: [REQUESTER], mode: 'any', decisions: [] }] });
    const { wrapper: w, fetchMock } = await mountPanel({
      'GET /approvals': () => jsonResponse(200, { items: [mine], nextCursor: null }),
      [`POST /approvals/${mine.id}/cancel`]: () => jsonResponse(200, { ...mine, status: 'cancelled' }),
    });
    const button = w.get('[data-testid="approval-withdraw"]');
    expect(button.classes()).toContain('button-danger-outline');
    await button.trigger('click');
    await flushPromises();
    expect(
      fetchMock.mock.calls.some(([url, init]) => String(url).endsWith(`/approvals/${mine.id}/cancel`) && init?.method === 'POST'),
    ).toBe(true);
    expect(w.emitted('changed')).toHaveLength(1);
    expect(w.get('[data-testid="approval-notice"]').text()).toBe('承認依頼を取り下げました。');
  });

  it('offers no 取り下げ to an approver', async () => {
    const { wrapper: w } = await mountPanel({ 'GET /approvals': () => jsonResponse(200, { items: [approval()], nextCursor: null }) });
    expect(w.find('[data-testid="approval-withdraw"]').exists()).toBe(false);
  });
});
