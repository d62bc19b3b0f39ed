import { Injectable } from '@nestjs/common';
import { Caller, Page, tenantOf } from '@charlotte/core';
import { AuditQuery, AuditService } from '../events/audit.service';
import { AuditEventView } from '../events/audit.types';
import { AuditTargetRegistry, ResolvedName } from './audit-targets';

/** An audit event as the audit log shows it: its ids named for the viewer, at read time. */
export interface NamedAuditEventView extends Omit<AuditEventView, 'actor' | 'target'> {
  actor: AuditEventView['actor'] & ResolvedName;
  target: (NonNullable<AuditEventView['target']> & ResolvedName) | null;
}

/**
 * Reads the tenant's trail for the audit log and names targets and actors (application titles,
 * display names, …) for the viewer. The names are never written to the chain: a title changes,
 * a record is deleted, the hashed event stays as it was.
 */
@Injectable()
export class AuditViewsService {
  constructor(
    private readonly audit: AuditService,
    private readonly targets: AuditTargetRegistry,
  ) {}

  async list(caller: Caller, q: AuditQuery): Promise<Page<NamedAuditEventView>> {
    const page = await this.audit.list(tenantOf(caller), q);
    return { items: await this.named(caller, page.items), nextCursor: page.nextCursor };
  }

  async get(caller: Caller, id: string): Promise<NamedAuditEventView | undefined> {
    const e = await this.audit.get(tenantOf(caller), id);
    return e ? (await this.named(caller, [e]))[0] : undefined;
  }

  private async named(caller: Caller, events: AuditEventView[]): Promise<NamedAuditEventView[]> {
    const refs = events.flatMap((e) => (e.target ? [e.actor, e.target] : [e.actor]));
    const nameOf = await this.targets.resolve(tenantOf(caller), caller, refs);
    return events.map((e) => ({
      ...e,
      actor: { ...e.actor, ...nameOf(e.actor.type, e.actor.id) },
      target: e.target ? { ...e.target, ...nameOf(e.target.type, e.target.id) } : null,
    }));
  }
}
