import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditService } from '@charlotte/audit';
import { ALERT_SUMMARIES, AlertKind, CUSTOMER_IMPACT_KINDS } from './alert-kinds';
import { AlertMailer } from './alert-mailer';
import { AlertDetails, AlertRow, AlertsRepository } from './alerts.repository';

export interface RaiseOptions {
  kind: AlertKind;
  /** Fixed text without personal data or tenant content; the kind's summary when omitted. */
  summary?: string;
  /** ids, counts and error classes only. */
  details?: AlertDetails;
  /** Whether customers feel it (the alert → incident rule); the kind's default when omitted. */
  customerImpact?: boolean;
}

/**
 * Operator alerts: failures that an operator must see (console + mail to OPERATOR_ALERT_EMAIL).
 * One open alert per cause (the dedupe key), raised again and again while the cause lasts,
 * resolved when it clears. Opening and resolving each put one mail in the outbox in the same
 * transaction as the row change (so a crash never loses it and a race never doubles it) and
 * leave a `system` audit event.
 */
@Injectable()
export class AlertsService {
  private readonly logger = new Logger('Alerts');
  /** Called after an alert with an automatic incident resolved (set by AlertIncidents: it resolves the incident). */
  private readonly resolvedHooks: Array<(row: AlertRow) => Promise<void>> = [];

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly repo: AlertsRepository,
    private readonly mailer: AlertMailer,
    private readonly audit: AuditService,
  ) {}

  /** Opens the alert of `cause`, or counts one more occurrence of the open one. Returns the alert. */
  /** How many alerts are open (the operator home). */
  openCount(): Promise<number> {
    return this.repo.openCount();
  }

  async raise(cause: string, o: RaiseOptions): Promise<AlertRow> {
    const { row, opened } = await this.ds.transaction(async (m) => {
      const r = await this.repo.upsertOpen(m, {
        cause,
        kind: o.kind,
        summary: o.summary ?? ALERT_SUMMARIES[o.kind],
        details: o.details ?? {},
        customerImpact: o.customerImpact ?? CUSTOMER_IMPACT_KINDS.has(o.kind),
      });
      if (r.opened) await this.mailer.enqueue(m, r.row, 'opened');
      return r;
    });
    if (opened) {
      this.logger.warn({ message: 'operator alert opened', alertId: row.id, cause, kind: row.kind });
      await this.record('alert.opened', row);
    }
    return row;
  }

  /** Resolves the open alert of `cause`, if there is one. Returns it when this call resolved it. */
  async clear(cause: string): Promise<AlertRow | undefined> {
    const row = await this.ds.transaction(async (m) => {
      const r = await this.repo.resolveOpen(m, cause);
      if (r) await this.mailer.enqueue(m, r, 'resolved');
      return r;
    });
    if (!row) return undefined;
    this.logger.log({ message: 'operator alert resolved', alertId: row.id, cause, kind: row.kind });
    await this.record('alert.resolved', row);
    for (const hook of this.resolvedHooks)
      try {
        await hook(row);
      } catch (e) {
        // The alert is resolved either way; what a hook failed to do (resolve the automatic incident) is logged for the operator.
        this.logger.error({ message: 'after-resolution step failed', alertId: row.id, err: e instanceof Error ? e.message : String(e) });
      }
    return row;
  }

  /** Clears every open alert whose cause starts with `prefix` and is not in `active` (a check that lists what is wrong now). */
  async clearOthers(prefix: string, active: Iterable<string>): Promise<void> {
    const keep = new Set(active);
    for (const cause of await this.repo.openCauses(prefix)) if (!keep.has(cause)) await this.clear(cause);
  }

  /**
   * One more failure of a condition that becomes an alert only once it has lasted `afterMinutes`
   * (e.g. e-Gov unreachable): the start of the current run of failures is shared by all instances.
   */
  async failing(cause: string, afterMinutes: number, o: RaiseOptions): Promise<AlertRow | undefined> {
    const { since, elapsedMs } = await this.repo.conditionFailed(cause);
    if (elapsedMs < afterMinutes * 60_000) return undefined;
    return this.raise(cause, { ...o, details: { ...(o.details ?? {}), failingSince: since.toISOString() } });
  }

  /** The condition works again: its run of failures ends and its alert (if open) resolves. */
  async succeeded(cause: string): Promise<void> {
    await this.repo.conditionRecovered(cause);
    await this.clear(cause);
  }

  onResolved(hook: (row: AlertRow) => Promise<void>): void {
    this.resolvedHooks.push(hook);
  }

  private async record(action: 'alert.opened' | 'alert.resolved', row: AlertRow): Promise<void> {
    await this.audit.recordQuietly({
      category: 'system',
      action,
      outcome: 'success',
      actor: { type: 'system' },
      tenantId: null,
      target: { type: 'operator_alert', id: row.id },
      details: auditCause(row),
    });
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The audit details of an alert: its cause and kind. A cause that ends in an id
 * (`backup.failed:<tenantId>`) is split so that the id stands alone, as the
 * personal-data guard of the audit trail expects ids (a digit run inside a
 * longer string could look like a My Number to it).
 */
export function auditCause(row: Pick<AlertRow, 'cause' | 'kind'>): { cause: string; kind: string; subjectId?: string } {
  const i = row.cause.lastIndexOf(':');
  const tail = i >= 0 ? row.cause.slice(i + 1) : '';
  return UUID.test(tail) ? { cause: row.cause.slice(0, i), subjectId: tail, kind: row.kind } : { cause: row.cause, kind: row.kind };
}
