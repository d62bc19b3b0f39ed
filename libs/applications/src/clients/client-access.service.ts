import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { Caller, NotFoundError } from '@charlotte/core';
import { ClientAccess, ClientRight } from './client-access';

export type TenantKind = 'company' | 'sharoushi';

type Db = EntityManager | DataSource;

/**
 * The one access policy of 顧問先 (issue 19): who sees which clients' offices, applications,
 * attachments and documents, and with which rights. Every route of those resources asks it
 * (libs/applications directly, libs/filing through the applications lib's index).
 *
 * - Company tenants: everybody sees everything, as before (a company tenant has no clients).
 * - Sharoushi tenants: admins see every client; staff (role member) see only the clients assigned
 *   to them (or all, when assigned "all"), default none; offices without a client: admins only.
 * - API tokens belong to the tenant, not to a user (an admin creates them): they see every client,
 *   limited by their scopes as everywhere else.
 * - Users of a client's portal (role client): exactly their own client, read-only with the
 *   `documents` right only (no draft, submit or offices); the roles guard keeps them off every
 *   route not opened to the portal.
 */
@Injectable()
export class ClientAccessService {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  /** The tenant's kind (the `tenants` row of libs/auth, read only for this). */
  async tenantKind(tenantId: string, m: Db = this.ds): Promise<TenantKind> {
    const rows: Array<{ kind: TenantKind }> = await m.query(`SELECT kind FROM tenants WHERE id = $1`, [tenantId]);
    return rows[0]?.kind ?? 'company';
  }

  /** What this caller may see and do. */
  async of(caller: Caller, m: Db = this.ds): Promise<ClientAccess> {
    // Before the company shortcut: a portal user never sees more than their own client.
    if (caller.kind === 'session' && caller.role === 'client') return this.ofPortalUser(caller.tenantId ?? '', caller.userId, m);
    if (caller.kind === 'token' || caller.role === 'admin' || !caller.tenantId) return ClientAccess.everything();
    if ((await this.tenantKind(caller.tenantId, m)) === 'company') return ClientAccess.everything();
    return this.ofUser(caller.tenantId, caller.userId, m);
  }

  /** A portal user's access: their client (the `users` row of libs/auth, read only for this), documents only. */
  async ofPortalUser(tenantId: string, userId: string, m: Db = this.ds): Promise<ClientAccess> {
    const rows: Array<{ client_id: string | null }> = await m.query(
      `SELECT client_id FROM users WHERE tenant_id = $1 AND id = $2 AND role = 'client'`,
      [tenantId, userId],
    );
    const clientId = rows[0]?.client_id;
    return ClientAccess.assigned(clientId ? [{ clientId, rights: ['documents'] }] : []);
  }

  /** A staff member's assignments as stored (no row: nothing). */
  async ofUser(tenantId: string, userId: string, m: Db = this.ds): Promise<ClientAccess> {
    const scope: Array<{ all_clients: boolean }> = await m.query(
      `SELECT all_clients FROM client_assignment_scopes WHERE tenant_id = $1 AND user_id = $2`,
      [tenantId, userId],
    );
    if (scope[0]?.all_clients) return ClientAccess.everything();
    const rows: Array<{ client_id: string; rights: string[] }> = await m.query(
      `SELECT client_id, rights FROM client_assignments WHERE tenant_id = $1 AND user_id = $2`,
      [tenantId, userId],
    );
    return ClientAccess.assigned(rows.map((r) => ({ clientId: r.client_id, rights: r.rights })));
  }

  /**
   * 404 unless the application exists in the tenant and its client is visible to `access` (the
   * visibility is part of the query); then 403 right_missing without `right`. Answers its client.
   */
  async application(tenantId: string, access: ClientAccess, applicationId: string, right?: ClientRight, m: Db = this.ds) {
    const params: unknown[] = [tenantId, applicationId];
    const visible = access.applicationCondition('a.office_id', 'a.tenant_id', params);
    const rows: Array<{ client_id: string | null }> = await m.query(
      `SELECT o.client_id FROM applications a JOIN offices o ON o.id = a.office_id AND o.tenant_id = a.tenant_id
         WHERE a.tenant_id = $1 AND a.id = $2 AND ${visible}`,
      params,
    );
    if (!rows[0]) throw new NotFoundError('application');
    if (right) access.require(rows[0].client_id, right);
    return { clientId: rows[0].client_id };
  }

  /** 404 unless the office exists in the tenant and is visible; then 403 right_missing without `right`. */
  async office(tenantId: string, access: ClientAccess, officeId: string, right?: ClientRight, m: Db = this.ds) {
    const params: unknown[] = [tenantId, officeId];
    const visible = access.officeCondition('o', params);
    const rows: Array<{ client_id: string | null }> = await m.query(
      `SELECT o.client_id FROM offices o WHERE o.tenant_id = $1 AND o.id = $2 AND o.deleted_at IS NULL AND ${visible}`,
      params,
    );
    if (!rows[0]) throw new NotFoundError('office');
    if (right) access.require(rows[0].client_id, right);
    return { clientId: rows[0].client_id };
  }

  /** The caller's access, after checking one application (the usual first line of an application route). */
  async forApplication(caller: Caller, tenantId: string, applicationId: string, right?: ClientRight): Promise<ClientAccess> {
    const access = await this.of(caller);
    await this.application(tenantId, access, applicationId, right);
    return access;
  }

  /** The caller's access, after checking one office. */
  async forOffice(caller: Caller, tenantId: string, officeId: string, right?: ClientRight): Promise<ClientAccess> {
    const access = await this.of(caller);
    await this.office(tenantId, access, officeId, right);
    return access;
  }
}
