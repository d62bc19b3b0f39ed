import { generateKeyPairSync, sign } from 'node:crypto';
import { CERTIFICATE_TYPE, certificateSigningInput, DeletionCertificate, publicKeyFrom, verifyCertificate } from './certificate';

describe('deletion certificate: canonical form and offline verification', () => {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const other = generateKeyPairSync('ed25519');
  const jwk = publicKey.export({ format: 'jwk' });
  const unsigned: Omit<DeletionCertificate, 'signature'> = {
    type: CERTIFICATE_TYPE,
    version: 1,
    id: '00000000-0000-4000-8000-000000000001',
    tenant: { id: '00000000-0000-4000-8000-000000000002', code: 'acme', name: 'アクメ株式会社' },
    cancelledAt: '2026-12-28T00:00:00.000Z',
    deletionDueAt: '2027-01-08T14:59:59.999Z',
    deletedAt: '2027-01-08T16:00:00.000Z',
    deleted: { rows: { users: 2, applications: 10 }, blobs: 3, bytes: 1000, backups: { primary: 30, remote: 5 }, keyVersions: 2 },
    method: 'crypto-shredding',
    checks: { rowsRemaining: 0, blobsRemaining: 0, backupsRemaining: 0, keysRemaining: 0 },
    keyId: 'kid-1',
  };
  const signWith = (key = privateKey, body = unsigned): DeletionCertificate => ({
    ...body,
    signature: sign(null, Buffer.from(certificateSigningInput(body), 'utf8'), key).toString('base64url'),
  });

  it('signs the canonical JSON without signature: keys sorted recursively, no whitespace', () => {
    const s = certificateSigningInput({ ...unsigned, deleted: { ...unsigned.deleted, rows: { b: 1, a: 2 } } });
    expect(s.startsWith('{"cancelledAt":"2026-12-28T00:00:00.000Z","checks":{"backupsRemaining":0,')).toBe(true);
    expect(s).toContain('"rows":{"a":2,"b":1}');
    expect(JSON.stringify(JSON.parse(s))).toBe(s); // no whitespace: JSON.stringify's compact form, in sorted order
    expect(certificateSigningInput(signWith())).toBe(certificateSigningInput(unsigned)); // signature left out
  });

  it('verifies with a JWK Set, a JWK or a PEM, whatever the key order in the file', () => {
    const cert = signWith();
    const reordered = {
      ...Object.fromEntries(Object.entries(cert).reverse()),
      tenant: { name: cert.tenant.name, code: cert.tenant.code, id: cert.tenant.id },
    };
    expect(Object.keys(reordered)[0]).toBe('signature');
    for (const text of [
      JSON.stringify({ keys: [{ ...jwk, kid: 'kid-1' }] }),
      JSON.stringify(jwk),
      publicKey.export({ format: 'pem', type: 'spki' }).toString(),
      privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    ]) {
      const { key, kid } = publicKeyFrom(text);
      expect(verifyCertificate(cert, key, kid)).toEqual({ ok: true });
      expect(verifyCertificate(reordered, key, kid)).toEqual({ ok: true });
    }
  });

  it('fails on any change, another key, another kid, or something that is not a certificate', () => {
    const { key, kid } = publicKeyFrom(JSON.stringify({ keys: [{ ...jwk, kid: 'kid-1' }] }));
    const cert = signWith();
    expect(verifyCertificate({ ...cert, checks: { ...cert.checks, keysRemaining: 1 } }, key, kid)).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
    expect(verifyCertificate({ ...cert, tenant: { ...cert.tenant, name: 'x' } }, key, kid).ok).toBe(false);
    expect(verifyCertificate({ ...cert, extra: 1 }, key, kid).ok).toBe(false);
    expect(verifyCertificate(signWith(other.privateKey), key, kid)).toEqual({ ok: false, reason: 'bad_signature' });
    expect(verifyCertificate({ ...cert, keyId: 'kid-2' }, key, kid)).toEqual({ ok: false, reason: 'key_id_mismatch' });
    expect(verifyCertificate({ ...cert, signature: 'not base64!' }, key, kid).ok).toBe(false);
    expect(verifyCertificate(null, key).ok).toBe(false);
    expect(verifyCertificate({ ...cert, type: 'other' }, key).reason).toBe('not_a_certificate');
  });
});
