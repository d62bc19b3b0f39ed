import { createRouter, createWebHistory, type RouteLocationNormalized, type RouteLocationRaw, type RouterHistory } from 'vue-router';
import { useSessionStore } from '@/stores/session';
import { useFlashStore } from '@/stores/flash';

declare module 'vue-router' {
  interface RouteMeta {
    /** Reachable without a session. */
    public?: boolean;
    /** Only for guests: a logged-in user is sent on. */
    guestOnly?: boolean;
    /** Tenant administrators only. */
    requiresAdmin?: boolean;
    /** Platform operators only (the operator console). */
    requiresOperator?: boolean;
    /** A tenant's content (applications, offices, its mail settings): not for platform operators, who have no tenant. */
    tenantOnly?: boolean;
    /**
     * Also for the users of a 顧問先's portal (role client). Every route without it sends them to
     * their portal home: default deny, as on the server (which answers them 404 elsewhere).
     */
    clientPortal?: boolean;
    /** Only for the users of a 顧問先's portal (the office has its own pages for the same data). */
    clientOnly?: boolean;
    /** i18n key of the document title. */
    titleKey?: string;
  }
}

/**
 * Accepts only a path inside this SPA as a post-login target, so that
 * `/login?redirect=https://evil.example` cannot turn the login page into an
 * open redirect.
 */
