import { Injectable } from '@nestjs/common';
import type { HealthIndicatorResult } from '@nestjs/terminus';

export type ReadinessCheck = () => Promise<HealthIndicatorResult>;

/** Later modules (scanner, key provider, clock) register their readiness checks here; /health/ready and the alert monitor run them. */
@Injectable()
export class HealthRegistry {
  private readonly checks = new Map<string, ReadinessCheck>();

  register(name: string, check: ReadinessCheck): void {
    this.checks.set(name, check);
  }

  all(): ReadinessCheck[] {
    return [...this.checks.values()];
  }

  /** The checks by name (the alert monitor raises `health:<name>` for each failing one). */
  entries(): Array<[string, ReadinessCheck]> {
    return [...this.checks.entries()];
  }
}
