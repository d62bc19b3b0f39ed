import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AuditAction, AuditService } from '@charlotte/audit';
import { MailOutboxService } from '../mail/mail-outbox.service';
import { NoticesService } from '../notices/notices.service';
import { ValidationFailedError } from '@charlotte/core';
import {
  INCIDENT_BODY_MAX,
  INCIDENT_TITLE_MAX,
  type IncidentDto,
  type IncidentSeverity,
  type IncidentUpdateDto,
  type OperatorIncidentDto,
} from './dto/incident.dto';
import { IncidentErrors } from './incident-errors';
import { IncidentRow, IncidentsRepository, IncidentUpdateRow } from './incidents.repository';

/** Who changes an incident: an operator (user id) or the system (the automatic alert → incident rule). */
export type IncidentActor = { type: 'user'; id: string } | { type: 'system'; id?: string | null };

export interface CreateIncidentInput {
  severity: IncidentSeverity;
  title: string;
  body: string;
  /** `'all'` or tenant codes (unknown codes: 422 incident_unknown_tenants). */
  tenants: 'all' | string[];
  /** Default now; never in the future. */
  startedAt?: Date | string;
}

export interface IncidentUpdateInput {
  body: string;
  /** This update resolves the incident (no update is accepted after it). */
  resolved?: boolean;
}

/** What a change told whom: counts only. */
export interface IncidentNotified {
  notices: number;
  mails: number;
}

/** Clock skew between the operator's machine and the server that a start "now" may show. */
const START_FUTURE_TOLERANCE_MS = 5 * 60_000;
const OPERATOR_LIST_LIMIT = 200;
const TENANT_LIST_LIMIT = 100;

const EMAIL_INSIDE = /[^\s@]+@[^\s@]+\.[^\s@]+/;

/**
 * The DTOs check requests; this repeats the rules for callers inside the process (the alert rule)
 * so that a bad title is a 400-class error and never a CHECK violation (500).
 */
function checkText(field: string, value: string, max: number): void {
  const chars = [...(value ?? '')].length;
  if (typeof value !== 'string' || !/\S/.test(value) || chars > max) {
    throw new ValidationFailedError([
      { field, code: 'length_between', params: { min: 1, max }, message: `${field} must be 1–${max} characters, not blank` },
    ]);
  }
  // The text goes into お知らせ and e-mails to many people, and the mail outbox keeps it: an
  // address there would be personal data spread to every recipient (and the outbox refuses it).
  if (EMAIL_INSIDE.test(value)) {
    throw new ValidationFailedError([{ field, message: `${field} must not contain an e-mail address`, code: 'contains_email' }]);
  }
}

const iso = (d: Date): string => new Date(d).toISOString();

type IncidentEvent = 'created' | 'updated' | 'resolved';

/**
 * Incidents (運用からのお知らせ, api.md "Notices and incidents"): platform operators (or the
 * automatic alert rule) tell the users of some or all tenants about the service itself.
 *
 * Every change (creation, update, resolution) reaches, in the same transaction as the change:
 * - every active user of the affected tenants as an お知らせ of kind `incident` (one row per user);
 * - for `serious` incidents, every active administrator of those tenants by e-mail (outbox).
 * Tenants whose contract is closed are skipped; operators and other tenants are never told.
 * Audited on the platform chain (`incident.created|updated|resolved`: id, severity, tenant count).
 */
@Injectable()
export class IncidentsService {
  private readonly logger = new Logger('Incidents');

  constructor(
    private readonly repo: IncidentsRepository,
    private readonly notices: NoticesService,
    private readonly mail: MailOutboxService,
    private readonly audit: AuditService,
  ) {}

  async create(actor: IncidentActor, input: CreateIncidentInput, opts: { alertId?: string } = {}): Promise<OperatorIncidentDto> {
    checkText('title', input.title, INCIDENT_TITLE_MAX);
    checkText('body', input.body, INCIDENT_BODY_MAX);
    if (input.tenants !== 'all' && input.tenants.length === 0) {
      throw new ValidationFailedError([
        { field: 'tenants', code: 'invalid_tenant_selection', message: 'tenants must be "all" or a non-empty list of tenant codes' },
      ]);
    }
    const startedAt = input.startedAt === undefined ? new Date() : new Date(input.startedAt);
    if (Number.isNaN(startedAt.getTime()))
      throw new ValidationFailedError([{ field: 'startedAt', code: 'invalid_datetime', message: 'startedAt must be a date-time' }]);
    if (startedAt.getTime() > Date.now() + START_FUTURE_TOLERANCE_MS) throw IncidentErrors.startInFuture();
    const { id, notified, tenantCount } = await this.repo.transaction(async (m) => {
      let tenantIds: string[] = [];
      if (input.tenants !== 'all') {
        const found = await this.repo.tenantsByCode(m, input.tenants);
        if (found.unknown.length) throw IncidentErrors.unknownTenants(found.unknown);
        tenantIds = found.ids;
      }
      const incidentId = await this.repo.insert(
        m,
        {
          severity: input.severity,
          title: input.title.trim(),
          body: input.body.trim(),
          allTenants: input.tenants === 'all',
          startedAt,
          createdBy: actor.type === 'user' ? actor.id : null,
          alertId: opts.alertId ?? null,
        },
        tenantIds,
      );
      const incident = (await this.repo.get(incidentId, m))!;
      return { id: incidentId, ...(await this.fanOut(m, incident, 'created', incident.body)) };
    });
    await this.record(actor, 'incident.created', id, input.severity, tenantCount);
    this.logger.log({ message: 'incident created', incidentId: id, severity: input.severity, tenants: tenantCount, ...notified });
    return { ...(await this.getForOperator(id)), notified };
  }

