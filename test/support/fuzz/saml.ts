import { buildResponse } from '../saml-idp';

/**
 * Unsigned (or fake-signed) SAML responses carrying attacker-chosen strings in
 * the places issue 13 finding 1 named: the StatusCode Value and a
 * SignatureMethod Algorithm. Used by the fuzz test (random strings there) and
 * by the survival test (the known crash values).
 */
const escAttr = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');

export interface HostileSamlOptions {
  /** PUBLIC_URL of the server. */
  publicUrl: string;
  tenant: string;
  /** StatusCode Value (Success when absent). */
  status?: string;
  /** A ds:Signature with this SignatureMethod Algorithm inside the Assertion. */
  signatureAlgorithm?: string;
  /** NameID (an e-mail-looking default). */
  nameId?: string;
}

export function hostileSamlResponse(o: HostileSamlOptions): string {
  const acsUrl = `${o.publicUrl}/api/v1/auth/saml/${o.tenant}/acs`;
  let xml = buildResponse({
    idpEntityId: `https://idp.example.jp/${o.tenant}`,
    spEntityId: `${o.publicUrl}/api/v1/auth/saml/${o.tenant}/metadata`,
    acsUrl,
    nameId: o.nameId ?? 'someone@example.jp',
    status: o.status === undefined ? undefined : escAttr(o.status),
  });
  if (o.signatureAlgorithm !== undefined) {
    const sig =
      '<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo>' +
      '<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>' +
      `<ds:SignatureMethod Algorithm="${escAttr(o.signatureAlgorithm)}"/>` +
      '<ds:Reference URI=""><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/></ds:Transforms>' +
      '<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue>AAAA</ds:DigestValue></ds:Reference>' +
      '</ds:SignedInfo><ds:SignatureValue>AAAA</ds:SignatureValue></ds:Signature>';
    // right after the Assertion's Issuer, where a real IdP puts it
    const at = xml.indexOf('</saml:Issuer>', xml.indexOf('<saml:Assertion')) + '</saml:Issuer>'.length;
    xml = xml.slice(0, at) + sig + xml.slice(at);
  }
  return xml;
}

/** The urlencoded form a browser posts to the ACS. */
export function acsForm(xml: string, relayState?: string): string {
  const f = new URLSearchParams({ SAMLResponse: Buffer.from(xml, 'utf8').toString('base64') });
  if (relayState !== undefined) f.set('RelayState', relayState);
  return f.toString();
}
