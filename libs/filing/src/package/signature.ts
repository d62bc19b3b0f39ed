import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { DOMParser } from '@xmldom/xmldom';
import type { Document, Element } from '@xmldom/xmldom';
import { C14nCanonicalization } from 'xml-crypto';
import { Sha256 } from 'xml-crypto/lib/hash-algorithms';
import { RsaSha256 } from 'xml-crypto/lib/signature-algorithms';
import { EgovPackageError } from './errors';
import { KOUSEI_FILE_NAME } from './kousei-xml';
import type { PackageFile, PackageSigner } from './types';
import { escapeAttr } from './xml-writer';

/**
 * XML-DSig of an e-Gov package, in the layout of e-Gov's signed kousei.xml
 * (kufu/kiji lib/kiji/zipper.rb + signer.rb, ippoan/egov-shinsei-sdk
 * src/xmldsig/sign.ts; see docs/egov-facts.md):
 *
 * ```xml
 * </構成情報>
 * <署名情報>
 *   <Signature xmlns="http://www.w3.org/2000/09/xmldsig#" Id="yyyyMMddHHmmss">
 *     <SignedInfo>
 *       <CanonicalizationMethod Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315"/>
 *       <SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>
 *       <Reference URI="#構成情報">
 *         <Transforms><Transform Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315"/></Transforms>
 *         <DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><DigestValue>…</DigestValue>
 *       </Reference>
 *       <Reference URI="495013521019030837_01.xml"> (one per other file: 申請書, attachments)
 *         <DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><DigestValue>…</DigestValue>
 *       </Reference>
 *     </SignedInfo>
 *     <SignatureValue>…</SignatureValue>
 *     <KeyInfo><X509Data><X509Certificate>…</X509Certificate></X509Data></KeyInfo>
 *   </Signature>
 * </署名情報>
 * <その他>…
 * ```
 *
 * Why the Signature element is assembled here and not by xml-crypto's
 * SignedXml: its references are XPath selections inside the one document it
 * signs; it cannot resolve a Reference whose URI is another file of the ZIP
 * (`495013521019030837_01.xml`), whose digest is over that file's raw bytes
 * with no transform. So the parts are xml-crypto's own algorithms, used
 * directly: C14nCanonicalization for 構成情報 and SignedInfo, Sha256 for every
 * digest (over the canonical 構成情報, and over each file's bytes: its
 * getHash feeds a Buffer to node's hash unchanged), RsaSha256 to sign and to
 * verify SignedInfo. No cryptography is written here.
 */

export const DSIG_NS = 'http://www.w3.org/2000/09/xmldsig#';
export const C14N_ALGORITHM = 'http://www.w3.org/TR/2001/REC-xml-c14n-20010315';
export const RSA_SHA256_ALGORITHM = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
export const SHA256_ALGORITHM = 'http://www.w3.org/2001/04/xmlenc#sha256';
export const KOUSEI_REFERENCE_URI = '#構成情報';

export interface SignerKey {
  /** PKCS#8 or PKCS#1 PEM, RSA, unencrypted. */
  readonly privateKeyPem: string;
  /** The signer's X.509 certificate, PEM. */
  readonly certificatePem: string;
}

export type SignatureVerification = { ok: true; certificatePem: string } | { ok: false; reason: string };

function parse(xml: string, what: string): Document {
  let error: string | undefined;
  const doc = new DOMParser({
    onError: (level, message) => {
      if (level !== 'warning') error ??= message;
    },
  }).parseFromString(xml, 'application/xml');
  if (error !== undefined) throw new Error(`${what} is not well-formed XML`);
  return doc;
}

/** The one element whose attribute ID is `id` (a second one would make the reference ambiguous). */
function elementById(doc: Document, id: string): Element {
  const found = Array.from(doc.getElementsByTagName('*')).filter((e) => e.getAttribute('ID') === id || e.getAttribute('Id') === id);
  if (found.length !== 1) throw new Error(`kousei.xml has ${found.length} elements with ID "${id}"`);
  return found[0];
}

const c14n = (node: Element): string =>
  new C14nCanonicalization().process(node as unknown as Parameters<C14nCanonicalization['process']>[0], {});
const sha256 = (data: string | Buffer): string => new Sha256().getHash(data);

/** `yyyyMMddHHmmss` in JST. */
function signatureId(at: Date): string {
  return new Date(at.getTime() + 9 * 3600_000).toISOString().replace(/\D/g, '').slice(0, 14);
}

