import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@charlotte/core';
import { AlertsService } from '@charlotte/notifications';

export const EGOV_UNREACHABLE_CAUSE = 'egov.unreachable';
/** A success is written to the database at most this often per instance (the calls are many; the clear is idempotent). */
const SUCCESS_WRITE_INTERVAL_MS = 30_000;

/**
 * Hears from EgovClient whether e-Gov answered. A transport failure (refused, reset, timeout) or a
 * 5xx extends the current run of failures, shared by all instances (alert_conditions); once that
 * run began more than EGOV_ALERT_AFTER_MINUTES ago, `egov.unreachable` opens. Any answer below 500
 * ends the run and resolves the alert. Never throws into the client: a broken alert path must not
 * break filing.
 */
@Injectable()
export class EgovReachability {
  private readonly logger = new Logger('EgovReachability');
  private lastSuccessWrite = 0;
  private failedSinceWrite = false;

  constructor(
    private readonly alerts: AlertsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  failed(errorClass: string): Promise<void> {
    this.failedSinceWrite = true;
    return this.quietly(() =>
      this.alerts.failing(EGOV_UNREACHABLE_CAUSE, this.config.alerts.egovAfterMinutes, {
        kind: 'egov_unreachable',
        details: { error: errorClass },
      }),
    );
  }

  reached(now = Date.now()): Promise<void> {
    if (!this.failedSinceWrite && now - this.lastSuccessWrite < SUCCESS_WRITE_INTERVAL_MS) return Promise.resolve();
    this.lastSuccessWrite = now;
    this.failedSinceWrite = false;
    return this.quietly(() => this.alerts.succeeded(EGOV_UNREACHABLE_CAUSE));
  }

  private async quietly(fn: () => Promise<unknown>): Promise<void> {
    try {
      await fn();
    } catch (e) {
      this.logger.error({ message: 'e-Gov reachability alert failed', err: e instanceof Error ? e.message : String(e) });
    }
  }
}
