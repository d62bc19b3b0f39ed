import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { AlertKind } from './alert-kinds';

/** JSON details of an alert: ids, counts and error classes only. */
export type AlertDetails = { [k: string]: string | number | boolean | null | string[] };

export interface AlertRow {
  id: string;
  cause: string;
  kind: AlertKind;
  summary: string;
  details: AlertDetails;
  customer_impact: boolean;
  opened_at: Date;
  last_seen_at: Date;
  occurrences: number;
  resolved_at: Date | null;
  incident_id: string | null;
  incident_auto: boolean;
}

export interface NewAlert {
  cause: string;
  kind: AlertKind;
  summary: string;
  details: AlertDetails;
  customerImpact: boolean;
}

/** The SQL of operator_alerts and alert_conditions (platform tables: no tenant_id). */
@Injectable()
export class AlertsRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  /**
   * Opens the alert of `cause`, or counts one more occurrence of the open one. One statement
   * against the partial unique index, so N instances raising the same cause at once end with
   * one open row; `opened` is true only for the statement that inserted it (xmax = 0).
   */
  async upsertOpen(m: EntityManager, a: NewAlert): Promise<{ row: AlertRow; opened: boolean }> {
    const r: Array<AlertRow & { opened: boolean }> = await m.query(
      `INSERT INTO operator_alerts (cause, kind, summary, details, customer_impact)
       VALUES ($1, $2, $3, $4::jsonb, $5)
       ON CONFLICT (cause) WHERE resolved_at IS NULL
       DO UPDATE SET last_seen_at = now(), occurrences = operator_alerts.occurrences + 1, details = EXCLUDED.details
       RETURNING *, (xmax = 0) AS opened`,
      [a.cause, a.kind, a.summary, JSON.stringify(a.details), a.customerImpact],
    );
    const { opened, ...row } = r[0];
    return { row, opened };
  }

  /** Resolves the open alert of `cause`; only the one statement that resolved it gets the row back. */
  async resolveOpen(m: EntityManager, cause: string): Promise<AlertRow | undefined> {
    // TypeORM answers an UPDATE … RETURNING with [rows, affected].
    const [rows]: [AlertRow[], number] = await m.query(
      `UPDATE operator_alerts SET resolved_at = now() WHERE cause = $1 AND resolved_at IS NULL RETURNING *`,
      [cause],
    );
    return rows[0];
  }

  async openCauses(prefix: string): Promise<string[]> {
    const r: Array<{ cause: string }> = await this.ds.query(
      `SELECT cause FROM operator_alerts WHERE resolved_at IS NULL AND starts_with(cause, $1)`,
      [prefix],
    );
    return r.map((x) => x.cause);
  }

  async openCount(): Promise<number> {
    const r: Array<{ n: number }> = await this.ds.query(`SELECT count(*)::int AS n FROM operator_alerts WHERE resolved_at IS NULL`);
    return r[0]?.n ?? 0;
  }

  async list(status: 'open' | 'resolved' | undefined, limit: number): Promise<AlertRow[]> {
    const where = status === 'open' ? 'WHERE resolved_at IS NULL' : status === 'resolved' ? 'WHERE resolved_at IS NOT NULL' : '';
    return this.ds.query(
      `SELECT * FROM operator_alerts ${where} ORDER BY (resolved_at IS NULL) DESC, COALESCE(resolved_at, opened_at) DESC, id LIMIT $1`,
      [limit],
    );
  }

  async get(id: string, m: EntityManager = this.ds.manager, lock = false): Promise<AlertRow | undefined> {
    const r: AlertRow[] = await m.query(`SELECT * FROM operator_alerts WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [id]);
    return r[0];
  }

  /** Open alerts with customer impact, older than `minutes`, not yet linked to an incident. */
  async dueForIncident(minutes: number): Promise<AlertRow[]> {
    return this.ds.query(
      `SELECT * FROM operator_alerts
        WHERE resolved_at IS NULL AND customer_impact AND incident_id IS NULL
          AND opened_at <= now() - make_interval(mins => $1)
        ORDER BY opened_at`,
      [minutes],
    );
  }

  async linkIncident(m: EntityManager, id: string, incidentId: string, auto: boolean): Promise<void> {
    await m.query(`UPDATE operator_alerts SET incident_id = $2, incident_auto = $3 WHERE id = $1`, [id, incidentId, auto]);
  }

  /** The code of a tenant (incidents name their tenants by code); undefined when it does not exist (any more). */
  async tenantCode(tenantId: string): Promise<string | undefined> {
    const r: Array<{ code: string }> = await this.ds.query(`SELECT code FROM tenants WHERE id = $1 AND status <> 'deleted'`, [tenantId]);
    return r[0]?.code;
  }

  /**
   * One more failure of a condition: returns since when it has been failing (the first failure of
   * the current run), shared by all instances.
   */
  async conditionFailed(cause: string): Promise<{ since: Date; elapsedMs: number }> {
    // The elapsed time is measured on the database clock, the same clock that wrote failing_since.
    const r: Array<{ failing_since: Date; elapsed_ms: number }> = await this.ds.query(
      `INSERT INTO alert_conditions (cause) VALUES ($1)
       ON CONFLICT (cause) DO UPDATE SET last_failure_at = now(), failures = alert_conditions.failures + 1
       RETURNING failing_since, (extract(epoch FROM now() - failing_since) * 1000)::float8 AS elapsed_ms`,
      [cause],
    );
    return { since: new Date(r[0].failing_since), elapsedMs: Number(r[0].elapsed_ms) };
  }

  /** The condition works again: its run of failures ends. */
  async conditionRecovered(cause: string): Promise<void> {
    await this.ds.query(`DELETE FROM alert_conditions WHERE cause = $1`, [cause]);
  }
}
