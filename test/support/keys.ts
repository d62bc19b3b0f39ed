import { createHash, generateKeyPairSync, KeyObject, sign } from 'node:crypto';

/**
 * A user's key made with node:crypto, independently of the server's code:
 * the thumbprint and the signature follow api.md by hand.
 */
export interface TestKey {
  privateKey: KeyObject;
  publicJwk: { kty: 'EC'; crv: 'P-256'; x: string; y: string };
  keyId: string;
}

export function newTestKey(): TestKey {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' }) as { x: string; y: string };
  const publicJwk = { kty: 'EC' as const, crv: 'P-256' as const, x: jwk.x, y: jwk.y };
  const keyId = createHash('sha256').update(`{"crv":"P-256","kty":"EC","x":"${jwk.x}","y":"${jwk.y}"}`).digest('base64url');
  return { privateKey, publicJwk, keyId };
}

/** ES256 over "charlotte-login:v1:<challenge>", raw r‖s, base64url. */
export function signChallenge(key: KeyObject, challenge: string): string {
  return sign('sha256', Buffer.from(`charlotte-login:v1:${challenge}`, 'utf8'), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url');
}
