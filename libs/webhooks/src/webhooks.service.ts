import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '@charlotte/audit';
import { TenantsService } from '@charlotte/auth';
import { decodeCursor, encodeCursor, NotFoundError, ValidationFailedError } from '@charlotte/core';
import { SealingService } from '@charlotte/crypto';
import { FILING_EVENT_TYPES, type FilingEvent, type FilingEventType } from '@charlotte/filing';
import { DestinationRefused, WebhookDestinations } from './destination/destinations.service';
import { newWebhookSecret } from './delivery/signature';
import { WebhookWorker } from './delivery/webhook.worker';
import type {
  CreatedWebhookDto,
  CreateWebhookDto,
  DeliveryListQuery,
  UpdateWebhookDto,
  WebhookDeliveryDto,
  WebhookDeliveryListDto,
  WebhookDto,
  WebhookListDto,
  WebhookPingDto,
} from './dto/webhook.dto';
import { WebhookErrors } from './errors';
import { WEBHOOK_SECRET_PURPOSE } from './sealing-purposes';
import { DeliveryRow, WebhookRow, WebhooksRepository } from './webhooks.repository';

/** Enough for every integration a tenant runs; bounds the fan-out of one status change. */
export const MAX_WEBHOOKS_PER_TENANT = 20;

const iso = (d: Date | null): string | null => (d ? new Date(d).toISOString() : null);

function view(w: WebhookRow): WebhookDto {
  return {
    id: w.id,
    url: w.url,
    events: w.events as FilingEventType[],
    description: w.description,
    status: w.status,
    disabledReason: w.disabled_reason,
    disabledAt: iso(w.disabled_at),
    createdAt: new Date(w.created_at).toISOString(),
    updatedAt: new Date(w.updated_at).toISOString(),
  };
}

function deliveryView(d: DeliveryRow): WebhookDeliveryDto {
  return {
    id: d.id,
    eventId: d.event_id,
    type: d.event_type,
    status: d.status,
    attempts: d.attempts,
    statusCode: d.last_status_code,
    error: d.last_error as WebhookDeliveryDto['error'],
    responseTimeMs: d.last_response_ms,
    createdAt: new Date(d.created_at).toISOString(),
    lastAttemptAt: iso(d.last_attempt_at),
    nextAttemptAt: d.status === 'pending' ? iso(d.next_attempt_at) : null,
    deliveredAt: iso(d.delivered_at),
    redeliveryOf: d.redelivery_of,
  };
}

/** The events chosen, once each, in the order of the contract. */
const eventsOf = (chosen: readonly string[]): FilingEventType[] => FILING_EVENT_TYPES.filter((e) => chosen.includes(e));

/** The host of a URL, for audit details: never the path or query, where receivers often put their own tokens. */
const hostOf = (url: string): string => new URL(url).host;

/**
 * Webhooks for integrators (api.md "Webhooks"): a tenant administrator's endpoints, the events of
 * filings recorded in the transaction of their status change (FilingEventsRegistry), pings, the
 * delivery log and redelivery. The signing secret is sealed with the tenant's key and shown once.
 */
