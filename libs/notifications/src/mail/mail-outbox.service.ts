import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { isMailTemplate, MailLocale, MailTemplateName, MailVars } from './templates';
import { MailWorker } from './mail.worker';

export interface MailToSend {
  to: string;
  template: MailTemplateName;
  /** ids, counts, dates and titles written by operators: never names of people or form content. */
  vars: MailVars;
  tenantId: string | null;
  locale?: MailLocale;
}

const ADDRESS = /^[^\s@<>,;:"]+@[^\s@<>,;:"]+$/;

/** Whether `to` is one plain address the outbox takes (callers skip, rather than fail on, anything else). */
export const isMailAddress = (to: string): boolean => ADDRESS.test(to);
const EMAIL_INSIDE = /[^\s@]+@[^\s@]+\.[^\s@]+/;

/** A mail refused at enqueue: a programming error of the caller, never a user's input. */
export class MailEnqueueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MailEnqueueError';
  }
}

/**
 * The only way to send e-mail: a row in `mail_outbox`, written with the caller's EntityManager so
 * that it is part of the business transaction (the mail exists iff the change committed). The
 * MailWorker sends it afterwards, at least once, with retries.
 */
@Injectable()
export class MailOutboxService {
  constructor(private readonly worker: MailWorker) {}

  async enqueue(m: EntityManager | DataSource, mail: MailToSend): Promise<string> {
    if (!isMailTemplate(mail.template)) throw new MailEnqueueError(`unknown mail template`);
    if (!ADDRESS.test(mail.to)) throw new MailEnqueueError('the recipient must be one plain address');
    // The outbox is kept for a while and read by support: an address belongs in `recipient` only.
    for (const [k, val] of Object.entries(mail.vars))
      if (typeof val === 'string' && EMAIL_INSIDE.test(val)) throw new MailEnqueueError(`mail var ${k} must not carry an e-mail address`);
    const rows: Array<{ id: string }> = await m.query(
      `INSERT INTO mail_outbox (tenant_id, recipient, template, locale, vars) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
      [mail.tenantId, mail.to, mail.template, mail.locale ?? 'ja', JSON.stringify(mail.vars)],
    );
    // Sent by the next tick at the latest; the nudge only shortens the wait once the caller has committed.
    this.worker.nudge();
    return rows[0].id;
  }
}
