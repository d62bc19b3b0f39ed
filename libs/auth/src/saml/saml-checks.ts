import { Document, DOMParser, Element, Node } from '@xmldom/xmldom';

/**
 * Checks around node-saml's validation of a SAML Response. node-saml verifies
 * the XML signature (through xml-crypto), the audience and the Conditions
 * times; it leaves to the application the issuer of an assertion, the
 * Destination and Recipient, the algorithms, single use of assertion ids, and
 * it tolerates structures we refuse outright (DOCTYPE, comments, several
 * assertions, duplicate ids) because they only ever serve an attacker.
 *
 * Hand-written on purpose, but no cryptography here: these functions only read
 * the document and refuse; the signature itself is node-saml's job. The
 * pre-checks run on the raw (unverified) document and may only refuse, never
 * accept; the post-checks read the assertion XML that node-saml returned as
 * verified, so nothing an attacker added outside the signed part is trusted.
 */

export const SAMLP = 'urn:oasis:names:tc:SAML:2.0:protocol';
export const SAML = 'urn:oasis:names:tc:SAML:2.0:assertion';
const DS = 'http://www.w3.org/2000/09/xmldsig#';
const SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';
const BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';

/** SHA-256 or stronger only (no SHA-1, no HMAC with the public certificate as key). */
export const ALLOWED_SIGNATURE_ALGORITHMS = new Set([
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha384',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512',
  'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256',
  'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384',
  'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512',
]);
export const ALLOWED_DIGEST_ALGORITHMS = new Set([
  'http://www.w3.org/2001/04/xmlenc#sha256',
  'http://www.w3.org/2001/04/xmldsig-more#sha384',
  'http://www.w3.org/2001/04/xmlenc#sha512',
]);
/** Enveloped signature and canonicalisation only: no XPath or XSLT transforms. */
const ALLOWED_TRANSFORMS = new Set([
  'http://www.w3.org/2000/09/xmldsig#enveloped-signature',
  'http://www.w3.org/2001/10/xml-exc-c14n#',
  'http://www.w3.org/TR/2001/REC-xml-c14n-20010315',
]);

/** Why a SAML response was refused: stable codes shown to the user and written to the audit trail. */
export type SamlReason =
  | 'missing_response'
  | 'too_large'
  | 'malformed'
  | 'doctype_forbidden'
  | 'xml_comment'
  | 'not_a_response'
  | 'status_not_success'
  | 'missing_assertion'
  | 'multiple_assertions'
  | 'encrypted_assertion_unsupported'
  | 'signature_wrapping'
  | 'duplicate_id'
  | 'assertion_not_signed'
  | 'weak_algorithm'
  | 'unsupported_transform'
  | 'wrong_destination'
  | 'wrong_issuer'
  | 'invalid_signature'
  | 'wrong_audience'
  | 'wrong_recipient'
  | 'expired'
  | 'not_yet_valid'
  | 'unknown_in_response_to'
  | 'idp_initiated_disabled'
  | 'relay_state_invalid'
  | 'replayed_assertion'
  | 'missing_name_id'
  | 'sso_not_configured'
  | 'tenant_inactive'
  | 'user_disabled'
  | 'user_unknown'
  | 'identity_conflict'
  | 'keyfile_required'
  | 'link_not_allowed'
  | 'link_confirmation_required'
  | 'sso_url_invalid'
  | 'browser_mismatch'
  | 'login_code_invalid'
  | 'invalid_response'
  // The tenant's IP allow-list does not include the browser's address.
  | 'ip_not_allowed';

/** A detail value of a refusal: a code of ours, a count or a flag. */
export type SamlDetail = string | number | boolean;

/**
 * Detail codes are lower-case words joined by underscores (short digit runs
 * allowed, as in `rsa_sha1`): no "@", no punctuation, no number long enough to
 * be an identifier, so that nothing taken from a request (a status URI, an
 * algorithm, a NameID…) can pass as a code. The audit trail's personal-data
 * guard refuses values that look like a 個人番号 or an e-mail, and a refusal
 * carrying one once made the refusal filter reject and the process exit
 * (issue 13, finding 1).
 */
const DETAIL_CODE = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/;
const LONG_NUMBER = /\d{4}/;

