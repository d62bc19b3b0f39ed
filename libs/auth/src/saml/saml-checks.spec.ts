import { assertNoPersonalData } from '@charlotte/audit';
import { algorithmCode, postcheckAssertion, precheckResponse, reasonForLibraryError, SamlRejection, statusCode } from './saml-checks';

const ACS = 'https://sp.example/acs';
const IDP = 'https://idp.example';

const assertion = (scd: string, issuer = IDP) =>
  `<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_a1"><saml:Issuer>${issuer}</saml:Issuer>` +
  `<saml:Subject><saml:NameID>u@example.jp</saml:NameID><saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">${scd}</saml:SubjectConfirmation></saml:Subject>` +
  `<saml:Conditions NotOnOrAfter="2026-01-01T00:10:00Z"/></saml:Assertion>`;

const reason = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return (e as SamlRejection).reason;
  }
  return 'accepted';
};

describe('postcheckAssertion', () => {
  const now = Date.parse('2026-01-01T00:05:00Z');
  const expect_ = { acsUrl: ACS, idpEntityId: IDP, inResponseTo: '_r1', skewMs: 60_000, now };

  it('accepts a bearer confirmation for our ACS and remembers the id until the latest NotOnOrAfter plus skew', () => {
    const out = postcheckAssertion(
      assertion(`<saml:SubjectConfirmationData Recipient="${ACS}" NotOnOrAfter="2026-01-01T00:06:00Z" InResponseTo="_r1"/>`),
      expect_,
    );
    expect(out).toEqual({ assertionId: '_a1', nameId: 'u@example.jp', rememberUntil: new Date(Date.parse('2026-01-01T00:11:00Z')) });
  });

  it.each([
    [
      'another recipient',
      `<saml:SubjectConfirmationData Recipient="https://other/acs" NotOnOrAfter="2026-01-01T00:06:00Z" InResponseTo="_r1"/>`,
      'wrong_recipient',
    ],
    ['no NotOnOrAfter', `<saml:SubjectConfirmationData Recipient="${ACS}" InResponseTo="_r1"/>`, 'expired'],
    [
      'expired beyond the skew',
      `<saml:SubjectConfirmationData Recipient="${ACS}" NotOnOrAfter="2026-01-01T00:03:59Z" InResponseTo="_r1"/>`,
      'expired',
    ],
    [
      'NotBefore beyond the skew',
      `<saml:SubjectConfirmationData Recipient="${ACS}" NotBefore="2026-01-01T00:06:01Z" NotOnOrAfter="2026-01-01T00:09:00Z" InResponseTo="_r1"/>`,
      'not_yet_valid',
    ],
    [
      'another InResponseTo',
      `<saml:SubjectConfirmationData Recipient="${ACS}" NotOnOrAfter="2026-01-01T00:06:00Z" InResponseTo="_r2"/>`,
      'unknown_in_response_to',
    ],
  ])('refuses %s', (_l, scd, why) => {
    expect(reason(() => postcheckAssertion(assertion(scd), expect_))).toBe(why);
  });

  it('accepts a time inside the skew', () => {
    const scd = `<saml:SubjectConfirmationData Recipient="${ACS}" NotOnOrAfter="2026-01-01T00:04:30Z" InResponseTo="_r1"/>`;
    expect(reason(() => postcheckAssertion(assertion(scd), expect_))).toBe('accepted');
  });

  it('refuses another issuer', () => {
    const scd = `<saml:SubjectConfirmationData Recipient="${ACS}" NotOnOrAfter="2026-01-01T00:06:00Z" InResponseTo="_r1"/>`;
    expect(reason(() => postcheckAssertion(assertion(scd, 'https://evil'), expect_))).toBe('wrong_issuer');
  });
});

