import { Injectable, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AlertCheckRegistry } from '@charlotte/notifications';

/** A deletion job that has failed this many runs in a row keeps failing (the daily sweep retries it). */
export const DELETION_FAILED_RUNS_ALERT = 2;

/**
 * `deletion.stuck:<tenantId>` (operator alert, checked by the alert monitor): a tenant more than a
 * day past its deletion due date and still not deleted (the daily sweep did not run or did not
 * finish it), or a deletion job that has failed DELETION_FAILED_RUNS_ALERT runs. Cleared when the
 * tenant is deleted (or reinstated). Registered here because the tables are this lib's.
 */
@Injectable()
export class DeletionAlerts implements OnModuleInit {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly registry: AlertCheckRegistry,
  ) {}

  onModuleInit(): void {
    this.registry.register({
      prefix: 'deletion.stuck:',
      run: async () =>
        (await this.stuck()).map((s) => ({
          cause: `deletion.stuck:${s.tenantId}`,
          kind: 'deletion_stuck' as const,
          details: { tenantId: s.tenantId, overdue: s.overdue, failedRuns: s.failedRuns },
        })),
    });
  }

  async stuck(): Promise<Array<{ tenantId: string; overdue: boolean; failedRuns: number }>> {
    const rows: Array<{ id: string; overdue: boolean; failed_runs: number | null }> = await this.ds.query(
      `SELECT t.id,
              (t.deletion_due_at IS NOT NULL AND t.deletion_due_at < now() - interval '1 day') AS overdue,
              CASE WHEN j.state = 'failed' THEN j.attempts END AS failed_runs
         FROM tenants t
         LEFT JOIN deletion_jobs j ON j.tenant_id = t.id
        WHERE t.status = 'cancelled' AND t.cancelled_at <= now()
          AND ((t.deletion_due_at IS NOT NULL AND t.deletion_due_at < now() - interval '1 day')
               OR (j.state = 'failed' AND j.attempts >= $1))
        ORDER BY t.id`,
      [DELETION_FAILED_RUNS_ALERT],
    );
    return rows.map((r) => ({ tenantId: r.id, overdue: r.overdue, failedRuns: r.failed_runs ?? 0 }));
  }
}
