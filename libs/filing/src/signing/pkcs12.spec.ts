import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { openPkcs12 } from './pkcs12';
import { makeTestP12 } from './test-pkcs12';

const DAY = 24 * 3600_000;
const codeOf = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    return (e as { code?: string }).code ?? `untyped: ${String(e)}`;
  }
  return 'no error';
};

describe(openPkcs12.name, () => {
  const good = makeTestP12({ pin: 'ピン-1234' });

  it('opens a valid RSA-2048 file with its PIN: certificate, metadata, and the key that belongs to it', () => {
    const sut = openPkcs12(good.p12, 'ピン-1234');
    expect(sut.subjectCn).toBe('署名 太郎');
    expect(sut.subjectO).toBe('テスト社労士事務所');
    expect(sut.subject).toBe('CN=署名 太郎, O=テスト社労士事務所, C=JP');
    expect(sut.issuer).toBe(sut.subject);
    expect(sut.serialNumber).toBe('0A1B2C3D');
    expect(sut.keyBits).toBe(2048);
    expect(sut.chainPem).toBe('');
    expect(sut.fingerprintSha256).toBe(new X509Certificate(good.certificatePem).fingerprint256);
    expect(sut.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    // The key is the certificate's own.
    expect(new X509Certificate(sut.certificatePem).checkPrivateKey(createPrivateKey(sut.privateKeyPem))).toBe(true);
    expect(createPublicKey(sut.privateKeyPem).export({ type: 'spki', format: 'pem' })).toBe(
      createPublicKey(good.privateKeyPem).export({ type: 'spki', format: 'pem' }),
    );
  });

  it('refuses a wrong PIN as such', () => {
    expect(codeOf(() => openPkcs12(good.p12, 'ピン-1235'))).toBe('signing_certificate_bad_pin');
    expect(codeOf(() => openPkcs12(good.p12, ''))).toBe('signing_certificate_bad_pin');
  });

  it('refuses bytes that are not PKCS#12', () => {
    expect(codeOf(() => openPkcs12(Buffer.from('%PDF-1.4 not a certificate'), 'x'))).toBe('signing_certificate_unreadable');
    expect(codeOf(() => openPkcs12(Buffer.alloc(0), 'x'))).toBe('signing_certificate_unreadable');
    const cut = good.p12.subarray(0, good.p12.length - 40);
    expect(codeOf(() => openPkcs12(cut, 'ピン-1234'))).toMatch(/signing_certificate_(unreadable|bad_pin)/);
  });

  it('refuses a certificate that expired or is not valid yet, at the exact bounds', () => {
    const notBefore = new Date(Date.now() - 400 * DAY);
    const notAfter = new Date(Date.now() - DAY);
    const old = makeTestP12({ pin: 'p', notBefore, notAfter });
    expect(codeOf(() => openPkcs12(old.p12, 'p'))).toBe('signing_certificate_expired');
    const future = makeTestP12({ pin: 'p', notBefore: new Date(Date.now() + DAY), notAfter: new Date(Date.now() + 9 * DAY) });
    expect(codeOf(() => openPkcs12(future.p12, 'p'))).toBe('signing_certificate_expired');
    const opened = openPkcs12(good.p12, 'ピン-1234');
    expect(codeOf(() => openPkcs12(good.p12, 'ピン-1234', opened.notAfter))).toBe('signing_certificate_expired');
    expect(codeOf(() => openPkcs12(good.p12, 'ピン-1234', new Date(opened.notAfter.getTime() - 1000)))).toBe('no error');
    expect(codeOf(() => openPkcs12(good.p12, 'ピン-1234', opened.notBefore))).toBe('no error');
  });

  it('refuses an RSA key shorter than 2048 bits', () => {
    const short = makeTestP12({ pin: 'p', bits: 1024 });
    expect(codeOf(() => openPkcs12(short.p12, 'p'))).toBe('signing_certificate_key_unsupported');
  });

  it('refuses a file whose key belongs to no certificate in it', () => {
    const mixed = makeTestP12({ pin: 'p', foreignKey: true });
    expect(codeOf(() => openPkcs12(mixed.p12, 'p'))).toBe('signing_certificate_mismatch');
  });
});

describe('openPkcs12 with a non-ASCII PIN', () => {
  it('opens an AES-256/PBKDF2 file (UTF-8 PIN for PBES2, BMPString for the MAC) and still refuses a wrong one', () => {
    const f = makeTestP12({ pin: '暗証番号-１２３' });
    expect(openPkcs12(f.p12, '暗証番号-１２３').subjectCn).toBe('署名 太郎');
    expect(codeOf(() => openPkcs12(f.p12, '暗証番号-１２４'))).toBe('signing_certificate_bad_pin');
  });
});