@Injectable()
export class WebhooksService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly repo: WebhooksRepository,
    private readonly destinations: WebhookDestinations,
    private readonly sealing: SealingService,
    private readonly tenants: TenantsService,
    private readonly worker: WebhookWorker,
    private readonly audit: AuditService,
  ) {}

  /** The SSRF guard at save time: 422 webhook_url_not_allowed (also for http://), 400 for what is not a URL. */
  private async checkUrl(raw: string): Promise<string> {
    try {
      return (await this.destinations.check(raw)).url.toString();
    } catch (e) {
      if (!(e instanceof DestinationRefused)) throw e;
      if (e.reason === 'invalid') throw new ValidationFailedError([{ field: 'url', code: 'invalid_format', message: 'url must be a URL' }]);
      throw WebhookErrors.urlNotAllowed(e.reason);
    }
  }

  private async row(tenantId: string, id: string): Promise<WebhookRow> {
    const w = await this.repo.find(this.ds, tenantId, id);
    if (!w) throw new NotFoundError('webhook');
    return w;
  }

  async list(tenantId: string): Promise<WebhookListDto> {
    return { items: (await this.repo.list(tenantId)).map(view), nextCursor: null };
  }

  async get(tenantId: string, id: string): Promise<WebhookDto> {
    return view(await this.row(tenantId, id));
  }

  async create(tenantId: string, userId: string, dto: CreateWebhookDto): Promise<CreatedWebhookDto> {
    const url = await this.checkUrl(dto.url);
    if ((await this.repo.count(tenantId)) >= MAX_WEBHOOKS_PER_TENANT) throw WebhookErrors.limitReached(MAX_WEBHOOKS_PER_TENANT);
    const id = randomUUID();
    const secret = newWebhookSecret();
    const events = eventsOf(dto.events);
    const w = await this.repo.insert(this.ds, {
      id,
      tenantId,
      url,
      events,
      description: dto.description?.trim() || null,
      secretSealed: await this.sealing.seal(tenantId, WEBHOOK_SECRET_PURPOSE, id, secret),
      createdBy: userId,
    });
    await this.audit.record({
      category: 'operation',
      action: 'webhook.created',
      outcome: 'success',
      tenantId,
      target: { type: 'webhook', id },
      details: { host: hostOf(url), events },
    });
    return { ...view(w), secret };
  }

  async update(tenantId: string, id: string, dto: UpdateWebhookDto): Promise<WebhookDto> {
    const url = dto.url !== undefined ? await this.checkUrl(dto.url) : undefined;
    const out = await this.ds.transaction(async (m) => {
      const before = await this.repo.find(m, tenantId, id, true);
      if (!before) throw new NotFoundError('webhook');
      const description = dto.description === undefined ? undefined : dto.description?.trim() || null;
      const status = dto.status !== undefined && dto.status !== before.status ? dto.status : undefined;
      const events = dto.events ? eventsOf(dto.events) : undefined;
      const after = await this.repo.update(m, tenantId, id, { url, events, description, status, disabledReason: 'admin' });
      // Switched off: what it still had to send is not sent later by surprise (it can be redelivered).
      if (status === 'disabled') await this.repo.failPending(m, tenantId, id);
      const fields = (['url', 'events', 'description'] as const).filter((f) => dto[f] !== undefined);
      return { before, after, status, fields };
    });
    if (out.fields.length)
      await this.audit.record({
        category: 'operation',
        action: 'webhook.updated',
        outcome: 'success',
        tenantId,
        target: { type: 'webhook', id },
        details: { fields: out.fields, host: hostOf(out.after.url), events: out.after.events },
      });
    if (out.status)
      await this.audit.record({
        category: 'operation',
        action: out.status === 'disabled' ? 'webhook.disabled' : 'webhook.enabled',
        outcome: 'success',
        tenantId,
        target: { type: 'webhook', id },
        details: out.status === 'disabled' ? { reason: 'admin' } : { previousReason: out.before.disabled_reason },
      });
    return view(out.after);
  }

  async remove(tenantId: string, id: string): Promise<void> {
    if (!(await this.repo.delete(this.ds, tenantId, id))) throw new NotFoundError('webhook');
    await this.audit.record({
      category: 'operation',
      action: 'webhook.deleted',
      outcome: 'success',
      tenantId,
      target: { type: 'webhook', id },
    });
  }

  /**
   * A test event (`ping`) sent now, once, and logged like any delivery; also to a disabled webhook, so
   * that an administrator can check a repaired receiver before enabling it again.
   */
  async ping(tenantId: string, id: string): Promise<WebhookPingDto> {
    const w = await this.row(tenantId, id);
    const tenant = await this.tenantCode(tenantId);
    const eventId = randomUUID();
    const body = JSON.stringify({ id: eventId, type: 'ping', createdAt: new Date().toISOString(), tenant, data: { webhookId: w.id } });
    // Written as attempted and leased: the worker leaves it alone, it is never retried.
    const [row] = await this.repo.enqueue(this.ds, tenantId, [w.id], {
      eventId,
      type: 'ping',
      body,
      attempts: 1,
      leaseSeconds: this.worker.leaseMs / 1000,
    });
    const claimed = await this.repo.withHook(row);
    if (!claimed) throw new NotFoundError('webhook');
    const r = await this.worker.attempt(claimed);
    if (r.ok) await this.repo.markDelivered(row.id, r);
    else await this.repo.markFailed(this.ds, row.id, { statusCode: r.statusCode, error: r.error ?? 'internal', responseMs: r.responseMs });
    await this.ds.query(`UPDATE webhook_deliveries SET last_attempt_at = now() WHERE tenant_id = $1 AND id = $2`, [tenantId, row.id]);
    const logged = await this.repo.delivery(tenantId, w.id, row.id);
    return { delivery: deliveryView(logged as DeliveryRow), ok: r.ok };
  }

  async deliveries(tenantId: string, id: string, q: DeliveryListQuery): Promise<WebhookDeliveryListDto> {
    await this.row(tenantId, id);
    const limit = q.limit ?? 50;
    const after = decodeCursor(q.cursor, ['c', 'i'] as const);
    const rows = await this.repo.deliveries(tenantId, id, limit + 1, after);
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return { items: items.map(deliveryView), nextCursor: rows.length > limit && last ? encodeCursor({ c: last.c, i: last.id }) : null };
  }

  /** The same event (same id and body, a fresh signature) queued again as a new delivery; 409 while the webhook is disabled. */
  async redeliver(tenantId: string, id: string, deliveryId: string): Promise<WebhookDeliveryDto> {
    const w = await this.row(tenantId, id);
    const d = await this.repo.delivery(tenantId, id, deliveryId);
    if (!d) throw new NotFoundError('delivery');
    if (w.status !== 'active') throw WebhookErrors.disabled();
    const [row] = await this.repo.enqueue(this.ds, tenantId, [id], {
      eventId: d.event_id,
      type: d.event_type,
      body: d.body,
      redeliveryOf: d.id,
    });
    this.worker.nudge();
    await this.audit.record({
      category: 'operation',
      action: 'webhook.redelivered',
      outcome: 'success',
      tenantId,
      target: { type: 'webhook', id },
      details: { delivery: d.id, redelivery: row.id, event: d.event_id },
    });
    return deliveryView(row);
  }

  /**
   * A filing event (FilingEventsRegistry), in the transaction of the status change: one delivery per
   * subscribed active webhook, with the body fixed now (ids and states only, never form content).
   */
  async onFilingEvent(m: EntityManager, e: FilingEvent): Promise<void> {
    const hooks = await this.repo.subscribers(m, e.tenantId, e.type);
    if (!hooks.length) return;
    const eventId = randomUUID();
    const body = JSON.stringify({
      id: eventId,
      type: e.type,
      createdAt: new Date().toISOString(),
      tenant: await this.tenantCode(e.tenantId),
      data: { applicationId: e.applicationId, status: e.status, ...(e.documentId ? { documentId: e.documentId } : {}) },
    });
    await this.repo.enqueue(m, e.tenantId, hooks, { eventId, type: e.type, body });
    // Sent by the next tick at the latest; the nudge only shortens the wait once the caller has committed.
    this.worker.nudge();
  }

  /** The tenant as integrators know it: its 契約コード. */
  private async tenantCode(tenantId: string): Promise<string> {
    return (await this.tenants.findById(tenantId))?.code ?? tenantId;
  }
}
