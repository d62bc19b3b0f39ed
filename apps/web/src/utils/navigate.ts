/**
 * Leaves the SPA for a server-rendered URL (e.g. the SAML login, which answers
 * with a redirect to the customer's IdP). Kept in its own module so that
 * tests can replace it: the test DOM cannot navigate.
 */
export function navigateTo(url: string): void {
  window.location.assign(url);
}
