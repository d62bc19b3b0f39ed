import { ref, type Ref } from 'vue';

/** One page of a cursor list as the API answers it. */
export interface CursorPage<T> {
  items: T[];
  nextCursor: string | null;
}

export interface PagedList<T> {
  items: Ref<T[]>;
  /** Where the next page starts; null on the last page. */
  nextCursor: Ref<string | null>;
  /** The first page is on its way. */
  loading: Ref<boolean>;
  /** A further page is on its way. */
  loadingMore: Ref<boolean>;
  loadError: Ref<unknown>;
  /** The first page again (`more`: the next one, appended). */
  load: (more?: boolean) => Promise<void>;
}

export interface PagedListOptions<T> {
  /**
   * The identity of a row. With it, a row that comes again on a later page
   * (it moved in the list's order meanwhile, e.g. an お知らせ read between two
   * pages moves from the unread part to the read part) is kept once, where it
   * was first shown.
   */
  keyOf?: (item: T) => string;
}

/**
 * A list read page by page with the API's cursor (elk's paginator, for
 * `{items, nextCursor}` answers). The answer of an older request (filters
 * changed meanwhile) is dropped; a failed first page empties the list, since
 * rows of other filters would pass for answers to these ones.
 */
export function usePagedList<T>(
  fetchPage: (cursor: string | null) => Promise<CursorPage<T>>,
  options: PagedListOptions<T> = {},
): PagedList<T> {
  const items = ref<T[]>([]) as Ref<T[]>;
  const nextCursor = ref<string | null>(null);
  const loading = ref(false);
  const loadingMore = ref(false);
  const loadError = ref<unknown>(null);
  let generation = 0;

  async function load(more = false): Promise<void> {
    const mine = ++generation;
    if (more) loadingMore.value = true;
    else loading.value = true;
    loadError.value = null;
    try {
      const page = await fetchPage(more ? nextCursor.value : null);
      if (mine !== generation) return;
      items.value = more ? append(items.value, page.items) : page.items;
      nextCursor.value = page.nextCursor;
    } catch (error) {
      if (mine !== generation) return;
      loadError.value = error;
      if (!more) {
        items.value = [];
        nextCursor.value = null;
      }
    } finally {
      if (mine === generation) {
        loading.value = false;
        loadingMore.value = false;
      }
    }
  }

  function append(shown: T[], next: T[]): T[] {
    const keyOf = options.keyOf;
    if (!keyOf) return [...shown, ...next];
    const seen = new Set(shown.map(keyOf));
    return [...shown, ...next.filter((item) => !seen.has(keyOf(item)))];
  }

  return { items, nextCursor, loading, loadingMore, loadError, load };
}