function sanitizeDetails(details: Record<string, SamlDetail>): Record<string, SamlDetail> {
  const out: Record<string, SamlDetail> = {};
  for (const [k, v] of Object.entries(details)) {
    if (typeof v === 'boolean') out[k] = v;
    else if (typeof v === 'number') out[k] = Number.isSafeInteger(v) && v >= 0 && v < 1000 ? v : -1;
    else out[k] = v.length <= 40 && DETAIL_CODE.test(v) && !LONG_NUMBER.test(v) ? v : 'other';
  }
  return out;
}

export class SamlRejection extends Error {
  /** Codes only (never names, e-mails or XML): they go to the audit trail. Anything else is reduced to `other`. */
  readonly details: Record<string, SamlDetail>;

  constructor(
    readonly reason: SamlReason,
    details: Record<string, SamlDetail> = {},
    /** The tenant whose ACS refused, once known. */
    public tenantId?: string,
  ) {
    super(`SAML response refused: ${reason}`);
    this.name = 'SamlRejection';
    this.details = sanitizeDetails(details);
  }
}

const STATUS_PREFIX = 'urn:oasis:names:tc:SAML:2.0:status:';
/** The top-level and second-level status codes of SAML core 3.2.2.2, as audit codes. */
const KNOWN_STATUS: Record<string, string> = {
  Requester: 'requester',
  Responder: 'responder',
  VersionMismatch: 'version_mismatch',
  AuthnFailed: 'authn_failed',
  InvalidAttrNameOrValue: 'invalid_attr_name_or_value',
  InvalidNameIDPolicy: 'invalid_name_id_policy',
  NoAuthnContext: 'no_authn_context',
  NoAvailableIDP: 'no_available_idp',
  NoPassive: 'no_passive',
  NoSupportedIDP: 'no_supported_idp',
  PartialLogout: 'partial_logout',
  ProxyCountExceeded: 'proxy_count_exceeded',
  RequestDenied: 'request_denied',
  RequestUnsupported: 'request_unsupported',
  RequestVersionDeprecated: 'request_version_deprecated',
  RequestVersionTooHigh: 'request_version_too_high',
  RequestVersionTooLow: 'request_version_too_low',
  ResourceNotRecognized: 'resource_not_recognized',
  TooManyResponses: 'too_many_responses',
  UnknownAttrProfile: 'unknown_attr_profile',
  UnknownPrincipal: 'unknown_principal',
  UnsupportedBinding: 'unsupported_binding',
};

/**
 * A StatusCode Value (attacker-controlled until the signature is checked, and
 * an unsuccessful Response need not be signed) as one of a fixed set of codes:
 * the standard SAML status names, `missing`, or `other`. The value itself is
 * never kept.
 */
export function statusCode(value: string | null | undefined): string {
  if (!value) return 'missing';
  if (!value.startsWith(STATUS_PREFIX)) return 'other';
  return Object.prototype.hasOwnProperty.call(KNOWN_STATUS, value.slice(STATUS_PREFIX.length))
    ? KNOWN_STATUS[value.slice(STATUS_PREFIX.length)]
    : 'other';
}

/** Refused signature and digest algorithms we can name; anything else is `other` (or `missing`). */
const KNOWN_WEAK_ALGORITHMS: Record<string, string> = {
  'http://www.w3.org/2000/09/xmldsig#rsa-sha1': 'rsa_sha1',
  'http://www.w3.org/2000/09/xmldsig#dsa-sha1': 'dsa_sha1',
  'http://www.w3.org/2000/09/xmldsig#hmac-sha1': 'hmac_sha1',
  'http://www.w3.org/2000/09/xmldsig#sha1': 'sha1',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-md5': 'rsa_md5',
  'http://www.w3.org/2001/04/xmldsig-more#md5': 'md5',
  'http://www.w3.org/2001/04/xmldsig-more#hmac-sha256': 'hmac_sha256',
  'http://www.w3.org/2001/04/xmldsig-more#hmac-sha384': 'hmac_sha384',
  'http://www.w3.org/2001/04/xmldsig-more#hmac-sha512': 'hmac_sha512',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha224': 'rsa_sha224',
};

/**
 * A refused algorithm URI as a fixed code (`rsa_sha1`, `hmac_sha256`, `md5`…),
 * `missing`, or `other`. The URI itself is never kept: it is attacker-controlled.
 */
export function algorithmCode(uri: string): string {
  if (!uri) return 'missing';
  return Object.prototype.hasOwnProperty.call(KNOWN_WEAK_ALGORITHMS, uri) ? KNOWN_WEAK_ALGORITHMS[uri] : 'other';
}

