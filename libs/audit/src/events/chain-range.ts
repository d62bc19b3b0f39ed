import { chainHashFast, eventCanonical, HashedEvent, JsonValue } from './canonical';

/**
 * Verification of one range of a chain (seq > after AND seq <= upTo), read as
 * binary COPY. Used for the whole chain in-process and for each range of a
 * parallel verification in a worker thread (verify-worker.ts). This file and
 * canonical.ts import node built-ins only: a worker loads them without the app.
 *
 * A range starts from the prev_hash of its own first row; whether that row
 * links to the range before is decided when the ranges are joined
 * (joinRanges), so the verdict is the one a single pass would give.
 */

export interface RangeSpec {
  /** Rows with seq > after. */
  after: number;
  /** Rows with seq <= upTo; null: no upper bound. */
  upTo: number | null;
}

export interface RangeResult {
  /** The range's first row (its seq and prev_hash), null when the range holds no row. */
  first: { seq: number; prevHash: Buffer } | null;
  /** Events verified in the range (before its first break). */
  checked: number;
  /** The last verified event of the range. */
  last: { seq: number; hash: Buffer } | null;
  /** The first break inside the range, as a single pass reports it. */
  broken: { seq: number; reason: string } | null;
}

// The hashed columns in a fixed order; the chain key is the one asked for (WHERE).
const COLUMNS =
  'seq, id, occurred_at, category, action, outcome, tenant_id, actor_type, actor_id, target_type, target_id, request_id, ip, user_agent, details, prev_hash, hash';
const FIELDS = 17;

const literal = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** COPY of one range in binary (no text conversion on the server; COPY takes no bind parameters). */
export function rangeCopySql(chain: string, r: RangeSpec): string {
  if (!Number.isSafeInteger(r.after) || (r.upTo !== null && !Number.isSafeInteger(r.upTo)))
    throw new TypeError('range bounds must be integers');
  const upper = r.upTo === null ? '' : ` AND seq <= ${r.upTo}`;
  return `COPY (SELECT ${COLUMNS} FROM audit_events WHERE chain_key = ${literal(chain)} AND seq > ${r.after}${upper} ORDER BY seq) TO STDOUT (FORMAT binary)`;
}

