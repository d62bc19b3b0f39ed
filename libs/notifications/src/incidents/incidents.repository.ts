import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { CONTRACT_CLOSED_SQL } from '@charlotte/auth';
import type { IncidentSeverity } from './dto/incident.dto';

export interface IncidentRow {
  id: string;
  severity: IncidentSeverity;
  title: string;
  body: string;
  all_tenants: boolean;
  started_at: Date;
  resolved_at: Date | null;
  created_by: string | null;
  alert_id: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface IncidentUpdateRow {
  id: string;
  incident_id: string;
  body: string;
  resolved: boolean;
  created_at: Date;
}

export interface NewIncident {
  severity: IncidentSeverity;
  title: string;
  body: string;
  allTenants: boolean;
  startedAt: Date;
  createdBy: string | null;
  alertId: string | null;
}

/** An active user of an affected tenant, as the fan-out needs it. The address is read for admins only. */
export interface IncidentRecipient {
  userId: string;
  tenantId: string;
  role: 'admin' | 'member';
  /** Only for admins (the mail goes to them); null for members. */
  email: string | null;
}

const COLUMNS = `i.id, i.severity, i.title, i.body, i.all_tenants, i.started_at, i.resolved_at, i.created_by, i.alert_id, i.created_at, i.updated_at`;

/** Which incidents affect tenant $1: those for all tenants and those that list it. */
const AFFECTS_TENANT = `(i.all_tenants OR EXISTS (SELECT 1 FROM incident_tenants it WHERE it.incident_id = i.id AND it.tenant_id = $1))`;

/** How long a resolved incident stays on the customers' status page. */
export const RESOLVED_VISIBLE_DAYS = 90;

/** The SQL of incidents, incident_tenants and incident_updates. */
@Injectable()
export class IncidentsRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  transaction<T>(work: (m: EntityManager) => Promise<T>): Promise<T> {
    return this.ds.transaction(work);
  }

  /** Tenants by code (case folded, as everywhere): the ids found and the codes that name no tenant. */
  async tenantsByCode(m: EntityManager, codes: string[]): Promise<{ ids: string[]; unknown: string[] }> {
    const wanted = [...new Set(codes.map((c) => c.toLowerCase()))];
    const rows: Array<{ id: string; code: string }> = await m.query(`SELECT id, code FROM tenants WHERE code = ANY($1::text[])`, [wanted]);
    const found = new Set(rows.map((r) => r.code));
    return { ids: rows.map((r) => r.id), unknown: wanted.filter((c) => !found.has(c)) };
  }

