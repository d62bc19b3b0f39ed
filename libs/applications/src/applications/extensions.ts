import { Injectable } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';
import type { ApplicationDetail, ApplicationStatus } from './dto/application.dto';

/**
 * Extension points of libs/applications for the libs above it (libs/filing), registered at
 * construction the way KeyRotationService.register and HealthRegistry.register work: this lib
 * calls them without knowing who registered what, so the dependency stays one-way.
 */

/**
 * Refuses an edit of an application that the status alone would allow (throws a DomainError).
 * Runs in the caller's transaction, under the application's row lock when it holds one, so a
 * guard and the work it guards against (e.g. a 補正 being sent) exclude each other.
 */
export type EditGuard = (
  m: EntityManager | DataSource,
  tenantId: string,
  applicationId: string,
  status: ApplicationStatus,
) => Promise<void>;

/**
 * Told, in the editing transaction and under the application's row lock, that an application was
 * edited (form, title, office, attachments) while it had `status`. libs/filing cancels a pending
 * approval (承認フロー) there: what the approvers approved must be what is filed.
 */
export type EditHook = (
  m: EntityManager,
  tenantId: string,
  applicationId: string,
  status: ApplicationStatus,
  actor: string,
) => Promise<void>;

/** What a detail part sees of the application: its id and the columns other libs keep on its row. */
export interface DetailPartInput {
  id: string;
  status: ApplicationStatus;
  arriveId: string | null;
  egovStatus: string | null;
  failureReason: string | null;
}

/** Adds fields to GET /applications/{id}; parts are merged in registration order. */
export type DetailPart = (tenantId: string, app: DetailPartInput) => Promise<Partial<ApplicationDetail>>;

@Injectable()
export class EditGuardRegistry {
  private readonly guards: EditGuard[] = [];
  private readonly hooks: EditHook[] = [];

  register(guard: EditGuard): void {
    this.guards.push(guard);
  }

  /** Registers a hook run after every edit (see EditHook). */
  onEdited(hook: EditHook): void {
    this.hooks.push(hook);
  }

  async edited(m: EntityManager, tenantId: string, applicationId: string, status: ApplicationStatus, actor: string): Promise<void> {
    for (const h of this.hooks) await h(m, tenantId, applicationId, status, actor);
  }

  async check(m: EntityManager | DataSource, tenantId: string, applicationId: string, status: ApplicationStatus): Promise<void> {
    for (const g of this.guards) await g(m, tenantId, applicationId, status);
  }
}

@Injectable()
export class DetailPartRegistry {
  private readonly parts: DetailPart[] = [];

  register(part: DetailPart): void {
    this.parts.push(part);
  }

  async render(tenantId: string, app: DetailPartInput): Promise<Partial<ApplicationDetail>> {
    let out: Partial<ApplicationDetail> = {};
    for (const p of this.parts) out = { ...out, ...(await p(tenantId, app)) };
    return out;
  }
}
