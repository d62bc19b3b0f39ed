import { useI18n } from 'vue-i18n';
import type { RouteLocationRaw } from 'vue-router';
import type { AuditCategory, AuditEvent } from '@/api/client';
import ja from '@/i18n/ja';

export const AUDIT_CATEGORIES: readonly AuditCategory[] = ['operation', 'access', 'security', 'system'];

/**
 * Every action code the SPA has words for, grouped by their first part (`auth`, `application`,
 * …), in the order of the messages. The messages are the list: libs/audit's AUDIT_ACTIONS test
 * keeps them complete, so the filter offers every code the server may write.
 */
export const AUDIT_ACTION_GROUPS: ReadonlyArray<{ group: string; codes: readonly string[] }> = Object.entries(ja.audit.actions).map(
  ([group, verbs]) => ({ group, codes: Object.keys(verbs).map((verb) => `${group}.${verb}`) }),
);
const KNOWN: ReadonlySet<string> = new Set(AUDIT_ACTION_GROUPS.flatMap((g) => g.codes));

export function isAuditCategory(value: unknown): value is AuditCategory {
  return typeof value === 'string' && (AUDIT_CATEGORIES as readonly string[]).includes(value);
}

export function isKnownAuditAction(value: string): boolean {
  return KNOWN.has(value);
}

/** The first block of a UUID: enough to tell ids apart on screen. */
export function shortId(id: string | null | undefined): string {
  if (!id) return '';
  return id.length > 8 ? id.slice(0, 8) : id;
}

/** 対象 in words: what kind of record, its name when the server resolved one, and whether it is gone. */
export interface TargetWords {
  kind: string;
  name: string | null;
  deleted: boolean;
  /** Where the record can be opened (applications), when it still exists. */
  link: RouteLocationRaw | null;
}

/**
 * Labels of audit events in the current language. Names of actors and targets come from the
 * server (resolved for the viewer when read); the raw codes and ids only when nothing better is known.
 */
export function useAuditLabels() {
  const { t, te } = useI18n({ useScope: 'global' });

  /** The words for an action code; the code itself for one this SPA does not know yet. */
  function actionLabel(action: string): string {
    return KNOWN.has(action) ? t(`audit.actions.${action}`) : action;
  }

  function actionGroupLabel(group: string): string {
    return te(`audit.actionGroups.${group}`) ? t(`audit.actionGroups.${group}`) : group;
  }

  function actorLabel(actor: AuditEvent['actor']): string {
    switch (actor.type) {
      case 'system':
        return t('audit.actors.system');
      case 'anonymous':
        return t('audit.actors.anonymous');
      case 'api_token':
        if (actor.label) return t('audit.actors.apiTokenNamed', { name: actor.label });
        return actor.deleted ? t('audit.actors.apiTokenDeleted') : t('audit.actors.apiToken', { id: shortId(actor.id) });
      default:
        if (actor.label) return actor.deleted ? t('audit.named.deleted', { name: actor.label }) : actor.label;
        return actor.deleted ? t('audit.actors.userDeleted') : t('audit.actors.user', { id: shortId(actor.id) });
    }
  }

  function targetKind(type: string): string {
    // Only simple names become keys: a dotted type would address a nested key.
    const key = `audit.targets.${type}`;
    return /^[a-z0-9_]+$/.test(type) && te(key) ? t(key) : type;
  }

  function targetWords(target: AuditEvent['target']): TargetWords | null {
    if (!target) return null;
    const link = target.type === 'application' && target.id && !target.deleted ? { name: 'application', params: { id: target.id } } : null;
    return { kind: targetKind(target.type), name: target.label, deleted: target.deleted, link };
  }

  /** 対象 as one line of text: 申請「山田太郎 資格取得届」, 申請（削除済み）, or the kind and a short id. */
  function targetLabel(target: AuditEvent['target']): string {
    const w = targetWords(target);
    if (!w || !target) return '';
    if (w.name) return t(w.deleted ? 'audit.named.targetDeleted' : 'audit.named.target', { kind: w.kind, name: w.name });
    if (w.deleted) return t('audit.named.kindDeleted', { kind: w.kind });
    return target.id ? `${w.kind} ${shortId(target.id)}` : w.kind;
  }

  return { actionLabel, actionGroupLabel, actorLabel, targetWords, targetLabel };
}