  async insert(m: EntityManager, i: NewIncident, tenantIds: string[]): Promise<string> {
    const r: Array<{ id: string }> = await m.query(
      `INSERT INTO incidents (severity, title, body, all_tenants, started_at, created_by, alert_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
      [i.severity, i.title, i.body, i.allTenants, i.startedAt, i.createdBy, i.alertId],
    );
    const id = r[0].id;
    if (tenantIds.length) {
      await m.query(`INSERT INTO incident_tenants (incident_id, tenant_id) SELECT $1, unnest($2::uuid[])`, [id, tenantIds]);
    }
    return id;
  }

  /** The incident, locked until the end of the transaction (updates of one incident are serialised). */
  async lock(m: EntityManager, id: string): Promise<IncidentRow | undefined> {
    const r: IncidentRow[] = await m.query(`SELECT ${COLUMNS} FROM incidents i WHERE i.id = $1 FOR UPDATE`, [id]);
    return r[0];
  }

  async addUpdate(m: EntityManager, incidentId: string, body: string, resolved: boolean, createdBy: string | null): Promise<void> {
    await m.query(`INSERT INTO incident_updates (incident_id, body, resolved, created_by) VALUES ($1, $2, $3, $4)`, [
      incidentId,
      body,
      resolved,
      createdBy,
    ]);
    await m.query(
      `UPDATE incidents SET updated_at = clock_timestamp(), resolved_at = CASE WHEN $2 THEN clock_timestamp() ELSE resolved_at END WHERE id = $1`,
      [incidentId, resolved],
    );
  }

  /**
   * Every active user of the tenants the incident affects, skipping tenants whose contract is
   * closed (deleted, or cancelled with effect). Operators have no tenant and are never here.
   * Addresses are read only when asked for (serious incidents), and only those of admins.
   */
  async recipients(m: EntityManager, incidentId: string, adminAddresses: boolean): Promise<IncidentRecipient[]> {
    const rows: Array<{ user_id: string; tenant_id: string; role: 'admin' | 'member'; email: string | null }> = await m.query(
      `SELECT u.id AS user_id, u.tenant_id, u.role, CASE WHEN $2 AND u.role = 'admin' THEN u.email END AS email
         FROM users u
         JOIN tenants t ON t.id = u.tenant_id
         JOIN incidents i ON i.id = $1
        WHERE u.status = 'active' AND u.role IN ('admin', 'member') AND NOT ${CONTRACT_CLOSED_SQL}
          AND (i.all_tenants OR EXISTS (SELECT 1 FROM incident_tenants it WHERE it.incident_id = i.id AND it.tenant_id = t.id))
        ORDER BY u.tenant_id, u.id`,
      [incidentId, adminAddresses],
    );
    return rows.map((r) => ({ userId: r.user_id, tenantId: r.tenant_id, role: r.role, email: r.email }));
  }

  /** How many tenants the incident affects now (open contracts): for the audit details. */
  async affectedTenantCount(m: EntityManager, incidentId: string): Promise<number> {
    const r: Array<{ n: number }> = await m.query(
      `SELECT count(*)::int AS n FROM tenants t JOIN incidents i ON i.id = $1
        WHERE NOT ${CONTRACT_CLOSED_SQL}
          AND (i.all_tenants OR EXISTS (SELECT 1 FROM incident_tenants it WHERE it.incident_id = i.id AND it.tenant_id = t.id))`,
      [incidentId],
    );
    return r[0].n;
  }

  // --- reads --------------------------------------------------------------------------------

  async get(id: string, m: EntityManager | DataSource = this.ds): Promise<IncidentRow | undefined> {
    const r: IncidentRow[] = await m.query(`SELECT ${COLUMNS} FROM incidents i WHERE i.id = $1`, [id]);
    return r[0];
  }

  async openCount(): Promise<number> {
    const r: Array<{ n: number }> = await this.ds.query(`SELECT count(*)::int AS n FROM incidents WHERE resolved_at IS NULL`);
    return r[0]?.n ?? 0;
  }

  /** Operators: open first (newest start first), then resolved (newest resolution first). */
  async list(limit: number): Promise<IncidentRow[]> {
    return this.ds.query(
      `SELECT ${COLUMNS} FROM incidents i
        ORDER BY (i.resolved_at IS NULL) DESC, COALESCE(i.resolved_at, i.started_at) DESC, i.id LIMIT $1`,
      [limit],
    );
  }

  /** The incidents that affect the tenant: open ones, then those resolved in the last {@link RESOLVED_VISIBLE_DAYS} days. */
  async listForTenant(tenantId: string, limit: number): Promise<IncidentRow[]> {
    return this.ds.query(
      `SELECT ${COLUMNS} FROM incidents i
        WHERE ${AFFECTS_TENANT}
          AND (i.resolved_at IS NULL OR i.resolved_at > now() - make_interval(days => $2))
        ORDER BY (i.resolved_at IS NULL) DESC, COALESCE(i.resolved_at, i.started_at) DESC, i.id LIMIT $3`,
      [tenantId, RESOLVED_VISIBLE_DAYS, limit],
    );
  }

  /** One incident if it affects the tenant (another tenant's incident is as unknown). */
  async getForTenant(tenantId: string, id: string): Promise<IncidentRow | undefined> {
    const r: IncidentRow[] = await this.ds.query(`SELECT ${COLUMNS} FROM incidents i WHERE ${AFFECTS_TENANT} AND i.id = $2`, [
      tenantId,
      id,
    ]);
    return r[0];
  }

  /** The updates of these incidents, oldest first. */
  async updatesOf(ids: string[], m: EntityManager | DataSource = this.ds): Promise<IncidentUpdateRow[]> {
    if (!ids.length) return [];
    return m.query(
      `SELECT id, incident_id, body, resolved, created_at FROM incident_updates WHERE incident_id = ANY($1::uuid[]) ORDER BY created_at, id`,
      [ids],
    );
  }

  /** The listed tenants of these incidents (code and name only), by incident. */
  async tenantsOf(
    ids: string[],
    m: EntityManager | DataSource = this.ds,
  ): Promise<Array<{ incident_id: string; code: string; name: string }>> {
    if (!ids.length) return [];
    return m.query(
      `SELECT it.incident_id, t.code, t.name FROM incident_tenants it JOIN tenants t ON t.id = it.tenant_id
        WHERE it.incident_id = ANY($1::uuid[]) ORDER BY t.code`,
      [ids],
    );
  }
}
