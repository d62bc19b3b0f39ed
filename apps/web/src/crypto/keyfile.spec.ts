// @vitest-environment node
import { createHash, generateKeyPairSync, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  KeyFileError,
  PBKDF2_ITERATIONS,
  base64urlDecode,
  base64urlEncode,
  buildKeyFile,
  decryptPrivateKey,
  encryptPrivateKey,
  generateKeyPair,
  isEncryptedKeyFile,
  jwkThumbprint,
  keyFileBelongsTo,
  keyFileName,
  parseKeyFile,
  privateKeyOf,
  signChallenge,
  type PrivateKeyJwk,
} from '@/crypto/keyfile';

/** A P-256 key made by Node, independently of the code under test. */
function nodeKey(): PrivateKeyJwk {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = privateKey.export({ format: 'jwk' });
  return { kty: 'EC', crv: 'P-256', x: jwk.x!, y: jwk.y!, d: jwk.d! };
}

describe('key file crypto', () => {
  it('encodes base64url without padding and back', () => {
    const bytes = new Uint8Array([0xfb, 0xff, 0x00, 0x10]);
    expect(base64urlEncode(bytes)).toBe(Buffer.from(bytes).toString('base64url'));
    expect(Array.from(base64urlDecode(base64urlEncode(bytes)))).toEqual(Array.from(bytes));
    expect(() => base64urlDecode('a+b=')).toThrow(KeyFileError);
  });

  it('computes the RFC 7638 thumbprint like an independent implementation', async () => {
    const jwk = nodeKey();
    const expected = createHash('sha256').update(`{"crv":"P-256","kty":"EC","x":"${jwk.x}","y":"${jwk.y}"}`, 'utf8').digest('base64url');
    expect(await jwkThumbprint(jwk)).toBe(expected);
    expect(expected).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('signs the challenge so that node:crypto verifies it (ES256, raw r‖s)', async () => {
    const jwk = nodeKey();
    const challenge = 'c2FtcGxlLWNoYWxsZW5nZQ';
    const signature = await signChallenge(jwk, challenge);
    const raw = Buffer.from(signature, 'base64url');
    expect(raw).toHaveLength(64);
    expect(signature).not.toContain('=');
    const publicJwk = { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y };
    const data = Buffer.from(`charlotte-login:v1:${challenge}`, 'utf8');
    expect(verify('sha256', data, { key: publicJwk, format: 'jwk', dsaEncoding: 'ieee-p1363' }, raw)).toBe(true);
    expect(
      verify('sha256', Buffer.from('charlotte-login:v1:other'), { key: publicJwk, format: 'jwk', dsaEncoding: 'ieee-p1363' }, raw),
    ).toBe(false);
  });

  it('generates a pair whose key id is its thumbprint and whose signatures verify', async () => {
    const pair = await generateKeyPair();
    expect(Object.keys(pair.publicKeyJwk).sort()).toEqual(['crv', 'kty', 'x', 'y']);
    expect(pair.keyId).toBe(await jwkThumbprint(pair.publicKeyJwk));
    const signature = Buffer.from(await signChallenge(pair.privateKey, 'abc'), 'base64url');
    expect(
      verify(
        'sha256',
        Buffer.from('charlotte-login:v1:abc'),
        { key: { ...pair.publicKeyJwk }, format: 'jwk', dsaEncoding: 'ieee-p1363' },
        signature,
      ),
    ).toBe(true);
  });

  it('encrypts with a passphrase and decrypts it again; a wrong passphrase fails', async () => {
    const jwk = nodeKey();
    const encrypted = await encryptPrivateKey(jwk, 'correct horse battery');
    expect(encrypted).toMatchObject({ kdf: 'PBKDF2-SHA256', cipher: 'AES-256-GCM', iterations: PBKDF2_ITERATIONS });
    expect(base64urlDecode(encrypted.iv)).toHaveLength(12);
    // UTF-8 JSON of the JWK plus the 16-byte tag.
    expect(base64urlDecode(encrypted.ciphertext).length).toBeGreaterThan(16);
    expect(JSON.stringify(encrypted)).not.toContain(jwk.d);

    expect(await decryptPrivateKey(encrypted, 'correct horse battery')).toEqual(jwk);
    await expect(decryptPrivateKey(encrypted, 'wrong horse battery')).rejects.toMatchObject({ code: 'wrong_passphrase' });
  });

  it('decrypts a file encrypted independently with node:crypto (PBKDF2-SHA256 → AES-256-GCM)', async () => {
    const { pbkdf2Sync, createCipheriv, randomBytes } = await import('node:crypto');
    const jwk = nodeKey();
    const salt = randomBytes(16);
    const iv = randomBytes(12);
    const key = pbkdf2Sync('パスフレーズ123', salt, PBKDF2_ITERATIONS, 32, 'sha256');
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    const ciphertext = Buffer.concat([cipher.update(JSON.stringify(jwk), 'utf8'), cipher.final(), cipher.getAuthTag()]);
    const text = JSON.stringify({
      type: 'charlotte-keyfile',
      version: 1,
      tenant: 'acme',
      userId: 'u1',
      email: 'a@example.com',
      keyId: 'k',
      createdAt: '2026-01-01T00:00:00Z',
      encryptedPrivateKey: {
        kdf: 'PBKDF2-SHA256',
        iterations: PBKDF2_ITERATIONS,
        salt: salt.toString('base64url'),
        cipher: 'AES-256-GCM',
        iv: iv.toString('base64url'),
        ciphertext: ciphertext.toString('base64url'),
      },
    });
    const file = parseKeyFile(text);
    expect(isEncryptedKeyFile(file)).toBe(true);
    expect(await privateKeyOf(file, 'パスフレーズ123')).toEqual(jwk);
  });

  it('builds a file that parses back, plain and encrypted', async () => {
    const pair = await generateKeyPair();
    const input = { tenant: 'acme', userId: 'u1', email: 'Taro@Example.com', keyId: pair.keyId, privateKeyJwk: pair.privateKeyJwk };
    const plain = parseKeyFile(JSON.stringify(await buildKeyFile(input)));
    expect(isEncryptedKeyFile(plain)).toBe(false);
    expect(await privateKeyOf(plain)).toEqual(pair.privateKeyJwk);
    expect(plain).toMatchObject({ type: 'charlotte-keyfile', version: 1, tenant: 'acme', userId: 'u1', keyId: pair.keyId });

    const encrypted = parseKeyFile(JSON.stringify(await buildKeyFile({ ...input, passphrase: 'secret passphrase' })));
    expect(isEncryptedKeyFile(encrypted)).toBe(true);
    expect('privateKeyJwk' in encrypted).toBe(false);
    expect(await privateKeyOf(encrypted, 'secret passphrase')).toEqual(pair.privateKeyJwk);

    expect(keyFileBelongsTo(plain, 'ACME', 'taro@example.com ')).toBe(true);
    expect(keyFileBelongsTo(plain, 'acme', 'hanako@example.com')).toBe(false);
    expect(keyFileBelongsTo(plain, 'other', 'taro@example.com')).toBe(false);
    expect(keyFileName('acme', 'taro@example.com')).toBe('acme-taro@example.com.charlotte-key.json');
  });

  it('refuses what is not a key file', () => {
    const jwk = nodeKey();
    const good = {
      type: 'charlotte-keyfile',
      version: 1,
      tenant: 'acme',
      userId: 'u',
      email: 'a@b.c',
      keyId: 'k',
      createdAt: '',
      privateKeyJwk: jwk,
    };
    const bad: unknown[] = [
      'not json',
      '[]',
      { ...good, type: 'something' },
      { ...good, version: 2 },
      { ...good, email: '' },
      { ...good, privateKeyJwk: { ...jwk, crv: 'P-384' } },
      { ...good, privateKeyJwk: { ...jwk, d: undefined } },
      { ...good, encryptedPrivateKey: {} },
      {
        ...good,
        privateKeyJwk: undefined,
        encryptedPrivateKey: {
          kdf: 'PBKDF2-SHA256',
          iterations: 1000,
          salt: 'AAAAAAAAAAA',
          cipher: 'AES-256-GCM',
          iv: 'AAAAAAAAAAAAAAAA',
          ciphertext: 'A'.repeat(40),
        },
      },
    ];
    for (const value of bad) {
      const text = typeof value === 'string' ? value : JSON.stringify(value);
      expect(() => parseKeyFile(text), text).toThrow(KeyFileError);
    }
    expect(parseKeyFile(JSON.stringify(good)).keyId).toBe('k');
  });
});
