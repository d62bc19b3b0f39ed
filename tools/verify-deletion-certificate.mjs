#!/usr/bin/env node
// Standalone, offline verifier for a Charlotte deletion certificate (消去証明書, JSON).
//
//   node verify-deletion-certificate.mjs <certificate.json> <public-key>
//
// <public-key>: the JSON served at /.well-known/charlotte-signing-key.json (a JWK Set), a single
// Ed25519 JWK, or a PEM (public key, or the service's signing key file). Obtain it separately from
// the certificate. Needs only Node.js (18+), no other files.
// Exit code 0 = verified, 1 = not verified, 2 = usage or unreadable input.
//
// What is checked: `type` is charlotte-deletion-certificate; `keyId` equals the key's `kid` (when
// the key names one); `signature` is a valid Ed25519 signature (base64url) over the UTF-8 bytes of
// the canonical JSON of the certificate without `signature`: object keys sorted by UTF-16 code
// unit, recursively; no whitespace; strings as JSON.stringify writes them; safe integers only.
import { createPublicKey, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';

function canonicalJson(v) {
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw new TypeError('non-integer number in certificate');
    return String(v);
  }
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  return `{${Object.keys(v)
    .sort()
    .filter((k) => v[k] !== undefined)
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k])}`)
    .join(',')}}`;
}

function loadKey(file) {
  const text = readFileSync(file, 'utf8').trim();
  if (text.startsWith('-----BEGIN')) return { key: createPublicKey(text), kid: undefined };
  const json = JSON.parse(text);
  const jwk = Array.isArray(json.keys) ? json.keys[0] : json;
  return { key: createPublicKey({ key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x }, format: 'jwk' }), kid: jwk.kid };
}

function done(ok, message) {
  process.stdout.write(`${ok ? 'VERIFIED' : 'NOT VERIFIED'}: ${message}\n`);
  process.exit(ok ? 0 : 1);
}

const [certFile, keyFile] = process.argv.slice(2);
if (!certFile || !keyFile) {
  console.error('usage: node verify-deletion-certificate.mjs <certificate.json> <public-key.json|pem>');
  process.exit(2);
}
let cert;
let key;
let kid;
try {
  ({ key, kid } = loadKey(keyFile));
  cert = JSON.parse(readFileSync(certFile, 'utf8'));
} catch (e) {
  console.error(`cannot read input: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(2);
}
if (!cert || typeof cert !== 'object' || cert.type !== 'charlotte-deletion-certificate' || typeof cert.signature !== 'string')
  done(false, 'not a Charlotte deletion certificate');
if (kid && cert.keyId !== kid) done(false, `signed by key ${cert.keyId}, not by ${kid}`);
const { signature, ...rest } = cert;
let ok = false;
try {
  ok = verify(null, Buffer.from(canonicalJson(rest), 'utf8'), key, Buffer.from(signature, 'base64url'));
} catch {
  ok = false;
}
if (!ok) done(false, 'bad signature (the certificate was changed, or signed by another key)');
const rows = Object.values(cert.deleted?.rows ?? {}).reduce((a, b) => a + b, 0);
done(
  true,
  `certificate ${cert.id}: tenant ${cert.tenant?.code} (${cert.tenant?.id}) deleted ${cert.deletedAt}; ` +
    `${rows} rows, ${cert.deleted?.blobs} blobs, backups ${cert.deleted?.backups?.primary}+${cert.deleted?.backups?.remote}, ` +
    `${cert.deleted?.keyVersions} key versions; remaining ${JSON.stringify(cert.checks)}`,
);
