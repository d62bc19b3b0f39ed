import type { Document, Element } from '@xmldom/xmldom';
import { DOMParser } from '@xmldom/xmldom';
import { X509Certificate, timingSafeEqual } from 'node:crypto';
import { C14nCanonicalization, SignedXml } from 'xml-crypto';

/**
 * XML-DSig of an e-Gov package, as the common brief and kufu/kiji's zipper
 * describe it: `<署名情報><Signature xmlns=dsig Id="yyyyMMddHHmmss">` right
 * after `</構成情報>` in kousei.xml; Reference 1 = `#構成情報` with one C14N 1.0
 * Transform; Reference 2..n = each signed file by name (no Transforms, digest
 * of the file's raw bytes); RSA-SHA256; SHA-256 digests; C14N 1.0 for
 * SignedInfo; KeyInfo/X509Data/X509Certificate = base64 DER of the signer.
 *
 * Canonicalisation, digests and RSA-SHA256 are xml-crypto's (C14nCanonicalization,
 * SignedXml's HashAlgorithms / SignatureAlgorithms). xml-crypto's SignedXml
 * cannot resolve a Reference whose URI names a file outside the document (it
 * only looks up elements by Id), so the simulator walks the References itself
 * and, for the file ones, computes the digest with xml-crypto's SHA-256 class
 * over the raw bytes: its getHash() feeds its argument to Node's
 * hash.update(), which takes a Buffer as bytes (the 'utf8' encoding argument
 * only applies to strings).
 */

export const DSIG_NS = 'http://www.w3.org/2000/09/xmldsig#';
export const C14N_ALG = 'http://www.w3.org/TR/2001/REC-xml-c14n-20010315';
export const RSA_SHA256_ALG = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
export const SHA256_ALG = 'http://www.w3.org/2001/04/xmlenc#sha256';
export const KOUSEI_REFERENCE = '#構成情報';

const algorithms = new SignedXml();

function sha256Base64(data: string | Buffer): string {
  const Hash = algorithms.HashAlgorithms[SHA256_ALG];
  // See the module comment: a Buffer is hashed as raw bytes.
  return new Hash().getHash(data as unknown as string);
}

function canonicalize(node: Element): string {
  return new C14nCanonicalization().process(node as unknown as Parameters<C14nCanonicalization['process']>[0], {});
}

function findById(doc: Document, id: string): Element[] {
  const out: Element[] = [];
  const walk = (n: Element): void => {
    if (n.getAttribute('ID') === id || n.getAttribute('Id') === id || n.getAttribute('id') === id) out.push(n);
    for (let c = n.firstChild; c; c = c.nextSibling) if (c.nodeType === 1) walk(c as Element);
  };
  if (doc.documentElement) walk(doc.documentElement);
  return out;
}

function childElements(parent: Element, localName?: string): Element[] {
  const out: Element[] = [];
  for (let c = parent.firstChild; c; c = c.nextSibling) {
    if (c.nodeType === 1 && (localName === undefined || (c as Element).localName === localName)) out.push(c as Element);
  }
  return out;
}

