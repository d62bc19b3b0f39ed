import type { AppConfig } from '@charlotte/core';
import { PasswordService } from './password.service';

/** ARGON2_MAX_CONCURRENT: hashes beyond the limit wait their turn; every answer stays right; the parameters are the configured ones. */
describe('PasswordService concurrency limit', () => {
  const config = { argon2MemoryKib: 8192, argon2Iterations: 1, argon2MaxConcurrent: 2 } as AppConfig;

  it('runs at most ARGON2_MAX_CONCURRENT hashes at once, and answers each verify rightly', async () => {
    const svc = new PasswordService(config);
    await svc.onModuleInit();
    const good = await svc.hash('correct horse battery staple');
    expect(good).toMatch(/^\$argon2id\$v=19\$m=8192,t=1,p=1\$/);
    let peak = 0;
    const timer = setInterval(() => (peak = Math.max(peak, svc.load().running)), 1);
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        (async () => {
          const r = svc.verify(i === 7 ? null : good, i % 2 ? 'correct horse battery staple' : 'wrong');
          peak = Math.max(peak, svc.load().running);
          return r;
        })(),
      ),
    );
    clearInterval(timer);
    expect(answers).toEqual([false, true, false, true, false, true, false, false]);
    expect(peak).toBe(2);
    expect(svc.load()).toEqual({ running: 0, waiting: 0 });
  });

  it('frees its place when a hash fails', async () => {
    const svc = new PasswordService({ ...config, argon2MaxConcurrent: 1 });
    await svc.onModuleInit();
    expect(await svc.verify('not-a-hash', 'x')).toBe(false);
    expect(svc.load()).toEqual({ running: 0, waiting: 0 });
    expect(await svc.verify(await svc.hash('p4ssword-long-enough'), 'p4ssword-long-enough')).toBe(true);
  });
});
