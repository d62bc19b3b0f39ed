import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { Algorithm, hash, verify } from '@node-rs/argon2';
import { APP_CONFIG, AppConfig } from '@charlotte/core';

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 128;

/**
 * argon2id hashing (OWASP minimum by default: m=19 MiB, t=2, p=1).
 *
 * At most ARGON2_MAX_CONCURRENT (default: the CPU count) hashes run at once; the
 * others wait in line. @node-rs/argon2 runs each on a libuv thread (4 by
 * default): four concurrent logins on two cores used to take every thread, each
 * hash running at half speed, while the file writes of the access and audit logs
 * (also libuv threads) queued behind them. The parameters are unchanged.
 */
@Injectable()
export class PasswordService implements OnModuleInit {
  private dummyHash = '';
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  async onModuleInit(): Promise<void> {
    // A real hash with the same parameters, verified for unknown users so that
    // "no such user" costs as much time as "wrong password" (no enumeration by timing).
    this.dummyHash = await this.hash('charlotte-dummy-password-for-timing');
  }

  /** Runs `work` when one of the ARGON2_MAX_CONCURRENT places is free (first come, first served). */
  private async limited<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.config.argon2MaxConcurrent) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await work();
    } finally {
      // The place passes straight to the next in line (running stays the same), or is freed.
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }

  hash(password: string): Promise<string> {
    return this.limited(() =>
      hash(password, {
        algorithm: Algorithm.Argon2id,
        memoryCost: this.config.argon2MemoryKib,
        timeCost: this.config.argon2Iterations,
        parallelism: 1,
      }),
    );
  }

  async verify(passwordHash: string | null | undefined, password: string): Promise<boolean> {
    if (!passwordHash) {
      await this.limited(() => verify(this.dummyHash, password)).catch(() => false);
      return false;
    }
    try {
      return await this.limited(() => verify(passwordHash, password));
    } catch {
      return false;
    }
  }

  /** Hashes running and waiting now (for the test of the limit). */
  load(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }
}