  async addUpdate(actor: IncidentActor, id: string, input: IncidentUpdateInput): Promise<OperatorIncidentDto> {
    checkText('body', input.body, INCIDENT_BODY_MAX);
    const resolved = input.resolved === true;
    const event: IncidentEvent = resolved ? 'resolved' : 'updated';
    const { severity, notified, tenantCount } = await this.repo.transaction(async (m) => {
      const before = await this.repo.lock(m, id);
      if (!before) throw IncidentErrors.notFound();
      if (before.resolved_at) throw IncidentErrors.resolved();
      const body = input.body.trim();
      await this.repo.addUpdate(m, id, body, resolved, actor.type === 'user' ? actor.id : null);
      const after = (await this.repo.get(id, m))!;
      return { severity: after.severity, ...(await this.fanOut(m, after, event, body)) };
    });
    await this.record(actor, `incident.${event}`, id, severity, tenantCount);
    this.logger.log({ message: `incident ${event}`, incidentId: id, severity, tenants: tenantCount, ...notified });
    return { ...(await this.getForOperator(id)), notified };
  }

  /**
   * Tells the affected users about one change, inside the change's transaction: an お知らせ for
   * each active user and, when serious, a mail to each active administrator. Counts only are
   * returned and logged (an address is personal data).
   */
  private async fanOut(
    m: EntityManager,
    incident: IncidentRow,
    event: IncidentEvent,
    text: string,
  ): Promise<{ notified: IncidentNotified; tenantCount: number }> {
    const recipients = await this.repo.recipients(m, incident.id, incident.severity === 'serious');
    const notices = await this.notices.addForIncident(m, incident.id, recipients);
    let mails = 0;
    if (incident.severity === 'serious') {
      // Administrators only (never members, operators or other tenants): `recipients` holds the
      // active users of the affected, open contracts, and an address only for their admins.
      for (const r of recipients) {
        if (r.role !== 'admin' || !r.email) continue;
        await this.mail.enqueue(m, {
          to: r.email,
          template: 'incident',
          tenantId: r.tenantId,
          vars: {
            event,
            severity: incident.severity,
            incidentId: incident.id,
            title: incident.title,
            text,
            startedAt: iso(incident.started_at),
          },
        });
        mails++;
      }
    }
    const tenantCount = await this.repo.affectedTenantCount(m, incident.id);
    return { notified: { notices, mails }, tenantCount };
  }

  private async record(actor: IncidentActor, action: AuditAction, id: string, severity: IncidentSeverity, tenants: number): Promise<void> {
    await this.audit.record({
      category: 'operation',
      action,
      outcome: 'success',
      tenantId: null,
      ...(actor.type === 'system'
        ? { actor: { type: 'system' as const, id: actor.id ?? null } }
        : { actor: { type: 'user' as const, id: actor.id } }),
      target: { type: 'incident', id },
      details: { id, severity, tenants },
    });
  }

  // --- reads --------------------------------------------------------------------------------

  /** How many incidents are not resolved yet (the operator home). */
  openCount(): Promise<number> {
    return this.repo.openCount();
  }

  async listForOperator(): Promise<OperatorIncidentDto[]> {
    return this.operatorViews(await this.repo.list(OPERATOR_LIST_LIMIT));
  }

  async getForOperator(id: string): Promise<OperatorIncidentDto> {
    const row = await this.repo.get(id);
    if (!row) throw IncidentErrors.notFound();
    return (await this.operatorViews([row]))[0];
  }

  /** The incidents that affect the tenant: open first, then those resolved in the last 90 days. */
  async listForTenant(tenantId: string): Promise<IncidentDto[]> {
    const rows = await this.repo.listForTenant(tenantId, TENANT_LIST_LIMIT);
    const updates = await this.repo.updatesOf(rows.map((r) => r.id));
    return rows.map((r) => this.view(r, updates));
  }

  /** One incident, 404 unless it affects the tenant. */
  async getForTenant(tenantId: string, id: string): Promise<IncidentDto> {
    const row = await this.repo.getForTenant(tenantId, id);
    if (!row) throw IncidentErrors.notFound();
    return this.view(row, await this.repo.updatesOf([row.id]));
  }

  private async operatorViews(rows: IncidentRow[]): Promise<OperatorIncidentDto[]> {
    const ids = rows.map((r) => r.id);
    const [updates, tenants] = await Promise.all([this.repo.updatesOf(ids), this.repo.tenantsOf(ids)]);
    return rows.map((r) => ({
      ...this.view(r, updates),
      allTenants: r.all_tenants,
      tenants: tenants.filter((t) => t.incident_id === r.id).map((t) => ({ code: t.code, name: t.name })),
      createdBy: r.created_by,
      alertId: r.alert_id,
      createdAt: iso(r.created_at),
    }));
  }

  private view(r: IncidentRow, updates: IncidentUpdateRow[]): IncidentDto {
    return {
      id: r.id,
      severity: r.severity,
      title: r.title,
      body: r.body,
      status: r.resolved_at ? 'resolved' : 'open',
      startedAt: iso(r.started_at),
      resolvedAt: r.resolved_at ? iso(r.resolved_at) : null,
      updatedAt: iso(r.updated_at),
      updates: updates
        .filter((u) => u.incident_id === r.id)
        .map((u): IncidentUpdateDto => ({ id: u.id, body: u.body, resolved: u.resolved, createdAt: iso(u.created_at) })),
    };
  }
}
