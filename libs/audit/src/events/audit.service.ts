import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { ClientConfig, PoolClient } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { DataSource, QueryRunner } from 'typeorm';
import type { PostgresDataSourceOptions } from 'typeorm/driver/postgres/PostgresDataSourceOptions';
import { APP_CONFIG, AppConfig, decodeCursor, encodeCursor, metrics, Page, requestContext } from '@charlotte/core';
import { SigningKeyService } from '@charlotte/crypto';
import { chainHash, checkpointMessage, eventCanonical, eventValues, GENESIS_HASH, HashedEvent, JsonValue } from './canonical';
import { isoMicrosOf, joinRange, RANGE_PLAN_SQL, JoinState, RangeResult, RangeSpec, rangeCopySql, RangeVerifier } from './chain-range';
import { assertNoPersonalData, PersonalDataInAuditError } from './personal-data';
import { AuditEventView, AuditRecord, PLATFORM_CHAIN, VerifyResult } from './audit.types';
import { verifyRangesInWorkers } from './verify-pool';

/** Chains at least this long are verified in parallel ranges (below, starting workers costs more than it saves). */
const PARALLEL_FROM = 50_000;

/**
 * Cuts seq lo..hi into n ranges of equal width, the first open below (from seq > 0)
 * and the last open above, so that together they read what one pass reads.
 */
export function splitRanges(lo: number, hi: number, n: number): RangeSpec[] {
  const width = Math.ceil((hi - lo + 1) / Math.max(1, n));
  if (n <= 1 || width <= 0 || hi < lo) return [{ after: 0, upTo: null }];
  const out: RangeSpec[] = [];
  for (let after = 0, i = 0; i < n; i++) {
    const upTo = i === n - 1 ? null : lo - 1 + width * (i + 1);
    if (upTo !== null && upTo >= hi) {
      out.push({ after, upTo: null });
      break;
    }
    out.push({ after, upTo });
    if (upTo === null) break;
    after = upTo;
  }
  return out;
}

/** Events durably appended, by category (a closed set); rate() of it is the audit append rate. */
const appended = () => metrics.counter('charlotte_audit_events_appended_total', 'Audit events appended to a chain', ['category'] as const);

// Locks the chain heads of a batch, in key order, and reads the database clock once
// the locks are held (UTC, microseconds): every event of the batch gets that time.
const HEADS_SQL = `SELECT chain_key, head_seq, head_hash, to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS ts
  FROM audit_chains WHERE chain_key = ANY($1::text[]) ORDER BY chain_key FOR UPDATE`;

// Microseconds since the epoch: exact, and cheaper for the server than to_char on every row.
const TS = `(extract(epoch FROM occurred_at) * 1000000)::bigint::text`;

/** ISO 8601 UTC with microseconds from epoch microseconds (the hashed form of occurred_at). */
export function isoMicros(epochMicros: string): string {
  return isoMicrosOf(Number(epochMicros));
}
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

interface Pending {
  event: Omit<HashedEvent, 'seq' | 'occurredAt'>;
  resolve: () => void;
  reject: (e: unknown) => void;
}

