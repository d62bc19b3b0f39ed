import { randomBytes } from 'node:crypto';
import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { HealthRegistry } from '@charlotte/core';
import { KEY_PROVIDER } from '../tenant-keys/key-provider.token';
import { DEK_BYTES, KeyProvider } from './key-provider';

const AAD = Buffer.from('charlotte:health-check');

/**
 * /health/ready (and through it the alert monitor) includes the key provider: a throw-away key is
 * wrapped and unwrapped with the current KEK, which proves that the master key file is readable or
 * the HSM session answers. Without it no tenant key opens, so nothing of a tenant can be read.
 * Only the error class leaves this check (the provider's message may name a file or a slot).
 */
@Injectable()
export class KeyProviderReadiness implements OnModuleInit {
  constructor(
    private readonly registry: HealthRegistry,
    private readonly indicator: HealthIndicatorService,
    @Inject(KEY_PROVIDER) private readonly provider: KeyProvider,
  ) {}

  onModuleInit(): void {
    this.registry.register('keys', async () => {
      const check = this.indicator.check('keys');
      try {
        const dek = randomBytes(DEK_BYTES);
        const back = await this.provider.unwrap(await this.provider.wrap(dek, AAD), AAD);
        if (!back.equals(dek)) return check.down({ kind: this.provider.kind, message: 'round trip mismatch' });
        return check.up({ kind: this.provider.kind });
      } catch (e) {
        return check.down({ kind: this.provider.kind, message: e instanceof Error ? e.name : 'error' });
      }
    });
  }
}
