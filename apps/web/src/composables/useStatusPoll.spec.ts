import { afterEach, describe, expect, it, vi } from 'vitest';
import { mount } from '@vue/test-utils';
import { defineComponent, h, ref } from 'vue';
import { useStatusPoll } from '@/composables/useStatusPoll';

function setup(poll: () => Promise<void>, skip: () => boolean = () => false) {
  const active = ref(false);
  const wrapper = mount(
    defineComponent({
      setup() {
        useStatusPoll({ active, intervalMs: 5000, poll, skip });
        return () => h('span');
      },
    }),
  );
  return { active, wrapper };
}

describe(useStatusPoll.name, () => {
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it('asks every interval while active, and stops when it is no more', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const poll = vi.fn(() => Promise.resolve());
    const { active, wrapper } = setup(poll);

    await vi.advanceTimersByTimeAsync(10_000);
    expect(poll).not.toHaveBeenCalled();
    active.value = true;
    await vi.advanceTimersByTimeAsync(4999);
    expect(poll).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(poll).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(5000);
    expect(poll).toHaveBeenCalledTimes(2);
    active.value = false;
    await vi.advanceTimersByTimeAsync(20_000);
    expect(poll).toHaveBeenCalledTimes(2);
    wrapper.unmount();
  });

  it('waits for the answer of the last round before the next', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    let release!: () => void;
    const poll = vi.fn(() => new Promise<void>((resolve) => (release = resolve)));
    const { active, wrapper } = setup(poll);
    active.value = true;
    await vi.advanceTimersByTimeAsync(5000);
    await vi.advanceTimersByTimeAsync(20_000);
    expect(poll).toHaveBeenCalledTimes(1);
    release();
    await vi.advanceTimersByTimeAsync(5000);
    expect(poll).toHaveBeenCalledTimes(2);
    wrapper.unmount();
  });

  it('skips rounds while hidden or told to, and stops when the component goes away', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const poll = vi.fn(() => Promise.resolve());
    let reloading = true;
    const { active, wrapper } = setup(poll, () => reloading);
    active.value = true;
    await vi.advanceTimersByTimeAsync(5000);
    expect(poll).not.toHaveBeenCalled();
    reloading = false;
    const visibility = vi.spyOn(document, 'visibilityState', 'get').mockReturnValue('hidden');
    await vi.advanceTimersByTimeAsync(5000);
    expect(poll).not.toHaveBeenCalled();
    visibility.mockReturnValue('visible');
    await vi.advanceTimersByTimeAsync(5000);
    expect(poll).toHaveBeenCalledTimes(1);
    wrapper.unmount();
    await vi.advanceTimersByTimeAsync(20_000);
    expect(poll).toHaveBeenCalledTimes(1);
  });
});
