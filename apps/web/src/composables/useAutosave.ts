import { computed, onBeforeUnmount, ref, type ComputedRef, type Ref } from 'vue';

/**
 * - `saved`: what the server has is what the page shows;
 * - `pending`: changes wait for the debounce;
 * - `saving`: a save is on its way;
 * - `failed`: the last save failed (the changes are kept; the next change or
 *   {@link Autosave.flush} tries again);
 * - `stopped`: a fatal answer (e.g. 409 version_conflict): no more saves
 *   until {@link Autosave.reset}.
 */
export type AutosaveState = 'saved' | 'pending' | 'saving' | 'failed' | 'stopped';

export interface AutosaveOptions {
  /** Quiet time after the last change before saving. */
  delayMs: number;
  /** Sends what the page shows now. Throws when the server refuses. */
  save: () => Promise<void>;
  /** Errors after which saving must stop (the user has to reload first). */
  isFatal: (error: unknown) => boolean;
}

export interface Autosave {
  readonly state: Readonly<Ref<AutosaveState>>;
  readonly error: Readonly<Ref<unknown>>;
  /** Changes the server does not have yet (pending, in flight or refused). */
  readonly hasUnsaved: ComputedRef<boolean>;
  /** Marks a change and (re)starts the debounce. */
  changed: () => void;
  /** Saves now if there is anything to save; true when nothing is left unsaved. */
  flush: () => Promise<boolean>;
  /** Forgets local changes and errors (after a reload). */
  reset: () => void;
}

/**
 * Debounced saving of an editor: one save at a time; changes made while a
 * save is in flight are saved afterwards (a revision counter tells whether the
 * save that just finished covered them).
 */
export function useAutosave(options: AutosaveOptions): Autosave {
  const state = ref<AutosaveState>('saved');
  const error = ref<unknown>(null);
  /** Bumped by every change. */
  let revision = 0;
  /** The revision the server has. */
  let savedRevision = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let inFlight: Promise<void> | null = null;

  const dirty = ref(false);
  const hasUnsaved = computed(() => dirty.value || state.value === 'saving');

  function clearTimer(): void {
    if (timer !== null) clearTimeout(timer);
    timer = null;
  }

  function schedule(): void {
    clearTimer();
    timer = setTimeout(() => {
      timer = null;
      void run();
    }, options.delayMs);
  }

  function changed(): void {
    revision++;
    dirty.value = true;
    if (state.value === 'stopped') return;
    // While a save is in flight it keeps showing "saving"; run() reschedules afterwards.
    if (state.value !== 'saving') state.value = 'pending';
    schedule();
  }

  async function run(): Promise<void> {
    if (inFlight) {
      await inFlight;
      // The save that just finished reschedules itself when changes are left.
      return;
    }
    if (state.value === 'stopped' || revision === savedRevision) return;
    clearTimer();
    const covering = revision;
    state.value = 'saving';
    error.value = null;
    inFlight = (async () => {
      try {
        await options.save();
        savedRevision = covering;
        if (revision === covering) {
          dirty.value = false;
          state.value = 'saved';
        } else {
          state.value = 'pending';
          schedule();
        }
      } catch (e) {
        error.value = e;
        state.value = options.isFatal(e) ? 'stopped' : 'failed';
        if (state.value === 'stopped') clearTimer();
      } finally {
        inFlight = null;
      }
    })();
    await inFlight;
  }

  async function flush(): Promise<boolean> {
    clearTimer();
    if (inFlight) await inFlight;
    // Changes typed while a save is in flight are saved by the next round; a
    // refusal ends the loop (the bound only guards against endless typing).
    for (let round = 0; round < 5 && state.value !== 'stopped' && revision !== savedRevision; round++) {
      await run();
      clearTimer();
      if (state.value === 'failed') break;
    }
    if (state.value === 'pending') schedule();
    return state.value !== 'stopped' && revision === savedRevision;
  }

  function reset(): void {
    clearTimer();
    revision = 0;
    savedRevision = 0;
    dirty.value = false;
    error.value = null;
    state.value = 'saved';
  }

  onBeforeUnmount(clearTimer);

  return { state, error, hasUnsaved, changed, flush, reset };
}
