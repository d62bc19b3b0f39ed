#!/usr/bin/env node
// Standalone, offline verifier for a Charlotte audit export (JSON Lines).
//
//   node verify-audit-export.mjs <export.jsonl> <public-key>
//
// <public-key>: the JSON served at /.well-known/charlotte-signing-key.json
// (a JWK Set), a single Ed25519 JWK, or a PEM public key. Obtain it separately
// from the export: the key inside the export's header is never trusted.
// Needs only Node.js (18+), no other files. Exit code 0 = verified, 1 = broken, 2 = usage.
//
// What is checked (the same rules as the server's verification):
//  - every checkpoint's Ed25519 signature over its canonical statement;
//  - sequence numbers without gaps, starting after the last signed purge checkpoint (or at 1);
//  - each event's prevHash equals the previous event's hash (32 zero bytes at genesis);
//  - hash = SHA-256(prevHash || canonical JSON of the event), recomputed;
//  - each signed head checkpoint matches the event at its sequence number, and none lies
//    beyond the last exported event (tail truncation).
import { createHash, createPublicKey, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';

function canonicalJson(v) {
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw new TypeError('non-integer number in event');
    return String(v);
  }
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  return `{${Object.keys(v)
    .sort()
    .filter((k) => v[k] !== undefined)
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k])}`)
    .join(',')}}`;
}

const EVENT_FIELDS = [
  'chain',
  'seq',
  'id',
  'occurredAt',
  'category',
  'action',
  'outcome',
  'tenantId',
  'actorType',
  'actorId',
  'targetType',
  'targetId',
  'requestId',
  'ip',
  'userAgent',
  'details',
];

function loadKey(file) {
  const text = readFileSync(file, 'utf8').trim();
  if (text.startsWith('-----BEGIN')) return { key: createPublicKey(text), kid: undefined };
  const json = JSON.parse(text);
  const jwk = Array.isArray(json.keys) ? json.keys[0] : json;
  return { key: createPublicKey({ key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x }, format: 'jwk' }), kid: jwk.kid };
}

function main() {
  const [exportFile, keyFile] = process.argv.slice(2);
  if (!exportFile || !keyFile) {
    console.error('usage: node verify-audit-export.mjs <export.jsonl> <public-key.json|pem>');
    process.exit(2);
  }
  const { key, kid } = loadKey(keyFile);
  const events = [];
  const checkpoints = [];
  let header;
  const lines = readFileSync(exportFile, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '');
  for (const [i, line] of lines.entries()) {
    let rec;
    try {
      rec = JSON.parse(line);
    } catch {
      return done({ ok: false, reason: `line ${i + 1} is not JSON`, firstBrokenSeq: null });
    }
    if (rec.type === 'charlotte-audit-export') header = rec;
    else if (rec.type === 'event') events.push(rec);
    else if (rec.type === 'checkpoint') checkpoints.push(rec);
    else return done({ ok: false, reason: `line ${i + 1}: unknown record type`, firstBrokenSeq: null });
  }
  if (!header || header.version !== 1) return done({ ok: false, reason: 'missing or unknown export header', firstBrokenSeq: null });

  const valid = [];
  for (const c of checkpoints) {
    const msg = canonicalJson({
      type: 'charlotte-audit-checkpoint',
      version: 1,
      chain: c.chain,
      kind: c.kind,
      seq: c.seq,
      hash: c.hash,
      createdAt: c.createdAt,
      keyId: c.keyId,
    });
    const okSig =
      (kid === undefined || c.keyId === kid) &&
      c.chain === header.chain &&
      verify(null, Buffer.from(msg, 'utf8'), key, Buffer.from(c.signature, 'base64url'));
    if (!okSig) return done({ ok: false, reason: 'checkpoint_signature_invalid', firstBrokenSeq: c.seq, checked: 0 });
    valid.push(c);
  }
  const purge = valid
    .filter((c) => c.kind === 'purge')
    .sort((a, b) => a.seq - b.seq)
    .pop();
  const heads = new Map(valid.filter((c) => c.kind === 'head').map((c) => [c.seq, c.hash]));
  let expected = purge ? purge.seq + 1 : 1;
  let prev = purge ? Buffer.from(purge.hash, 'hex') : Buffer.alloc(32);
  let checked = 0;
  for (const e of events) {
    if (e.chain !== header.chain) return done({ ok: false, reason: 'event of another chain', firstBrokenSeq: e.seq, checked });
    if (e.seq !== expected) return done({ ok: false, reason: e.seq > expected ? 'gap' : 'sequence', firstBrokenSeq: expected, checked });
    if (e.prevHash !== prev.toString('hex')) return done({ ok: false, reason: 'link', firstBrokenSeq: e.seq, checked });
    const hashed = Object.fromEntries(EVENT_FIELDS.map((f) => [f, e[f]]));
    const h = createHash('sha256').update(prev).update(canonicalJson(hashed), 'utf8').digest();
    if (h.toString('hex') !== e.hash) return done({ ok: false, reason: 'hash', firstBrokenSeq: e.seq, checked });
    if (heads.has(e.seq) && heads.get(e.seq) !== e.hash)
      return done({ ok: false, reason: 'checkpoint_mismatch', firstBrokenSeq: e.seq, checked });
    prev = h;
    expected++;
    checked++;
  }
  const lastCp = Math.max(0, ...heads.keys());
  if (lastCp >= expected) return done({ ok: false, reason: 'truncated_before_checkpoint', firstBrokenSeq: expected, checked });
  return done({
    ok: true,
    chain: header.chain,
    checked,
    firstBrokenSeq: null,
    head: events.length ? { seq: expected - 1, hash: prev.toString('hex') } : null,
    checkpoints: valid.length,
  });
}

function done(result) {
  console.log(JSON.stringify(result));
  process.exit(result.ok ? 0 : 1);
}

main();
