import { createHash } from 'node:crypto';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [k: string]: JsonValue };

/**
 * Canonical JSON: object keys sorted by code unit, no whitespace, integers only
 * (RFC 8785 for the values we allow). The same function runs in the standalone
 * verifier (tools/verify-audit-export.mjs), so both sides hash identical bytes.
 */
export function canonicalJson(value: JsonValue): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new TypeError('canonical JSON allows safe integers only');
    return String(value);
  }
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += (i ? ',' : '') + canonicalJson(value[i]);
    return `${out}]`;
  }
  // Plain loops: this runs for the details of every event verified (a hot path).
  const keys = Object.keys(value);
  if (keys.length > 1) keys.sort();
  let out = '{';
  let first = true;
  for (const k of keys) {
    const v = value[k];
    if (v === undefined) continue;
    out += `${first ? '' : ','}${JSON.stringify(k)}:${canonicalJson(v)}`;
    first = false;
  }
  return `${out}}`;
}

export const GENESIS_HASH = Buffer.alloc(32);

/** hash = SHA-256(prev_hash ‖ canonical JSON of the event). */
export function chainHash(prevHash: Buffer, canonical: string): Buffer {
  return createHash('sha256').update(prevHash).update(canonical, 'utf8').digest();
}

/** The hashed form of one event: every column that carries meaning, in one object. */
export interface HashedEvent {
  chain: string;
  seq: number;
  id: string;
  occurredAt: string; // ISO 8601 UTC with microseconds
  category: string;
  action: string;
  outcome: string;
  tenantId: string | null;
  actorType: string;
  actorId: string | null;
  targetType: string | null;
  targetId: string | null;
  requestId: string | null;
  ip: string | null;
  userAgent: string | null;
  details: { [k: string]: JsonValue };
}

const str = (v: string | null) => (v === null ? 'null' : JSON.stringify(v));

/**
 * canonicalJson(e) for the fixed shape of an event, written key by key in sorted
 * order (the hot path of verification; a unit test keeps it equal to canonicalJson).
 */
/** The event's fields in column order (audit_events, CSV export): chain … details. */
export function eventValues(e: HashedEvent): Array<string | number | null | HashedEvent['details']> {
  return [
    e.chain,
    e.seq,
    e.id,
    e.occurredAt,
    e.category,
    e.action,
    e.outcome,
    e.tenantId,
    e.actorType,
    e.actorId,
    e.targetType,
    e.targetId,
    e.requestId,
    e.ip,
    e.userAgent,
    e.details,
  ];
}

export function eventCanonical(e: HashedEvent): string {
  if (!Number.isSafeInteger(e.seq)) throw new TypeError('seq must be a safe integer');
  return (
    `{"action":${str(e.action)},"actorId":${str(e.actorId)},"actorType":${str(e.actorType)},"category":${str(e.category)}` +
    `,"chain":${str(e.chain)},"details":${canonicalJson(e.details)},"id":${str(e.id)},"ip":${str(e.ip)}` +
    `,"occurredAt":${str(e.occurredAt)},"outcome":${str(e.outcome)},"requestId":${str(e.requestId)},"seq":${e.seq}` +
    `,"targetId":${str(e.targetId)},"targetType":${str(e.targetType)},"tenantId":${str(e.tenantId)},"userAgent":${str(e.userAgent)}}`
  );
}

/** The signed statement of a checkpoint (head or purge). */
export function checkpointMessage(c: { chain: string; kind: string; seq: number; hash: string; createdAt: string; keyId: string }): string {
  return canonicalJson({ type: 'charlotte-audit-checkpoint', version: 1, ...c });
}
