import { hash as sha256Once } from 'node:crypto';
import { canonicalJson, JsonValue } from './canonical';

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

/**
 * For the transaction that reads ranges: walk the primary key in seq order. Without
 * fresh statistics (a chain just written) the planner picks a bitmap scan and a sort
 * of the whole range, several times slower than the index in order.
 */
export const RANGE_PLAN_SQL = 'SET LOCAL enable_bitmapscan = off; SET LOCAL enable_sort = off; SET LOCAL enable_seqscan = off';

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

const HEX_DIGIT = Buffer.from('0123456789abcdef', 'latin1');
// The text columns (indexes in COLUMNS) and the fixed parts of the canonical JSON of an event, in key order (eventCanonical).
const TEXT_FIELDS = [3, 4, 5, 7, 8, 9, 10, 11, 12, 13];
const ascii = (s: string) => Buffer.from(s, 'latin1');
const NULL = ascii('null');
const K_ACTION = ascii('{"action":');
const K_ACTOR_ID = ascii(',"actorId":');
const K_ACTOR_TYPE = ascii(',"actorType":');
const K_CATEGORY = ascii(',"category":');
const K_CHAIN = ascii(',"chain":');
const K_DETAILS = ascii(',"details":');
const K_ID = ascii(',"id":');
const K_IP = ascii(',"ip":');
const K_OCCURRED_AT = ascii(',"occurredAt":"');
const K_OUTCOME = ascii('","outcome":');
const K_REQUEST_ID = ascii(',"requestId":');
const K_SEQ = ascii(',"seq":');
const K_TARGET_ID = ascii(',"targetId":');
const K_TARGET_TYPE = ascii(',"targetType":');
const K_TENANT_ID = ascii(',"tenantId":');
const K_USER_AGENT = ascii(',"userAgent":');

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
  private scratch = Buffer.allocUnsafe(16 * 1024);
  private readonly chainJson: Buffer;
  private lastSecond = NaN;
  private secondPrefix = '';

  constructor(
    private readonly chain: string,
    /** Signed head checkpoints: seq → hash. */
    private readonly headCheckpoints: Map<number, Buffer>,
  ) {
    this.chainJson = Buffer.from(JSON.stringify(chain), 'utf8');
  }

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
    const seq = int64At(b, pos[0]);
    const r = this.result;
    if (this.prev === null) {
      // the first row of the range: its link to the range before is checked by joinRange
      const prevHash = Buffer.from(b.subarray(pos[30], pos[30] + pos[31]));
      r.first = { seq, prevHash };
      this.expectedSeq = seq;
      this.prev = prevHash;
    }
    const expected = this.expectedSeq;
    if (seq !== expected) return this.broken(expected, seq > expected ? 'gap' : 'sequence');
    if (this.prev.compare(b, pos[30], pos[30] + pos[31]) !== 0) return this.broken(seq, 'link');
    const h = this.hashRow(b, seq);
    if (h.compare(b, pos[32], pos[32] + pos[33]) !== 0) return this.broken(seq, 'hash');
    const cp = this.headCheckpoints.get(seq);
    if (cp && !cp.equals(h)) return this.broken(seq, 'checkpoint_mismatch');
    this.prev = h;
    this.expectedSeq = seq + 1;
    r.checked++;
    r.last = { seq, hash: h };
    return true;
  }

  /**
   * chainHash(prev, eventCanonical(row)) written straight from the COPY bytes:
   * the same UTF-8 bytes as the string path (a unit test compares them), without
   * decoding every column into a string first. ASCII text without characters
   * JSON escapes is copied as is; anything else goes through JSON.stringify.
   */
  private hashRow(b: Buffer, seq: number): Buffer {
    if (!Number.isSafeInteger(seq)) throw new TypeError('seq must be a safe integer');
    const pos = this.pos;
    const jsonb = pos[28];
    if (b[jsonb] !== 1) throw new Error('unknown jsonb binary version');
    const details = canonicalJson(JSON.parse(b.toString('utf8', jsonb + 1, jsonb + pos[29])) as JsonValue);
    // bound: every text byte escaped (\u00XX: 6 bytes), details UTF-16 → ≤ 3 bytes each, fixed parts
    let need = 32 + 512 + this.chainJson.length + details.length * 3;
    for (const i of TEXT_FIELDS) if (pos[i * 2 + 1] > 0) need += pos[i * 2 + 1] * 6;
    if (need > this.scratch.length) this.scratch = Buffer.allocUnsafe(need * 2);
    const out = this.scratch;
    // byte loops rather than Buffer#copy: the pieces are short and copy() costs more to call than to run
    const prev = this.prev!;
    for (let k = 0; k < 32; k++) out[k] = prev[k];
    let o = 32;
    const lit = (l: Buffer) => {
      for (let k = 0; k < l.length; k++) out[o++] = l[k];
    };
    const str = (i: number) => {
      const start = pos[i * 2];
      const len = pos[i * 2 + 1];
      if (len < 0) return lit(NULL);
      const end = start + len;
      for (let k = start; k < end; k++) {
        const c = b[k];
        if (c < 0x20 || c === 0x22 || c === 0x5c || c >= 0x80) {
          o += out.write(JSON.stringify(b.toString('utf8', start, end)), o, 'utf8');
          return;
        }
      }
      out[o++] = 0x22;
      for (let k = start; k < end; k++) out[o++] = b[k];
      out[o++] = 0x22;
    };
    const uuid = (i: number) => {
      if (pos[i * 2 + 1] < 0) return lit(NULL);
      const start = pos[i * 2];
      out[o++] = 0x22;
      for (let k = 0; k < 16; k++) {
        if (k === 4 || k === 6 || k === 8 || k === 10) out[o++] = 0x2d; // -
        const v = b[start + k];
        out[o++] = HEX_DIGIT[v >> 4];
        out[o++] = HEX_DIGIT[v & 15];
      }
      out[o++] = 0x22;
    };
    lit(K_ACTION);
    str(4);
    lit(K_ACTOR_ID);
    str(8);
    lit(K_ACTOR_TYPE);
    str(7);
    lit(K_CATEGORY);
    str(3);
    lit(K_CHAIN);
    lit(this.chainJson);
    lit(K_DETAILS);
    o += out.write(details, o, 'utf8');
    lit(K_ID);
    uuid(1);
    lit(K_IP);
    str(12);
    lit(K_OCCURRED_AT);
    o += out.write(this.iso(int64At(b, pos[4]) + PG_EPOCH_US), o, 'latin1');
    lit(K_OUTCOME);
    str(5);
    lit(K_REQUEST_ID);
    str(11);
    lit(K_SEQ);
    o += out.write(String(seq), o, 'latin1');
    lit(K_TARGET_ID);
    str(10);
    lit(K_TARGET_TYPE);
    str(9);
    lit(K_TENANT_ID);
    uuid(6);
    lit(K_USER_AGENT);
    str(13);
    out[o++] = 0x7d; // }
    return sha256Once('sha256', out.subarray(0, o), 'buffer');
  }

  /** isoMicrosOf(us) with the date and time up to the second reused while it stays the same. */
  private iso(us: number): string {
    const ms = Math.floor(us / 1000);
    const second = Math.floor(ms / 1000);
    if (second !== this.lastSecond) {
      this.secondPrefix = new Date(second * 1000).toISOString().slice(0, -4); // …HH:MM:SS.
      this.lastSecond = second;
    }
    return `${this.secondPrefix}${String(ms - second * 1000).padStart(3, '0')}${String(us - ms * 1000).padStart(3, '0')}Z`;
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
