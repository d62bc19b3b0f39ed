/**
 * Charlotteキー (key file) in the browser, with WebCrypto only: the private
 * key never leaves the browser. See docs/api.md ("Key file") and
 * architecture.md ("Key file (Charlotteキー)").
 *
 * - Signature: ES256 over the UTF-8 bytes of `charlotte-login:v1:<challenge>`,
 *   raw r‖s (64 bytes, what WebCrypto returns), base64url without padding.
 * - keyId: RFC 7638 JWK thumbprint (SHA-256, base64url) of the public key.
 * - Passphrase protection: PBKDF2-SHA256 (≥ 600,000 iterations) → AES-256-GCM
 *   over the UTF-8 JSON of the private JWK, no AAD.
 */

export const KEYFILE_TYPE = 'charlotte-keyfile';
export const KEYFILE_VERSION = 1;
export const LOGIN_SIGNATURE_PREFIX = 'charlotte-login:v1:';
export const PBKDF2_ITERATIONS = 600_000;
/** Refuse files that would keep the browser busy for minutes. */
const MAX_PBKDF2_ITERATIONS = 10_000_000;
const SALT_BYTES = 16;
const IV_BYTES = 12;
/** 32-byte coordinates and scalar of P-256, base64url without padding. */
const P256_COORDINATE = /^[A-Za-z0-9_-]{43}$/;

export interface PublicKeyJwk {
  kty: 'EC';
  crv: 'P-256';
  x: string;
  y: string;
}

export interface PrivateKeyJwk extends PublicKeyJwk {
  d: string;
}

export interface EncryptedPrivateKey {
  kdf: 'PBKDF2-SHA256';
  iterations: number;
  salt: string;
  cipher: 'AES-256-GCM';
  iv: string;
  ciphertext: string;
}

interface KeyFileBase {
  type: typeof KEYFILE_TYPE;
  version: typeof KEYFILE_VERSION;
  tenant: string;
  userId: string;
  email: string;
  keyId: string;
  createdAt: string;
}

export interface PlainKeyFile extends KeyFileBase {
  privateKeyJwk: PrivateKeyJwk;
}

export interface EncryptedKeyFile extends KeyFileBase {
  encryptedPrivateKey: EncryptedPrivateKey;
}

export type KeyFile = PlainKeyFile | EncryptedKeyFile;

export type KeyFileErrorCode = 'invalid_format' | 'wrong_passphrase';

/** A problem with the file itself (as opposed to the server's answer). */
export class KeyFileError extends Error {
  override readonly name = 'KeyFileError';
  constructor(
    readonly code: KeyFileErrorCode,
    message: string = code,
  ) {
    super(message);
  }
}

// --- encoding ----------------------------------------------------------------

export function base64urlEncode(data: ArrayBuffer | Uint8Array): string {
  const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function base64urlDecode(value: string): Uint8Array<ArrayBuffer> {
  if (!/^[A-Za-z0-9_-]*$/.test(value)) throw new KeyFileError('invalid_format', 'not base64url');
  const base64 = value.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (value.length % 4)) % 4);
  let binary: string;
  try {
    binary = atob(base64);
  } catch {
    throw new KeyFileError('invalid_format', 'not base64url');
  }
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function utf8(text: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(text);
}

// --- validation --------------------------------------------------------------

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

export function isPublicKeyJwk(value: unknown): value is PublicKeyJwk {
  return (
    isRecord(value) &&
    value.kty === 'EC' &&
    value.crv === 'P-256' &&
    typeof value.x === 'string' &&
    P256_COORDINATE.test(value.x) &&
    typeof value.y === 'string' &&
    P256_COORDINATE.test(value.y)
  );
}

export function isPrivateKeyJwk(value: unknown): value is PrivateKeyJwk {
  return (
    isPublicKeyJwk(value) &&
    typeof (value as unknown as Record<string, unknown>).d === 'string' &&
    P256_COORDINATE.test((value as PrivateKeyJwk).d)
  );
}

function isEncryptedPrivateKey(value: unknown): value is EncryptedPrivateKey {
  if (!isRecord(value)) return false;
  const { kdf, iterations, salt, cipher, iv, ciphertext } = value;
  if (kdf !== 'PBKDF2-SHA256' || cipher !== 'AES-256-GCM') return false;
  if (typeof iterations !== 'number' || !Number.isInteger(iterations)) return false;
  if (iterations < PBKDF2_ITERATIONS || iterations > MAX_PBKDF2_ITERATIONS) return false;
  if (!isNonEmptyString(salt) || !isNonEmptyString(iv) || !isNonEmptyString(ciphertext)) return false;
  try {
    if (base64urlDecode(iv).length !== IV_BYTES) return false;
    if (base64urlDecode(salt).length < 8) return false;
    // At least the 16-byte GCM tag.
    if (base64urlDecode(ciphertext).length <= 16) return false;
  } catch {
    return false;
  }
  return true;
}