export function safeRedirect(value: unknown): string {
  if (typeof value !== 'string') return '/';
  if (!value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return '/';
  if (value === '/login' || value.startsWith('/login?') || value.startsWith('/login/')) return '/';
  return value;
}

export function createAppRouter(history: RouterHistory = createWebHistory(import.meta.env.BASE_URL)) {
  const router = createRouter({
    history,
    routes: [
      {
        path: '/login',
        name: 'login',
        component: () => import('@/views/LoginView.vue'),
        meta: { public: true, guestOnly: true, titleKey: 'login.title' },
      },
      {
        path: '/invite/:token',
        name: 'invite',
        component: () => import('@/views/InviteAcceptView.vue'),
        props: true,
        meta: { public: true, titleKey: 'invite.title' },
      },
      {
        path: '/',
        component: () => import('@/components/AppShell.vue'),
        children: [
          {
            path: '',
            name: 'home',
            component: () => import('@/views/HomeView.vue'),
            meta: { titleKey: 'home.title' },
          },
          {
            path: 'applications',
            name: 'applications',
            component: () => import('@/views/ApplicationsView.vue'),
            meta: { tenantOnly: true, titleKey: 'applications.title' },
          },
          {
            path: 'applications/:id',
            name: 'application',
            component: () => import('@/views/ApplicationEditorView.vue'),
            props: true,
            meta: { tenantOnly: true, titleKey: 'editor.title' },
          },
          {
            path: 'portal',
            name: 'portal',
            component: () => import('@/views/PortalHomeView.vue'),
            meta: { tenantOnly: true, clientPortal: true, clientOnly: true, titleKey: 'portal.title' },
          },
          {
            path: 'portal/applications/:id',
            name: 'portal-application',
            component: () => import('@/views/PortalApplicationView.vue'),
            props: true,
            meta: { tenantOnly: true, clientPortal: true, clientOnly: true, titleKey: 'portal.detail.title' },
          },
          {
            path: 'requests',
            name: 'requests',
            component: () => import('@/views/RequestsView.vue'),
            meta: { tenantOnly: true, clientPortal: true, titleKey: 'requests.title' },
          },
          {
            path: 'clients',
            name: 'clients',
            component: () => import('@/views/ClientsView.vue'),
            meta: { tenantOnly: true, titleKey: 'clients.title' },
          },
          {
            path: 'clients/:id',
            name: 'client',
            component: () => import('@/views/ClientView.vue'),
            props: true,
            meta: { tenantOnly: true, titleKey: 'clients.detail.title' },
          },
          {
            path: 'approvals',
            name: 'approvals',
            component: () => import('@/views/ApprovalsView.vue'),
            meta: { tenantOnly: true, titleKey: 'approvals.inboxTitle' },
          },
          {
            path: 'settings/approval-routes',
            name: 'approval-routes',
            component: () => import('@/views/ApprovalRoutesView.vue'),
            meta: { requiresAdmin: true, titleKey: 'approvals.routesTitle' },
          },
          {
            path: 'offices',
            name: 'offices',
            component: () => import('@/views/OfficesView.vue'),
            meta: { tenantOnly: true, titleKey: 'offices.title' },
          },
          {
            path: 'users',
            name: 'users',
            component: () => import('@/views/UsersView.vue'),
            meta: { requiresAdmin: true, titleKey: 'users.title' },
          },
          {
            path: 'keys',
            name: 'keys',
            component: () => import('@/views/KeysView.vue'),
            meta: { clientPortal: true, titleKey: 'keys.title' },
          },
          {
            path: 'api-tokens',
            name: 'api-tokens',
            component: () => import('@/views/ApiTokensView.vue'),
            meta: { requiresAdmin: true, titleKey: 'apiTokens.title' },
          },
          {
            path: 'settings/webhooks',
            name: 'webhooks',
            component: () => import('@/views/WebhooksView.vue'),
            meta: { requiresAdmin: true, titleKey: 'webhooks.title' },
          },
          {
            path: 'settings/sso',
            name: 'sso-settings',
            component: () => import('@/views/SsoSettingsView.vue'),
            meta: { requiresAdmin: true, titleKey: 'sso.title' },
          },
          {
            path: 'settings/ip-allowlist',
            name: 'ip-allowlist',
            component: () => import('@/views/IpAllowlistView.vue'),
            meta: { requiresAdmin: true, titleKey: 'ipAllowlist.title' },
          },
          {
            path: 'settings/egov',
            name: 'egov-settings',
            component: () => import('@/views/EgovSettingsView.vue'),
            meta: { requiresAdmin: true, titleKey: 'egov.title' },
          },
          {
            path: 'settings/notifications',
            name: 'notification-settings',
            component: () => import('@/views/NotificationSettingsView.vue'),
            meta: { tenantOnly: true, titleKey: 'notificationSettings.title' },
          },
          {
            path: 'settings/signing',
            name: 'signing-certificate',
            component: () => import('@/views/SigningCertificateView.vue'),
            meta: { requiresAdmin: true, titleKey: 'signing.title' },
          },
          {
            path: 'audit',
            name: 'audit',
            component: () => import('@/views/AuditView.vue'),
            meta: { requiresAdmin: true, titleKey: 'audit.title' },
          },
          {
            path: 'backups',
            name: 'backups',
            component: () => import('@/views/BackupsView.vue'),
            meta: { requiresAdmin: true, titleKey: 'backups.title' },
          },
          {
            path: 'notices',
            name: 'notices',
            component: () => import('@/views/NoticesView.vue'),
            meta: { clientPortal: true, titleKey: 'notices.title' },
          },
          {
            path: 'status',
            name: 'status',
            component: () => import('@/views/StatusView.vue'),
            meta: { clientPortal: true, titleKey: 'statusPage.title' },
          },
          {
            path: 'operator/incidents',
            name: 'operator-incidents',
            component: () => import('@/views/OperatorIncidentsView.vue'),
            meta: { requiresOperator: true, titleKey: 'operator.incidents.title' },
          },
          {
            path: 'operator/incidents/:id',
            name: 'operator-incident',
            component: () => import('@/views/OperatorIncidentView.vue'),
            props: true,
            meta: { requiresOperator: true, titleKey: 'operator.incident.title' },
          },
          {
            path: 'operator/tenants',
            name: 'operator-tenants',
            component: () => import('@/views/OperatorTenantsView.vue'),
            meta: { requiresOperator: true, titleKey: 'operator.tenants.title' },
          },
          {
            path: 'operator/alerts',
            name: 'operator-alerts',
            component: () => import('@/views/OperatorAlertsView.vue'),
            meta: { requiresOperator: true, titleKey: 'operator.alerts.title' },
          },
          {
            path: 'operator/tenants/:code',
            name: 'operator-tenant',
            component: () => import('@/views/OperatorTenantView.vue'),
            props: true,
            meta: { requiresOperator: true, titleKey: 'operator.tenant.title' },
          },
        ],
      },
      {
        path: '/:pathMatch(.*)*',
        name: 'not-found',
        component: () => import('@/views/NotFoundView.vue'),
        meta: { public: true, titleKey: 'notFound.title' },
      },
    ],
  });

  router.beforeEach(async (to: RouteLocationNormalized): Promise<true | RouteLocationRaw> => {
    const session = useSessionStore();
    try {
      await session.ensureLoaded();
    } catch {
      // The server could not be asked (network or 5xx). Public pages still
      // work; protected ones go to the login page, which reports the problem.
    }

    if (to.meta.public) {
      if (to.meta.guestOnly && session.isAuthenticated) return safeRedirect(to.query.redirect);
      return true;
    }
    if (!session.isAuthenticated) {
      return { name: 'login', query: to.fullPath === '/' ? {} : { redirect: to.fullPath } };
    }
    // A 顧問先's portal user: the portal pages only (their home instead of the office's).
    if (session.isClient && !to.meta.clientPortal) {
      if (to.name !== 'home') useFlashStore().show('portal.forbidden', '/portal', 'error');
      return { name: 'portal' };
    }
    if (to.meta.clientOnly && !session.isClient) return { name: 'home' };
    if (to.meta.requiresAdmin && !session.isAdmin) {
      useFlashStore().show('home.forbidden', '/', 'error');
      return { name: 'home' };
    }
    if (to.meta.requiresOperator && !session.isOperator) {
      useFlashStore().show('operator.forbidden', '/', 'error');
      return { name: 'home' };
    }
    // Without this an operator who follows a link to a tenant page gets a page of 403s.
    if (to.meta.tenantOnly && session.isOperator) {
      useFlashStore().show('operator.tenantOnly', '/', 'error');
      return { name: 'home' };
    }
    return true;
  });

  return router;
}
