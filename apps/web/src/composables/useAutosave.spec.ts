import { afterEach, describe, expect, it, vi } from 'vitest';
import { flushPromises, mount } from '@vue/test-utils';
import { defineComponent, h } from 'vue';
import { useAutosave, type Autosave } from '@/composables/useAutosave';

function setup(save: () => Promise<void>, isFatal: (e: unknown) => boolean = () => false): Autosave {
  let sut: Autosave | null = null;
  mount(
    defineComponent({
      setup() {
        sut = useAutosave({ delayMs: 2000, save, isFatal });
        return () => h('span');
      },
    }),
  );
  return sut!;
}

describe(useAutosave.name, () => {
  afterEach(() => vi.useRealTimers());

  it('saves once, 2 s after the last of several changes', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const save = vi.fn(() => Promise.resolve());
    const sut = setup(save);

    sut.changed();
    await vi.advanceTimersByTimeAsync(1000);
    sut.changed();
    await vi.advanceTimersByTimeAsync(1999);
    expect(save).not.toHaveBeenCalled();
    expect(sut.state.value).toBe('pending');
    expect(sut.hasUnsaved.value).toBe(true);

    await vi.advanceTimersByTimeAsync(1);
    await flushPromises();
    expect(save).toHaveBeenCalledTimes(1);
    expect(sut.state.value).toBe('saved');
    expect(sut.hasUnsaved.value).toBe(false);
  });

  it('saves changes made during a save afterwards, and flush waits for both', async () => {
    let release: () => void = () => undefined;
    const save = vi.fn(() => (save.mock.calls.length === 1 ? new Promise<void>((r) => (release = r)) : Promise.resolve()));
    const sut = setup(save);

    sut.changed();
    const flushed = sut.flush();
    await flushPromises();
    expect(sut.state.value).toBe('saving');
    sut.changed();
    release();
    await expect(flushed).resolves.toBe(true);
    expect(save).toHaveBeenCalledTimes(2);
    expect(sut.hasUnsaved.value).toBe(false);
  });

  it('stops after a fatal error and keeps the changes as unsaved', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const save = vi.fn(() => Promise.reject(new Error('409')));
    const sut = setup(save, () => true);

    sut.changed();
    await vi.advanceTimersByTimeAsync(2000);
    await flushPromises();
    expect(sut.state.value).toBe('stopped');
    sut.changed();
    await vi.advanceTimersByTimeAsync(5000);
    expect(save).toHaveBeenCalledTimes(1);
    expect(sut.hasUnsaved.value).toBe(true);
    await expect(sut.flush()).resolves.toBe(false);

    sut.reset();
    expect(sut.state.value).toBe('saved');
    expect(sut.hasUnsaved.value).toBe(false);
  });

  it('keeps trying after a non-fatal failure on the next change', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const save = vi.fn().mockRejectedValueOnce(new Error('offline')).mockResolvedValue(undefined);
    const sut = setup(save);

    sut.changed();
    await vi.advanceTimersByTimeAsync(2000);
    await flushPromises();
    expect(sut.state.value).toBe('failed');
    expect(sut.hasUnsaved.value).toBe(true);
    sut.changed();
    await vi.advanceTimersByTimeAsync(2000);
    await flushPromises();
    expect(sut.state.value).toBe('saved');
    expect(save).toHaveBeenCalledTimes(2);
  });
});