function pemOf(derBase64: string): string {
  const body = derBase64.replace(/\s+/g, '');
  return `-----BEGIN CERTIFICATE-----\n${body.replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;
}

function signatureId(nowMs: number): string {
  // yyyyMMddHHmmss in JST
  return new Date(nowMs + 9 * 3600_000).toISOString().replace(/\D/g, '').slice(0, 14);
}

export interface SigningKey {
  privateKeyPem: string;
  certificatePem: string;
}

/**
 * Signs kousei.xml (a string without 署名情報): returns kousei.xml with
 * `<署名情報>` inserted right after `</構成情報>`. `files` are the other signed
 * files (申請書, attachments) by their name in the package.
 */
export function signKousei(kousei: string, files: Array<{ name: string; data: Buffer }>, key: SigningKey, nowMs = Date.now()): string {
  const doc = new DOMParser().parseFromString(kousei, 'text/xml');
  const targets = findById(doc, '構成情報');
  if (targets.length !== 1) throw new Error('kousei.xml must hold exactly one element with ID="構成情報"');
  const refs = [
    `<Reference URI="${KOUSEI_REFERENCE}"><Transforms><Transform Algorithm="${C14N_ALG}"/></Transforms><DigestMethod Algorithm="${SHA256_ALG}"/><DigestValue>${sha256Base64(canonicalize(targets[0]))}</DigestValue></Reference>`,
    ...files.map(
      (f) =>
        `<Reference URI="${escapeAttr(f.name)}"><DigestMethod Algorithm="${SHA256_ALG}"/><DigestValue>${sha256Base64(f.data)}</DigestValue></Reference>`,
    ),
  ];
  const signedInfo = `<SignedInfo xmlns="${DSIG_NS}"><CanonicalizationMethod Algorithm="${C14N_ALG}"/><SignatureMethod Algorithm="${RSA_SHA256_ALG}"/>${refs.join('')}</SignedInfo>`;
  const siDoc = new DOMParser().parseFromString(signedInfo, 'text/xml');
  const canon = canonicalize(siDoc.documentElement as Element);
  const Signer = algorithms.SignatureAlgorithms[RSA_SHA256_ALG];
  const value = new Signer().getSignature(canon, key.privateKeyPem);
  const der = new X509Certificate(key.certificatePem).raw.toString('base64');
  const signature =
    `<署名情報><Signature xmlns="${DSIG_NS}" Id="${signatureId(nowMs)}">` +
    signedInfo.replace(` xmlns="${DSIG_NS}"`, '') +
    `<SignatureValue>${value}</SignatureValue><KeyInfo><X509Data><X509Certificate>${der}</X509Certificate></X509Data></KeyInfo></Signature></署名情報>`;
  const at = kousei.indexOf('</構成情報>');
  if (at < 0) throw new Error('no </構成情報> in kousei.xml');
  const end = at + '</構成情報>'.length;
  return `${kousei.slice(0, end)}\n${signature}${kousei.slice(end)}`;
}

function escapeAttr(v: string): string {
  return v.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}

export interface SignatureCheck {
  ok: boolean;
  /** Problems, in Japanese, for report_list. */
  problems: string[];
  /** File names covered by a file Reference. */
  signedFiles: string[];
}

/**
 * Verifies the Signature inside `signatureInfo` (the 署名情報 element of the
 * parsed kousei `doc`). `fileBytes(name)` returns a package file's raw bytes
 * (undefined when the package has no such file).
 */
export function verifyKouseiSignature(
  doc: Document,
  signatureInfo: Element,
  fileBytes: (name: string) => Buffer | undefined,
  nowMs: number,
): SignatureCheck {
  const problems: string[] = [];
  const signedFiles: string[] = [];
  const fail = (p: string): SignatureCheck => ({ ok: false, problems: [...problems, p], signedFiles });
  const sigs = childElements(signatureInfo).filter((e) => e.localName === 'Signature' && e.namespaceURI === DSIG_NS);
  if (sigs.length !== 1 || childElements(signatureInfo).length !== 1)
    return fail('署名情報には Signature 要素（XML 署名）を 1 つだけ入れてください。');
  const sig = sigs[0];
  const [signedInfo, sigValueEl, keyInfo] = childElements(sig);
  if (signedInfo?.localName !== 'SignedInfo' || sigValueEl?.localName !== 'SignatureValue' || keyInfo?.localName !== 'KeyInfo') {
    return fail('Signature は SignedInfo, SignatureValue, KeyInfo の順に要素を持つ必要があります。');
  }
  const alg = (e: Element | undefined): string => e?.getAttribute('Algorithm') ?? '';
  const siChildren = childElements(signedInfo);
  if (alg(siChildren[0]) !== C14N_ALG || siChildren[0]?.localName !== 'CanonicalizationMethod') {
    problems.push(`CanonicalizationMethod は ${C14N_ALG} にしてください。`);
  }
  if (alg(siChildren[1]) !== RSA_SHA256_ALG || siChildren[1]?.localName !== 'SignatureMethod') {
    problems.push(`SignatureMethod は ${RSA_SHA256_ALG} にしてください。`);
  }
  const refs = siChildren.slice(2);
  if (refs.length === 0 || refs.some((r) => r.localName !== 'Reference')) problems.push('SignedInfo に Reference がありません。');
  let kouseiRefs = 0;
  for (const ref of refs) {
    const uri = ref.getAttribute('URI') ?? '';
    const parts = childElements(ref);
    const transforms = parts.find((p) => p.localName === 'Transforms');
    const digestMethod = parts.find((p) => p.localName === 'DigestMethod');
    const digestValue = (parts.find((p) => p.localName === 'DigestValue')?.textContent ?? '').trim();
    if (alg(digestMethod) !== SHA256_ALG) problems.push(`Reference ${uri} の DigestMethod は ${SHA256_ALG} にしてください。`);
    let actual: string | undefined;
    if (uri === KOUSEI_REFERENCE) {
      kouseiRefs += 1;
      const ts = transforms ? childElements(transforms) : [];
      if (ts.length !== 1 || alg(ts[0]) !== C14N_ALG)
        problems.push(`Reference ${uri} には C14N（${C14N_ALG}）の Transform を 1 つだけ指定してください。`);
      const targets = findById(doc, '構成情報');
      if (targets.length !== 1) {
        problems.push('ID="構成情報" の要素が 1 つではありません。');
        continue;
      }
      actual = sha256Base64(canonicalize(targets[0]));
    } else {
      if (transforms) problems.push(`Reference ${uri} （ファイル）には Transforms を指定しないでください。`);
      const bytes = /^[^#/\\][^/\\]*$/.test(uri) ? fileBytes(uri) : undefined;
      if (!bytes) {
        problems.push(`署名の参照先ファイル ${uri || '(空)'} がパッケージにありません。`);
        continue;
      }
      signedFiles.push(uri);
      actual = sha256Base64(bytes);
    }
    const a = Buffer.from(actual, 'base64');
    const b = Buffer.from(digestValue, 'base64');
    if (a.length !== b.length || !timingSafeEqual(a, b))
      problems.push(`Reference ${uri} のダイジェスト値が一致しません（署名後に内容が変更されています）。`);
  }
  if (kouseiRefs !== 1) problems.push(`Reference URI="${KOUSEI_REFERENCE}" を 1 つだけ指定してください。`);
  const certText = (keyInfo.getElementsByTagNameNS(DSIG_NS, 'X509Certificate')[0]?.textContent ?? '').trim();
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pemOf(certText));
  } catch {
    return fail('KeyInfo の X509Certificate を証明書として読み込めません。');
  }
  if (cert.publicKey.asymmetricKeyType !== 'rsa') return fail('署名用証明書の鍵は RSA である必要があります。');
  if (Date.parse(cert.validFrom) > nowMs || Date.parse(cert.validTo) < nowMs) problems.push('署名用証明書の有効期間外です。');
  const canon = new C14nCanonicalization().process(signedInfo as unknown as Parameters<C14nCanonicalization['process']>[0], {});
  const Verifier = algorithms.SignatureAlgorithms[RSA_SHA256_ALG];
  let valid = false;
  try {
    valid = new Verifier().verifySignature(
      canon,
      cert.publicKey.export({ type: 'spki', format: 'pem' }) as string,
      (sigValueEl.textContent ?? '').replace(/\s+/g, ''),
    );
  } catch {
    valid = false;
  }
  if (!valid) problems.push('署名値（SignatureValue）を検証できません。');
  return { ok: problems.length === 0, problems, signedFiles };
}
