import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { CookieOptions, Request } from 'express';
import type { AppConfig } from '@charlotte/core';

/*
 * Binding an SP-initiated SAML login to the browser that started it (issue 13,
 * finding 9: without it an attacker can push a response for their own account
 * into a victim's browser, "login CSRF").
 *
 * Why not a cookie checked at the ACS: the IdP answers with a cross-site
 * top-level POST, on which browsers send no SameSite=Lax or Strict cookie. A
 * SameSite=None cookie would be sent, but it needs Secure (so it fails on
 * plain-http development hosts) and is what third-party-cookie restrictions
 * go after. Instead:
 *   1. GET /auth/saml/:tenant/login sets a random secret in an HttpOnly,
 *      SameSite=Lax cookie and stores its SHA-256 with the AuthnRequest id;
 *   2. the ACS checks the response as before, then stores what it learnt under
 *      a one-time code (2 minutes) and answers 303 to
 *      GET /auth/saml/:tenant/finish?code=…;
 *   3. that redirect is a top-level GET navigation, on which SameSite=Lax
 *      cookies ARE sent: /finish consumes the code, compares the cookie's hash
 *      with the one stored for the request, and only then resolves the user and
 *      opens the session.
 * A response pushed into another browser reaches /finish without the
 * matching cookie and is refused (`browser_mismatch`); a /finish link taken
 * from the attacker's own browser fails the same way, and its code is gone.
 * Behind HTTPS (COOKIE_SECURE) the cookie is `__Host-` prefixed: Secure, path
 * /, no Domain, so a sibling subdomain cannot plant a known secret. On plain
 * http (local development) it is the unprefixed name without Secure.
 */

export const BINDING_COOKIE_SECURE = '__Host-charlotte_saml';
export const BINDING_COOKIE_PLAIN = 'charlotte_saml';
const SECRET = /^[A-Za-z0-9_-]{43}$/;

export function bindingCookieName(config: AppConfig): string {
  return config.cookieSecure ? BINDING_COOKIE_SECURE : BINDING_COOKIE_PLAIN;
}

export function bindingCookieOptions(config: AppConfig): CookieOptions {
  return {
    httpOnly: true,
    // Lax, not Strict: /finish is reached through a redirect chain that began
    // at the IdP's cross-site POST; Lax cookies go with top-level GETs.
    sameSite: 'lax',
    secure: config.cookieSecure,
    path: '/',
    maxAge: config.samlRequestTtlMinutes * 60_000,
  };
}

/** The browser's binding secret, if it sent a well-formed one. */
export function readBinding(req: Request, config: AppConfig): string | undefined {
  const v = (req.cookies as Record<string, unknown> | undefined)?.[bindingCookieName(config)];
  return typeof v === 'string' && SECRET.test(v) ? v : undefined;
}

/**
 * The secret for a new login: the browser's current one when it has one (so
 * two tabs can log in at once), else a new random one. Reusing it is safe: it
 * only ever proves "same browser", and an attacker cannot read it (HttpOnly)
 * nor, behind HTTPS, set it (`__Host-`).
 */
export function bindingFor(existing: string | undefined): string {
  return existing ?? randomBytes(32).toString('base64url');
}

export function bindingHash(secret: string): Buffer {
  return createHash('sha256').update(secret).digest();
}

/** Constant-time comparison of a stored hash with the hash of the presented secret. */
export function bindingMatches(stored: Buffer | null, presented: string | undefined): boolean {
  if (!stored || !presented) return false;
  const h = bindingHash(presented);
  return stored.length === h.length && timingSafeEqual(stored, h);
}
