import { statfs } from 'node:fs/promises';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy, Optional } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig, HealthRegistry, ReadinessCheck, withAdvisoryLock } from '@charlotte/core';
import { HEALTH_CHECK_KINDS } from './alert-kinds';
import { AlertCheckRegistry } from './alert-checks.registry';
import { AlertIncidents } from './alert-incidents';
import { AlertsService } from './alerts.service';

// Fixed advisory-lock key: one monitor run at a time across all instances.
const MONITOR_LOCK = 774_217_001;
/** A readiness check that does not answer within this time counts as failing. */
const CHECK_TIMEOUT_MS = 10_000;

export interface MonitorReport {
  failing: string[];
  passing: string[];
  diskFreePercent: number | null;
}

/**
 * The alert monitor (every ALERT_CHECK_SECONDS, advisory-locked so one instance runs it):
 * every readiness check of HealthRegistry (scanner, blob store, key provider, backup stores,
 * clock) — failing raises `health:<name>`, passing clears it; the free space of the file system
 * holding DATA_DIR (`disk.low`); the checks other libs registered (overdue deletions); then the
 * alert → incident rule.
 */
@Injectable()
export class AlertMonitorJob implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('AlertMonitor');
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(
    private readonly alerts: AlertsService,
    private readonly health: HealthRegistry,
    private readonly checks: AlertCheckRegistry,
    private readonly incidents: AlertIncidents,
    @InjectDataSource() private readonly ds: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Optional() private readonly scheduler?: SchedulerRegistry,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.scheduler) return; // CLI and tests run without the scheduler; tests call run()
    this.timer = setInterval(() => void this.tick(), this.config.alerts.checkSeconds * 1000);
    this.timer.unref();
    this.scheduler.addInterval('alert-monitor', this.timer);
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private async tick(): Promise<void> {
    if (this.running) return; // a slow run (a check timing out) is not overtaken by the next one
    this.running = true;
    try {
      await this.run();
    } catch (e) {
      this.logger.error({ message: 'alert monitor failed', err: e instanceof Error ? e.stack : String(e) });
    } finally {
      this.running = false;
    }
  }

  /** One monitor run; undefined when another instance holds the lock. */
  run(): Promise<MonitorReport | undefined> {
    return withAdvisoryLock(this.ds, MONITOR_LOCK, async () => {
      const report: MonitorReport = { failing: [], passing: [], diskFreePercent: null };
      for (const [name, check] of this.health.entries()) {
        const failure = await runCheck(check);
        const cause = `health:${name}`;
        if (failure) {
          report.failing.push(name);
          await this.alerts.raise(cause, { kind: HEALTH_CHECK_KINDS[name] ?? 'health', details: { check: name, error: failure } });
        } else {
          report.passing.push(name);
          await this.alerts.clear(cause);
        }
      }
      report.diskFreePercent = await this.disk();
      for (const c of this.checks.all()) {
        try {
          const active = await c.run();
          for (const a of active) await this.alerts.raise(a.cause, { kind: a.kind, details: a.details });
          await this.alerts.clearOthers(
            c.prefix,
            active.map((a) => a.cause),
          );
        } catch (e) {
          // A check that cannot run says nothing about its causes: they stay as they are.
          this.logger.error({ message: 'alert check failed', prefix: c.prefix, err: e instanceof Error ? e.message : String(e) });
        }
      }
      await this.incidents.applyRule();
      return report;
    });
  }

  /** `disk.low` while the file system of DATA_DIR has less than DISK_FREE_MIN_PERCENT free (for unprivileged users). */
  private async disk(): Promise<number | null> {
    let s;
    try {
      s = await statfs(this.config.dataDir);
    } catch (e) {
      this.logger.error({ message: 'statfs of DATA_DIR failed', err: e instanceof Error ? e.message : String(e) });
      return null;
    }
    const free = s.blocks > 0 ? (s.bavail / s.blocks) * 100 : 100;
    const rounded = Math.floor(free * 10) / 10;
    if (free < this.config.alerts.diskFreeMinPercent)
      await this.alerts.raise('disk.low', {
        kind: 'disk_low',
        details: { freePercent: rounded, thresholdPercent: this.config.alerts.diskFreeMinPercent },
      });
    else await this.alerts.clear('disk.low');
    return rounded;
  }
}

/**
 * Runs one readiness check with a time limit; returns undefined when it passes, else a short
 * error class (an errno code such as ECONNREFUSED, or `down` / `timeout`), never the message,
 * which may carry paths or addresses.
 */
export async function runCheck(check: ReadinessCheck, timeoutMs = CHECK_TIMEOUT_MS): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const result = await Promise.race([
      check(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), timeoutMs);
      }),
    ]);
    const entries = Object.values(result) as Array<{ status?: string; message?: unknown }>;
    const down = entries.find((e) => e?.status !== 'up');
    return down ? errorClass(down.message) : undefined;
  } catch (e) {
    if (e instanceof Error && e.message === 'timeout') return 'timeout';
    return e instanceof Error ? (errorClass(e.message) === 'down' ? errorClass(e.name) : errorClass(e.message)) : 'down';
  } finally {
    clearTimeout(timer);
  }
}

/** An errno code (ECONNREFUSED) or an error class name (KeyUnavailableError) found in a message; else `down`. */
export function errorClass(message: unknown): string {
  if (typeof message !== 'string') return 'down';
  const m = /\b(E[A-Z]{3,})\b/.exec(message) ?? /\b([A-Z][A-Za-z0-9]{2,40}Error)\b/.exec(message);
  return m ? m[1] : 'down';
}
