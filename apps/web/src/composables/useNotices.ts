import { ref, type Ref } from 'vue';
import { useI18n } from 'vue-i18n';
import type { RouteLocationRaw } from 'vue-router';
import { NOTICE_KINDS, api, type Notice } from '@/api/client';

/**
 * Bumped whenever a page marks お知らせ read, so that the bell (which polls
 * only every minute) asks for its count again at once.
 */
export const noticesChanged = ref(0);

/** How an お知らせ reads and where it leads: shared by the bell and the お知らせ page. */
export function useNoticeText() {
  const { t } = useI18n();

  function text(n: Notice): string {
    if (n.kind === 'incident') return t('notices.incident', { title: n.title ?? '' });
    return (NOTICE_KINDS as readonly string[]).includes(n.kind) ? t(`notices.kinds.${n.kind}`) : t('notices.unknown', { kind: n.kind });
  }

  /** An incident opens the 運用状況 page at that incident, a disabled webhook the Webhook page; anything else its application (or nothing). */
  function target(n: Notice): RouteLocationRaw | null {
    if (n.kind === 'incident' && n.incidentId) return { name: 'status', hash: `#${n.incidentId}` };
    if (n.kind === 'webhook_disabled') return { name: 'webhooks' };
    if (n.applicationId) return { name: 'application', params: { id: n.applicationId } };
    return null;
  }

  return { text, target };
}

export interface NoticeList {
  items: Ref<Notice[]>;
  unread: Ref<number>;
  loading: Ref<boolean>;
  loadError: Ref<unknown>;
  actionError: Ref<unknown>;
  load: () => Promise<void>;
  markRead: (n: Notice) => Promise<void>;
  markAllRead: () => Promise<void>;
}

/** The お知らせ page's list: as `GET /notices` answers it (unread first), with mark read and mark all read. */
export function useNoticeList(): NoticeList {
  const items = ref<Notice[]>([]);
  const unread = ref(0);
  const loading = ref(false);
  const loadError = ref<unknown>(null);
  const actionError = ref<unknown>(null);

  async function load(): Promise<void> {
    loading.value = true;
    loadError.value = null;
    try {
      const list = await api.listNotices();
      items.value = list.items;
      unread.value = list.unread;
    } catch (error) {
      loadError.value = error;
    } finally {
      loading.value = false;
    }
  }

  async function markRead(n: Notice): Promise<void> {
    if (n.readAt !== null) return;
    actionError.value = null;
    try {
      await api.markNoticeRead(n.id);
      noticesChanged.value++;
      await load();
    } catch (error) {
      actionError.value = error;
    }
  }

  async function markAllRead(): Promise<void> {
    actionError.value = null;
    try {
      await api.markAllNoticesRead();
      noticesChanged.value++;
      await load();
    } catch (error) {
      actionError.value = error;
    }
  }

  return { items, unread, loading, loadError, actionError, load, markRead, markAllRead };
}
