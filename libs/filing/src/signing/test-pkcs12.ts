import { generateKeyPairSync } from 'node:crypto';
import forge from 'node-forge';

/**
 * Test material only (specs and e2e): a PKCS#12 file built with node-forge from a node:crypto RSA key,
 * for the cases openssl 3.0 cannot make directly (a validity period in the past, a key that belongs to
 * another certificate). Real openssl files are made in the e2e test.
 */
export interface TestP12Options {
  pin: string;
  bits?: number;
  notBefore?: Date;
  notAfter?: Date;
  commonName?: string;
  organization?: string;
  /** Put the key of another pair into the file (the certificate then belongs to no key of the file). */
  foreignKey?: boolean;
}

export function makeTestP12(o: TestP12Options): { p12: Buffer; certificatePem: string; privateKeyPem: string } {
  const pair = () => generateKeyPairSync('rsa', { modulusLength: o.bits ?? 2048 });
  const own = pair();
  const ownPem = own.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const priv = forge.pki.privateKeyFromPem(ownPem) as forge.pki.rsa.PrivateKey;
  const pub = forge.pki.setRsaPublicKey(priv.n, priv.e);
  const cert = forge.pki.createCertificate();
  cert.publicKey = pub;
  cert.serialNumber = '0a1b2c3d';
  cert.validity.notBefore = o.notBefore ?? new Date(Date.now() - 24 * 3600_000);
  cert.validity.notAfter = o.notAfter ?? new Date(Date.now() + 365 * 24 * 3600_000);
  const attrs = [
    { shortName: 'C', value: 'JP' },
    { shortName: 'O', value: o.organization ?? 'テスト社労士事務所', valueTagClass: forge.asn1.Type.UTF8 },
    { shortName: 'CN', value: o.commonName ?? '署名 太郎', valueTagClass: forge.asn1.Type.UTF8 },
  ];
  cert.setSubject(attrs as forge.pki.CertificateField[]);
  cert.setIssuer(attrs as forge.pki.CertificateField[]);
  cert.sign(priv, forge.md.sha256.create());
  const keyInFile = o.foreignKey
    ? (forge.pki.privateKeyFromPem(pair().privateKey.export({ type: 'pkcs1', format: 'pem' }).toString()) as forge.pki.rsa.PrivateKey)
    : priv;
  const asn1 = forge.pkcs12.toPkcs12Asn1(keyInFile, [cert], o.pin, { algorithm: 'aes256' });
  return {
    p12: Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary'),
    certificatePem: forge.pki.certificateToPem(cert),
    privateKeyPem: ownPem,
  };
}
