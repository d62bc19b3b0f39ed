import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';

type Db = DataSource | EntityManager;

export interface WebhookRow {
  id: string;
  tenant_id: string;
  url: string;
  events: string[];
  description: string | null;
  status: 'active' | 'disabled';
  disabled_reason: 'admin' | 'failures' | null;
  disabled_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export interface DeliveryRow {
  id: string;
  tenant_id: string;
  webhook_id: string;
  event_id: string;
  event_type: string;
  body: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  next_attempt_at: Date;
  last_attempt_at: Date | null;
  last_status_code: number | null;
  last_error: string | null;
  last_response_ms: number | null;
  redelivery_of: string | null;
  created_at: Date;
  delivered_at: Date | null;
  /** created_at as text with microseconds, for the cursor. */
  c: string;
}

const HOOK = `id, tenant_id, url, events, description, status, disabled_reason, disabled_at, created_at, updated_at`;
const DELIVERY = `id, tenant_id, webhook_id, event_id, event_type, body, status, attempts, next_attempt_at, last_attempt_at,
  last_status_code, last_error, last_response_ms, redelivery_of, created_at, delivered_at,
  to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS c`;

/** What the worker needs of a claimed delivery: the row, and its webhook's URL, secret and state. */
export interface ClaimedDelivery extends DeliveryRow {
  url: string;
  secret_sealed: Buffer;
  webhook_status: 'active' | 'disabled';
}

/** The only code that reads and writes `webhooks` and `webhook_deliveries`; every query takes the tenant. */
@Injectable()
export class WebhooksRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  async count(tenantId: string): Promise<number> {
    const r: Array<{ n: number }> = await this.ds.query(`SELECT count(*)::int AS n FROM webhooks WHERE tenant_id = $1`, [tenantId]);
    return r[0].n;
  }

  async insert(
    m: Db,
    w: {
      id: string;
      tenantId: string;
      url: string;
      events: string[];
      description: string | null;
      secretSealed: Buffer;
      createdBy: string | null;
    },
  ): Promise<WebhookRow> {
    const r: WebhookRow[] = await m.query(
      `INSERT INTO webhooks (id, tenant_id, url, events, description, secret_sealed, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${HOOK}`,
      [w.id, w.tenantId, w.url, w.events, w.description, w.secretSealed, w.createdBy],
    );
    return r[0];
  }

  list(tenantId: string): Promise<WebhookRow[]> {
    return this.ds.query(`SELECT ${HOOK} FROM webhooks WHERE tenant_id = $1 ORDER BY created_at, id`, [tenantId]);
  }

  async find(m: Db, tenantId: string, id: string, lock = false): Promise<WebhookRow | undefined> {
    const r: WebhookRow[] = await m.query(`SELECT ${HOOK} FROM webhooks WHERE tenant_id = $1 AND id = $2${lock ? ' FOR UPDATE' : ''}`, [
      tenantId,
      id,
    ]);
    return r[0];
  }

  async update(
    m: Db,
    tenantId: string,
    id: string,
    set: {
      url?: string;
      events?: string[];
      description?: string | null;
      status?: 'active' | 'disabled';
      disabledReason?: 'admin' | 'failures' | null;
    },
  ): Promise<WebhookRow> {
    const cols: string[] = [];
    const params: unknown[] = [tenantId, id];
    const add = (col: string, v: unknown) => {
      params.push(v);
      cols.push(`${col} = $${params.length}`);
    };
    if (set.url !== undefined) add('url', set.url);
    if (set.events !== undefined) add('events', set.events);
    if (set.description !== undefined) add('description', set.description);
    if (set.status !== undefined) {
      add('status', set.status);
      add('disabled_reason', set.status === 'disabled' ? (set.disabledReason ?? 'admin') : null);
      cols.push(set.status === 'disabled' ? 'disabled_at = now()' : 'disabled_at = NULL');
    }
    const r: [WebhookRow[], number] = await m.query(
      `UPDATE webhooks SET ${cols.join(', ')}${cols.length ? ', ' : ''}updated_at = now() WHERE tenant_id = $1 AND id = $2 RETURNING ${HOOK}`,
      params,
    );
    return r[0][0];
  }

  /** Switches an active webhook off because of failures; answers whether it was active (only one caller wins). */
  async disableForFailures(m: Db, tenantId: string, id: string): Promise<boolean> {
    const r: [unknown[], number] = await m.query(
      `UPDATE webhooks SET status = 'disabled', disabled_reason = 'failures', disabled_at = now(), updated_at = now()
        WHERE tenant_id = $1 AND id = $2 AND status = 'active'`,
      [tenantId, id],
    );
    return r[1] > 0;
  }

  async delete(m: Db, tenantId: string, id: string): Promise<boolean> {
    const r: [unknown[], number] = await m.query(`DELETE FROM webhooks WHERE tenant_id = $1 AND id = $2`, [tenantId, id]);
    return r[1] > 0;
  }

  /** The active webhooks of a tenant subscribed to `type`. */
  async subscribers(m: Db, tenantId: string, type: string): Promise<string[]> {
    const r: Array<{ id: string }> = await m.query(
      `SELECT id FROM webhooks WHERE tenant_id = $1 AND status = 'active' AND $2 = ANY(events) ORDER BY id`,
      [tenantId, type],
    );
    return r.map((x) => x.id);
  }

