import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createPublicKey,
  generateKeyPairSync,
  JsonWebKey,
  pbkdf2Sync,
  randomBytes,
  verify,
} from 'node:crypto';

/**
 * The Charlotteキー protocol (api.md). Hand-written because it is our own
 * protocol, but built only from node:crypto primitives (ECDSA P-256 verify,
 * PBKDF2, AES-256-GCM); no custom cryptography.
 */
export const LOGIN_PREFIX = 'charlotte-login:v1:';
export const MIN_PBKDF2_ITERATIONS = 600_000;

export interface PublicEcJwk {
  kty: 'EC';
  crv: 'P-256';
  x: string;
  y: string;
}

export interface KeyFile {
  type: 'charlotte-keyfile';
  version: 1;
  tenant: string;
  userId: string;
  email: string;
  keyId: string;
  createdAt: string;
  privateKeyJwk?: JsonWebKey;
  encryptedPrivateKey?: { kdf: 'PBKDF2-SHA256'; iterations: number; salt: string; cipher: 'AES-256-GCM'; iv: string; ciphertext: string };
}

const B64URL_32 = /^[A-Za-z0-9_-]{43}$/;

/** RFC 7638 thumbprint: SHA-256 over the required members in lexicographic order. */
export function jwkThumbprint(jwk: PublicEcJwk): string {
  return createHash('sha256')
    .update(JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y }))
    .digest('base64url');
}

/**
 * Accepts only a public P-256 key: no private part, coordinates of the right
 * size, and a point on the curve (createPublicKey checks it). Returns the
 * normalized public JWK, or undefined.
 */
export function parsePublicJwk(input: unknown): PublicEcJwk | undefined {
  const j = input as Record<string, unknown>;
  if (!j || typeof j !== 'object' || j.kty !== 'EC' || j.crv !== 'P-256' || 'd' in j) return undefined;
  if (typeof j.x !== 'string' || typeof j.y !== 'string' || !B64URL_32.test(j.x) || !B64URL_32.test(j.y)) return undefined;
  const jwk: PublicEcJwk = { kty: 'EC', crv: 'P-256', x: j.x, y: j.y };
  try {
    createPublicKey({ key: { ...jwk } as JsonWebKey, format: 'jwk' });
    return jwk;
  } catch {
    return undefined;
  }
}

/** ES256 over "charlotte-login:v1:<challenge>", signature raw r‖s (64 bytes) in base64url. */
export function verifyChallengeSignature(jwk: PublicEcJwk, challenge: string, signature: string): boolean {
  if (!/^[A-Za-z0-9_-]{86}$/.test(signature)) return false;
  try {
    return verify(
      'sha256',
      Buffer.from(LOGIN_PREFIX + challenge, 'utf8'),
      { key: createPublicKey({ key: { ...jwk } as JsonWebKey, format: 'jwk' }), dsaEncoding: 'ieee-p1363' },
      Buffer.from(signature, 'base64url'),
    );
  } catch {
    return false;
  }
}

/** A new P-256 pair for a server-issued key file; the private half leaves only inside the file. */
export function generateKeyPair(): { publicJwk: PublicEcJwk; privateJwk: JsonWebKey } {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pub = publicKey.export({ format: 'jwk' }) as PublicEcJwk;
  return { publicJwk: { kty: 'EC', crv: 'P-256', x: pub.x, y: pub.y }, privateJwk: privateKey.export({ format: 'jwk' }) };
}

/** PBKDF2-SHA256 → AES-256-GCM over the UTF-8 JSON of the private JWK (ciphertext ‖ 16-byte tag). */
export function encryptPrivateKey(
  privateJwk: JsonWebKey,
  passphrase: string,
  iterations = MIN_PBKDF2_ITERATIONS,
): NonNullable<KeyFile['encryptedPrivateKey']> {
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const key = pbkdf2Sync(passphrase, salt, iterations, 32, 'sha256');
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const ct = Buffer.concat([cipher.update(JSON.stringify(privateJwk), 'utf8'), cipher.final(), cipher.getAuthTag()]);
  key.fill(0);
  return {
    kdf: 'PBKDF2-SHA256',
    iterations,
    salt: salt.toString('base64url'),
    cipher: 'AES-256-GCM',
    iv: iv.toString('base64url'),
    ciphertext: ct.toString('base64url'),
  };
}

export function decryptPrivateKey(enc: NonNullable<KeyFile['encryptedPrivateKey']>, passphrase: string): JsonWebKey {
  const key = pbkdf2Sync(passphrase, Buffer.from(enc.salt, 'base64url'), enc.iterations, 32, 'sha256');
  const data = Buffer.from(enc.ciphertext, 'base64url');
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(enc.iv, 'base64url'));
  decipher.setAuthTag(data.subarray(data.length - 16));
  const plain = Buffer.concat([decipher.update(data.subarray(0, data.length - 16)), decipher.final()]);
  return JSON.parse(plain.toString('utf8')) as JsonWebKey;
}
