import { Injectable } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';

/**
 * What the customer mails need from libs above this one (applications), registered by them the way
 * HealthRegistry.register works: this lib never reads their tables.
 */

/** The procedure of an application, for the filing mails: catalogue names only, never form content. */
export interface ApplicationMailInfo {
  procedureName: string;
  procedureNameEn: string | null;
}
export type ApplicationInfoSource = (
  m: EntityManager | DataSource,
  tenantId: string,
  applicationId: string,
) => Promise<ApplicationMailInfo | undefined>;

/** A tenant's drafts not yet submitted, for the daily digest. */
export interface DraftSummary {
  drafts: number;
  oldestDraftAt: Date | null;
}
export type DraftDigestSource = (tenantId: string) => Promise<DraftSummary>;

@Injectable()
export class ApplicationInfoRegistry {
  private source?: ApplicationInfoSource;

  register(source: ApplicationInfoSource): void {
    this.source = source;
  }

  async resolve(m: EntityManager | DataSource, tenantId: string, applicationId: string): Promise<ApplicationMailInfo | undefined> {
    return this.source?.(m, tenantId, applicationId);
  }
}

@Injectable()
export class DigestRegistry {
  private source?: DraftDigestSource;

  register(source: DraftDigestSource): void {
    this.source = source;
  }

  get registered(): boolean {
    return this.source !== undefined;
  }

  async drafts(tenantId: string): Promise<DraftSummary> {
    return this.source ? this.source(tenantId) : { drafts: 0, oldestDraftAt: null };
  }
}
