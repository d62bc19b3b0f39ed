import { describe, expect, it } from 'vitest';
import { usePagedList, type CursorPage } from '@/composables/usePagedList';

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe(usePagedList.name, () => {
  it('reads the first page, then appends the next one from its cursor', async () => {
    const cursors: (string | null)[] = [];
    const pages: CursorPage<number>[] = [
      { items: [1, 2], nextCursor: 'c2' },
      { items: [3], nextCursor: null },
    ];
    const sut = usePagedList<number>(async (cursor) => {
      cursors.push(cursor);
      return pages[cursors.length - 1]!;
    });
    await sut.load();
    expect(sut.items.value).toEqual([1, 2]);
    expect(sut.nextCursor.value).toBe('c2');
    await sut.load(true);
    expect(cursors).toEqual([null, 'c2']);
    expect(sut.items.value).toEqual([1, 2, 3]);
    expect(sut.nextCursor.value).toBeNull();
    expect(sut.loading.value || sut.loadingMore.value).toBe(false);
  });

  it('keeps a row that comes again on a later page once, where it was first shown (with keyOf)', async () => {
    const pages: CursorPage<{ id: string; v: number }>[] = [
      {
        items: [
          { id: 'a', v: 1 },
          { id: 'b', v: 1 },
        ],
        nextCursor: 'c2',
      },
      {
        items: [
          { id: 'a', v: 2 },
          { id: 'c', v: 2 },
        ],
        nextCursor: null,
      },
    ];
    let call = 0;
    const sut = usePagedList(async () => pages[call++]!, { keyOf: (row) => row.id });
    await sut.load();
    await sut.load(true);
    expect(sut.items.value).toEqual([
      { id: 'a', v: 1 },
      { id: 'b', v: 1 },
      { id: 'c', v: 2 },
    ]);
  });

  it('drops the answer of an older request', async () => {
    const calls: ReturnType<typeof deferred<CursorPage<string>>>[] = [];
    const sut = usePagedList<string>(() => {
      const d = deferred<CursorPage<string>>();
      calls.push(d);
      return d.promise;
    });
    const first = sut.load();
    const second = sut.load();
    calls[1]!.resolve({ items: ['new'], nextCursor: null });
    await second;
    calls[0]!.resolve({ items: ['old'], nextCursor: 'x' });
    await first;
    expect(sut.items.value).toEqual(['new']);
    expect(sut.loading.value).toBe(false);
  });

  it('empties the list when a first page fails, and keeps it when a further page fails', async () => {
    let fail = false;
    const sut = usePagedList<number>(async () => {
      if (fail) throw new Error('down');
      return { items: [1], nextCursor: 'c' };
    });
    await sut.load();
    fail = true;
    await sut.load(true);
    expect(sut.items.value).toEqual([1]);
    expect(sut.loadError.value).toBeInstanceOf(Error);
    await sut.load();
    expect(sut.items.value).toEqual([]);
    expect(sut.nextCursor.value).toBeNull();
  });
});
