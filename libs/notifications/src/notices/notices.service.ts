import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { decodeCursor, encodeCursor, NotFoundError } from '@charlotte/core';
import { FilingMailService } from '../customer-mail/filing-mail.service';
import type { NoticeDto, NoticeListView } from './dto/notice.dto';
import { NoticeKind } from './notice-kinds';

/** What the service returns: the OpenAPI shape itself (NoticeDto), declared once. */
export type NoticeView = NoticeDto;
/** One page of GET /notices. */
export type NoticePage = NoticeListView;

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

  /**
   * One お知らせ per active administrator of the tenant (settings and security events that only
   * administrators can act on: the IP allow-list lifted, a webhook switched off), in the caller's transaction;
   * no mail goes with it. Returns how many were written.
   */
  async addForAdmins(m: EntityManager | DataSource, tenantId: string, kind: NoticeKind): Promise<number> {
    const r: unknown[] = await m.query(
      `INSERT INTO notices (tenant_id, user_id, kind)
       SELECT tenant_id, id, $2 FROM users WHERE tenant_id = $1 AND role = 'admin' AND status = 'active' RETURNING id`,
      [tenantId, kind],
    );
    return r.length;
  }

  /**
   * One お知らせ per listed user (the staff of a 顧問先 and the requester of a 依頼), in the caller's
   * transaction; no mail goes with it. Ids outside the tenant are skipped. Returns how many were written.
   */
  async addForUsers(m: EntityManager | DataSource, tenantId: string, userIds: readonly string[], kind: NoticeKind): Promise<number> {
    if (!userIds.length) return 0;
    const r: unknown[] = await m.query(
      `INSERT INTO notices (tenant_id, user_id, kind)
       SELECT tenant_id, id, $3 FROM users WHERE tenant_id = $1 AND id = ANY($2::uuid[]) AND status = 'active' RETURNING id`,
      [tenantId, [...new Set(userIds)], kind],
    );
    return r.length;
  }

  /**
   * One page of the user's お知らせ (their own and the tenant-wide ones), unread
   * first, then newest first; `id` breaks ties so that the order is total and a
   * cursor over it never skips or repeats a row that stays where it was. The
   * cursor holds the last row's key (`u` unread flag, `c` creation time with its
   * microseconds, `i` id). A notice read between two pages moves from the unread
   * part to the read part: it may then come again on a later page (clients keep
   * one row per id), but no notice is skipped, since a row only ever moves later
   * in this order (read_at is set once).
   */
  async list(tenantId: string, userId: string, opts: { limit?: number; cursor?: string; ownOnly?: boolean } = {}): Promise<NoticePage> {
    const limit = opts.limit ?? 50;
    const after = decodeCursor(opts.cursor, ['u', 'c', 'i'] as const);
    const rows: Array<{
      id: string;
      kind: NoticeKind;
      application_id: string | null;
      incident_id: string | null;
      title: string | null;
      created_at: Date;
      read_at: Date | null;
      u: number;
      c: string;
    }> = await this.ds.query(
      `SELECT n.id, n.kind, n.application_id, n.incident_id, i.title, n.created_at, n.read_at,
              (n.read_at IS NULL)::int AS u,
              to_char(n.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS c
         FROM notices n
         LEFT JOIN incidents i ON i.id = n.incident_id
        WHERE n.tenant_id = $1 AND (n.user_id = $2 OR (n.user_id IS NULL AND NOT $7::boolean))
          AND ($4::int IS NULL OR ((n.read_at IS NULL)::int, n.created_at, n.id) < ($4::int, $5::timestamptz, $6::uuid))
        ORDER BY (n.read_at IS NULL) DESC, n.created_at DESC, n.id DESC
        LIMIT $3`,
      [tenantId, userId, limit + 1, after ? Number(after.u) : null, after?.c ?? null, after?.i ?? null, opts.ownOnly === true],
    );
    const unread: Array<{ n: number }> = await this.ds.query(
      `SELECT count(*)::int AS n FROM notices WHERE tenant_id = $1 AND (user_id = $2 OR (user_id IS NULL AND NOT $3::boolean)) AND read_at IS NULL`,
      [tenantId, userId, opts.ownOnly === true],
    );
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page.map((r) => ({
        id: r.id,
        kind: r.kind,
        applicationId: r.application_id,
        createdAt: new Date(r.created_at).toISOString(),
        readAt: r.read_at ? new Date(r.read_at).toISOString() : null,
        ...(r.incident_id ? { incidentId: r.incident_id, title: r.title ?? '' } : {}),
      })),
      nextCursor: rows.length > limit && last ? encodeCursor({ u: String(last.u), c: last.c, i: last.id }) : null,
      unread: unread[0].n,
    };
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

  async markRead(tenantId: string, userId: string, id: string, ownOnly = false): Promise<void> {
    const r: [unknown[], number] = await this.ds.query(
      `UPDATE notices SET read_at = COALESCE(read_at, now()) WHERE tenant_id = $1 AND id = $2 AND (user_id = $3 OR (user_id IS NULL AND NOT $4::boolean))`,
      [tenantId, id, userId, ownOnly],
    );
    if (r[1] === 0) throw new NotFoundError('notice');
  }

  /** Marks every unread お知らせ of the user read (their own and the tenant-wide ones); answers how many changed. */
  async markAllRead(tenantId: string, userId: string, ownOnly = false): Promise<number> {
    const r: [unknown[], number] = await this.ds.query(
      `UPDATE notices SET read_at = now() WHERE tenant_id = $1 AND (user_id = $2 OR (user_id IS NULL AND NOT $3::boolean)) AND read_at IS NULL`,
      [tenantId, userId, ownOnly],
    );
    return r[1];
  }
}
