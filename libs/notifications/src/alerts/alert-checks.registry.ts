import { Injectable } from '@nestjs/common';
import type { AlertKind } from './alert-kinds';
import type { AlertDetails } from './alerts.repository';

/** One thing wrong now, as a periodic check sees it. */
export interface ActiveCause {
  cause: string;
  kind: AlertKind;
  details?: AlertDetails;
}

/**
 * A periodic check of a family of causes (all starting with `prefix`): it answers what is wrong
 * now; the monitor raises those and resolves the open alerts of the family it no longer lists.
 */
export interface AlertCheck {
  prefix: string;
  run(): Promise<ActiveCause[]>;
}

/**
 * Where the libs that own a condition plug their periodic alert checks in (libs/backup: overdue
 * deletions), the way HealthRegistry takes readiness checks: this lib never reads their tables.
 */
@Injectable()
export class AlertCheckRegistry {
  private readonly checks = new Map<string, AlertCheck>();

  register(check: AlertCheck): void {
    this.checks.set(check.prefix, check);
  }

  all(): AlertCheck[] {
    return [...this.checks.values()];
  }
}