  /** One delivery row per webhook, all pending now. */
  async enqueue(
    m: Db,
    tenantId: string,
    webhookIds: string[],
    e: { eventId: string; type: string; body: string; redeliveryOf?: string | null; attempts?: number; leaseSeconds?: number },
  ): Promise<DeliveryRow[]> {
    return m.query(
      `INSERT INTO webhook_deliveries (tenant_id, webhook_id, event_id, event_type, body, redelivery_of, attempts, next_attempt_at)
       SELECT $1, w, $3, $4, $5, $6, $7, now() + make_interval(secs => $8) FROM unnest($2::uuid[]) AS w RETURNING ${DELIVERY}`,
      [tenantId, webhookIds, e.eventId, e.type, e.body, e.redeliveryOf ?? null, e.attempts ?? 0, e.leaseSeconds ?? 0],
    );
  }

  async delivery(tenantId: string, webhookId: string, id: string): Promise<DeliveryRow | undefined> {
    const r: DeliveryRow[] = await this.ds.query(
      `SELECT ${DELIVERY} FROM webhook_deliveries WHERE tenant_id = $1 AND webhook_id = $2 AND id = $3`,
      [tenantId, webhookId, id],
    );
    return r[0];
  }

  /** The delivery log of one webhook, newest first (keyset on created_at, id). */
  deliveries(tenantId: string, webhookId: string, limit: number, after?: { c: string; i: string }): Promise<DeliveryRow[]> {
    return this.ds.query(
      `SELECT ${DELIVERY} FROM webhook_deliveries WHERE tenant_id = $1 AND webhook_id = $2
         ${after ? 'AND (created_at, id) < ($4::timestamptz, $5::uuid)' : ''}
       ORDER BY created_at DESC, id DESC LIMIT $3`,
      after ? [tenantId, webhookId, limit, after.c, after.i] : [tenantId, webhookId, limit],
    );
  }

  /**
   * Claims one due delivery of an active webhook (FOR UPDATE SKIP LOCKED: several instances side by side),
   * counting the attempt and leasing the row for `leaseSeconds` (a crashed worker's row comes back then).
   */
  async claim(leaseSeconds: number): Promise<ClaimedDelivery | undefined> {
    const r: [DeliveryRow[], number] = await this.ds.query(
      `UPDATE webhook_deliveries SET attempts = attempts + 1, last_attempt_at = now(), next_attempt_at = now() + make_interval(secs => $1)
        WHERE id = (SELECT d.id FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id AND w.tenant_id = d.tenant_id
                     WHERE d.status = 'pending' AND d.next_attempt_at <= now() AND w.status = 'active'
                     ORDER BY d.next_attempt_at FOR UPDATE OF d SKIP LOCKED LIMIT 1)
        RETURNING ${DELIVERY}`,
      [leaseSeconds],
    );
    const row = r[0][0];
    return row ? this.withHook(row) : undefined;
  }

  /** A delivery row with what sending it needs (its webhook's URL and sealed secret). */
  async withHook(row: DeliveryRow): Promise<ClaimedDelivery | undefined> {
    const w: Array<{ url: string; secret_sealed: Buffer; status: 'active' | 'disabled' }> = await this.ds.query(
      `SELECT url, secret_sealed, status FROM webhooks WHERE tenant_id = $1 AND id = $2`,
      [row.tenant_id, row.webhook_id],
    );
    return w[0] ? { ...row, url: w[0].url, secret_sealed: w[0].secret_sealed, webhook_status: w[0].status } : undefined;
  }

  async markDelivered(id: string, r: { statusCode: number | null; responseMs: number }): Promise<void> {
    await this.ds.query(
      `UPDATE webhook_deliveries SET status = 'delivered', delivered_at = now(), last_status_code = $2, last_error = NULL, last_response_ms = $3
        WHERE id = $1 AND status = 'pending'`,
      [id, r.statusCode, r.responseMs],
    );
  }

  async reschedule(
    id: string,
    waitSeconds: number,
    r: { statusCode: number | null; error: string; responseMs: number | null },
  ): Promise<void> {
    await this.ds.query(
      `UPDATE webhook_deliveries SET next_attempt_at = now() + make_interval(secs => $2), last_status_code = $3, last_error = $4, last_response_ms = $5
        WHERE id = $1 AND status = 'pending'`,
      [id, waitSeconds, r.statusCode, r.error, r.responseMs],
    );
  }

  async markFailed(m: Db, id: string, r: { statusCode: number | null; error: string; responseMs: number | null }): Promise<void> {
    await m.query(
      `UPDATE webhook_deliveries SET status = 'failed', last_status_code = $2, last_error = $3, last_response_ms = $4 WHERE id = $1 AND status = 'pending'`,
      [id, r.statusCode, r.error, r.responseMs],
    );
  }

  /** A webhook switched off: what it still had to send is given up (redelivery stays possible). */
  async failPending(m: Db, tenantId: string, webhookId: string): Promise<number> {
    const r: [unknown[], number] = await m.query(
      `UPDATE webhook_deliveries SET status = 'failed', last_error = 'webhook_disabled' WHERE tenant_id = $1 AND webhook_id = $2 AND status = 'pending'`,
      [tenantId, webhookId],
    );
    return r[1];
  }

  /** Removes delivered and failed rows older than `days` (the log's retention). */
  async purge(days: number): Promise<number> {
    const r: [unknown[], number] = await this.ds.query(
      `DELETE FROM webhook_deliveries WHERE status IN ('delivered', 'failed') AND created_at < now() - make_interval(days => $1)`,
      [days],
    );
    return r[1];
  }
}
