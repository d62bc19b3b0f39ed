import { ref, type Ref } from 'vue';
import { useI18n } from 'vue-i18n';
import type { RouteLocationRaw } from 'vue-router';
import { NOTICE_KINDS, api, type Notice } from '@/api/client';
import { usePagedList } from '@/composables/usePagedList';
import { useSessionStore } from '@/stores/session';

/**
 * Bumped whenever a page marks お知らせ read, so that the bell (which polls
 * only every minute) asks for its count again at once.
 */
export const noticesChanged = ref(0);

/** How an お知らせ reads and where it leads: shared by the bell and the お知らせ page. */
export function useNoticeText() {
  const { t } = useI18n();
  const session = useSessionStore();

  function text(n: Notice): string {
    if (n.kind === 'incident') return t('notices.incident', { title: n.title ?? '' });
    return (NOTICE_KINDS as readonly string[]).includes(n.kind) ? t(`notices.kinds.${n.kind}`) : t('notices.unknown', { kind: n.kind });
  }

  /** An incident opens the 運用状況 page at that incident, a disabled webhook the Webhook page; anything else its application (or nothing). */
  function target(n: Notice): RouteLocationRaw | null {
    if (n.kind === 'incident' && n.incidentId) return { name: 'status', hash: `#${n.incidentId}` };
    if (n.kind === 'webhook_disabled') return { name: 'webhooks' };
    if (n.kind === 'client_request_created' || n.kind === 'client_request_closed') return { name: 'requests' };
    if (n.applicationId) return { name: session.isClient ? 'portal-application' : 'application', params: { id: n.applicationId } };
    return null;
  }

  return { text, target };
}

/** How many お知らせ a page of the お知らせ page asks for (the bell asks for fewer). */
export const NOTICES_PAGE_SIZE = 50;

export interface NoticeList {
  items: Ref<Notice[]>;
  unread: Ref<number>;
  /** Where the next page starts; null when every お知らせ is shown. */
  nextCursor: Ref<string | null>;
  loading: Ref<boolean>;
  loadingMore: Ref<boolean>;
  loadError: Ref<unknown>;
  actionError: Ref<unknown>;
  /** The first page again (`more`: the next one, appended). */
  load: (more?: boolean) => Promise<void>;
  markRead: (n: Notice) => Promise<void>;
  markAllRead: () => Promise<void>;
}

/**
 * The お知らせ page's list: as `GET /notices` answers it (unread first, then
 * newest first), page by page with the cursor, with mark read and mark all read.
 * Marking one read changes it where it is shown (reloading would lose the pages
 * loaded so far); a later page may list it again in the read part, and it is
 * kept once.
 */
export function useNoticeList(): NoticeList {
  const unread = ref(0);
  const actionError = ref<unknown>(null);
  const pages = usePagedList<Notice>(
    async (cursor) => {
      const page = await api.listNotices({ limit: NOTICES_PAGE_SIZE, cursor });
      unread.value = page.unread;
      return page;
    },
    { keyOf: (n) => n.id },
  );

  async function markRead(n: Notice): Promise<void> {
    if (n.readAt !== null) return;
    actionError.value = null;
    try {
      await api.markNoticeRead(n.id);
      const readAt = new Date().toISOString();
      pages.items.value = pages.items.value.map((x) => (x.id === n.id ? { ...x, readAt } : x));
      unread.value = Math.max(0, unread.value - 1);
      noticesChanged.value++;
    } catch (error) {
      actionError.value = error;
    }
  }

  async function markAllRead(): Promise<void> {
    actionError.value = null;
    try {
      await api.markAllNoticesRead();
      noticesChanged.value++;
      await pages.load();
    } catch (error) {
      actionError.value = error;
    }
  }

  return {
    items: pages.items,
    unread,
    nextCursor: pages.nextCursor,
    loading: pages.loading,
    loadingMore: pages.loadingMore,
    loadError: pages.loadError,
    actionError,
    load: pages.load,
    markRead,
    markAllRead,
  };
}
