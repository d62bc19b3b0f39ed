import { computed, ref, type ComputedRef, type Ref } from 'vue';
import { ApiError } from '@/api/client';

/** The server may or may not have taken the request (network error, 5xx). */
export function isInDoubt(error: unknown): boolean {
  return !(error instanceof ApiError) || error.status === 0 || error.status >= 500;
}

export function apiErrorCode(error: unknown): string | null {
  return error instanceof ApiError ? error.code : null;
}

export interface FilingAction {
  /** A request of this action is on its way (one at a time). */
  readonly busy: Ref<boolean>;
  /** The last refusal or failure shown to the user; null after a success. */
  readonly error: Ref<unknown>;
  readonly errorCode: ComputedRef<string | null>;
  /** The last attempt may have reached the server: a retry reuses its key. */
  readonly inDoubt: ComputedRef<boolean>;
  /**
   * The Idempotency-Key for a request about `subject` (the version a 補正 is
   * sent for, the reason of a 取下げ…): the key of the last attempt while its
   * outcome is in doubt and it was about the same subject, else a new one.
   */
  idempotencyKey: (subject?: string | number | null) => string;
  /** The server took the request: the next one gets a new key. */
  accepted: () => void;
  /**
   * Runs `task` unless a request is already on its way. A thrown error is
   * kept in `error` unless `onError` says it showed it elsewhere (returns
   * true); after a definite answer (not in doubt) the key is forgotten.
   */
  run: (task: () => Promise<void>, onError?: (error: unknown) => boolean | void | Promise<void>) => Promise<void>;
}

/**
 * One filing request to e-Gov through Charlotte (submit, 補正, 取下げ, reopen):
 * busy flag, error, and the Idempotency-Key kept while the outcome is in doubt
 * so that a retry cannot file twice.
 */
export function useFilingAction(): FilingAction {
  const busy = ref(false);
  const error = ref<unknown>(null);
  let key: { key: string; subject: string | number | null } | null = null;

  function idempotencyKey(subject: string | number | null = null): string {
    if (key?.subject !== subject) key = { key: crypto.randomUUID(), subject };
    return key.key;
  }

  async function run(task: () => Promise<void>, onError?: (error: unknown) => boolean | void | Promise<void>): Promise<void> {
    if (busy.value) return;
    busy.value = true;
    error.value = null;
    try {
      await task();
    } catch (e) {
      if (!isInDoubt(e)) key = null;
      error.value = e;
      // Shown elsewhere (at a field, as a question): not as this action's error.
      if ((await onError?.(e)) === true) error.value = null;
    } finally {
      busy.value = false;
    }
  }

  return {
    busy,
    error,
    errorCode: computed(() => apiErrorCode(error.value)),
    inDoubt: computed(() => error.value !== null && isInDoubt(error.value)),
    idempotencyKey,
    accepted: () => {
      key = null;
    },
    run,
  };
}
