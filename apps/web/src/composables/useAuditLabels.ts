import { useI18n } from 'vue-i18n';
import type { AuditCategory, AuditEvent } from '@/api/client';

export const AUDIT_CATEGORIES: readonly AuditCategory[] = ['operation', 'access', 'security', 'system'];

/** Actions with a label in `audit.actions` (other codes are shown as they are). */
export const KNOWN_AUDIT_ACTIONS: readonly string[] = [
  'auth.login',
  'auth.logout',
  'auth.session_expired',
  'auth.account_locked',
  'http.csrf_rejected',
  'http.rate_limited',
  'http.ip_not_allowed',
  'ip_allowlist.changed',
  'ip_allowlist.disabled',
  'approval_route.updated',
  'approval.requested',
  'approval.approved',
  'approval.sent_back',
  'approval.cancelled',
  'user.created',
  'user.updated',
  'user.role_changed',
  'user.status_changed',
  'user.invited',
  'user.invitation_accepted',
  'audit.exported',
  'audit.purged',
  'system.error',
];
const KNOWN = new Set(KNOWN_AUDIT_ACTIONS);

export function isAuditCategory(value: unknown): value is AuditCategory {
  return typeof value === 'string' && (AUDIT_CATEGORIES as readonly string[]).includes(value);
}

/** The first block of a UUID: enough to tell ids apart on screen. */
export function shortId(id: string | null | undefined): string {
  if (!id) return '';
  return id.length > 8 ? id.slice(0, 8) : id;
}

/**
 * Labels of audit events in the current language. `names` maps user ids of
 * the tenant to display names (best effort: unknown users show a short id).
 */
export function useAuditLabels(names: () => ReadonlyMap<string, string>) {
  const { t, te } = useI18n({ useScope: 'global' });

  function actionLabel(action: string): string | null {
    return KNOWN.has(action) ? t(`audit.actions.${action}`) : null;
  }

  function actorLabel(actor: AuditEvent['actor']): string {
    switch (actor.type) {
      case 'system':
        return t('audit.actors.system');
      case 'anonymous':
        return t('audit.actors.anonymous');
      case 'api_token':
        return t('audit.actors.apiToken', { id: shortId(actor.id) });
      default:
        return (actor.id && names().get(actor.id)) || t('audit.actors.user', { id: shortId(actor.id) });
    }
  }

  function targetLabel(target: AuditEvent['target']): string {
    if (!target) return '';
    if (target.type === 'user' && target.id) {
      const name = names().get(target.id);
      if (name) return name;
    }
    const key = `audit.targets.${target.type}`;
    // Only simple names become keys: a dotted type would address a nested key.
    const type = /^[a-z0-9_]+$/.test(target.type) && te(key) ? t(key) : target.type;
    return target.id ? `${type} ${shortId(target.id)}` : type;
  }

  return { actionLabel, actorLabel, targetLabel };
}
