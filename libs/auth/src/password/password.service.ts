import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { Algorithm, hash, verify } from '@node-rs/argon2';
import { APP_CONFIG, AppConfig } from '@charlotte/core';

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 128;

/** argon2id hashing (OWASP minimum by default: m=19 MiB, t=2, p=1). */
@Injectable()
export class PasswordService implements OnModuleInit {
  private dummyHash = '';

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  async onModuleInit(): Promise<void> {
    // A real hash with the same parameters, verified for unknown users so that
    // "no such user" costs as much time as "wrong password" (no enumeration by timing).
    this.dummyHash = await this.hash('charlotte-dummy-password-for-timing');
  }

  hash(password: string): Promise<string> {
    return hash(password, {
      algorithm: Algorithm.Argon2id,
      memoryCost: this.config.argon2MemoryKib,
      timeCost: this.config.argon2Iterations,
      parallelism: 1,
    });
  }

  async verify(passwordHash: string | null | undefined, password: string): Promise<boolean> {
    if (!passwordHash) {
      await verify(this.dummyHash, password).catch(() => false);
      return false;
    }
    try {
      return await verify(passwordHash, password);
    } catch {
      return false;
    }
  }
}
