import { execFile } from 'node:child_process';
import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { APP_CONFIG, AppConfig, HealthRegistry } from '@charlotte/core';

export interface ClockStatus {
  synchronized: boolean | 'unknown';
  source: 'timedatectl' | 'chronyc' | 'none';
  checkedAt: string;
}

function run(cmd: string, args: string[]): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: 2000 }, (err, stdout) => resolve(err ? undefined : stdout));
  });
}

/**
 * Reads the operating system's clock-synchronisation status (audit timestamps
 * must hold up as evidence): systemd-timesyncd/chrony through timedatectl, or
 * chrony directly. Cached for a minute. Reported in /health/ready; fails
 * readiness only when CLOCK_SYNC_REQUIRED=true and the OS says "not synchronised".
 */
@Injectable()
export class ClockSyncService implements OnModuleInit {
  private cached?: { at: number; status: ClockStatus };

  constructor(
    private readonly registry: HealthRegistry,
    private readonly indicator: HealthIndicatorService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.registry.register('clock', async () => {
      const s = await this.status();
      const check = this.indicator.check('clock');
      const details = { synchronized: s.synchronized, source: s.source, utc: new Date().toISOString() };
      return this.config.clockSyncRequired && s.synchronized !== true ? check.down(details) : check.up(details);
    });
  }

  async status(): Promise<ClockStatus> {
    if (this.cached && Date.now() - this.cached.at < 60_000) return this.cached.status;
    const status = await this.probe();
    this.cached = { at: Date.now(), status };
    return status;
  }

  private async probe(): Promise<ClockStatus> {
    const checkedAt = new Date().toISOString();
    const td = await run('timedatectl', ['show', '-p', 'NTPSynchronized', '--value']);
    if (td !== undefined && /^(yes|no)$/.test(td.trim())) return { synchronized: td.trim() === 'yes', source: 'timedatectl', checkedAt };
    const chrony = await run('chronyc', ['-n', 'tracking']);
    if (chrony !== undefined) {
      const leap = /Leap status\s*:\s*(.+)/.exec(chrony)?.[1]?.trim();
      if (leap) return { synchronized: leap === 'Normal', source: 'chronyc', checkedAt };
    }
    return { synchronized: 'unknown', source: 'none', checkedAt };
  }
}
