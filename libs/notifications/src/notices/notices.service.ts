import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { NotFoundError } from '@charlotte/core';
import { FilingMailService } from '../customer-mail/filing-mail.service';
import type { NoticeDto } from './dto/notice.dto';
import { NoticeKind } from './notice-kinds';

/** What the service returns: the OpenAPI shape itself (NoticeDto), declared once. */
export type NoticeView = NoticeDto;

/**
 * お知らせ for users: a kind and the application it is about (the SPA words
 * it in Japanese or English; no content is stored here). Addressed to the user
 * who submitted, or to the whole tenant when nobody is known.
 */
@Injectable()
export class NoticesService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly filingMail: FilingMailService,
  ) {}

  async add(
    m: EntityManager | DataSource,
    tenantId: string,
    actor: string | null,
    applicationId: string | null,
    kind: NoticeKind,
  ): Promise<void> {
    const userId = actor?.startsWith('user:') ? actor.slice(5) : null;
    await m.query(`INSERT INTO notices (tenant_id, user_id, application_id, kind) VALUES ($1, $2, $3, $4)`, [
      tenantId,
      userId,
      applicationId,
      kind,
    ]);
    // The filing user's mail, in the same transaction: it exists iff the notice does.
    await this.filingMail.onNotice(m, tenantId, userId, applicationId, kind);
  }

  async list(tenantId: string, userId: string, limit = 50): Promise<{ items: NoticeView[]; unread: number }> {
    const rows: Array<{
      id: string;
      kind: NoticeKind;
      application_id: string | null;
      incident_id: string | null;
      title: string | null;
      created_at: Date;
      read_at: Date | null;
    }> = await this.ds.query(
      `SELECT n.id, n.kind, n.application_id, n.incident_id, i.title, n.created_at, n.read_at FROM notices n
        LEFT JOIN incidents i ON i.id = n.incident_id
        WHERE n.tenant_id = $1 AND (n.user_id = $2 OR n.user_id IS NULL)
        ORDER BY (n.read_at IS NULL) DESC, n.created_at DESC LIMIT $3`,
      [tenantId, userId, limit],
    );
    const unread: Array<{ n: number }> = await this.ds.query(
      `SELECT count(*)::int AS n FROM notices WHERE tenant_id = $1 AND (user_id = $2 OR user_id IS NULL) AND read_at IS NULL`,
      [tenantId, userId],
    );
    return {
      items: rows.map((r) => ({
        id: r.id,
        kind: r.kind,
        applicationId: r.application_id,
        createdAt: new Date(r.created_at).toISOString(),
        readAt: r.read_at ? new Date(r.read_at).toISOString() : null,
        ...(r.incident_id ? { incidentId: r.incident_id, title: r.title ?? '' } : {}),
      })),
      unread: unread[0].n,
    };
  }

  /**
   * One お知らせ per active administrator of the tenant (each with their own read state), in the caller's
   * transaction: for what only administrators can act on (a webhook switched off). No mail goes with it.
   */
  async addForAdmins(m: EntityManager | DataSource, tenantId: string, kind: NoticeKind): Promise<number> {
    const rows: Array<{ id: string }> = await m.query(
      `INSERT INTO notices (tenant_id, user_id, kind)
       SELECT tenant_id, id, $2 FROM users WHERE tenant_id = $1 AND role = 'admin' AND status = 'active' RETURNING id`,
      [tenantId, kind],
    );
    return rows.length;
  }

  /**
   * One お知らせ of kind `incident` per user (so that each user's read state is their own), in the
   * caller's transaction. Returns how many were written.
   */
  async addForIncident(m: EntityManager, incidentId: string, users: ReadonlyArray<{ tenantId: string; userId: string }>): Promise<number> {
    if (!users.length) return 0;
    await m.query(
      `INSERT INTO notices (tenant_id, user_id, kind, incident_id)
       SELECT t, u, 'incident', $3 FROM unnest($1::uuid[], $2::uuid[]) AS x(t, u)`,
      [users.map((x) => x.tenantId), users.map((x) => x.userId), incidentId],
    );
    return users.length;
  }

  async markRead(tenantId: string, userId: string, id: string): Promise<void> {
    const r: [unknown[], number] = await this.ds.query(
      `UPDATE notices SET read_at = COALESCE(read_at, now()) WHERE tenant_id = $1 AND id = $2 AND (user_id = $3 OR user_id IS NULL)`,
      [tenantId, id, userId],
    );
    if (r[1] === 0) throw new NotFoundError('notice');
  }

  /** Marks every unread お知らせ of the user read (their own and the tenant-wide ones); answers how many changed. */
  async markAllRead(tenantId: string, userId: string): Promise<number> {
    const r: [unknown[], number] = await this.ds.query(
      `UPDATE notices SET read_at = now() WHERE tenant_id = $1 AND (user_id = $2 OR user_id IS NULL) AND read_at IS NULL`,
      [tenantId, userId],
    );
    return r[1];
  }
}