/**
 * Parses the text of a `*.charlotte-key.json` file. Throws
 * {@link KeyFileError} `invalid_format` for anything that is not a key file
 * of this version (corrupt JSON, wrong type, missing fields, bad key).
 */
export function parseKeyFile(text: string): KeyFile {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new KeyFileError('invalid_format', 'not JSON');
  }
  if (!isRecord(parsed)) throw new KeyFileError('invalid_format', 'not an object');
  if (parsed.type !== KEYFILE_TYPE || parsed.version !== KEYFILE_VERSION) {
    throw new KeyFileError('invalid_format', 'not a Charlotte key file of version 1');
  }
  const { tenant, userId, email, keyId, createdAt } = parsed;
  if (!isNonEmptyString(tenant) || typeof userId !== 'string' || !isNonEmptyString(email) || !isNonEmptyString(keyId)) {
    throw new KeyFileError('invalid_format', 'missing identity fields');
  }
  const base: KeyFileBase = {
    type: KEYFILE_TYPE,
    version: KEYFILE_VERSION,
    tenant,
    userId,
    email,
    keyId,
    createdAt: typeof createdAt === 'string' ? createdAt : '',
  };
  const hasPlain = 'privateKeyJwk' in parsed;
  const hasEncrypted = 'encryptedPrivateKey' in parsed;
  if (hasPlain === hasEncrypted) throw new KeyFileError('invalid_format', 'needs exactly one private key');
  if (hasPlain) {
    if (!isPrivateKeyJwk(parsed.privateKeyJwk)) throw new KeyFileError('invalid_format', 'bad private key');
    const { kty, crv, x, y, d } = parsed.privateKeyJwk;
    return { ...base, privateKeyJwk: { kty, crv, x, y, d } };
  }
  if (!isEncryptedPrivateKey(parsed.encryptedPrivateKey)) throw new KeyFileError('invalid_format', 'bad encrypted key');
  const { kdf, iterations, salt, cipher, iv, ciphertext } = parsed.encryptedPrivateKey;
  return { ...base, encryptedPrivateKey: { kdf, iterations, salt, cipher, iv, ciphertext } };
}

export function isEncryptedKeyFile(file: KeyFile): file is EncryptedKeyFile {
  return 'encryptedPrivateKey' in file;
}

/** Whether the file names the tenant and email the user typed (case-insensitive). */
export function keyFileBelongsTo(file: KeyFile, tenant: string, email: string): boolean {
  const same = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();
  return same(file.tenant, tenant) && same(file.email, email);
}

// --- passphrase encryption ---------------------------------------------------

async function deriveAesKey(passphrase: string, salt: Uint8Array<ArrayBuffer>, iterations: number, usage: KeyUsage): Promise<CryptoKey> {
  const base = await crypto.subtle.importKey('raw', utf8(passphrase), 'PBKDF2', false, ['deriveKey']);
  return crypto.subtle.deriveKey({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations }, base, { name: 'AES-GCM', length: 256 }, false, [
    usage,
  ]);
}

export async function encryptPrivateKey(
  jwk: PrivateKeyJwk,
  passphrase: string,
  iterations: number = PBKDF2_ITERATIONS,
): Promise<EncryptedPrivateKey> {
  const salt = crypto.getRandomValues(new Uint8Array(SALT_BYTES));
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const key = await deriveAesKey(passphrase, salt, iterations, 'encrypt');
  const plain = utf8(JSON.stringify({ kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y, d: jwk.d }));
  const ciphertext = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, plain);
  return {
    kdf: 'PBKDF2-SHA256',
    iterations,
    salt: base64urlEncode(salt),
    cipher: 'AES-256-GCM',
    iv: base64urlEncode(iv),
    ciphertext: base64urlEncode(ciphertext),
  };
}

/**
 * Decrypts a passphrase-protected private key. A failing GCM tag (wrong
 * passphrase, or a damaged ciphertext, which cannot be told apart) throws
 * `wrong_passphrase`; a decrypted text that is no P-256 JWK throws
 * `invalid_format`.
 */
