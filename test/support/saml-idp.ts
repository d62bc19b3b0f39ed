import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

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
