import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ClientAccess, ClientAccessService, ClientsService } from '@charlotte/applications';
import { AuditService } from '@charlotte/audit';
import { UserNamesService } from '@charlotte/auth';
import { decodeCursor, encodeCursor, NotFoundError, Principal, ValidationFailedError } from '@charlotte/core';
import { SealingService } from '@charlotte/crypto';
import { NoticesService } from '@charlotte/notifications';
import { PortalErrors } from '../errors';
import { PURPOSE } from '../sealing-purposes';
import { CreateRequestDto, ListRequestsQuery, RequestPage, RequestStatus, RequestView } from './dto/request.dto';

interface Row {
  id: string;
  client_id: string;
  created_by: string;
  title_sealed: Buffer;
  body_sealed: Buffer;
  status: RequestStatus;
  closed_by: string | null;
  closed_at: Date | null;
  created_at: Date;
  c: string;
}

const COLUMNS = `r.id, r.client_id, r.created_by, r.title_sealed, r.body_sealed, r.status, r.closed_by, r.closed_at, r.created_at,
  to_char(r.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS c`;

/**
 * 依頼 (requests) from the users of a 顧問先's portal to the office. Visibility is the one policy of
 * 顧問先 (ClientAccessService), applied inside each query: a portal user sees their own client's
 * requests, staff those of the clients assigned to them, admins all; anything else answers 404 like
 * another tenant's id. Title and body are sealed with the tenant's key and never logged or audited
 * (audit details carry ids only).
 */
