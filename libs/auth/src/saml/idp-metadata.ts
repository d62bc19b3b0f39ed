import { Document, DOMParser, Element } from '@xmldom/xmldom';
import { ValidationFailedError } from '@charlotte/core';

const MD = 'urn:oasis:names:tc:SAML:2.0:metadata';
const DS = 'http://www.w3.org/2000/09/xmldsig#';
const REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';
const POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';

export interface IdpMetadata {
  idpEntityId: string;
  ssoUrl: string;
  certificates: string[];
}

function elems(list: { length: number; item(i: number): Element | null }): Element[] {
  const out: Element[] = [];
  for (let i = 0; i < list.length; i++) {
    const e = list.item(i);
    if (e) out.push(e);
  }
  return out;
}

/** Base64 DER from metadata → PEM. */
function toPem(b64: string): string {
  const clean = b64.replace(/\s+/g, '');
  return `-----BEGIN CERTIFICATE-----\n${clean.match(/.{1,64}/g)?.join('\n') ?? ''}\n-----END CERTIFICATE-----\n`;
}

/**
 * Reads an IdP's SAML metadata: entityID, the SSO URL (HTTP-Redirect, else
 * HTTP-POST) and the signing certificates. DOCTYPE is refused outright (no
 * entity expansion of any kind), and only the first IDPSSODescriptor is read.
 */
export function parseIdpMetadata(xml: string): IdpMetadata {
  const bad = (message: string, code = 'metadata_invalid') => new ValidationFailedError([{ field: 'xml', code, message }]);
  if (/<!DOCTYPE/i.test(xml) || /<!ENTITY/i.test(xml)) throw bad('metadata must not contain a DOCTYPE or entities', 'metadata_doctype');
  let doc: Document;
  try {
    doc = new DOMParser({
      onError: (level: string, msg: string) => {
        if (level !== 'warning') throw new Error(msg);
      },
    }).parseFromString(xml, 'text/xml');
  } catch {
    throw bad('metadata is not well-formed XML', 'metadata_not_xml');
  }
  const entity = doc.getElementsByTagNameNS(MD, 'EntityDescriptor')[0];
  const idp = doc.getElementsByTagNameNS(MD, 'IDPSSODescriptor')[0];
  if (!entity || !idp) throw bad('metadata has no EntityDescriptor with an IDPSSODescriptor', 'metadata_no_idp');
  const idpEntityId = entity.getAttribute('entityID') ?? '';
  if (!idpEntityId) throw bad('EntityDescriptor has no entityID', 'metadata_no_entity_id');
  const services = elems(idp.getElementsByTagNameNS(MD, 'SingleSignOnService'));
  const service = services.find((s) => s.getAttribute('Binding') === REDIRECT) ?? services.find((s) => s.getAttribute('Binding') === POST);
  const ssoUrl = service?.getAttribute('Location') ?? '';
  if (!ssoUrl) throw bad('IDPSSODescriptor has no HTTP-Redirect or HTTP-POST SingleSignOnService', 'metadata_no_sso_service');
  const certificates = elems(idp.getElementsByTagNameNS(MD, 'KeyDescriptor'))
    .filter((k) => !k.getAttribute('use') || k.getAttribute('use') === 'signing')
    .flatMap((k) => elems(k.getElementsByTagNameNS(DS, 'X509Certificate')))
    .map((c) => toPem(c.textContent ?? ''));
  if (certificates.length === 0) throw bad('metadata has no signing certificate', 'metadata_no_certificate');
  return { idpEntityId, ssoUrl, certificates: [...new Set(certificates)].slice(0, 2) };
}