export function rowToHashed(r: EventRow): HashedEvent {
  return {
    chain: r.chain_key,
    seq: Number(r.seq),
    id: r.id,
    occurredAt: isoMicros(r.occurred_at),
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
    occurredAt: isoMicros(r.occurred_at),
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
      (ctx?.userId
        ? { type: 'user' as const, id: ctx.userId }
        : ctx?.tokenId
          ? { type: 'api_token' as const, id: ctx.tokenId }
          : ctx
            ? { type: 'anonymous' as const }
            : { type: 'system' as const });
    const pending: Omit<HashedEvent, 'seq' | 'occurredAt'> = {
      chain,
      id: randomUUID(),
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
    await new Promise<void>((resolve, reject) => {
      this.queue.push({ event: pending, resolve, reject });
      void this.drain();
    });
    appended().inc({ category: r.category });
  }

  private readonly queue: Pending[] = [];
  private draining = false;
  /** Chains whose head another transaction holds: each drains on its own, waiting for the lock. */
  private readonly waiting = new Map<string, Pending[]>();

  /**
   * Group commit: the events that arrive while a batch is being written go into
   * the next batch, appended in one transaction. record() resolves only after
   * its batch committed, so an acknowledged event is durable.
   */
  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.queue.length) {
        const taken = this.queue.splice(0, 500);
        const batch = taken.filter((b) => !this.toWaiting(b));
        if (!batch.length) continue;
        try {
          const skipped = await this.appendBatch(
            batch.map((b) => b.event),
            true,
          );
          for (const b of batch) if (!skipped.has(b.event.chain)) b.resolve();
          for (const b of batch) if (skipped.has(b.event.chain)) this.toWaiting(b, true);
        } catch (e) {
          if (batch.length === 1) {
            batch[0].reject(e);
            continue;
          }
          // one bad event must not fail the others: retry them one by one
          for (const b of batch) {
            try {
              await this.appendBatch([b.event], false);
              b.resolve();
            } catch (err) {
              b.reject(err);
            }
          }
        }
      }
    } finally {
      this.draining = false;
    }
  }

  /**
   * Routes an event of a chain that is busy elsewhere to that chain's own
   * waiting queue (so it neither blocks other chains nor overtakes its chain).
   */
  private toWaiting(b: Pending, force = false): boolean {
    const q = this.waiting.get(b.event.chain);
    if (q) {
      q.push(b);
      return true;
    }
    if (!force) return false;
    const list = [b];
    this.waiting.set(b.event.chain, list);
    void (async () => {
      while (list.length) {
        const part = list.splice(0, 500);
        try {
          await this.appendBatch(
            part.map((x) => x.event),
            false,
          );
          part.forEach((x) => x.resolve());
        } catch (e) {
          part.forEach((x) => x.reject(e));
        }
      }
      this.waiting.delete(b.event.chain);
    })();
    return true;
  }

  /**
   * Appends events to their chains in one transaction. The chains' head rows are
   * locked (FOR UPDATE, in key order so that instances never deadlock): writers
   * to one chain, in this or another instance, queue up and never fork or skip a
   * number, while chains not in the batch are untouched.
   */
  private async appendBatch(events: Array<Omit<HashedEvent, 'seq' | 'occurredAt'>>, skipLocked: boolean): Promise<Set<string>> {
    const sqlHeads = skipLocked ? `${HEADS_SQL} SKIP LOCKED` : HEADS_SQL;
    const chains = [...new Set(events.map((e) => e.chain))].sort();
    const tenantOfChain = new Map(events.map((e) => [e.chain, e.tenantId]));
    const qr = this.ds.createQueryRunner();
    await qr.connect();
    try {
      await qr.startTransaction();
      let heads: Array<{ chain_key: string; head_seq: string; head_hash: Buffer; ts: string }> = await qr.query(sqlHeads, [chains]);
      if (heads.length < chains.length) {
        const missing = chains.filter((c) => !heads.some((h) => h.chain_key === c));
        await qr.query(
          `INSERT INTO audit_chains (chain_key, tenant_id) SELECT * FROM unnest($1::text[], $2::uuid[]) ON CONFLICT (chain_key) DO NOTHING`,
          [missing, missing.map((c) => tenantOfChain.get(c) ?? null)],
        );
        heads = await qr.query(sqlHeads, [chains]);
      }
      // Chains locked by another transaction (another instance, a purge): not in this batch.
      const skipped = new Set(chains.filter((c) => !heads.some((h) => h.chain_key === c)));
      events = events.filter((e) => !skipped.has(e.chain));
      if (!events.length) {
        await qr.rollbackTransaction();
        return skipped;
      }
      const state = new Map(heads.map((h) => [h.chain_key, { seq: Number(h.head_seq), hash: h.head_hash, ts: h.ts }]));
      const cols: unknown[][] = Array.from({ length: 18 }, () => []);
      for (const p of events) {
        const head = state.get(p.chain)!;
        const e: HashedEvent = { ...p, seq: head.seq + 1, occurredAt: head.ts };
        const hash = chainHash(head.hash, eventCanonical(e));
        // the columns of audit_events; details go to jsonb as text
        const row = [...eventValues(e).slice(0, -1), JSON.stringify(e.details), head.hash, hash];
        row.forEach((v, i) => cols[i].push(v));
        head.seq = e.seq;
        head.hash = hash;
      }
      await qr.query(
        `INSERT INTO audit_events (chain_key, seq, id, occurred_at, category, action, outcome, tenant_id, actor_type, actor_id,
                                   target_type, target_id, request_id, ip, user_agent, details, prev_hash, hash)
         SELECT c, s, i, o::timestamptz, cat, act, outc, t, at, ai, tt, ti, rq, ip, ua, d::jsonb, ph, h
           FROM unnest($1::text[], $2::bigint[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[], $8::uuid[], $9::text[], $10::text[],
                       $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::text[], $17::bytea[], $18::bytea[])
             AS x(c, s, i, o, cat, act, outc, t, at, ai, tt, ti, rq, ip, ua, d, ph, h)`,
        cols,
      );
      const keys = [...state.keys()];
      await qr.query(
        `UPDATE audit_chains c SET head_seq = x.s, head_hash = x.h FROM unnest($1::text[], $2::bigint[], $3::bytea[]) AS x(k, s, h) WHERE c.chain_key = x.k`,
        [keys, keys.map((k) => state.get(k)!.seq), keys.map((k) => state.get(k)!.hash)],
      );
      await qr.commitTransaction();
      return skipped;
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
      if (!(e instanceof PersonalDataInAuditError)) return;
      // Details that look like personal data are a bug of the caller (they
      // must hold codes); the event itself must not be lost, above all a
      // security refusal (security review, finding 1). Recorded again without details.
      try {
        await this.record({ ...r, details: { detailsDropped: 'personal_data' } });
      } catch (again) {
        this.logger.error({ message: 'audit record failed again', action: r.action, err: String(again) });
      }
    }
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
  async *events(chain: string, batch = 10000): AsyncGenerator<EventRow[]> {
    const fetch = (after: number): Promise<EventRow[]> =>
      this.ds.query(`SELECT ${EVENT_COLUMNS} FROM audit_events WHERE chain_key = $1 AND seq > $2 ORDER BY seq LIMIT $3`, [
        chain,
        after,
        batch,
      ]);
    let next = fetch(0);
    for (;;) {
      const rows = await next;
      if (rows.length === 0) return;
      // Fetch the next batch while the caller hashes this one (the database and
      // the hashing then use both cores).
      next = rows.length < batch ? Promise.resolve([]) : fetch(Number(rows[rows.length - 1].seq));
      yield rows;
    }
  }

  async checkpoints(chain: string, runner: DataSource | QueryRunner = this.ds): Promise<CheckpointRow[]> {
    return runner.query(
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
   *
   * Everything is read in one snapshot (REPEATABLE READ), the events as binary
   * COPY. A long chain is cut into ranges of seq verified in parallel by worker
   * threads, each on its own connection in the same snapshot; each range starts
   * from the prev_hash of its own first row and joinRange checks that row against
   * the range before, so the verdict is exactly that of one pass.
   * `ranges` forces the number of ranges (tests); 1 verifies in this thread.
   */
  async verify(chain: string, opts: { ranges?: number } = {}): Promise<VerifyResult> {
    const qr = this.ds.createQueryRunner();
    await qr.connect();
    try {
      await qr.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      try {
        await qr.query(RANGE_PLAN_SQL);
        return await this.verifyIn(qr, chain, opts.ranges);
      } finally {
        await qr.query('ROLLBACK').catch(() => undefined);
      }
    } finally {
      await qr.release();
    }
  }

  private async verifyIn(qr: QueryRunner, chain: string, forcedRanges?: number): Promise<VerifyResult> {
    const cps = await this.checkpoints(chain, qr);
    const invalid = cps.filter((c) => !this.checkpointValid(c));
    const valid = cps.filter((c) => !invalid.includes(c));
    const purge = valid.filter((c) => c.kind === 'purge').pop();
    const headCps = new Map(valid.filter((c) => c.kind === 'head').map((c) => [Number(c.seq), c.hash]));
    let state: JoinState = {
      expectedSeq: purge ? Number(purge.seq) + 1 : 1,
      prev: purge ? purge.hash : GENESIS_HASH,
      checked: 0,
      last: null,
      broken: null,
    };
    const result = (s: JoinState, broken: { seq: number; reason: string } | null): VerifyResult => {
      const head = s.last ? { seq: s.last.seq, hash: s.last.hash.toString('hex') } : null;
      const checkpoints = { checked: cps.length, invalid: invalid.length };
      if (broken) return { ok: false, checked: s.checked, firstBrokenSeq: broken.seq, head, checkpoints, reason: broken.reason };
      return { ok: true, checked: s.checked, firstBrokenSeq: null, head, checkpoints };
    };
    if (invalid.length) return result(state, { seq: Number(invalid[0].seq), reason: 'checkpoint_signature_invalid' });

    // Rows with seq <= 0 are not part of a chain (numbering starts at 1) and never were read.
    const span: Array<{ lo: string | null; hi: string | null }> = await qr.query(
      'SELECT min(seq) AS lo, max(seq) AS hi FROM audit_events WHERE chain_key = $1 AND seq > 0',
      [chain],
    );
    const lo = Number(span[0]?.lo ?? 0);
    const hi = Number(span[0]?.hi ?? 0);
    const n = forcedRanges ?? (hi - lo + 1 >= PARALLEL_FROM ? this.config.auditVerifyThreads : 1);
    const ranges = splitRanges(lo, hi, n);
    if (ranges.length === 1) {
      state = joinRange(state, await this.verifyRangeHere(qr, chain, ranges[0], headCps));
    } else {
      const snapshot: Array<{ id: string }> = await qr.query('SELECT pg_export_snapshot() AS id');
      const connection = await this.workerConnection();
      const checkpoints = [...headCps].map(([seq, h]): [number, Uint8Array] => [seq, new Uint8Array(h)]);
      const { results, terminate } = verifyRangesInWorkers(
        ranges.map((range) => ({ connection, snapshot: snapshot[0].id, chain, range, checkpoints })),
      );
      try {
        // joined in seq order as they finish: a break ends the verification early
        for (const r of results) {
          state = joinRange(state, await r);
          if (state.broken) break;
        }
      } finally {
        await terminate();
      }
    }
    if (state.broken) return result(state, state.broken);
    const lastCp = Math.max(0, ...headCps.keys());
    if (lastCp >= state.expectedSeq) return result(state, { seq: state.expectedSeq, reason: 'truncated_before_checkpoint' });
    const head: Array<{ head_seq: string; head_hash: Buffer }> = await qr.query(
      'SELECT head_seq, head_hash FROM audit_chains WHERE chain_key = $1',
      [chain],
    );
    if (head[0] && (Number(head[0].head_seq) !== state.expectedSeq - 1 || !head[0].head_hash.equals(state.prev))) {
      return result(state, { seq: state.expectedSeq, reason: 'head_mismatch' });
    }
    return result(state, null);
  }

  /** One range read as binary COPY on the verifying connection, checked in this thread chunk by chunk. */
  private async verifyRangeHere(qr: QueryRunner, chain: string, range: RangeSpec, headCps: Map<number, Buffer>): Promise<RangeResult> {
    const client = (qr as unknown as { databaseConnection: PoolClient }).databaseConnection;
    const verifier = new RangeVerifier(chain, headCps);
    const stream = client.query(copyTo(rangeCopySql(chain, range))) as unknown as AsyncIterable<Buffer> & { destroy(): void };
    // After a break the rest is read and dropped: the connection goes back to the pool clean.
    for await (const chunk of stream) if (verifier.open) verifier.push(chunk);
    return verifier.end();
  }

  /** How the worker threads connect: the options of this data source (a worker cannot share its pool). */
  private async workerConnection(): Promise<ClientConfig> {
    const o = this.ds.options as PostgresDataSourceOptions;
    const password = typeof o.password === 'function' ? await o.password() : o.password;
    const extra = (o.extra ?? {}) as { options?: string; ssl?: ClientConfig['ssl'] };
    return {
      connectionString: o.url,
      host: o.host,
      port: o.port,
      user: o.username,
      password,
      database: o.database,
      ssl: (o.ssl as ClientConfig['ssl']) ?? extra.ssl,
      options: extra.options,
      application_name: 'charlotte-audit-verify',
    };
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
    const signature = await this.signing.sign(
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
