import { Injectable } from '@nestjs/common';
import type { ApiScope, Caller } from '@charlotte/core';

/** What a lib knows about one of its records, named in an audit event. */
export interface AuditTargetName {
  /** For people, not machines: an application's title, a user's display name, an office's name. */
  label: string;
  /** Still on record but removed (a soft-deleted office): shown with its name and 「削除済み」. */
  deleted?: boolean;
}

/**
 * Names the records of one type, for one tenant, in one batch: one query per page of events
 * and type, never one per row. Ids of other tenants must not be found (`WHERE tenant_id = $1`).
 * Ids missing from the answer are records that no longer exist.
 */
export type AuditTargetResolver = (tenantId: string, ids: readonly string[]) => Promise<ReadonlyMap<string, AuditTargetName>>;

export interface AuditTargetSource {
  /** `target.type` (and `actor.type`) of the events it names, e.g. `application`. */
  type: string;
  /**
   * The scope an API token must hold to see these names (audit:read alone lets it read the
   * trail, not the tenant's data: an application title may name a person). null: tokens never
   * see them (users' display names are personal data no scope grants). Sessions reaching the
   * audit log are administrators and see every name.
   */
  tokenScope: ApiScope | null;
  resolve: AuditTargetResolver;
}

/** The label of a target or actor as the audit list shows it. */
export interface ResolvedName {
  label: string | null;
  /** The record is gone (or removed); label then says what it was when its lib still knows. */
  deleted: boolean;
}

export const UNRESOLVED: ResolvedName = Object.freeze({ label: null, deleted: false });

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The audit trail names ids only (its chain must never hold personal data, nor change when a
 * title does). Higher libs register how to name their records at read time, the way
 * HealthRegistry and notifications' registries work: libs/audit never reads their tables.
 */
@Injectable()
export class AuditTargetRegistry {
  private readonly sources = new Map<string, AuditTargetSource>();

  register(source: AuditTargetSource): void {
    if (this.sources.has(source.type)) throw new Error(`audit target type ${source.type} registered twice`);
    this.sources.set(source.type, source);
  }

  get types(): string[] {
    return [...this.sources.keys()].sort();
  }

  /**
   * Names the given (type, id) pairs for the caller, within the caller's tenant: one resolver
   * call per type. A type without a resolver, or one the caller may not see, stays unresolved.
   */
  async resolve(tenantId: string, caller: Caller, refs: ReadonlyArray<{ type: string; id: string | null }>): Promise<NameLookup> {
    const byType = new Map<string, Set<string>>();
    for (const r of refs) {
      // Only UUIDs can be ids of records (other ids, like a chain key, name nothing to look up).
      if (!r.id || !UUID.test(r.id)) continue;
      const source = this.sources.get(r.type);
      if (!source || !visibleTo(source, caller)) continue;
      const set = byType.get(r.type) ?? new Set<string>();
      set.add(r.id.toLowerCase());
      byType.set(r.type, set);
    }
    const found = new Map<string, ReadonlyMap<string, AuditTargetName>>();
    await Promise.all(
      [...byType].map(async ([type, ids]) => {
        found.set(type, await this.sources.get(type)!.resolve(tenantId, [...ids]));
      }),
    );
    return (type, id) => {
      const names = found.get(type);
      if (!names || !id || !UUID.test(id)) return UNRESOLVED;
      const n = names.get(id.toLowerCase());
      return n ? { label: n.label, deleted: n.deleted === true } : { label: null, deleted: true };
    };
  }
}

export type NameLookup = (type: string, id: string | null) => ResolvedName;

function visibleTo(source: AuditTargetSource, caller: Caller): boolean {
  if (caller.kind === 'session') return true;
  return source.tokenScope !== null && caller.scopes.includes(source.tokenScope);
}
