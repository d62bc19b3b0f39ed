import { Injectable } from '@nestjs/common';
import type { HealthIndicatorResult } from '@nestjs/terminus';

export type ReadinessCheck = () => Promise<HealthIndicatorResult>;

/** Later modules (scanner, key provider, clock) register their readiness checks here. */
@Injectable()
export class HealthRegistry {
  private readonly checks = new Map<string, ReadinessCheck>();

  register(name: string, check: ReadinessCheck): void {
    this.checks.set(name, check);
  }

  all(): ReadinessCheck[] {
    return [...this.checks.values()];
  }
}
