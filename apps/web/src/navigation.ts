/**
 * The main navigation, as data: one line per entry. `main` entries are the daily work and stay
 * on the top bar; `settings` entries fold into the 「設定」 menu (issue 18: an administrator had
 * some twenty entries on two rows). `show` says who sees the entry; the router's meta still
 * decides who may open the page.
 */
export interface NavContext {
  /** Logged in at all. */
  user: boolean;
  admin: boolean;
  operator: boolean;
  /** A tenant user (not a platform operator): applications, offices and the like belong to a tenant. */
  tenant: boolean;
  /** The tenant is a 社労士 office (it has 顧問先). */
  sharoushi: boolean;
  /** A 顧問先's portal user (role client): the portal menu only, never the office's. */
  client: boolean;
}

export interface NavEntry {
  /** Route name. */
  route: string;
  /** The link's data-testid (browser and unit tests click these). */
  testid: string;
  /** i18n key of the label. */
  label: string;
  group: 'main' | 'settings';
  show: (c: NavContext) => boolean;
  /** Active only on the route itself (home), not on the routes below it. */
  exact?: boolean;
  /** Starts a new section of the settings menu (a line above it): the user's own settings after the tenant's. */
  sectionStart?: boolean;
}

const all = (c: NavContext) => c.user;
/** The office's own people (a tenant user who is not a portal user). */
const staff = (c: NavContext) => c.tenant && !c.client;
const portal = (c: NavContext) => c.client;
const admin = (c: NavContext) => c.admin;
const operator = (c: NavContext) => c.operator;

export const NAV: readonly NavEntry[] = [
  { route: 'home', testid: 'nav-home', label: 'shell.home', group: 'main', show: (c) => c.user && !c.client, exact: true },
  { route: 'portal', testid: 'nav-portal', label: 'shell.portalHome', group: 'main', show: portal },
  { route: 'requests', testid: 'nav-requests', label: 'shell.requests', group: 'main', show: portal },
  { route: 'operator-tenants', testid: 'nav-operator-tenants', label: 'shell.operatorTenants', group: 'main', show: operator },
  { route: 'operator-incidents', testid: 'nav-operator-incidents', label: 'shell.operatorIncidents', group: 'main', show: operator },
  { route: 'operator-alerts', testid: 'nav-operator-alerts', label: 'shell.operatorAlerts', group: 'main', show: operator },
  { route: 'applications', testid: 'nav-applications', label: 'shell.applications', group: 'main', show: staff },
  { route: 'clients', testid: 'nav-clients', label: 'shell.clients', group: 'main', show: (c) => staff(c) && c.sharoushi },
  { route: 'requests', testid: 'nav-requests', label: 'shell.requestsInbox', group: 'main', show: (c) => staff(c) && c.sharoushi },
  { route: 'approvals', testid: 'nav-approvals', label: 'shell.approvals', group: 'main', show: staff },
  { route: 'offices', testid: 'nav-offices', label: 'shell.offices', group: 'main', show: staff },
  { route: 'status', testid: 'nav-status', label: 'shell.status', group: 'main', show: staff },
  // The tenant's settings (administrators).
  { route: 'users', testid: 'nav-users', label: 'shell.users', group: 'settings', show: admin },
  { route: 'audit', testid: 'nav-audit', label: 'shell.audit', group: 'settings', show: admin },
  { route: 'backups', testid: 'nav-backups', label: 'shell.backups', group: 'settings', show: admin },
  { route: 'api-tokens', testid: 'nav-api-tokens', label: 'shell.apiTokens', group: 'settings', show: admin },
  { route: 'webhooks', testid: 'nav-webhooks', label: 'shell.webhooks', group: 'settings', show: admin },
  { route: 'approval-routes', testid: 'nav-approval-routes', label: 'shell.approvalRoutes', group: 'settings', show: admin },
  { route: 'ip-allowlist', testid: 'nav-ip-allowlist', label: 'shell.ipAllowlist', group: 'settings', show: admin },
  { route: 'sso-settings', testid: 'nav-sso', label: 'shell.sso', group: 'settings', show: admin },
  { route: 'egov-settings', testid: 'nav-egov', label: 'shell.egov', group: 'settings', show: admin },
  { route: 'signing-certificate', testid: 'nav-signing', label: 'shell.signing', group: 'settings', show: admin },
  // The user's own settings (everybody).
  { route: 'keys', testid: 'nav-keys', label: 'shell.keys', group: 'settings', show: all, sectionStart: true },
  {
    route: 'notification-settings',
    testid: 'nav-notification-settings',
    label: 'shell.notificationSettings',
    group: 'settings',
    show: staff,
  },
];

/** The entries a user sees, by group, in the order above. */
export function navFor(c: NavContext): { main: NavEntry[]; settings: NavEntry[] } {
  const shown = NAV.filter((e) => e.show(c));
  return { main: shown.filter((e) => e.group === 'main'), settings: shown.filter((e) => e.group === 'settings') };
}