describe('precheckResponse', () => {
  it('refuses an XSLT transform', () => {
    const xml =
      `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" Destination="${ACS}"><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>` +
      `<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_a"><ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo>` +
      `<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/><ds:Reference URI="#_a"><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/TR/1999/REC-xslt-19991116"/></ds:Transforms>` +
      `<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/></ds:Reference></ds:SignedInfo></ds:Signature></saml:Assertion></samlp:Response>`;
    expect(reason(() => precheckResponse(xml, { acsUrl: ACS, idpEntityId: IDP }))).toBe('unsupported_transform');
  });

  it('refuses an HMAC "signature" (the public certificate would be the key)', () => {
    const xml =
      `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" Destination="${ACS}"><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>` +
      `<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_a"><ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo>` +
      `<ds:SignatureMethod Algorithm="http://www.w3.org/2000/09/xmldsig#hmac-sha1"/></ds:SignedInfo></ds:Signature></saml:Assertion></samlp:Response>`;
    expect(reason(() => precheckResponse(xml, { acsUrl: ACS, idpEntityId: IDP }))).toBe('weak_algorithm');
  });
});

describe('reasonForLibraryError', () => {
  it.each([
    ['InResponseTo is missing from response', 'idp_initiated_disabled'],
    ['InResponseTo is not valid', 'unknown_in_response_to'],
    ['Invalid signature', 'invalid_signature'],
    ['SAML assertion audience mismatch. Expected: x Received: y', 'wrong_audience'],
    ['SAML assertion expired: clocks skewed too much', 'expired'],
    ['SAML assertion not yet valid', 'not_yet_valid'],
    ['something else', 'invalid_response'],
  ])('maps "%s" to %s', (msg, want) => {
    expect(reasonForLibraryError(new Error(msg))).toBe(want);
  });
});

describe('refusal details (issue 13, finding 1: attacker strings once reached the audit guard and crashed the process)', () => {
  const rejection = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      return e as SamlRejection;
    }
    throw new Error('accepted');
  };
  const statusResponse = (value: string) =>
    `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" Destination="${ACS}"><samlp:Status><samlp:StatusCode Value="${value}"/></samlp:Status></samlp:Response>`;

  it.each([
    ['urn:x:123412341234', 'other'],
    ['x@y.zz', 'other'],
    ['urn:oasis:names:tc:SAML:2.0:status:Responder', 'responder'],
    ['urn:oasis:names:tc:SAML:2.0:status:AuthnFailed', 'authn_failed'],
    ['urn:oasis:names:tc:SAML:2.0:status:constructor', 'other'],
    ['urn:oasis:names:tc:SAML:2.0:status:__proto__', 'other'],
  ])('reduces the status %s to the code %s', (value, code) => {
    expect(statusCode(value)).toBe(code);
    const e = rejection(() => precheckResponse(statusResponse(value), { acsUrl: ACS, idpEntityId: IDP }));
    expect(e.details).toEqual({ status: code });
    expect(() => assertNoPersonalData(e.details)).not.toThrow();
  });

  it.each([
    ['http://www.w3.org/2001/04/xmldsig-more#a@b.cd', 'other'],
    ['urn:123412341234', 'other'],
    ['http://www.w3.org/2000/09/xmldsig#rsa-sha1', 'rsa_sha1'],
    ['http://www.w3.org/2000/09/xmldsig#hmac-sha1', 'hmac_sha1'],
    ['', 'missing'],
  ])('reduces the algorithm %s to the code %s', (uri, code) => {
    expect(algorithmCode(uri)).toBe(code);
  });

  it('reduces any detail that is not a short code to "other", whoever builds the rejection', () => {
    const e = new SamlRejection('invalid_response', {
      a: 'x@y.zz',
      b: '1234-5678-9012',
      c: 'fine_code',
      d: 'a'.repeat(41),
      n: 1e15,
      f: true,
    });
    expect(e.details).toEqual({ a: 'other', b: 'other', c: 'fine_code', d: 'other', n: -1, f: true });
    expect(() => assertNoPersonalData(e.details)).not.toThrow();
  });
});