export async function decryptPrivateKey(encrypted: EncryptedPrivateKey, passphrase: string): Promise<PrivateKeyJwk> {
  const key = await deriveAesKey(passphrase, base64urlDecode(encrypted.salt), encrypted.iterations, 'decrypt');
  let plain: ArrayBuffer;
  try {
    plain = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: base64urlDecode(encrypted.iv) }, key, base64urlDecode(encrypted.ciphertext));
  } catch {
    throw new KeyFileError('wrong_passphrase');
  }
  let jwk: unknown;
  try {
    jwk = JSON.parse(new TextDecoder().decode(plain));
  } catch {
    throw new KeyFileError('invalid_format', 'decrypted key is not JSON');
  }
  if (!isPrivateKeyJwk(jwk)) throw new KeyFileError('invalid_format', 'decrypted key is not a P-256 JWK');
  return { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y, d: jwk.d };
}

/** The private JWK of a file, decrypting it when it is protected. */
export async function privateKeyOf(file: KeyFile, passphrase = ''): Promise<PrivateKeyJwk> {
  return isEncryptedKeyFile(file) ? decryptPrivateKey(file.encryptedPrivateKey, passphrase) : file.privateKeyJwk;
}

// --- keys and signatures -----------------------------------------------------

export function publicKeyOf(jwk: PublicKeyJwk): PublicKeyJwk {
  return { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y };
}

/** RFC 7638 thumbprint: the required members in lexicographic order, no spaces. */
export async function jwkThumbprint(jwk: PublicKeyJwk): Promise<string> {
  const canonical = `{"crv":"P-256","kty":"EC","x":"${jwk.x}","y":"${jwk.y}"}`;
  return base64urlEncode(await crypto.subtle.digest('SHA-256', utf8(canonical)));
}

export function loginMessage(challenge: string): Uint8Array<ArrayBuffer> {
  return utf8(LOGIN_SIGNATURE_PREFIX + challenge);
}

/** Imports a private JWK as a non-extractable signing key. */
export async function importSigningKey(jwk: PrivateKeyJwk): Promise<CryptoKey> {
  try {
    return await crypto.subtle.importKey('jwk', { ...jwk, ext: false }, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
  } catch {
    throw new KeyFileError('invalid_format', 'the private key cannot be imported');
  }
}

/** Signs the login challenge: raw r‖s, base64url without padding. */
export async function signChallenge(key: CryptoKey | PrivateKeyJwk, challenge: string): Promise<string> {
  const signingKey = 'd' in key ? await importSigningKey(key) : key;
  const signature = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, signingKey, loginMessage(challenge));
  return base64urlEncode(signature);
}

export interface GeneratedKeyPair {
  privateKey: CryptoKey;
  privateKeyJwk: PrivateKeyJwk;
  publicKeyJwk: PublicKeyJwk;
  keyId: string;
}

/** A new P-256 pair; extractable, as the private half goes into the file. */
export async function generateKeyPair(): Promise<GeneratedKeyPair> {
  const pair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  const exported = await crypto.subtle.exportKey('jwk', pair.privateKey);
  if (!isPrivateKeyJwk(exported)) throw new Error('WebCrypto exported an unexpected JWK');
  const privateKeyJwk: PrivateKeyJwk = { kty: 'EC', crv: 'P-256', x: exported.x, y: exported.y, d: exported.d };
  const publicKeyJwk = publicKeyOf(privateKeyJwk);
  return { privateKey: pair.privateKey, privateKeyJwk, publicKeyJwk, keyId: await jwkThumbprint(publicKeyJwk) };
}

export interface BuildKeyFileInput {
  tenant: string;
  userId: string;
  email: string;
  keyId: string;
  privateKeyJwk: PrivateKeyJwk;
  /** Empty or absent: the private key is stored in the clear. */
  passphrase?: string;
  createdAt?: string;
  /** Tests only: fewer iterations are never accepted when reading. */
  iterations?: number;
}

export async function buildKeyFile(input: BuildKeyFileInput): Promise<KeyFile> {
  const base: KeyFileBase = {
    type: KEYFILE_TYPE,
    version: KEYFILE_VERSION,
    tenant: input.tenant,
    userId: input.userId,
    email: input.email,
    keyId: input.keyId,
    createdAt: input.createdAt ?? new Date().toISOString(),
  };
  if (input.passphrase) {
    return { ...base, encryptedPrivateKey: await encryptPrivateKey(input.privateKeyJwk, input.passphrase, input.iterations) };
  }
  return { ...base, privateKeyJwk: { ...input.privateKeyJwk } };
}

/** `{tenant}-{email}.charlotte-key.json`, as the server names it too. */
export function keyFileName(tenant: string, email: string): string {
  return `${tenant}-${email}.charlotte-key.json`;
}