function base64Der(certificatePem: string): string {
  return Buffer.from(new X509Certificate(certificatePem).raw).toString('base64');
}

function reference(uri: string, digest: string, transform: boolean): string {
  return (
    `<Reference URI="${escapeAttr(uri)}">` +
    (transform ? `<Transforms><Transform Algorithm="${C14N_ALGORITHM}"/></Transforms>` : '') +
    `<DigestMethod Algorithm="${SHA256_ALGORITHM}"/><DigestValue>${digest}</DigestValue></Reference>`
  );
}

/**
 * A PackageSigner that signs kousei.xml over 構成情報 and every other file of
 * the package. Checks at creation that the key is RSA and belongs to the
 * certificate (a mismatch would produce a signature e-Gov rejects). `now`
 * fixes the Signature Id (for byte-identical tests).
 */
export function createXmlDsigSigner(key: SignerKey, now?: Date | (() => Date)): PackageSigner {
  try {
    const cert = new X509Certificate(key.certificatePem);
    const priv = createPrivateKey(key.privateKeyPem);
    if (priv.asymmetricKeyType !== 'rsa') throw new Error('not RSA');
    const fromKey = createPublicKey(priv).export({ type: 'spki', format: 'der' });
    if (!fromKey.equals(cert.publicKey.export({ type: 'spki', format: 'der' }))) throw new Error('mismatch');
  } catch {
    // The key material is never quoted.
    throw new EgovPackageError('egov_package_invalid_input', 'the signing key must be an RSA key matching the certificate', 'signer');
  }
  const certificateB64 = base64Der(key.certificatePem);

  return {
    async sign(files: readonly PackageFile[]): Promise<PackageFile[]> {
      const kouseiFile = files.find((f) => f.name === KOUSEI_FILE_NAME);
      if (!kouseiFile) throw new EgovPackageError('egov_package_invalid_input', 'the package has no kousei.xml to sign', 'signer');
      const text = kouseiFile.data.toString('utf8');
      const close = '</構成情報>';
      const at = text.indexOf(close);
      if (at < 0 || text.indexOf(close, at + 1) >= 0 || text.includes('<署名情報')) {
        throw new EgovPackageError('egov_package_invalid_input', 'kousei.xml must hold one unsigned 構成情報', 'signer');
      }
      const doc = parse(text, 'kousei.xml');
      const refs = [
        reference(KOUSEI_REFERENCE_URI, sha256(c14n(elementById(doc, '構成情報'))), true),
        ...files.filter((f) => f !== kouseiFile).map((f) => reference(f.name, sha256(f.data), false)),
      ];
      const when = typeof now === 'function' ? now() : (now ?? new Date());
      const placeholder = '<SignatureValue></SignatureValue>';
      const signature =
        `<Signature xmlns="${DSIG_NS}" Id="${signatureId(when)}">` +
        `<SignedInfo><CanonicalizationMethod Algorithm="${C14N_ALGORITHM}"/><SignatureMethod Algorithm="${RSA_SHA256_ALGORITHM}"/>` +
        refs.join('') +
        `</SignedInfo>${placeholder}<KeyInfo><X509Data><X509Certificate>${certificateB64}</X509Certificate></X509Data></KeyInfo></Signature>`;
      const end = at + close.length;
      const withSignature = `${text.slice(0, end)}\n  <署名情報>${signature}</署名情報>${text.slice(end)}`;
      // SignedInfo is canonicalised where it sits (its xmlns comes from Signature), then signed.
      const signedInfo = parse(withSignature, 'signed kousei.xml').getElementsByTagNameNS(DSIG_NS, 'SignedInfo')[0];
      const value = new RsaSha256().getSignature(c14n(signedInfo), key.privateKeyPem);
      const signed = withSignature.replace(placeholder, `<SignatureValue>${value}</SignatureValue>`);
      return files.map((f) => (f === kouseiFile ? { name: f.name, data: Buffer.from(signed, 'utf8') } : f));
    },
  };
}

function childrenNS(parent: Element, name: string): Element[] {
  return Array.from(parent.childNodes).filter(
    (n): n is Element => n.nodeType === 1 && (n as Element).namespaceURI === DSIG_NS && (n as Element).localName === name,
  );
}

function one(parent: Element, name: string): Element {
  const found = childrenNS(parent, name);
  if (found.length !== 1) throw new Error(`${parent.localName} must have one ${name}, it has ${found.length}`);
  return found[0];
}

