import { Injectable } from '@nestjs/common';
import type { Principal } from '@charlotte/core';
import { AlertIncidents } from './alert-incidents';
import { AlertRow, AlertsRepository } from './alerts.repository';
import type { AlertDto } from './dto/alert.dto';
import { AlertErrors } from './errors';

const LIST_LIMIT = 200;
const iso = (d: Date): string => new Date(d).toISOString();

/** What the operator console reads and does with alerts (the controller's one service). */
@Injectable()
export class AlertConsoleService {
  constructor(
    private readonly repo: AlertsRepository,
    private readonly incidents: AlertIncidents,
  ) {}

  async list(status?: 'open' | 'resolved'): Promise<AlertDto[]> {
    return (await this.repo.list(status, LIST_LIMIT)).map(toAlertDto);
  }

  async get(id: string): Promise<AlertDto> {
    const row = await this.repo.get(id);
    if (!row) throw AlertErrors.alertNotFound();
    return toAlertDto(row);
  }

  async promote(p: Principal, id: string, severity: 'minor' | 'serious'): Promise<AlertDto> {
    await this.incidents.promote(p.userId, id, severity);
    return this.get(id);
  }
}

export function toAlertDto(r: AlertRow): AlertDto {
  return {
    id: r.id,
    cause: r.cause,
    kind: r.kind,
    summary: r.summary,
    details: r.details,
    customerImpact: r.customer_impact,
    status: r.resolved_at ? 'resolved' : 'open',
    openedAt: iso(r.opened_at),
    lastSeenAt: iso(r.last_seen_at),
    occurrences: r.occurrences,
    resolvedAt: r.resolved_at ? iso(r.resolved_at) : null,
    incidentId: r.incident_id,
    incidentAuto: r.incident_auto,
  };
}
