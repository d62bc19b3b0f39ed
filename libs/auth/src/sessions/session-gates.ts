import { Injectable } from '@nestjs/common';
import type { UserRole } from '../users/user.entity';

/** Who is logging in or calling with a session (ids and role only). */
export interface SessionSubject {
  userId: string;
  tenantId: string | null;
  role: UserRole;
}

/** Throws a DomainError (a 403 with its code) when the subject may not log in or use a session now. */
export type SessionGate = (subject: SessionSubject) => Promise<void>;

/**
 * Checks that a higher lib adds to login and to every session request, without libs/auth knowing
 * its tables: the client portal (libs/portal) refuses the users of a 顧問先 whose portal was turned
 * off (403 portal_disabled), at the password step, at the key-file step and on every request of a
 * session already open. Gates must answer at once (no query) for the subjects they do not concern:
 * they run on every request.
 */
@Injectable()
export class SessionGates {
  private readonly gates: SessionGate[] = [];

  register(gate: SessionGate): void {
    this.gates.push(gate);
  }

  async check(subject: SessionSubject): Promise<void> {
    for (const gate of this.gates) await gate(subject);
  }
}