/**
 * Checks the signature of a package (files by bare name, kousei.xml among
 * them): one Signature in 署名情報 right after 構成情報, C14N + RSA-SHA256,
 * SignedInfo verified with the certificate's public key, the #構成情報 digest
 * over its canonical form, each file digest over the file's bytes, and
 * references covering 構成情報 and every other file of the package. The
 * certificate itself (chain, validity, revocation) is not judged here.
 */
export function verifyPackageSignature(files: readonly PackageFile[]): SignatureVerification {
  try {
    const kousei = files.find((f) => f.name === KOUSEI_FILE_NAME);
    if (!kousei) return { ok: false, reason: 'no kousei.xml' };
    const doc = parse(kousei.data.toString('utf8'), 'kousei.xml');
    const signatures = Array.from(doc.getElementsByTagNameNS(DSIG_NS, 'Signature'));
    if (signatures.length !== 1) return { ok: false, reason: `kousei.xml has ${signatures.length} signatures` };
    const signature = signatures[0];
    const holder = signature.parentNode as Element | null;
    if (holder?.nodeName !== '署名情報') return { ok: false, reason: 'the Signature is not inside 署名情報' };
    let previous = holder.previousSibling;
    while (previous && previous.nodeType !== 1) previous = previous.previousSibling;
    if (previous?.nodeName !== '構成情報') return { ok: false, reason: '署名情報 does not follow 構成情報' };

    const signedInfo = one(signature, 'SignedInfo');
    if (one(signedInfo, 'CanonicalizationMethod').getAttribute('Algorithm') !== C14N_ALGORITHM) {
      return { ok: false, reason: 'SignedInfo is not canonicalised with C14N 1.0' };
    }
    if (one(signedInfo, 'SignatureMethod').getAttribute('Algorithm') !== RSA_SHA256_ALGORITHM) {
      return { ok: false, reason: 'the signature method is not RSA-SHA256' };
    }
    const certB64 = one(one(one(signature, 'KeyInfo'), 'X509Data'), 'X509Certificate').textContent?.replace(/\s+/g, '') ?? '';
    const certificatePem = `-----BEGIN CERTIFICATE-----\n${certB64.match(/.{1,64}/g)?.join('\n') ?? ''}\n-----END CERTIFICATE-----\n`;
    new X509Certificate(certificatePem);
    const signatureValue = one(signature, 'SignatureValue').textContent?.replace(/\s+/g, '') ?? '';
    if (!new RsaSha256().verifySignature(c14n(signedInfo), certificatePem, signatureValue)) {
      return { ok: false, reason: 'the SignatureValue does not verify with the certificate' };
    }

    const byName = new Map(files.map((f) => [f.name, f]));
    const covered = new Set<string>();
    for (const ref of childrenNS(signedInfo, 'Reference')) {
      const uri = ref.getAttribute('URI') ?? '';
      if (covered.has(uri)) return { ok: false, reason: `${uri} is referenced twice` };
      covered.add(uri);
      if (one(ref, 'DigestMethod').getAttribute('Algorithm') !== SHA256_ALGORITHM)
        return { ok: false, reason: `${uri} is not digested with SHA-256` };
      const digest = one(ref, 'DigestValue').textContent?.trim() ?? '';
      const transforms = childrenNS(ref, 'Transforms');
      let actual: string;
      if (uri === KOUSEI_REFERENCE_URI) {
        const list = transforms.length === 1 ? childrenNS(transforms[0], 'Transform') : [];
        if (list.length !== 1 || list[0].getAttribute('Algorithm') !== C14N_ALGORITHM) {
          return { ok: false, reason: '#構成情報 must have exactly one C14N transform' };
        }
        actual = sha256(c14n(elementById(doc, '構成情報')));
      } else {
        const file = uri === KOUSEI_FILE_NAME ? undefined : byName.get(uri);
        if (!file) return { ok: false, reason: `${uri} is not a file of the package` };
        if (transforms.length > 0) return { ok: false, reason: `${uri} must be digested without transforms` };
        actual = sha256(file.data);
      }
      if (actual !== digest) return { ok: false, reason: `the digest of ${uri} does not match` };
    }
    if (!covered.has(KOUSEI_REFERENCE_URI)) return { ok: false, reason: 'the signature does not cover 構成情報' };
    for (const f of files) {
      if (f.name !== KOUSEI_FILE_NAME && !covered.has(f.name)) return { ok: false, reason: `the signature does not cover ${f.name}` };
    }
    return { ok: true, certificatePem };
  } catch (e) {
    return { ok: false, reason: e instanceof Error ? e.message : 'the signature could not be read' };
  }
}