@Injectable()
export class RequestsService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly sealing: SealingService,
    private readonly audit: AuditService,
    private readonly access: ClientAccessService,
    private readonly clients: ClientsService,
    private readonly names: UserNamesService,
    private readonly notices: NoticesService,
  ) {}

  /** SQL condition: the request aliased `r` belongs to a client visible to `access`. */
  private visible(access: ClientAccess, params: unknown[]): string {
    if (access.all) return 'TRUE';
    params.push(access.clientIds);
    return `r.client_id = ANY($${params.length}::uuid[])`;
  }

  /** A portal user sends a 依頼 to the office; the client's staff and the admins get an お知らせ. */
  async create(tenantId: string, p: Principal, dto: CreateRequestDto): Promise<RequestView> {
    if (p.role !== 'client') throw PortalErrors.portalUsersOnly();
    const title = dto.title.trim();
    const body = dto.body.trim();
    const blank = [...(title ? [] : ['title']), ...(body ? [] : ['body'])];
    if (blank.length)
      throw new ValidationFailedError(blank.map((field) => ({ field, code: 'not_blank', message: `${field} must not be blank` })));
    const access = await this.access.of(p);
    const clientId = access.clientIds[0];
    // A portal user always has their client (users.client_id NOT NULL); the gate checked the portal is on.
    if (!clientId) throw new NotFoundError('client');
    const id = randomUUID();
    const [titleSealed, bodySealed] = await Promise.all([
      this.sealing.seal(tenantId, PURPOSE.requestTitle, id, title),
      this.sealing.seal(tenantId, PURPOSE.requestBody, id, body),
    ]);
    await this.ds.transaction(async (m) => {
      await m.query(
        `INSERT INTO client_requests (id, tenant_id, client_id, created_by, title_sealed, body_sealed) VALUES ($1, $2, $3, $4, $5, $6)`,
        [id, tenantId, clientId, p.userId, titleSealed, bodySealed],
      );
      const staff: Array<{ id: string }> = await m.query(
        `SELECT u.id FROM users u
          WHERE u.tenant_id = $1 AND u.status = 'active'
            AND (u.role = 'admin'
              OR (u.role = 'member' AND (
                EXISTS (SELECT 1 FROM client_assignment_scopes s WHERE s.tenant_id = u.tenant_id AND s.user_id = u.id AND s.all_clients)
                OR EXISTS (SELECT 1 FROM client_assignments a WHERE a.tenant_id = u.tenant_id AND a.user_id = u.id AND a.client_id = $2))))`,
        [tenantId, clientId],
      );
      await this.notices.addForUsers(
        m,
        tenantId,
        staff.map((s) => s.id),
        'client_request_created',
      );
    });
    await this.audit.record({
      category: 'operation',
      action: 'client_request.created',
      outcome: 'success',
      tenantId,
      target: { type: 'client_request', id },
      details: { clientId },
    });
    return this.get(tenantId, p, id);
  }

  async get(tenantId: string, p: Principal, id: string): Promise<RequestView> {
    const access = await this.access.of(p);
    const params: unknown[] = [tenantId, id];
    const rows: Row[] = await this.ds.query(
      `SELECT ${COLUMNS} FROM client_requests r WHERE r.tenant_id = $1 AND r.id = $2 AND ${this.visible(access, params)}`,
      params,
    );
    if (!rows[0]) throw new NotFoundError('request');
    return (await this.views(tenantId, rows))[0];
  }

  /** Newest first, keyset-paged on (created_at, id); filtered by status and client. */
  async list(tenantId: string, p: Principal, q: ListRequestsQuery): Promise<RequestPage> {
    const limit = q.limit ?? 50;
    const after = decodeCursor(q.cursor, ['c', 'i'] as const);
    const access = await this.access.of(p);
    const params: unknown[] = [tenantId];
    const where = ['r.tenant_id = $1', this.visible(access, params)];
    if (q.status) {
      params.push(q.status);
      where.push(`r.status = $${params.length}`);
    }
    if (q.clientId) {
      params.push(q.clientId);
      where.push(`r.client_id = $${params.length}`);
    }
    if (after) {
      params.push(after.c, after.i);
      where.push(`(r.created_at, r.id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
    }
    params.push(limit + 1);
    const rows: Row[] = await this.ds.query(
      `SELECT ${COLUMNS} FROM client_requests r WHERE ${where.join(' AND ')} ORDER BY r.created_at DESC, r.id DESC LIMIT $${params.length}`,
      params,
    );
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: await this.views(tenantId, page),
      nextCursor: rows.length > limit && last ? encodeCursor({ c: last.c, i: last.id }) : null,
    };
  }

  /**
   * Closes a 依頼: staff who see its client, an admin, or a portal user of that client. Closing a
   * closed one changes nothing (200 with it as it is). The requester gets an お知らせ unless they
   * closed it themselves.
   */
  async close(tenantId: string, p: Principal, id: string): Promise<RequestView> {
    const current = await this.get(tenantId, p, id);
    if (current.status === 'closed') return current;
    const closed = await this.ds.transaction(async (m) => {
      const r: [Array<{ created_by: string; client_id: string }>, number] = await m.query(
        `UPDATE client_requests SET status = 'closed', closed_by = $3, closed_at = now()
          WHERE tenant_id = $1 AND id = $2 AND status = 'open' RETURNING created_by, client_id`,
        [tenantId, id, p.userId],
      );
      const row = r[0][0];
      if (row && row.created_by !== p.userId) await this.notices.addForUsers(m, tenantId, [row.created_by], 'client_request_closed');
      return row;
    });
    if (closed)
      await this.audit.record({
        category: 'operation',
        action: 'client_request.closed',
        outcome: 'success',
        tenantId,
        target: { type: 'client_request', id },
        details: { clientId: closed.client_id },
      });
    return this.get(tenantId, p, id);
  }

  /** Titles of a tenant's 依頼 by id (the audit log names its events with them, for that tenant's viewers only). */
  async titlesOf(tenantId: string, ids: readonly string[]): Promise<Map<string, string>> {
    const rows: Array<{ id: string; title_sealed: Buffer }> = await this.ds.query(
      `SELECT id, title_sealed FROM client_requests WHERE tenant_id = $1 AND id = ANY($2::uuid[])`,
      [tenantId, [...ids]],
    );
    const out = new Map<string, string>();
    for (const r of rows) out.set(r.id, await this.sealing.openString(tenantId, PURPOSE.requestTitle, r.id, r.title_sealed));
    return out;
  }

  private async views(tenantId: string, rows: Row[]): Promise<RequestView[]> {
    if (!rows.length) return [];
    const people = await this.names.namesOf(tenantId, [
      ...new Set(rows.flatMap((r) => (r.closed_by ? [r.created_by, r.closed_by] : [r.created_by]))),
    ]);
    const clientNames = await this.clients.names(
      tenantId,
      rows.map((r) => r.client_id),
    );
    const person = (uid: string) => ({ id: uid, displayName: people.get(uid) ?? '' });
    const out: RequestView[] = [];
    for (const r of rows)
      out.push({
        id: r.id,
        clientId: r.client_id,
        clientName: clientNames.get(r.client_id) ?? '',
        title: await this.sealing.openString(tenantId, PURPOSE.requestTitle, r.id, r.title_sealed),
        body: await this.sealing.openString(tenantId, PURPOSE.requestBody, r.id, r.body_sealed),
        status: r.status,
        createdAt: new Date(r.created_at).toISOString(),
        createdBy: person(r.created_by),
        closedAt: r.closed_at ? new Date(r.closed_at).toISOString() : null,
        closedBy: r.closed_by ? person(r.closed_by) : null,
      });
    return out;
  }
}
