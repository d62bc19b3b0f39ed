import { createPrivateKey, KeyObject, X509Certificate } from 'node:crypto';
import forge from 'node-forge';
import { SigningErrors } from './signing-errors';

/** e-Gov signs with RSA-SHA256; keys below 2048 bits are refused (NIST SP 800-131A, and what the CAs issue). */
export const MIN_RSA_BITS = 2048;

/** What an upload keeps from a PKCS#12 file: public data in plain, the key only to be sealed at once. */
export interface OpenedPkcs12 {
  certificatePem: string;
  /** Other certificates of the file (intermediate CAs), public data, PEM concatenated ('' when none). */
  chainPem: string;
  /** The private key, PKCS#8 PEM. The caller seals it and drops it. */
  privateKeyPem: string;
  subject: string;
  subjectCn: string | null;
  subjectO: string | null;
  issuer: string;
  serialNumber: string;
  notBefore: Date;
  notAfter: Date;
  /** SHA-256 over the DER certificate, as `AB:CD:…` (what certificate viewers show). */
  fingerprintSha256: string;
  keyBits: number;
}

const derOf = (asn1: forge.asn1.Asn1): Buffer => Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary');

/** `CN=x\nO=y` (node's X509Certificate form) → the value of one attribute (the last one: the most specific). */
function attribute(dn: string, name: string): string | null {
  let found: string | null = null;
  for (const line of dn.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0 && line.slice(0, eq) === name) found = line.slice(eq + 1);
  }
  return found;
}

/** One line for display: `CN=…, O=…, C=JP` (most specific first, as certificate viewers show it). */
const oneLine = (dn: string) => dn.split('\n').filter(Boolean).reverse().join(', ');

interface Bag {
  key?: forge.pki.PrivateKey | null;
  cert?: forge.pki.Certificate | null;
  asn1?: forge.asn1.Asn1;
}

/**
 * The MAC verified with the PIN, but the contents did not decrypt. A non-ASCII PIN is the known cause:
 * the MAC and the old PKCS#12 ciphers take the PIN as BMPString (UTF-16, what forge derives from the
 * JS string), while PBES2 (openssl 3's default, AES-256 + PBKDF2) takes its UTF-8 bytes, and forge
 * passes one string to both. The MAC has been checked at that point, so the PFX is parsed again
 * without its MAC and decrypted with the UTF-8 form (binary string, as forge expects bytes).
 */
function retryWithUtf8Pin(bytes: Buffer, pin: string): forge.pkcs12.Pkcs12Pfx {
  // eslint-disable-next-line no-control-regex
  if (/^[\x00-\x7f]*$/.test(pin)) throw SigningErrors.unreadable('the PKCS#12 structure cannot be decoded');
  try {
    const pfx = forge.asn1.fromDer(forge.util.createBuffer(bytes.toString('binary')));
    (pfx.value as forge.asn1.Asn1[]).splice(2); // version, authSafe; macData dropped (already verified)
    return forge.pkcs12.pkcs12FromAsn1(pfx, false, forge.util.encodeUtf8(pin));
  } catch {
    throw SigningErrors.unreadable('the PKCS#12 structure cannot be decoded');
  }
}

/**
 * Opens a PKCS#12 file with its PIN (node-forge decrypts; node:crypto checks the key and reads the
 * certificates, so keys forge cannot model, such as EC, are still recognised and refused by name).
 * Rules: exactly one private key; one certificate of the file belongs to it (the others are kept as
 * the chain); RSA of at least 2048 bits; valid at `now`. Throws the typed SigningErrors.
 *
 * The PIN only lives in this call; nothing here logs or keeps it.
 */
export function openPkcs12(bytes: Buffer, pin: string, now: Date = new Date()): OpenedPkcs12 {
  let asn1: forge.asn1.Asn1;
  try {
    asn1 = forge.asn1.fromDer(forge.util.createBuffer(bytes.toString('binary')));
  } catch {
    throw SigningErrors.unreadable('not DER-encoded PKCS#12 data');
  }
  let p12: forge.pkcs12.Pkcs12Pfx;
  try {
    p12 = forge.pkcs12.pkcs12FromAsn1(asn1, false, pin);
  } catch (e) {
    // forge says so when the MAC (keyed with the PIN) does not verify: the only failure the user can fix by retyping.
    const msg = e instanceof Error ? e.message : '';
    if (/MAC could not be verified|Invalid password/i.test(msg)) throw SigningErrors.badPin();
    p12 = retryWithUtf8Pin(bytes, pin);
  }
  const bagsOf = (type: string): Bag[] => (p12.getBags({ bagType: type })[type] ?? []) as Bag[];
  const keyBags = [...bagsOf(forge.pki.oids.pkcs8ShroudedKeyBag), ...bagsOf(forge.pki.oids.keyBag)];
  if (keyBags.length !== 1)
    throw SigningErrors.unreadable(keyBags.length ? `${keyBags.length} private keys (exactly one is needed)` : 'no private key');

  let key: KeyObject;
  try {
    const bag = keyBags[0];
    // forge models RSA keys only; for any other algorithm it leaves the decrypted PrivateKeyInfo in `asn1`.
    const der = bag.key
      ? derOf(forge.pki.wrapRsaPrivateKey(forge.pki.privateKeyToAsn1(bag.key as forge.pki.rsa.PrivateKey)))
      : bag.asn1
        ? derOf(bag.asn1)
        : undefined;
    if (!der) throw new Error('empty key bag');
    key = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  } catch {
    throw SigningErrors.unreadable('the private key cannot be read');
  }
  if (key.asymmetricKeyType !== 'rsa') throw SigningErrors.keyUnsupported(`a ${key.asymmetricKeyType ?? 'unknown'} key`);
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < MIN_RSA_BITS) throw SigningErrors.keyUnsupported(`an RSA key of ${bits} bits`);

  const certs: X509Certificate[] = [];
  for (const bag of bagsOf(forge.pki.oids.certBag)) {
    try {
      const der = bag.cert ? derOf(forge.pki.certificateToAsn1(bag.cert)) : bag.asn1 ? derOf(bag.asn1) : undefined;
      if (der) certs.push(new X509Certificate(der));
    } catch {
      throw SigningErrors.unreadable('a certificate in the file cannot be read');
    }
  }
  if (!certs.length) throw SigningErrors.unreadable('no certificate');
  // The signer's certificate is the one whose public key is this private key's; the rest is chain.
  const own = certs.find((c) => c.checkPrivateKey(key));
  if (!own) throw SigningErrors.mismatch();

  const notBefore = new Date(own.validFrom);
  const notAfter = new Date(own.validTo);
  if (!(notBefore.getTime() <= now.getTime() && now.getTime() < notAfter.getTime())) throw SigningErrors.expired(notBefore, notAfter);

  return {
    certificatePem: own.toString(),
    chainPem: certs
      .filter((c) => c !== own)
      .map((c) => c.toString())
      .join(''),
    privateKeyPem: key.export({ type: 'pkcs8', format: 'pem' }).toString(),
    subject: oneLine(own.subject),
    subjectCn: attribute(own.subject, 'CN'),
    subjectO: attribute(own.subject, 'O'),
    issuer: oneLine(own.issuer),
    serialNumber: own.serialNumber.toUpperCase(),
    notBefore,
    notAfter,
    fingerprintSha256: own.fingerprint256,
    keyBits: bits,
  };
}
