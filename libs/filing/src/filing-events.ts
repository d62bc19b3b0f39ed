import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { ApplicationStatus } from '@charlotte/applications';

/** What happened to a filing, as integrators see it (api.md, "Webhooks"): the event types of the contract. */
export const FILING_EVENT_TYPES = [
  'application.submitted',
  'application.arrived',
  'application.correction_requested',
  'application.completed',
  'application.failed',
  'document.available',
] as const;
export type FilingEventType = (typeof FILING_EVENT_TYPES)[number];

/** Ids and states only: never form content, names or titles (the receiver fetches details with its own token). */
export interface FilingEvent {
  tenantId: string;
  type: FilingEventType;
  applicationId: string;
  status: ApplicationStatus;
  /** document.available: the official document (one event per stored file). */
  documentId?: string;
}

/** Called in the transaction of the change: what it writes exists iff the change committed. */
export type FilingEventListener = (m: EntityManager, event: FilingEvent) => Promise<void>;

/**
 * The status changes of filings, for libs above this one (webhooks) that must record them in the same
 * transaction as the change (a durable outbox), without filing knowing who listens: the graph stays
 * one-way, as with DigestRegistry and EditGuardRegistry.
 */
@Injectable()
export class FilingEventsRegistry {
  private readonly listeners: FilingEventListener[] = [];

  register(listener: FilingEventListener): void {
    this.listeners.push(listener);
  }

  async emit(m: EntityManager, event: FilingEvent): Promise<void> {
    for (const l of this.listeners) await l(m, event);
  }
}