/** ISO 8601 UTC with microseconds from epoch microseconds (the hashed form of occurred_at). */
export function isoMicrosOf(us: number): string {
  const ms = Math.floor(us / 1000);
  return `${new Date(ms).toISOString().slice(0, -1)}${String(us - ms * 1000).padStart(3, '0')}Z`;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
function uuidAt(b: Buffer, o: number): string {
  const h = (i: number) => HEX[b[o + i]];
  return `${h(0)}${h(1)}${h(2)}${h(3)}-${h(4)}${h(5)}-${h(6)}${h(7)}-${h(8)}${h(9)}-${h(10)}${h(11)}${h(12)}${h(13)}${h(14)}${h(15)}`;
}

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
/** PostgreSQL timestamps count microseconds from 2000-01-01 UTC. */
const PG_EPOCH_US = 946_684_800_000_000;

const int64At = (b: Buffer, o: number): number => b.readInt32BE(o) * 4294967296 + b.readUInt32BE(o + 4);

/**
 * Feeds binary COPY chunks of one range in seq order and checks them as the
 * single pass does: sequence without gaps, links, hashes, signed head checkpoints.
 */
export class RangeVerifier {
  private rest: Buffer | null = null;
  private headerDone = false;
  private ended = false;
  private readonly pos = new Int32Array(FIELDS * 2);
  private expectedSeq = 0;
  private prev: Buffer | null = null;
  readonly result: RangeResult = { first: null, checked: 0, last: null, broken: null };

  constructor(
    private readonly chain: string,
    /** Signed head checkpoints: seq → hash. */
    private readonly headCheckpoints: Map<number, Buffer>,
  ) {}

  /** True while more rows are useful (no break found yet). */
  get open(): boolean {
    return this.result.broken === null && !this.ended;
  }

  push(chunk: Buffer): boolean {
    if (!this.open) return false;
    let b = chunk;
    if (this.rest) {
      b = Buffer.concat([this.rest, chunk]);
      this.rest = null;
    }
    let o = 0;
    if (!this.headerDone) {
      if (b.length < 19) {
        this.rest = b;
        return true;
      }
      if (!b.subarray(0, 11).equals(SIGNATURE)) throw new Error('not a binary COPY stream');
      const ext = b.readUInt32BE(15);
      if (b.length < 19 + ext) {
        this.rest = b;
        return true;
      }
      o = 19 + ext;
      this.headerDone = true;
    }
    const pos = this.pos;
    for (;;) {
      if (b.length - o < 2) break;
      const count = b.readInt16BE(o);
      if (count === -1) {
        this.ended = true;
        return false;
      }
      if (count !== FIELDS) throw new Error(`unexpected COPY tuple of ${count} fields`);
      let p = o + 2;
      let complete = true;
      for (let i = 0; i < FIELDS; i++) {
        if (b.length - p < 4) {
          complete = false;
          break;
        }
        const len = b.readInt32BE(p);
        p += 4;
        pos[i * 2] = p;
        pos[i * 2 + 1] = len;
        if (len > 0) {
          if (b.length - p < len) {
            complete = false;
            break;
          }
          p += len;
        }
      }
      if (!complete) break;
      o = p;
      if (!this.row(b)) return false;
    }
    if (o < b.length) this.rest = b.subarray(o);
    return true;
  }

  /** The range's verdict; call after the stream ended (or after push returned false). */
  end(): RangeResult {
    if (this.open && this.rest && this.rest.length) throw new Error('binary COPY stream ended inside a row');
    return this.result;
  }

  private row(b: Buffer): boolean {
    const pos = this.pos;
    const text = (i: number): string | null => {
      const len = pos[i * 2 + 1];
      return len < 0 ? null : b.toString('utf8', pos[i * 2], pos[i * 2] + len);
    };
    const uuid = (i: number): string | null => (pos[i * 2 + 1] < 0 ? null : uuidAt(b, pos[i * 2]));
    const seq = int64At(b, pos[0]);
    const prevHash = b.subarray(pos[30], pos[30] + pos[31]);
    const r = this.result;
    if (this.prev === null) {
      // the first row of the range: its link to the range before is checked by joinRanges
      r.first = { seq, prevHash };
      this.expectedSeq = seq;
      this.prev = prevHash;
    }
    const expected = this.expectedSeq;
    if (seq !== expected) return this.broken(expected, seq > expected ? 'gap' : 'sequence');
    if (!prevHash.equals(this.prev)) return this.broken(seq, 'link');
    const jsonb = pos[28];
    if (b[jsonb] !== 1) throw new Error('unknown jsonb binary version');
    const e: HashedEvent = {
      chain: this.chain,
      seq,
      id: uuidAt(b, pos[2]),
      occurredAt: isoMicrosOf(int64At(b, pos[4]) + PG_EPOCH_US),
      category: text(3)!,
      action: text(4)!,
      outcome: text(5)!,
      tenantId: uuid(6),
      actorType: text(7)!,
      actorId: text(8),
      targetType: text(9),
      targetId: text(10),
      requestId: text(11),
      ip: text(12),
      userAgent: text(13),
      details: JSON.parse(b.toString('utf8', jsonb + 1, jsonb + pos[29])) as { [k: string]: JsonValue },
    };
    const h = chainHashFast(this.prev, eventCanonical(e));
    if (!h.equals(b.subarray(pos[32], pos[32] + pos[33]))) return this.broken(seq, 'hash');
    const cp = this.headCheckpoints.get(seq);
    if (cp && !cp.equals(h)) return this.broken(seq, 'checkpoint_mismatch');
    this.prev = h;
    this.expectedSeq = seq + 1;
    r.checked++;
    r.last = { seq, hash: h };
    return true;
  }

  private broken(seq: number, reason: string): false {
    this.result.broken = { seq, reason };
    return false;
  }
}

/** Where a chain's verification stands after some ranges, in seq order. */
export interface JoinState {
  expectedSeq: number;
  prev: Buffer;
  checked: number;
  /** The last verified event, null before the first. */
  last: { seq: number; hash: Buffer } | null;
  broken: { seq: number; reason: string } | null;
}

/**
 * Appends the verdict of the next range to the state: the range's first row
 * must carry the expected seq and link to the last hash before it, then the
 * range's own verdict counts. Gives exactly what one pass over both would.
 */
export function joinRange(s: JoinState, r: RangeResult): JoinState {
  if (s.broken || !r.first) return s;
  if (r.first.seq !== s.expectedSeq)
    return { ...s, broken: { seq: s.expectedSeq, reason: r.first.seq > s.expectedSeq ? 'gap' : 'sequence' } };
  if (!r.first.prevHash.equals(s.prev)) return { ...s, broken: { seq: r.first.seq, reason: 'link' } };
  const last = r.last ?? s.last;
  return {
    expectedSeq: r.last ? r.last.seq + 1 : s.expectedSeq,
    prev: r.last ? r.last.hash : s.prev,
    checked: s.checked + r.checked,
    last,
    broken: r.broken,
  };
}
