import { onBeforeUnmount, watch, type Ref } from 'vue';

export interface StatusPollOptions {
  /** Whether there is anything to wait for (e-Gov is working on it). */
  active: Readonly<Ref<boolean>>;
  intervalMs: number;
  /** Asks for news; errors are the caller's to swallow. */
  poll: () => Promise<void>;
  /** A round is skipped (not stopped) while this is true, e.g. while the page reloads. */
  skip?: () => boolean;
}

/**
 * A light poll while `active`: one request at a time (the next round waits
 * for the answer of the last), none from a hidden tab (it catches up once
 * shown), and none after the component is gone.
 */
export function useStatusPoll(options: StatusPollOptions): { stop: () => void } {
  let timer: ReturnType<typeof setTimeout> | null = null;
  let unmounted = false;

  function stop(): void {
    if (timer !== null) clearTimeout(timer);
    timer = null;
  }

  function schedule(): void {
    stop();
    if (unmounted || !options.active.value) return;
    timer = setTimeout(() => {
      timer = null;
      void (async () => {
        if (document.visibilityState !== 'hidden' && !options.skip?.()) await options.poll();
        if (timer === null) schedule();
      })();
    }, options.intervalMs);
  }

  watch(options.active, (on) => {
    if (!on) stop();
    else if (timer === null) schedule();
  });

  onBeforeUnmount(() => {
    unmounted = true;
    stop();
  });

  return { stop };
}
