import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, QueryRunner } from 'typeorm';
import { APP_CONFIG, AppConfig, decodeCursor, encodeCursor, Page, requestContext } from '@charlotte/core';
import { SigningKeyService } from '@charlotte/crypto';
import { chainHash, checkpointMessage, eventCanonical, GENESIS_HASH, HashedEvent, JsonValue } from './canonical';
import { assertNoPersonalData } from './personal-data';
import { AuditEventView, AuditRecord, PLATFORM_CHAIN, VerifyResult } from './audit.types';

const TS = `to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
const EVENT_COLUMNS = `chain_key, seq, id, ${TS} AS occurred_at, category, action, outcome, tenant_id, actor_type, actor_id,
  target_type, target_id, request_id, ip, user_agent, details, prev_hash, hash`;

export interface EventRow {
  chain_key: string;
  seq: string;
  id: string;
  occurred_at: string;
  category: string;
  action: string;
  outcome: string;
  tenant_id: string | null;
  actor_type: string;
  actor_id: string | null;
  target_type: string | null;
  target_id: string | null;
  request_id: string | null;
  ip: string | null;
  user_agent: string | null;
  details: { [k: string]: JsonValue };
  prev_hash: Buffer;
  hash: Buffer;
}

export interface CheckpointRow {
  chain_key: string;
  kind: 'head' | 'purge';
  seq: string;
  hash: Buffer;
  created_at: string;
  key_id: string;
  signature: string;
}

export function rowToHashed(r: EventRow): HashedEvent {
  return {
    chain: r.chain_key,
    seq: Number(r.seq),
    id: r.id,
    occurredAt: r.occurred_at,
    category: r.category,
    action: r.action,
    outcome: r.outcome,
    tenantId: r.tenant_id,
    actorType: r.actor_type,
    actorId: r.actor_id,
    targetType: r.target_type,
    targetId: r.target_id,
    requestId: r.request_id,
    ip: r.ip,
    userAgent: r.user_agent,
    details: r.details,
  };
}

function toView(r: EventRow): AuditEventView {
  return {
    id: r.id,
    chain: r.chain_key,
    seq: Number(r.seq),
    occurredAt: r.occurred_at,
    category: r.category as AuditEventView['category'],
    action: r.action,
    outcome: r.outcome as AuditEventView['outcome'],
    tenantId: r.tenant_id,
    actor: { type: r.actor_type, id: r.actor_id },
    target: r.target_type ? { type: r.target_type, id: r.target_id } : null,
    requestId: r.request_id,
    ip: r.ip,
    userAgent: r.user_agent,
    details: r.details,
    prevHash: r.prev_hash.toString('hex'),
    hash: r.hash.toString('hex'),
  };
}

export interface AuditQuery {
  category?: string;
  action?: string;
  actor?: string;
  from?: Date;
  to?: Date;
  limit?: number;
  cursor?: string;
}

/**
 * The audit trail: append-only events in one hash chain per tenant (and one for
 * the platform), signed checkpoints, verification and retention.
 */
@Injectable()
export class AuditService {
  private readonly logger = new Logger('Audit');

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly signing: SigningKeyService,
  ) {}

  /**
   * Appends one event to its chain. The chain's head row is locked for the
   * append (UPDATE … RETURNING), so concurrent writers to one chain queue up and
   * never fork or skip a number, while writers to other chains do not wait.
   */
  async record(r: AuditRecord): Promise<void> {
    const details = r.details ?? {};
    assertNoPersonalData(details);
    const ctx = requestContext.get();
    const tenantId = r.tenantId !== undefined ? r.tenantId : (ctx?.tenantId ?? null);
    const chain = tenantId ?? PLATFORM_CHAIN;
    const actor =
      r.actor ??
      (ctx?.userId ? { type: 'user' as const, id: ctx.userId } : ctx ? { type: 'anonymous' as const } : { type: 'system' as const });
    const qr = this.ds.createQueryRunner();
    await qr.connect();
    try {
      await qr.startTransaction();
      const head = await this.advanceHead(qr, chain, tenantId);
      const event: HashedEvent = {
        chain,
        seq: head.seq,
        id: randomUUID(),
        occurredAt: head.ts,
        category: r.category,
        action: r.action,
        outcome: r.outcome,
        tenantId,
        actorType: actor.type,
        actorId: actor.id ?? null,
        targetType: r.target?.type ?? null,
        targetId: r.target?.id ?? null,
        requestId: ctx?.requestId ?? null,
        ip: ctx?.ip ?? null,
        userAgent: ctx?.userAgent ?? null,
        details,
      };
      const hash = chainHash(head.hash, eventCanonical(event));
      await qr.query(
        `WITH ins AS (
           INSERT INTO audit_events (chain_key, seq, id, occurred_at, category, action, outcome, tenant_id, actor_type, actor_id,
                                     target_type, target_id, request_id, ip, user_agent, details, prev_hash, hash)
           VALUES ($1, $2, $3, $4::timestamptz, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16::jsonb, $17, $18))
         UPDATE audit_chains SET head_hash = $18 WHERE chain_key = $1`,
        [
          chain,
          event.seq,
          event.id,
          event.occurredAt,
          event.category,
          event.action,
          event.outcome,
          tenantId,
          event.actorType,
          event.actorId,
          event.targetType,
          event.targetId,
          event.requestId,
          event.ip,
          event.userAgent,
          JSON.stringify(details),
          head.hash,
          hash,
        ],
      );
      await qr.commitTransaction();
    } catch (e) {
      if (qr.isTransactionActive) await qr.rollbackTransaction();
      throw e;
    } finally {
      await qr.release();
    }
  }

  /** Records without failing the caller: for events raised while answering an error. */
  async recordQuietly(r: AuditRecord): Promise<void> {
    try {
      await this.record(r);
    } catch (e) {
      this.logger.error({ message: 'audit record failed', action: r.action, err: e instanceof Error ? e.message : String(e) });
    }
  }

  private async advanceHead(qr: QueryRunner, chain: string, tenantId: string | null): Promise<{ seq: number; hash: Buffer; ts: string }> {
    const sql = `UPDATE audit_chains SET head_seq = head_seq + 1 WHERE chain_key = $1
                 RETURNING head_seq, head_hash, to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS ts`;
    let res = await qr.query(sql, [chain], true);
    if (res.records.length === 0) {
      await qr.query(`INSERT INTO audit_chains (chain_key, tenant_id) VALUES ($1, $2) ON CONFLICT (chain_key) DO NOTHING`, [
        chain,
        tenantId,
      ]);
      res = await qr.query(sql, [chain], true);
    }
    const row = res.records[0] as { head_seq: string; head_hash: Buffer; ts: string };
    return { seq: Number(row.head_seq), hash: row.head_hash, ts: row.ts };
  }

  /** Newest first, within one tenant's chain. */
  async list(tenantId: string, q: AuditQuery): Promise<Page<AuditEventView>> {
    const limit = q.limit ?? 50;
    const after = decodeCursor(q.cursor, ['s'] as const);
    const params: unknown[] = [tenantId];
    const where = ['chain_key = $1'];
    const add = (clause: string, v: unknown) => {
      params.push(v);
      where.push(clause.replace('?', `$${params.length}`));
    };
    if (after) add('seq < ?', Number(after.s));
    if (q.category) add('category = ?', q.category);
    if (q.action) add('action = ?', q.action);
    if (q.actor) add('actor_id = ?', q.actor);
    if (q.from) add('occurred_at >= ?', q.from);
    if (q.to) add('occurred_at < ?', q.to);
    params.push(limit + 1);
    const rows: EventRow[] = await this.ds.query(
      `SELECT ${EVENT_COLUMNS} FROM audit_events WHERE ${where.join(' AND ')} ORDER BY seq DESC LIMIT $${params.length}`,
      params,
    );
    const items = rows.slice(0, limit).map(toView);
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > limit && last ? encodeCursor({ s: String(last.seq) }) : null };
  }

  async get(tenantId: string, id: string): Promise<AuditEventView | undefined> {
    const rows: EventRow[] = await this.ds.query(`SELECT ${EVENT_COLUMNS} FROM audit_events WHERE chain_key = $1 AND id = $2`, [
      tenantId,
      id,
    ]);
    return rows[0] ? toView(rows[0]) : undefined;
  }

  /** Every chain key (tenants and platform). */
  async chains(): Promise<string[]> {
    const rows: Array<{ chain_key: string }> = await this.ds.query('SELECT chain_key FROM audit_chains ORDER BY chain_key');
    return rows.map((r) => r.chain_key);
  }

  /** Streams one chain in order, in batches (bounded memory for millions of events). */
  async *events(chain: string, batch = 5000): AsyncGenerator<EventRow[]> {
    let after = 0;
    for (;;) {
      const rows: EventRow[] = await this.ds.query(
        `SELECT ${EVENT_COLUMNS} FROM audit_events WHERE chain_key = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
        [chain, after, batch],
      );
      if (rows.length === 0) return;
      yield rows;
      after = Number(rows[rows.length - 1].seq);
    }
  }

  async checkpoints(chain: string): Promise<CheckpointRow[]> {
    return this.ds.query(
      `SELECT chain_key, kind, seq, hash, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_at, key_id, signature
         FROM audit_checkpoints WHERE chain_key = $1 ORDER BY seq, id`,
      [chain],
    );
  }

  signingKey() {
    return this.signing.publicJwk();
  }

  checkpointValid(c: CheckpointRow): boolean {
    const msg = checkpointMessage({
      chain: c.chain_key,
      kind: c.kind,
      seq: Number(c.seq),
      hash: c.hash.toString('hex'),
      createdAt: c.created_at,
      keyId: c.key_id,
    });
    return c.key_id === this.signing.keyId && this.signing.verify(msg, c.signature);
  }

  /**
   * Recomputes a chain: every hash, the sequence without gaps, the links, the
   * head row, and every checkpoint's signature and position. Reports the first
   * sequence number where the stored history stops matching.
   */
  async verify(chain: string): Promise<VerifyResult> {
    const cps = await this.checkpoints(chain);
    const invalid = cps.filter((c) => !this.checkpointValid(c));
    const valid = cps.filter((c) => !invalid.includes(c));
    const purge = valid.filter((c) => c.kind === 'purge').pop();
    let expectedSeq = purge ? Number(purge.seq) + 1 : 1;
    let prev = purge ? purge.hash : GENESIS_HASH;
    const headCps = new Map(valid.filter((c) => c.kind === 'head').map((c) => [Number(c.seq), c.hash]));
    let checked = 0;
    let last: { seq: number; hash: string } | null = null;
    const broken = (seq: number, reason: string): VerifyResult => ({
      ok: false,
      checked,
      firstBrokenSeq: seq,
      head: last,
      checkpoints: { checked: cps.length, invalid: invalid.length },
      reason,
    });
    if (invalid.length) {
      return broken(Number(invalid[0].seq), 'checkpoint_signature_invalid');
    }
    for await (const rows of this.events(chain)) {
      for (const r of rows) {
        const seq = Number(r.seq);
        if (seq !== expectedSeq) return broken(expectedSeq, seq > expectedSeq ? 'gap' : 'sequence');
        if (!r.prev_hash.equals(prev)) return broken(seq, 'link');
        const h = chainHash(prev, eventCanonical(rowToHashed(r)));
        if (!h.equals(r.hash)) return broken(seq, 'hash');
        const cp = headCps.get(seq);
        if (cp && !cp.equals(h)) return broken(seq, 'checkpoint_mismatch');
        prev = h;
        expectedSeq++;
        checked++;
        last = { seq, hash: h.toString('hex') };
      }
    }
    const lastCp = Math.max(0, ...headCps.keys());
    if (lastCp >= expectedSeq) return broken(expectedSeq, 'truncated_before_checkpoint');
    const head: Array<{ head_seq: string; head_hash: Buffer }> = await this.ds.query(
      'SELECT head_seq, head_hash FROM audit_chains WHERE chain_key = $1',
      [chain],
    );
    if (head[0] && (Number(head[0].head_seq) !== expectedSeq - 1 || !head[0].head_hash.equals(prev))) {
      return broken(expectedSeq, 'head_mismatch');
    }
    return { ok: true, checked, firstBrokenSeq: null, head: last, checkpoints: { checked: cps.length, invalid: 0 } };
  }

  /** Signs the head of every chain that moved since its last checkpoint. Returns how many were signed. */
  async checkpointAll(): Promise<number> {
    const moved: Array<{ chain_key: string; head_seq: string; head_hash: Buffer }> = await this.ds.query(
      `SELECT c.chain_key, c.head_seq, c.head_hash FROM audit_chains c
        WHERE c.head_seq > COALESCE((SELECT max(seq) FROM audit_checkpoints k WHERE k.chain_key = c.chain_key), 0)`,
    );
    for (const m of moved) await this.writeCheckpoint(this.ds, m.chain_key, 'head', Number(m.head_seq), m.head_hash);
    return moved.length;
  }

  private async writeCheckpoint(
    runner: DataSource | QueryRunner,
    chain: string,
    kind: 'head' | 'purge',
    seq: number,
    hash: Buffer,
  ): Promise<void> {
    const ts: Array<{ ts: string }> = await runner.query(
      `SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS ts`,
    );
    const createdAt = ts[0].ts;
    const signature = this.signing.sign(
      checkpointMessage({ chain, kind, seq, hash: hash.toString('hex'), createdAt, keyId: this.signing.keyId }),
    );
    await runner.query(
      `INSERT INTO audit_checkpoints (chain_key, kind, seq, hash, created_at, key_id, signature) VALUES ($1, $2, $3, $4, $5::timestamptz, $6, $7)`,
      [chain, kind, seq, hash, createdAt, this.signing.keyId, signature],
    );
  }

  /**
   * Retention: removes events older than the retention period, chain by chain,
   * after writing a signed purge checkpoint that names the last removed event's
   * hash, so that verification restarts from the first kept event.
   * The append-only trigger lets DELETE through only with charlotte.audit_purge set.
   */
  async purgeExpired(now = new Date()): Promise<{ chain: string; removed: number }[]> {
    const cutoff = new Date(now.getTime() - this.config.auditRetentionDays * 86_400_000);
    const out: { chain: string; removed: number }[] = [];
    for (const chain of await this.chains()) {
      const qr = this.ds.createQueryRunner();
      await qr.connect();
      try {
        await qr.startTransaction();
        await qr.query('SELECT 1 FROM audit_chains WHERE chain_key = $1 FOR UPDATE', [chain]);
        const cut: Array<{ seq: string; hash: Buffer }> = await qr.query(
          `SELECT seq, hash FROM audit_events WHERE chain_key = $1 AND occurred_at < $2 ORDER BY seq DESC LIMIT 1`,
          [chain, cutoff],
        );
        if (!cut[0]) {
          await qr.rollbackTransaction();
          continue;
        }
        const upTo = Number(cut[0].seq);
        await this.writeCheckpoint(qr, chain, 'purge', upTo, cut[0].hash);
        await qr.query(`SET LOCAL charlotte.audit_purge = 'on'`);
        const res = await qr.query('DELETE FROM audit_events WHERE chain_key = $1 AND seq <= $2', [chain, upTo], true);
        await qr.commitTransaction();
        out.push({ chain, removed: res.affected ?? 0 });
      } catch (e) {
        if (qr.isTransactionActive) await qr.rollbackTransaction();
        throw e;
      } finally {
        await qr.release();
      }
    }
    for (const p of out) {
      await this.record({
        category: 'system',
        action: 'audit.purged',
        outcome: 'success',
        actor: { type: 'system' },
        tenantId: null,
        details: { chain: p.chain, removed: p.removed },
      });
    }
    return out;
  }
}