/** Maps node-saml's error messages (its only error channel) to our reason codes. */
export function reasonForLibraryError(err: unknown): SamlReason {
  if (err instanceof SamlRejection) return err.reason;
  const msg = err instanceof Error ? err.message : String(err);
  if (/InResponseTo is missing/i.test(msg)) return 'idp_initiated_disabled';
  if (/InResponseTo/i.test(msg)) return 'unknown_in_response_to';
  if (/multiple assertions/i.test(msg)) return 'multiple_assertions';
  if (/signature|signed/i.test(msg)) return 'invalid_signature';
  if (/audience/i.test(msg)) return 'wrong_audience';
  if (/expired/i.test(msg)) return 'expired';
  if (/not yet valid/i.test(msg)) return 'not_yet_valid';
  if (/subject confirmation/i.test(msg)) return 'expired';
  if (/status|provider returned/i.test(msg)) return 'status_not_success';
  return 'invalid_response';
}

function parse(xml: string): Document {
  // Before the parser: no DTD of any kind, so no entity expansion can happen.
  if (/<!DOCTYPE/i.test(xml) || /<!ENTITY/i.test(xml)) throw new SamlRejection('doctype_forbidden');
  try {
    return new DOMParser({
      onError: (level: string, msg: string) => {
        if (level !== 'warning') throw new Error(msg);
      },
    }).parseFromString(xml, 'text/xml');
  } catch {
    throw new SamlRejection('malformed');
  }
}

function walk(node: Node, visit: (n: Node) => void): void {
  visit(node);
  for (let c = node.firstChild; c; c = c.nextSibling) walk(c, visit);
}

function children(el: Element, ns: string, local: string): Element[] {
  const out: Element[] = [];
  for (let c = el.firstChild; c; c = c.nextSibling) {
    if (c.nodeType === 1 && (c as Element).namespaceURI === ns && (c as Element).localName === local) out.push(c as Element);
  }
  return out;
}

function child(el: Element | undefined, ns: string, local: string): Element | undefined {
  return el ? children(el, ns, local)[0] : undefined;
}

export interface ResponseExpectations {
  acsUrl: string;
  idpEntityId: string;
}

export interface PrecheckedResponse {
  inResponseTo: string | null;
}

/**
 * Structural checks on the raw Response before any signature work. Refuses
 * (SamlRejection) rather than repairs: a well-behaved IdP never needs them.
 */
export function precheckResponse(xml: string, expect: ResponseExpectations): PrecheckedResponse {
  const doc = parse(xml);
  const root = doc.documentElement;
  if (!root || root.namespaceURI !== SAMLP || root.localName !== 'Response') throw new SamlRejection('not_a_response');

  let comments = 0;
  let doctype = false;
  const ids = new Map<string, number>();
  const assertions: Element[] = [];
  let encrypted = 0;
  const badAlgorithms: string[] = [];
  let badTransform = false;
  walk(doc, (n) => {
    if (n.nodeType === 8) comments++;
    else if (n.nodeType === 10) doctype = true;
    else if (n.nodeType === 1) {
      const e = n as Element;
      // xml-crypto resolves references by any of these attribute names.
      for (const name of ['ID', 'Id', 'id']) {
        const v = e.getAttribute(name);
        if (v !== null && v !== '') ids.set(v, (ids.get(v) ?? 0) + 1);
      }
      if (e.namespaceURI === SAML && e.localName === 'Assertion') assertions.push(e);
      if (e.namespaceURI === SAML && e.localName === 'EncryptedAssertion') encrypted++;
      if (e.namespaceURI === DS) {
        const alg = e.getAttribute('Algorithm') ?? '';
        if (e.localName === 'SignatureMethod' && !ALLOWED_SIGNATURE_ALGORITHMS.has(alg)) badAlgorithms.push(alg);
        if (e.localName === 'DigestMethod' && !ALLOWED_DIGEST_ALGORITHMS.has(alg)) badAlgorithms.push(alg);
        if (e.localName === 'Transform' && !ALLOWED_TRANSFORMS.has(alg)) badTransform = true;
      }
    }
  });
  if (doctype) throw new SamlRejection('doctype_forbidden');
  // A comment inside a signed value (NameID) survives exclusive c14n unsigned:
  // "alice@corp.example<!---->.evil" would verify and read as someone else.
  if (comments > 0) throw new SamlRejection('xml_comment');

  const status = child(child(root, SAMLP, 'Status'), SAMLP, 'StatusCode')?.getAttribute('Value');
  if (status !== SUCCESS) throw new SamlRejection('status_not_success', { status: statusCode(status) });

  if (encrypted > 0) throw new SamlRejection('encrypted_assertion_unsupported');
  if (assertions.length === 0) throw new SamlRejection('missing_assertion');
  // Signature wrapping needs a second assertion somewhere (beside, inside, or
  // around the signed one) or a second element with the signed id.
  if (assertions.length > 1) throw new SamlRejection('multiple_assertions', { count: assertions.length });
  if (assertions[0].parentNode !== root) throw new SamlRejection('signature_wrapping');
  if ([...ids.values()].some((n) => n > 1)) throw new SamlRejection('duplicate_id');
  if (badAlgorithms.length) throw new SamlRejection('weak_algorithm', { algorithm: algorithmCode(badAlgorithms[0]) });
  if (badTransform) throw new SamlRejection('unsupported_transform');
  if (!child(assertions[0], DS, 'Signature')) throw new SamlRejection('assertion_not_signed');

  if (root.getAttribute('Destination') !== expect.acsUrl) throw new SamlRejection('wrong_destination');
  const responseIssuer = child(root, SAML, 'Issuer');
  if (responseIssuer && responseIssuer.textContent?.trim() !== expect.idpEntityId) throw new SamlRejection('wrong_issuer');
  return { inResponseTo: root.getAttribute('InResponseTo') || null };
}

