import { execFileSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { SignedXml } from 'xml-crypto';

/** A test IdP's signing key and self-signed certificate, made with Debian's openssl. */
export function makeIdpCert(cn = 'test-idp', days = 30): { keyPem: string; certPem: string; base64Der: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'charlotte-idp-'));
  try {
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'k.pem', '-out', 'c.pem', '-days', String(days), '-subj', `/CN=${cn}`],
      {
        cwd: dir,
        stdio: 'ignore',
      },
    );
    const certPem = fs.readFileSync(path.join(dir, 'c.pem'), 'utf8');
    return { keyPem: fs.readFileSync(path.join(dir, 'k.pem'), 'utf8'), certPem, base64Der: certPem.replace(/-----[^-]+-----|\s/g, '') };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** IdP metadata as Entra ID / Okta / Keycloak publish it. */
export function idpMetadataXml(entityId: string, ssoUrl: string, certsBase64: string[]): string {
  const keys = certsBase64
    .map(
      (c) =>
        `<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${c}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>`,
    )
    .join('');
  return `<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="${entityId}">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">${keys}
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${ssoUrl}/post"/>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${ssoUrl}"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>`;
}

/*
 * A test IdP: builds SAML 2.0 Responses as an IdP does and signs them with
 * xml-crypto (RSA-SHA256, exclusive c14n, enveloped), the library node-saml
 * itself verifies with. Options let a test break exactly one thing.
 */

export const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
export const RSA_SHA1 = 'http://www.w3.org/2000/09/xmldsig#rsa-sha1';
export const SHA256 = 'http://www.w3.org/2001/04/xmlenc#sha256';
export const SHA1 = 'http://www.w3.org/2000/09/xmldsig#sha1';
const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';

export interface AuthnRequestInfo {
  id: string;
  acsUrl: string;
  issuer: string;
  relayState: string;
}

/** Reads the AuthnRequest of an HTTP-Redirect binding URL (what the IdP does first). */
export function readAuthnRequest(redirectUrl: string): AuthnRequestInfo {
  const u = new URL(redirectUrl);
  const xml = zlib.inflateRawSync(Buffer.from(u.searchParams.get('SAMLRequest') ?? '', 'base64')).toString('utf8');
  const attr = (name: string) => new RegExp(`${name}="([^"]*)"`).exec(xml)?.[1] ?? '';
  return {
    id: attr('ID'),
    acsUrl: attr('AssertionConsumerServiceURL'),
    issuer: /<saml:Issuer[^>]*>([^<]*)</.exec(xml)?.[1] ?? '',
    relayState: u.searchParams.get('RelayState') ?? '',
  };
}

