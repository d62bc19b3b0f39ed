import { describe, expect, it } from 'vitest';
import { ApiError } from '@/api/client';
import { isInDoubt, useFilingAction } from '@/composables/useFilingAction';

const network = () => new ApiError(0, { code: 'network_error' });
const refused = (code = 'not_ready') => new ApiError(409, { code });

describe(useFilingAction.name, () => {
  it('keeps the Idempotency-Key while the outcome is in doubt, and forgets it after a definite answer', async () => {
    const sut = useFilingAction();
    const keys: string[] = [];
    const attempt = (error: unknown) =>
      sut.run(async () => {
        keys.push(sut.idempotencyKey());
        throw error;
      });

    await attempt(network());
    expect(sut.inDoubt.value).toBe(true);
    await attempt(new ApiError(503, { code: 'unavailable' }));
    expect(keys[1]).toBe(keys[0]);
    await attempt(refused());
    expect(keys[2]).toBe(keys[0]);
    expect(sut.inDoubt.value).toBe(false);
    expect(sut.errorCode.value).toBe('not_ready');
    await attempt(network());
    expect(keys[3]).not.toBe(keys[0]);
  });

  it('uses a new key for another subject (a new version, another reason) and after the server took it', async () => {
    const sut = useFilingAction();
    const first = sut.idempotencyKey(3);
    expect(sut.idempotencyKey(3)).toBe(first);
    expect(sut.idempotencyKey(4)).not.toBe(first);
    const fourth = sut.idempotencyKey(4);
    sut.accepted();
    expect(sut.idempotencyKey(4)).not.toBe(fourth);
  });

  it('runs one request at a time and clears the last error when a new one starts', async () => {
    const sut = useFilingAction();
    await sut.run(() => Promise.reject(refused()));
    expect(sut.error.value).toBeInstanceOf(ApiError);

    let release!: () => void;
    const first = sut.run(() => new Promise<void>((resolve) => (release = resolve)));
    expect(sut.busy.value).toBe(true);
    expect(sut.error.value).toBeNull();
    let secondRan = false;
    await sut.run(async () => {
      secondRan = true;
    });
    expect(secondRan).toBe(false);
    release();
    await first;
    expect(sut.busy.value).toBe(false);
  });

  it('leaves the error to the caller when onError showed it elsewhere', async () => {
    const sut = useFilingAction();
    const seen: (string | null)[] = [];
    await sut.run(
      () => Promise.reject(refused('validation_failed')),
      () => {
        seen.push(sut.errorCode.value);
        return true;
      },
    );
    expect(seen).toEqual(['validation_failed']);
    expect(sut.error.value).toBeNull();
  });

  it('treats anything but a 4xx answer as in doubt', () => {
    expect(isInDoubt(new Error('boom'))).toBe(true);
    expect(isInDoubt(network())).toBe(true);
    expect(isInDoubt(new ApiError(502, {}))).toBe(true);
    expect(isInDoubt(refused())).toBe(false);
  });
});
