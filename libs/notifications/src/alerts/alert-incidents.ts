import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditService } from '@charlotte/audit';
import { APP_CONFIG, AppConfig } from '@charlotte/core';
import { IncidentsService } from '../incidents/incidents.service';
import { AlertKind, INCIDENT_GENERIC_WORDING, INCIDENT_RESOLVED_WORDING, INCIDENT_WORDING } from './alert-kinds';
import { AlertRow, AlertsRepository } from './alerts.repository';
import { AlertsService } from './alerts.service';
import { AlertErrors } from './errors';

/** The fixed bilingual title and body of the incident an alert of `kind` becomes (never the error text). */
export function incidentWording(kind: AlertKind): { title: string; body: string } {
  const w = INCIDENT_WORDING[kind] ?? INCIDENT_GENERIC_WORDING;
  return { title: `${w.ja.title} / ${w.en.title}`, body: `${w.ja.body}\n\n${w.en.body}` };
}

/**
 * Alert → customer incident.
 *
 * The rule (README "Operator alerts"): an open alert with customer impact (scanner, blob store,
 * key provider, database, e-Gov unreachable) that has stayed open longer than
 * ALERT_INCIDENT_AFTER_MINUTES (default 30) creates one automatic `minor` incident for all tenants,
 * with the fixed ja/en wording of its kind (never the error text), linked by incident_id; when the
 * alert resolves, the incident is resolved with a fixed update. Short blips therefore never reach
 * customers, and a long outage does without an operator having to be awake.
 *
 * An operator can promote any open alert by hand (POST /operator/alerts/:id/incident) with the
 * severity they choose (serious → the administrators get e-mail); the incident concerns the
 * alert's tenant when the alert is about one (backup, deletion), else all tenants. Such an
 * incident stays in the operator's hands and is not resolved automatically.
 */
@Injectable()
export class AlertIncidents implements OnModuleInit {
  private readonly logger = new Logger('AlertIncidents');

  constructor(
    private readonly repo: AlertsRepository,
    private readonly alerts: AlertsService,
    private readonly incidents: IncidentsService,
    private readonly audit: AuditService,
    @InjectDataSource() private readonly ds: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.alerts.onResolved((row) => this.resolveAuto(row));
  }

  /** Applies the rule to every open alert due; returns the ids of the incidents created. */
  async applyRule(): Promise<string[]> {
    const created: string[] = [];
    for (const due of await this.repo.dueForIncident(this.config.alerts.incidentAfterMinutes)) {
      try {
        const id = await this.link(due.id, 'minor', { type: 'system' }, true);
        if (id) created.push(id);
      } catch (e) {
        // One alert whose incident cannot be created must not stop the others (the next run retries it).
        this.logger.error({ message: 'automatic incident failed', alertId: due.id, err: e instanceof Error ? e.message : String(e) });
      }
    }
    return created;
  }

  /** Hand promotion by an operator: the alert must be open and not yet linked. */
  async promote(operatorId: string, alertId: string, severity: 'minor' | 'serious'): Promise<void> {
    const row = await this.repo.get(alertId);
    if (!row) throw AlertErrors.alertNotFound();
    if (row.resolved_at) throw AlertErrors.alertResolved();
    if (row.incident_id) throw AlertErrors.alertHasIncident();
    const id = await this.link(alertId, severity, { type: 'user', id: operatorId }, false);
    if (!id) throw AlertErrors.alertHasIncident();
    // The incident itself is audited by IncidentsService; this event ties it to the alert and the operator.
    await this.audit.record({
      category: 'operation',
      action: 'alert.promoted',
      outcome: 'success',
      actor: { type: 'user', id: operatorId },
      tenantId: null,
      target: { type: 'operator_alert', id: alertId },
      details: { incidentId: id, severity, kind: row.kind },
    });
  }

  /**
   * Creates the incident and links it, holding the alert row locked so that the rule on another
   * instance and an operator's click cannot both create one. The incident has its own
   * transaction (IncidentsService): should the link fail after it, the incident stands and the
   * next run finds the alert linked by nobody — the row lock makes that window a crash only.
   */
  private async link(
    alertId: string,
    severity: 'minor' | 'serious',
    actor: { type: 'system' } | { type: 'user'; id: string },
    auto: boolean,
  ): Promise<string | undefined> {
    return this.ds.transaction(async (m) => {
      const row = await this.repo.get(alertId, m, true);
      if (!row || row.resolved_at || row.incident_id) return undefined;
      const wording = incidentWording(row.kind);
      // An alert about one tenant (backup, deletion) concerns that tenant only; the others concern everyone.
      const tenantId = typeof row.details.tenantId === 'string' ? row.details.tenantId : undefined;
      const code = tenantId ? await this.repo.tenantCode(tenantId) : undefined;
      const tenants = code ? [code] : 'all';
      const incident = await this.incidents.create(actor, { severity, ...wording, tenants }, { alertId: row.id });
      await this.repo.linkIncident(m, row.id, incident.id, auto);
      this.logger.warn({ message: 'alert became an incident', alertId: row.id, incidentId: incident.id, severity, auto });
      return incident.id;
    });
  }

  /** The alert resolved: its automatic incident resolves with a fixed update. */
  private async resolveAuto(row: AlertRow): Promise<void> {
    if (!row.incident_id || !row.incident_auto) return;
    const w = INCIDENT_RESOLVED_WORDING;
    try {
      await this.incidents.addUpdate({ type: 'system' }, row.incident_id, { body: `${w.ja}\n\n${w.en}`, resolved: true });
    } catch (e) {
      // Already resolved by an operator: nothing left to do.
      if ((e as { code?: string }).code === 'incident_resolved') return;
      throw e;
    }
  }
}