export interface ResponseOptions {
  idpEntityId: string;
  spEntityId: string;
  acsUrl: string;
  nameId: string;
  nameIdFormat?: string;
  inResponseTo?: string | null;
  attributes?: Record<string, string | string[]>;
  /** Overrides, each breaking one thing. */
  destination?: string | null;
  recipient?: string;
  audience?: string;
  issuer?: string;
  responseIssuer?: string;
  notBefore?: Date;
  notOnOrAfter?: Date;
  status?: string;
  assertionId?: string;
  now?: Date;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');
const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
export const newId = () => `_${crypto.randomBytes(20).toString('hex')}`;

/** An unsigned Response with one Assertion. */
export function buildResponse(o: ResponseOptions): string {
  const now = o.now ?? new Date();
  const notBefore = o.notBefore ?? new Date(now.getTime() - 30_000);
  const notOnOrAfter = o.notOnOrAfter ?? new Date(now.getTime() + 5 * 60_000);
  const irt = o.inResponseTo ? ` InResponseTo="${esc(o.inResponseTo)}"` : '';
  const dest = o.destination === null ? '' : ` Destination="${esc(o.destination ?? o.acsUrl)}"`;
  const attrs = Object.entries(o.attributes ?? {})
    .map(
      ([k, v]) =>
        `<saml:Attribute Name="${esc(k)}">${(Array.isArray(v) ? v : [v])
          .map(
            (x) =>
              `<saml:AttributeValue xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="xs:string">${esc(x)}</saml:AttributeValue>`,
          )
          .join('')}</saml:Attribute>`,
    )
    .join('');
  return (
    `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${newId()}" Version="2.0" IssueInstant="${iso(now)}"${dest}${irt}>` +
    `<saml:Issuer>${esc(o.responseIssuer ?? o.idpEntityId)}</saml:Issuer>` +
    `<samlp:Status><samlp:StatusCode Value="${o.status ?? 'urn:oasis:names:tc:SAML:2.0:status:Success'}"/></samlp:Status>` +
    `<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${o.assertionId ?? newId()}" Version="2.0" IssueInstant="${iso(now)}">` +
    `<saml:Issuer>${esc(o.issuer ?? o.idpEntityId)}</saml:Issuer>` +
    `<saml:Subject><saml:NameID Format="${o.nameIdFormat ?? 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress'}">${esc(o.nameId)}</saml:NameID>` +
    `<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData NotOnOrAfter="${iso(notOnOrAfter)}" Recipient="${esc(o.recipient ?? o.acsUrl)}"${irt}/></saml:SubjectConfirmation></saml:Subject>` +
    `<saml:Conditions NotBefore="${iso(notBefore)}" NotOnOrAfter="${iso(notOnOrAfter)}"><saml:AudienceRestriction><saml:Audience>${esc(o.audience ?? o.spEntityId)}</saml:Audience></saml:AudienceRestriction></saml:Conditions>` +
    `<saml:AuthnStatement AuthnInstant="${iso(now)}" SessionIndex="${newId()}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>` +
    (attrs ? `<saml:AttributeStatement>${attrs}</saml:AttributeStatement>` : '') +
    `</saml:Assertion></samlp:Response>`
  );
}

export interface SignOptions {
  keyPem: string;
  certPem: string;
  signatureAlgorithm?: string;
  digestAlgorithm?: string;
}

/** Signs the Assertion (enveloped signature right after its Issuer, as the schema wants). */
export function signAssertion(xml: string, k: SignOptions): string {
  const sig = new SignedXml({
    privateKey: k.keyPem,
    publicCert: k.certPem,
    signatureAlgorithm: k.signatureAlgorithm ?? RSA_SHA256,
    canonicalizationAlgorithm: EXC_C14N,
  });
  sig.addReference({
    xpath: "//*[local-name(.)='Assertion']",
    digestAlgorithm: k.digestAlgorithm ?? SHA256,
    transforms: [ENVELOPED, EXC_C14N],
  });
  sig.computeSignature(xml, {
    prefix: 'ds',
    location: { reference: "//*[local-name(.)='Assertion']/*[local-name(.)='Issuer']", action: 'after' },
  });
  return sig.getSignedXml();
}

/** Signs the whole Response as well (many IdPs sign both). */
export function signResponse(xml: string, k: SignOptions): string {
  const sig = new SignedXml({
    privateKey: k.keyPem,
    publicCert: k.certPem,
    signatureAlgorithm: k.signatureAlgorithm ?? RSA_SHA256,
    canonicalizationAlgorithm: EXC_C14N,
  });
  sig.addReference({
    xpath: "/*[local-name(.)='Response']",
    digestAlgorithm: k.digestAlgorithm ?? SHA256,
    transforms: [ENVELOPED, EXC_C14N],
  });
  sig.computeSignature(xml, {
    prefix: 'ds',
    location: { reference: "/*[local-name(.)='Response']/*[local-name(.)='Issuer']", action: 'after' },
  });
  return sig.getSignedXml();
}

export const b64 = (xml: string) => Buffer.from(xml, 'utf8').toString('base64');

/**
 * A test IdP reachable by a browser: `GET /sso` (HTTP-Redirect binding) shows
 * a sign-in form, `POST /sso/login` answers with the usual self-submitting
 * form that POSTs the signed Response to the SP's ACS (HTTP-POST binding).
 * Every user name is accepted: the IdP vouches for whoever types it.
 */
export async function startBrowserIdp(opts: {
  entityId: string;
  host: string;
  cert: { keyPem: string; certPem: string };
  spEntityId: (acsUrl: string) => string;
  attributes?: (nameId: string) => Record<string, string | string[]>;
}): Promise<{ ssoUrl: string; close: () => Promise<void> }> {
  const page = (body: string, script = '') =>
    `<!doctype html><html><head><meta charset="utf-8"><title>Test IdP</title></head><body>${body}${script}</body></html>`;
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', `http://${opts.host}`);
    if (req.method === 'GET' && url.pathname === '/sso') {
      const r = readAuthnRequest(url.toString());
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end(
        page(`<h1>Test IdP sign-in</h1><form method="post" action="/sso/login">
          <input type="hidden" name="id" value="${esc(r.id)}"><input type="hidden" name="acs" value="${esc(r.acsUrl)}">
          <input type="hidden" name="relay" value="${esc(r.relayState)}">
          <label>User <input name="user" data-testid="idp-user"></label><button type="submit" data-testid="idp-submit">Sign in</button></form>`),
      );
      return;
    }
    if (req.method === 'POST' && url.pathname === '/sso/login') {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        const f = new URLSearchParams(body);
        const acsUrl = f.get('acs') ?? '';
        const nameId = f.get('user') ?? '';
        const xml = signAssertion(
          buildResponse({
            idpEntityId: opts.entityId,
            spEntityId: opts.spEntityId(acsUrl),
            acsUrl,
            nameId,
            inResponseTo: f.get('id'),
            attributes: opts.attributes?.(nameId) ?? { mail: nameId },
          }),
          opts.cert,
        );
        res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
        res.end(
          page(
            `<form method="post" action="${esc(acsUrl)}"><input type="hidden" name="SAMLResponse" value="${b64(xml)}">
            <input type="hidden" name="RelayState" value="${esc(f.get('relay') ?? '')}"><noscript><button>Continue</button></noscript></form>`,
            '<script>document.forms[0].submit()</script>',
          ),
        );
      });
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    ssoUrl: `http://${opts.host}:${port}/sso`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * A complete, valid SSO settings body (PUT /api/v1/tenant/sso or
 * SsoSettingsService.put) for a test IdP: e-mail NameID, the usual attribute
 * mapping, JIT on as member, nothing enforced. Tests override what they test.
 */
export function ssoSettings(idpEntityId: string, certPem: string, over: Record<string, unknown> = {}) {
  return {
    idpEntityId,
    ssoUrl: `${idpEntityId}/sso`,
    certificates: [certPem],
    nameIdFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
    attributeMapping: { email: 'mail', displayName: 'displayName', role: 'groups', adminValues: ['charlotte-admins'] },
    jitEnabled: true,
    jitDefaultRole: 'member' as const,
    allowIdpInitiated: false,
    ssoRequired: false,
    requireKeyfile: false,
    breakGlassAdminIds: [] as string[],
    ...over,
  };
}