export interface CheckedAssertion {
  assertionId: string;
  nameId: string;
  /** Until when the assertion id must be remembered (latest NotOnOrAfter plus skew). */
  rememberUntil: Date;
}

function time(v: string | null): number | undefined {
  if (!v) return undefined;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : t;
}

/**
 * Checks on the assertion node-saml verified (its XML, as returned in the
 * profile): issuer, bearer subject confirmation for our ACS, its times and
 * InResponseTo. Returns what the replay cache and the user lookup need.
 */
export function postcheckAssertion(
  assertionXml: string,
  expect: ResponseExpectations & { inResponseTo: string | null; skewMs: number; now?: number },
): CheckedAssertion {
  const now = expect.now ?? Date.now();
  const a = parse(assertionXml).documentElement;
  if (!a || a.namespaceURI !== SAML || a.localName !== 'Assertion') throw new SamlRejection('invalid_response');
  if (child(a, SAML, 'Issuer')?.textContent?.trim() !== expect.idpEntityId) throw new SamlRejection('wrong_issuer');
  const assertionId = a.getAttribute('ID') ?? '';
  if (!assertionId) throw new SamlRejection('invalid_response');

  const subject = child(a, SAML, 'Subject');
  const nameIdEl = child(subject, SAML, 'NameID');
  const nameId = nameIdEl?.textContent?.trim() ?? '';
  if (!nameId || nameId.length > 512) throw new SamlRejection('missing_name_id');

  const bearer = subject ? children(subject, SAML, 'SubjectConfirmation').filter((c) => c.getAttribute('Method') === BEARER) : [];
  const forUs = bearer.map((c) => child(c, SAML, 'SubjectConfirmationData')).filter((d) => d?.getAttribute('Recipient') === expect.acsUrl);
  if (forUs.length === 0) throw new SamlRejection('wrong_recipient');
  let reason: SamlReason = 'expired';
  const valid = forUs.find((d) => {
    const notOnOrAfter = time(d!.getAttribute('NotOnOrAfter'));
    const notBefore = time(d!.getAttribute('NotBefore'));
    if (notOnOrAfter === undefined || now - expect.skewMs >= notOnOrAfter) return false;
    if (notBefore !== undefined && now + expect.skewMs < notBefore) {
      reason = 'not_yet_valid';
      return false;
    }
    const irt = d!.getAttribute('InResponseTo') || null;
    if (irt !== expect.inResponseTo) {
      reason = 'unknown_in_response_to';
      return false;
    }
    return true;
  });
  if (!valid) throw new SamlRejection(reason);

  const conditions = child(a, SAML, 'Conditions');
  const ends = [time(valid.getAttribute('NotOnOrAfter')), time(conditions?.getAttribute('NotOnOrAfter') ?? null)].filter(
    (t): t is number => t !== undefined,
  );
  return { assertionId, nameId, rememberUntil: new Date(Math.max(...ends) + expect.skewMs) };
}
